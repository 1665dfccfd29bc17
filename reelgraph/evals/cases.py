"""Stored eval cases: what a user sends (the request) and what must hold afterwards (the expectations).

Cases live one per line in `reelgraph/evals/prompts/*.jsonl`. A case gives its request fields verbatim, except that a
very long prompt may be generated from a seed phrase (`prompt_from`) instead of being stored in full.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reelgraph.errors import UsageError

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"


class PromptFrom(BaseModel):
    """A prompt generated from a seed phrase, repeated (numbered) until it is exactly `chars` long."""

    model_config = ConfigDict(extra="forbid")

    seed: str = Field(min_length=1)
    chars: int = Field(ge=1, le=200_000)

    def build(self) -> str:
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


class Case(BaseModel):
    """One stored prompt with its request fields and expectations."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    tags: list[str] = Field(default_factory=list)
    note: str = ""
    request: dict[str, Any]
    prompt_from: PromptFrom | None = None
    expect: Expect = Field(default_factory=Expect)
    timeout_s: float = Field(default=900.0, gt=0)
    source: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _prompt(self) -> Case:
        if self.prompt_from is not None:
            self.request = {**self.request, "prompt": self.prompt_from.build()}
        if "prompt" not in self.request:
            raise ValueError(f"case {self.id}: request has no prompt (and no prompt_from)")
        return self

    def request_fields(self, overrides: dict[str, Any] | None = None, seed: int | None = None) -> dict[str, Any]:
        """The request as sent: the stored fields, then the run's overrides and seed."""
        fields = {**self.request, **(overrides or {})}
        if seed is not None:
            fields["seed"] = seed
        return fields


def default_prompt_files() -> list[Path]:
    return sorted(PROMPTS_DIR.glob("*.jsonl"))


def load_cases(sources: list[Path] | None = None) -> list[Case]:
    """Cases from .jsonl files or folders of them (default: the packaged prompt set); ids must be unique."""
    files: list[Path] = []
    for src in sources or default_prompt_files():
        if src.is_dir():
            files += sorted(src.glob("*.jsonl"))
        elif src.is_file():
            files.append(src)
        else:
            raise UsageError(f"prompt set {str(src)!r} is not a file or folder")
    cases: list[Case] = []
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                cases.append(Case.model_validate({**json.loads(line), "source": f"{path.name}:{n}"}))
            except (json.JSONDecodeError, ValueError) as e:
                raise UsageError(f"{path}:{n}: {str(e).splitlines()[0]}") from None
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise UsageError(f"case id {case.id!r} appears twice")
        seen.add(case.id)
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
