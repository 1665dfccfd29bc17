"""What a user asks for: the graph's input."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from reelgraph.languages import LANGUAGES, check_language
from reelgraph.schema.base import Model, clean_text
from reelgraph.schema.script import MAX_SHOTS

MAX_PROMPT_CHARS = 32_000
LanguageCode = Annotated[str, Field(json_schema_extra={"enum": list(LANGUAGES)})]
"""A language code; the input schema lists the supported ones ('EN' or 'en-US' are read as 'en')."""


class ReelRequest(Model):
    """What a user asks for: the graph's input."""

    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS, description="the story, in a sentence or a page")
    shots: int = Field(default=6, ge=1, le=MAX_SHOTS, description="number of shots")
    languages: list[LanguageCode] = Field(default_factory=lambda: ["en"], min_length=1, max_length=8,
                                          description="voice-over and subtitle languages; the first one is the "
                                                      "final reel's")
    shot_seconds: float = Field(default=5.0, ge=1.0, le=20.0, description="length of each shot, in seconds")
    width: int = Field(default=854, ge=64, le=3840, description="frame width in pixels (even)")
    height: int = Field(default=480, ge=64, le=2160, description="frame height in pixels (even)")
    fps: int = Field(default=24, ge=4, le=60, description="frames per second")
    critic: bool = Field(default=True, description="score every take and retry below the threshold")
    critic_threshold: float = Field(default=7.0, ge=0, le=10, description="the critic's score (0-10) a take must "
                                                                         "reach to pass")
    max_attempts: int = Field(default=3, ge=1, le=8, description="takes per shot at most; the best is kept")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="random seed: the same request and seed make the "
                                                               "same reel")
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
