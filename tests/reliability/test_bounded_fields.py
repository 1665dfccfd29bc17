"""Break 8: every free-text field of the script (and of what a critic returns) has a length bound; an edit with a
megabyte-long speaker or instrument is refused naming the field, and the checkpoint database does not grow."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from reelgraph.schema import MusicBrief, Script, ShotResult, VoiceLine
from reliability.helpers import SMALL, clean_error, reel

HUGE = "x" * 1_000_000


def _bounded_pattern(schema: dict[str, Any]) -> bool:
    """An anchored pattern with no open repetition (`*`, `+`, `{n,}`) bounds a string's length by itself.

    Structured-output grammars such as xgrammar refuse a pattern together with maxLength: such fields carry the pattern.
    """
    p = schema.get("pattern", "")
    return p.startswith("^") and p.endswith("$") and not re.search(r"(?<!\\)[*+]|\{\d+,\}", p)


def _unbounded(schema: dict[str, Any], defs: dict[str, Any], path: str) -> list[str]:
    """Paths of strings without maxLength (or enum/const) and arrays or maps without a bound, anywhere in a schema."""
    if "$ref" in schema:
        return _unbounded(defs[schema["$ref"].split("/")[-1]], defs, path)
    subs = [sub for key in ("anyOf", "allOf", "oneOf") for sub in schema.get(key, [])]
    found = [p for sub in subs for p in _unbounded(sub, defs, path)]
    kind = schema.get("type")
    if kind == "string" and not {"maxLength", "enum", "const"} & set(schema) and not _bounded_pattern(schema):
        found.append(path)
    elif kind == "array":
        found += [] if "maxItems" in schema else [f"{path}[] (no maxItems)"]
        found += _unbounded(schema.get("items", {}), defs, f"{path}[]")
    elif kind == "object":
        for name, sub in schema.get("properties", {}).items():
            found += _unbounded(sub, defs, f"{path}.{name}")
    return found


@pytest.mark.parametrize("model", [Script, ShotResult])
def test_every_text_field_has_a_bound(model: type[BaseModel]) -> None:
    schema = model.model_json_schema()
    found = _unbounded(schema, schema.get("$defs", {}), model.__name__)
    if model is ShotResult:  # tool requests and artifact metadata are the studio's own records, not free text
        found = [p for p in found if ".requests" not in p]
    assert found == []


@pytest.mark.parametrize(("model", "data", "field"), [
    (VoiceLine, {"language": "en", "text": "Hello.", "speaker": HUGE}, "speaker"),
    (MusicBrief, {"instrumentation": ["pad", HUGE]}, "instrumentation.1"),
])
def test_an_oversized_field_is_refused(model: type[BaseModel], data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        model.model_validate(data)
    assert ".".join(map(str, err.value.errors()[0]["loc"])) == field


def test_an_edit_with_a_megabyte_speaker_is_refused_and_nothing_grows(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert reel("generate", "--prompt", "A fox runs.", "--out", str(out), *SMALL, "--approve").returncode == 0
    script = json.loads((out / "script.json").read_text(encoding="utf-8"))
    script["shots"][0]["lines"] = [{"language": "en", "text": "A fox runs.", "speaker": HUGE}]
    edit = tmp_path / "edit.json"
    edit.write_text(json.dumps(script), encoding="utf-8")
    size = (out / "checkpoints.sqlite").stat().st_size
    clean_error(reel("approve", "--out", str(out), "--edit", str(edit)), 2, "shots.0.lines.0.speaker", "at most 40")
    assert (out / "checkpoints.sqlite").stat().st_size < size + 100_000
