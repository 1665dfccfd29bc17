"""What a user asks for: the graph's input."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from reelgraph.languages import check_language
from reelgraph.schema.base import Model, clean_text
from reelgraph.schema.script import MAX_SHOTS

MAX_PROMPT_CHARS = 32_000


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
        if not clean_text(v):
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
