"""The Director's script: characters (the bible), shots, voice-over lines and the music brief.

Plain pydantic models with no LangChain in sight: backends, critics and the eval harness read them too.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from reelgraph.languages import check_language
from reelgraph.schema.base import MAX_TEXT, SLUG, Model, Text, clean_text

MAX_SHOTS = 24

Camera = Literal["static", "push_in", "pull_out", "pan_left", "pan_right", "tilt_up", "tilt_down"]
Framing = Literal["wide", "medium", "close", "over_shoulder", "two_shot"]
Lighting = Literal["day", "golden", "dusk", "night", "storm", "interior", "darkness"]
Transition = Literal["cut", "continuous", "fade"]
CharacterKind = Literal["person", "dog", "cat", "fox", "horse", "bird", "bear", "rabbit", "wolf", "mouse", "owl",
                        "dragon", "robot", "creature"]
Age = Literal["child", "teen", "adult", "elder"]
Build = Literal["slight", "average", "broad", "tall", "short"]
TimeOfDay = Literal["dawn", "day", "golden", "dusk", "night"]
Weather = Literal["clear", "rain", "snow", "fog", "storm", "wind"]
Season = Literal["spring", "summer", "autumn", "winter"]
Mood = Literal["hopeful", "tense", "melancholic", "playful", "epic", "calm"]
Feature = Annotated[str, Field(min_length=1, max_length=30)]
Slug = Annotated[str, Field(pattern=SLUG)]  # the pattern bounds the length (xgrammar refuses both)
LanguageCode = Annotated[str, Field(min_length=1, max_length=16)]
Instrument = Annotated[str, Field(min_length=1, max_length=30)]
Colour = Annotated[str, Field(max_length=7)]


class Character(Model):
    """One entry of the character bible."""

    name: str = Field(min_length=1, max_length=40)
    slug: str = Field(pattern=SLUG, description="file-safe id, unique in the script")
    look: Text = Field(description="build, face, colours: what every shot must keep")
    wardrobe: Text = ""
    voice: str = Field(default="narrator", max_length=40)
    kind: CharacterKind = Field(default="person", description="person, an animal, a robot or a creature")
    age: Age = "adult"
    build: Build = "average"
    role: str = Field(default="", max_length=60, description="what the story calls them: 'the chef', 'the night guard'")
    features: list[Feature] = Field(default_factory=list, max_length=8,
                                    description="features every shot keeps: 'beard', 'glasses', 'hat', 'one eye'")
    palette: list[Colour] = Field(default_factory=list, max_length=4, description="#rrggbb colours of the look")

    @field_validator("name", "look", "wardrobe", "role", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return clean_text(v) if isinstance(v, str) else v

    @field_validator("palette")
    @classmethod
    def _hex(cls, v: list[str]) -> list[str]:
        for c in v:
            if not re.fullmatch(r"#[0-9a-fA-F]{6}", c):
                raise ValueError(f"palette colour {c!r} is not #rrggbb")
        return v


class VoiceLine(Model):
    """A voice-over line of one shot, in one language."""

    language: LanguageCode
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    speaker: str = Field(default="narrator", min_length=1, max_length=40,
                         description="'narrator', or the slug of the character who says the line")

    @field_validator("language")
    @classmethod
    def _lang(cls, v: str) -> str:
        return check_language(v)

    @field_validator("text", "speaker", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return clean_text(v) if isinstance(v, str) else v


class Shot(Model):
    """One shot of the script."""

    index: int = Field(ge=1, le=MAX_SHOTS)
    beat: Text = Field(description="what happens, one sentence")
    setting: Text
    action: Text
    characters: list[Slug] = Field(default_factory=list, max_length=6, description="slugs of characters in frame")
    camera: Camera = "static"
    framing: Framing = "medium"
    lighting: Lighting = "day"
    duration: float = Field(default=5.0, ge=1.0, le=20.0, description="seconds")
    transition: Transition = Field(default="cut", description="how this shot joins the previous one")
    place: str = Field(default="", pattern=r"^([a-z][a-z_]{0,39})?$",
                       description="key of the place drawn (reelgraph.schema.places); '' leaves it to the setting")
    interior: bool | None = None
    time_of_day: TimeOfDay | None = None
    weather: Weather | None = None
    season: Season | None = None
    crowd: bool = Field(default=False, description="a crowd (not cast members) is in the background")
    lines: list[VoiceLine] = Field(default_factory=list, max_length=12)

    @field_validator("beat", "setting", "action", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return clean_text(v) if isinstance(v, str) else v


class MusicBrief(Model):
    """What the score should feel like."""

    mood: Mood = "hopeful"
    tempo_bpm: int = Field(default=96, ge=50, le=180)
    key: str = Field(default="C", pattern=r"^[A-G][#b]?m?$", description="e.g. C, F#m, Bb")
    instrumentation: list[Instrument] = Field(default_factory=lambda: ["pad", "bass", "drums"], max_length=6)


class Script(Model):
    """The Director's plan for the whole reel."""

    title: str = Field(min_length=1, max_length=120)
    logline: Text
    characters: list[Character] = Field(min_length=1, max_length=8)
    shots: list[Shot] = Field(min_length=1, max_length=MAX_SHOTS)
    music: MusicBrief = Field(default_factory=MusicBrief)
    languages: list[LanguageCode] = Field(min_length=1, max_length=8)

    @field_validator("title", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return clean_text(v) if isinstance(v, str) else v

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
            strangers = {line.speaker for line in shot.lines} - set(slugs) - {"narrator"}
            if strangers:
                raise ValueError(f"shot {i} has lines spoken by {sorted(strangers)}, who are not in the cast; "
                                 "a line's speaker is 'narrator' or a character's slug")
            missing = set(self.languages) - {line.language for line in shot.lines}
            if shot.lines and missing:
                raise ValueError(f"shot {i} has no voice-over line in {sorted(missing)}")
        return self

    @property
    def duration(self) -> float:
        """The film's length in seconds (its shots' durations)."""
        return sum(s.duration for s in self.shots)

    def character(self, slug: str) -> Character:
        """The cast member with this slug."""
        return next(c for c in self.characters if c.slug == slug)
