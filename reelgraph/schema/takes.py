"""What the run made: artifact records (paths and hashes, never bytes), the critic's verdicts, takes, kept shots."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from reelgraph.schema.base import MAX_TEXT, Model

ArtifactKind = Literal["master", "keyframe", "clip", "music", "voice", "subtitles", "picture", "reel"]
TakeDefect = Literal[
    "underexposed",
    "overexposed",
    "low_contrast",
    "blurry",
    "flicker",
    "identity_drift",
    "frozen",
    "off_brief",
    "extra_limbs",
    "text_artifacts",
    "seam_mismatch",
    "missing_character",
    "extra_character",
    "covered_face",
    "caption_illegible",
]
"""What a critic may find in a take."""
ReelDefect = Literal["lips_out_of_sync", "lips_still"]
"""What the lip-sync check may find in the composed reel (a mouth moving outside its owner's speech; a character
seen speaking with a still mouth): it needs the sound, which no take has."""
Defect = Literal[TakeDefect, ReelDefect]


Reason = Annotated[str, Field(max_length=MAX_TEXT)]


class Artifact(Model):
    """A file the run made: where it is (relative to the run folder), its hash, and what made it."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,95}$", max_length=96)
    kind: ArtifactKind
    path: str = Field(max_length=300, description="relative to the run folder")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", max_length=64)
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("path")
    @classmethod
    def _relative(cls, v: str) -> str:
        if v.startswith(("/", "\\")) or ".." in v.split("/") or "\x00" in v:
            raise ValueError(f"artifact path {v!r} must stay inside the run folder")
        return v


class Verdict(Model):
    """The Vision Critic's judgement of one take."""

    score: float = Field(ge=0, le=10)
    defects: list[Defect] = Field(default_factory=list, max_length=32)
    reasons: list[Reason] = Field(default_factory=list, max_length=12)
    frames: list[int] = Field(default_factory=list, max_length=1000, description="frame indices the verdict looked at")
    metrics: dict[str, float] = Field(default_factory=dict, max_length=200)
    critic: str = Field(max_length=200, description="which critic judged: e.g. 'heuristic' or a model name")


class Take(Model):
    """One attempt at a shot: the tool requests that made it, its artifacts and its verdict."""

    shot: int
    attempt: int
    requests: list[dict[str, Any]] = Field(default_factory=list)
    keyframe: Artifact | None = None
    clip: Artifact
    verdict: Verdict | None = None


class ShotResult(Model):
    """A committed shot: the kept (best) take and every take tried."""

    shot: int
    kept: int = Field(description="attempt number of the kept take")
    takes: list[Take] = Field(max_length=64)

    @property
    def best(self) -> Take:
        """The kept take."""
        return next(t for t in self.takes if t.attempt == self.kept)
