"""Profiles for eval runs: the chosen profile, or the same with the replay Director in place of its own."""

from __future__ import annotations

import json
import tomllib
import typing
from pathlib import Path
from typing import Any

from reelgraph.config import AgentConfig, load_profile


def replay_kind_supported() -> bool:
    """Whether profiles accept `[director] kind = "replay"` (make_director knows the replay Director)."""
    return "replay" in typing.get_args(AgentConfig.model_fields["kind"].annotation)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dump_toml(data: dict[str, Any], prefix: str = "") -> str:
    """A small TOML writer for profile data: tables of scalars, lists and nested tables (None is left out)."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if v is not None and not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict):
            name = f"{prefix}.{k}" if prefix else k
            lines += ["", f"[{name}]", dump_toml(v, name)]
    return "\n".join(lines).strip() + "\n"


def replay_profile(base: str, recording: Path, dest: Path) -> Path:
    """Write a profile TOML at `dest`: `base` ('animatic' or a TOML path) with the replay Director of `recording`."""
    data: dict[str, Any] = {} if base == "animatic" else tomllib.loads(Path(base).read_text(encoding="utf-8"))
    data["name"] = f"{data.get('name', Path(base).stem if base != 'animatic' else 'animatic')}-replay"
    data["director"] = {"kind": "replay", "model": str(recording.resolve())}
    dest.write_text(dump_toml(data), encoding="utf-8")
    load_profile(dest)
    return dest


def install_replay(recording: Path) -> None:
    """In this process, make the graph's Director the replay Director (for a build without the 'replay' kind)."""
    import reelgraph.agents.director as directors
    from reelgraph.agents.director.replay import ReplayDirector

    director = ReplayDirector(recording=recording)
    directors.make_director = lambda profile: director
