"""The film's data: script, shots, takes, verdicts, artifacts, and the graph state that carries them.

Everything here is a pydantic model. The state holds artifact *records* (paths relative to the run folder and
their sha256), never bytes, so a checkpoint stays small and can be read by any worker.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reelgraph.languages import check_language

MAX_PROMPT_CHARS = 32_000
MAX_SHOTS = 24
MAX_TEXT = 600
SLUG = r"^[a-z0-9][a-z0-9_-]{0,47}$"

Camera = Literal["static", "push_in", "pull_out", "pan_left", "pan_right", "tilt_up", "tilt_down"]
Framing = Literal["wide", "medium", "close"]
Lighting = Literal["day", "golden", "dusk", "night", "storm", "interior", "darkness"]
Transition = Literal["cut", "continuous", "fade"]
ArtifactKind = Literal["master", "keyframe", "clip", "music", "voice", "subtitles", "picture", "reel"]
Defect = Literal[
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
]


def _clean_text(value: str) -> str:
    """Drop control characters (keep newlines and tabs as spaces) and trim."""
    value = "".join(" " if ch in "\n\r\t" else ch for ch in value if ch.isprintable() or ch in "\n\r\t")
    return re.sub(r"\s+", " ", value).strip()


Text = Annotated[str, Field(max_length=MAX_TEXT)]


class Model(BaseModel):
    """Base for every record: unknown keys are refused so an LLM cannot smuggle fields in."""

    model_config = ConfigDict(extra="forbid")


class Character(Model):
    """One entry of the character bible."""

    name: str = Field(min_length=1, max_length=40)
    slug: str = Field(pattern=SLUG, description="file-safe id, unique in the script")
    look: Text = Field(description="build, face, colours: what every shot must keep")
    wardrobe: Text = ""
    voice: str = Field(default="narrator", max_length=40)
    palette: list[str] = Field(default_factory=list, max_length=4, description="#rrggbb colours of the look")

    @field_validator("name", "look", "wardrobe", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return _clean_text(v) if isinstance(v, str) else v

    @field_validator("palette")
    @classmethod
    def _hex(cls, v: list[str]) -> list[str]:
        for c in v:
            if not re.fullmatch(r"#[0-9a-fA-F]{6}", c):
                raise ValueError(f"palette colour {c!r} is not #rrggbb")
        return v


class VoiceLine(Model):
    """A voice-over line of one shot, in one language."""

    language: str
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    speaker: str = "narrator"

    @field_validator("language")
    @classmethod
    def _lang(cls, v: str) -> str:
        return check_language(v)

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return _clean_text(v) if isinstance(v, str) else v


class Shot(Model):
    """One shot of the script."""

    index: int = Field(ge=1, le=MAX_SHOTS)
    beat: Text = Field(description="what happens, one sentence")
    setting: Text
    action: Text
    characters: list[str] = Field(default_factory=list, max_length=6, description="slugs of characters in frame")
    camera: Camera = "static"
    framing: Framing = "medium"
    lighting: Lighting = "day"
    duration: float = Field(default=5.0, ge=1.0, le=20.0, description="seconds")
    transition: Transition = Field(default="cut", description="how this shot joins the previous one")
    lines: list[VoiceLine] = Field(default_factory=list, max_length=12)

    @field_validator("beat", "setting", "action", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return _clean_text(v) if isinstance(v, str) else v


class MusicBrief(Model):
    """What the score should feel like."""

    mood: Literal["hopeful", "tense", "melancholic", "playful", "epic", "calm"] = "hopeful"
    tempo_bpm: int = Field(default=96, ge=50, le=180)
    key: str = Field(default="C", pattern=r"^[A-G][#b]?m?$", description="e.g. C, F#m, Bb")
    instrumentation: list[str] = Field(default_factory=lambda: ["pad", "bass", "drums"], max_length=6)


class Script(Model):
    """The Director's plan for the whole reel."""

    title: str = Field(min_length=1, max_length=120)
    logline: Text
    characters: list[Character] = Field(min_length=1, max_length=8)
    shots: list[Shot] = Field(min_length=1, max_length=MAX_SHOTS)
    music: MusicBrief = Field(default_factory=MusicBrief)
    languages: list[str] = Field(min_length=1, max_length=8)

    @field_validator("title", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return _clean_text(v) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _consistent(self) -> Script:
        slugs = [c.slug for c in self.characters]
        if len(set(slugs)) != len(slugs):
            raise ValueError("character slugs must be unique")
        for lang in self.languages:
            check_language(lang)
        for i, shot in enumerate(self.shots, start=1):
            if shot.index != i:
                raise ValueError(f"shot {i} has index {shot.index}; shots must be numbered 1..n in order")
            unknown = set(shot.characters) - set(slugs)
            if unknown:
                raise ValueError(f"shot {i} names unknown characters {sorted(unknown)}")
            if i == 1 and shot.transition == "continuous":
                raise ValueError("shot 1 cannot continue a previous shot")
            missing = set(self.languages) - {line.language for line in shot.lines}
            if shot.lines and missing:
                raise ValueError(f"shot {i} has no voice-over line in {sorted(missing)}")
        return self

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.shots)

    def character(self, slug: str) -> Character:
        return next(c for c in self.characters if c.slug == slug)


class Artifact(Model):
    """A file the run made: where it is (relative to the run folder), its hash, and what made it."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,95}$")
    kind: ArtifactKind
    path: str = Field(description="relative to the run folder")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
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
    defects: list[Defect] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list, max_length=12)
    frames: list[int] = Field(default_factory=list, description="frame indices the verdict looked at")
    metrics: dict[str, float] = Field(default_factory=dict)
    critic: str = Field(description="which critic judged: e.g. 'heuristic' or a model name")


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
    takes: list[Take]

    @property
    def best(self) -> Take:
        return next(t for t in self.takes if t.attempt == self.kept)


class ReelRequest(Model):
    """What a user asks for: the graph's input."""

    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS, description="the story, in a sentence or a page")
    shots: int = Field(default=6, ge=1, le=MAX_SHOTS, description="number of shots")
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1, max_length=8)
    shot_seconds: float = Field(default=5.0, ge=1.0, le=20.0)
    width: int = Field(default=854, ge=64, le=3840)
    height: int = Field(default=480, ge=64, le=2160)
    fps: int = Field(default=24, ge=4, le=60)
    critic: bool = Field(default=True, description="score every take and retry below the threshold")
    critic_threshold: float = Field(default=7.0, ge=0, le=10)
    max_attempts: int = Field(default=3, ge=1, le=8)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    approve_script: bool = Field(default=False, description="pause after planning so a person approves or edits "
                                                            "the script")

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, v: str) -> str:
        if "\x00" in v:
            raise ValueError("prompt contains a NUL character")
        if not _clean_text(v):
            raise ValueError("prompt is empty")
        return v

    @field_validator("languages")
    @classmethod
    def _langs(cls, v: list[str]) -> list[str]:
        out = [check_language(x) for x in v]
        if len(set(out)) != len(out):
            raise ValueError("languages repeat")
        return out

    @model_validator(mode="after")
    def _even(self) -> ReelRequest:
        if self.width % 2 or self.height % 2:
            raise ValueError("width and height must be even (H.264)")
        return self


def _merge(old: dict | None, new: dict | None) -> dict:
    return {**(old or {}), **(new or {})}


def _merge_done(old: list | None, new: list | None) -> list[ShotResult]:
    """Committed shots merged by shot number (a newer result replaces an older one), kept in shot order: parallel
    chains of shots each add theirs. `langgraph.types.Overwrite` replaces the list (a redo drops later shots)."""
    by_shot = {r.shot: r for r in map(ShotResult.model_validate, old or [])}
    by_shot.update({r.shot: r for r in map(ShotResult.model_validate, new or [])})
    return [by_shot[k] for k in sorted(by_shot)]


class ReelState(ReelRequest):
    """The graph's state: the request plus everything made so far."""

    model_config = ConfigDict(extra="ignore")

    script: Script | None = None
    masters: Annotated[dict[str, Artifact], _merge] = Field(default_factory=dict)
    shot: int = Field(default=1, description="shot being made (1-based)")
    attempt: int = 0
    takes: list[Take] = Field(default_factory=list, description="takes of the current shot")
    done: Annotated[list[ShotResult], _merge_done] = Field(default_factory=list,
                                                           description="committed shots, in order")
    chain_end: int | None = Field(default=None, description="last shot of the chain being made (parallel chains)")
    messages: Annotated[list[AnyMessage], add_messages] = Field(default_factory=list)
    music: Artifact | None = None
    voices: Annotated[dict[str, Artifact], _merge] = Field(default_factory=dict)
    subtitles: Annotated[dict[str, Artifact], _merge] = Field(default_factory=dict)
    reels: Annotated[dict[str, Artifact], _merge] = Field(default_factory=dict)
    final: Artifact | None = None
    notes: dict[int, str] = Field(default_factory=dict, description="a person's notes per shot, given to the Director")
