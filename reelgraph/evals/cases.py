"""Stored eval cases: what a user sends (the request) and what must hold afterwards (the expectations).

Cases live one per line in `reelgraph/evals/prompts/*.jsonl`. A case gives its request fields verbatim, except that a
very long prompt may be generated from a seed phrase (`prompt_from`) instead of being stored in full.

Every file of cases (the stored sets and those given with `--prompts`) is read bounded and validated whole before any
case runs: a case's request must be one the studio takes, unless the case expects it refused (then it must be refused
with the expected text). A bad line is one `UsageError` naming the file, the line and the field.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reelgraph.errors import UsageError, first_error
from reelgraph.languages import UnknownLanguage, check_language
from reelgraph.run.reading import parse_json, read_bytes
from reelgraph.schema import ReelRequest
from reelgraph.schema.places import PLACES
from reelgraph.schema.script import CharacterKind

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
MAX_PROMPT_SET_BYTES = 16 << 20
"""Bytes a file of cases may hold."""
MAX_CASE_LINE_BYTES = 1 << 20
"""Bytes one case (one line) may hold: a longer prompt is generated from `prompt_from`."""


class PromptFrom(BaseModel):
    """A prompt generated from a seed phrase, repeated (numbered) until it is exactly `chars` long."""

    model_config = ConfigDict(extra="forbid")

    seed: str = Field(min_length=1)
    chars: int = Field(ge=1, le=200_000)

    def build(self) -> str:
        """The prompt text: the seed numbered `seed (1) seed (2) ...`, cut to exactly `chars` characters."""
        parts, i, size = [], 1, 0
        while size < self.chars:
            part = f"{self.seed} ({i}) "
            parts.append(part)
            size += len(part)
            i += 1
        return "".join(parts)[: self.chars]


class Expect(BaseModel):
    """What must hold after the case has run. Unset checks are not made."""

    model_config = ConfigDict(extra="forbid")

    finished: bool = True
    refused: str | None = Field(default=None, description="the request must be refused with this text in the error")
    shots: int | None = None
    languages: list[str] | None = None
    min_score: float | None = Field(default=None, description="lowest critic score of any kept take")
    continuous_seams: int | None = Field(default=None, description="at least this many continuous-shot seams")
    max_attempts_mean: float | None = None
    no_escape: bool = Field(default=True, description="no file is written outside the run folder")
    absent: list[str] = Field(default_factory=list, description="paths that must not exist after the run")


class CastRole(BaseModel):
    """An unnamed character, known by what the story calls them: one of these words must be in its name or role."""

    model_config = ConfigDict(extra="forbid")

    role: list[str] = Field(min_length=1)

    @field_validator("role", mode="before")
    @classmethod
    def _listed(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class Fidelity(BaseModel):
    """What a faithful film of the story must hold (measured by `reelgraph.evals.fidelity`, gated by the gate).

    `cast`: names that must be character names (case/accent-insensitive, titles ignored: "Mr. Hale" = "Hale"), or
    roles of unnamed characters. `also`: names or roles the script may cast without being wrong (minor characters).
    `kinds`: {kind: exact count} or kinds that must be present. `place`: acceptable keys of PLACES for the story's
    main place; `places`: other places the story visits (counted in the shot-level share). `not_cast`: words that must
    not name or describe a character; `not_places`: keys no shot may be set in. `speakers`: names that must speak at
    least one line in their own voice (the story quotes them). `language`: the prompt's language (default: the
    request's first).
    """

    model_config = ConfigDict(extra="forbid")

    cast: list[str | CastRole] = Field(default_factory=list)
    also: list[str] = Field(default_factory=list)
    cast_size: int | tuple[int, int] | None = None
    kinds: dict[str, int] | list[str] | None = None
    place: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    not_cast: list[str] = Field(default_factory=list)
    not_places: list[str] = Field(default_factory=list)
    speakers: list[str | CastRole] = Field(default_factory=list)
    language: str | None = None

    @field_validator("place", "places", "not_places")
    @classmethod
    def _known_places(cls, v: list[str]) -> list[str]:
        unknown = [k for k in v if k not in PLACES]
        if unknown:
            raise ValueError(f"unknown place keys {unknown}")
        return v

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, v: dict[str, int] | list[str] | None) -> dict[str, int] | list[str] | None:
        unknown = [k for k in (v or []) if k not in get_args(CharacterKind)]
        if unknown:
            raise ValueError(f"unknown character kinds {unknown}")
        return v

    @field_validator("language")
    @classmethod
    def _lang(cls, v: str | None) -> str | None:
        return check_language(v) if v is not None else None

    @model_validator(mode="after")
    def _sizes(self) -> Fidelity:
        if isinstance(self.cast_size, tuple) and not 1 <= self.cast_size[0] <= self.cast_size[1]:
            raise ValueError(f"cast_size range {list(self.cast_size)} is empty")
        return self


class Case(BaseModel):
    """One stored prompt with its request fields and expectations."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    tags: list[str] = Field(default_factory=list)
    note: str = ""
    request: dict[str, Any]
    prompt_from: PromptFrom | None = None
    expect: Expect = Field(default_factory=Expect)
    fidelity: Fidelity | None = Field(default=None, description="what a film faithful to the story must hold")
    timeout_s: float = Field(default=900.0, gt=0)
    source: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _prompt(self) -> Case:
        if self.prompt_from is not None:
            self.request = {**self.request, "prompt": self.prompt_from.build()}
        return self

    @property
    def prompt_language(self) -> str:
        """The language the prompt is written in: the fidelity block's, else the request's first (English for a
        request that is to be refused and names none the studio knows)."""
        if self.fidelity is not None and self.fidelity.language:
            return self.fidelity.language
        languages = self.request.get("languages")
        try:
            return check_language(languages[0] if isinstance(languages, list) and languages else "en")
        except UnknownLanguage:
            return "en"

    def request_fields(self, overrides: dict[str, Any] | None = None, seed: int | None = None) -> dict[str, Any]:
        """The request as sent: the stored fields, then the run's overrides and seed."""
        fields = {**self.request, **(overrides or {})}
        if seed is not None:
            fields["seed"] = seed
        return fields


def default_prompt_files() -> list[Path]:
    """The packaged prompt sets (`prompts/*.jsonl`), in name order."""
    return sorted(PROMPTS_DIR.glob("*.jsonl"))


def request_problem(request: dict[str, Any], refused: str | None) -> str | None:
    """What is wrong with a case's request (`request.<field>: <why>`), or None.

    A request must be one the studio takes; a case that expects a refusal may hold a bad request, but then the
    studio's error must hold the expected text (else the case could never pass).
    """
    if not isinstance(request.get("prompt"), str):
        return "request.prompt: " + ("missing (give it, or prompt_from)" if "prompt" not in request else "not text")
    try:
        ReelRequest.model_validate(request)
    except ValidationError as e:
        if refused is None:
            return first_error(e, root="request")
        if refused.lower() not in first_error(e).lower():
            return f"{first_error(e, root='request')} (the case expects a refusal naming {refused!r})"
    return None


def _parse_line(raw: bytes, where: str) -> Any:
    """One line's JSON; not UTF-8, not JSON, nested too deep is one error naming `where`."""
    if len(raw) > MAX_CASE_LINE_BYTES:
        raise UsageError(f"{where}: {len(raw)} bytes, more than the {MAX_CASE_LINE_BYTES} bytes allowed for a case")
    return parse_json(raw, where)


def read_case_file(path: Path) -> list[Case]:
    """The cases of one .jsonl file, read bounded (a plain file, at most MAX_PROMPT_SET_BYTES) and validated whole.

    Blank lines and lines starting with `//` are skipped.
    """
    data = read_bytes(path, what="prompt set", limit=MAX_PROMPT_SET_BYTES)
    cases: list[Case] = []
    for n, raw in enumerate(data.split(b"\n"), start=1):
        line = raw.rstrip(b"\r")
        if not line.strip() or line.lstrip().startswith(b"//"):
            continue
        where = f"prompt set {str(path)!r} line {n}"
        fields = _parse_line(line, where)
        if not isinstance(fields, dict):
            raise UsageError(f"{where}: not a JSON object")
        try:
            case = Case.model_validate({**fields, "source": f"{path.name}:{n}"})
        except ValidationError as e:
            raise UsageError(f"{where}: {first_error(e)}") from None
        problem = request_problem(case.request, case.expect.refused)
        if problem:
            raise UsageError(f"{where}: {problem}")
        cases.append(case)
    return cases


def load_cases(sources: list[Path] | None = None) -> list[Case]:
    """Cases from .jsonl files or folders of them (default: the packaged prompt set), every one validated before
    any is returned; ids must be unique."""
    files: list[Path] = []
    for src in sources or default_prompt_files():
        if src.is_dir():
            files += sorted(src.glob("*.jsonl"))
        elif src.is_file():
            files.append(src)
        else:
            raise UsageError(f"prompt set {str(src)!r} is not a file or folder")
    cases = [case for path in files for case in read_case_file(path)]
    seen: dict[str, str] = {}
    for case in cases:
        if case.id in seen:
            raise UsageError(f"case id {case.id!r} appears twice ({seen[case.id]}, {case.source})")
        seen[case.id] = case.source
    return cases


def select(cases: list[Case], spec: str | None) -> list[Case]:
    """Cases matching a comma-separated filter of ids, glob patterns and `tag:NAME`; all when the filter is empty."""
    if not spec or not spec.strip():
        return cases
    terms = [t.strip() for t in spec.split(",") if t.strip()]
    picked = [c for c in cases if any(
        (t.startswith("tag:") and t[4:] in c.tags) or fnmatch.fnmatchcase(c.id, t) for t in terms)]
    if not picked:
        raise UsageError(f"no case matches {spec!r}")
    return picked
