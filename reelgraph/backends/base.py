"""The small protocols every backend implements, whatever it runs on (procedural CPU, diffusers, transformers).

A backend is made once per run (per process) and reused; models load in its constructor or lazily on first use.
Backends write only to the path they are given; the tools own naming, hashing and the run folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from reelgraph.schema import Character, MusicBrief


@dataclass(frozen=True)
class KeyframeSpec:
    """What a keyframe shows; the structured form of the Director's image request."""

    prompt: str
    setting: str
    characters: list[Character]
    lighting: str = "day"
    framing: str = "medium"
    exposure: float = 0.0  # EV offset asked for by the Director (revisions raise or lower it)
    seed: int = 0
    masters: dict[str, Path] = field(default_factory=dict)  # character slug -> master image
    place: str = ""  # key of reelgraph.schema.places ("" : drawn from `setting`'s words)
    interior: bool | None = None
    time_of_day: str | None = None
    weather: str | None = None
    season: str | None = None
    crowd: bool = False
    caption: str = ""  # the shot's action, written on a storyboard frame (renderers may ignore it)
    composition: int = 0  # which arrangement of the figures (a revision asks for another)


@dataclass(frozen=True)
class MotionSpec:
    """How a clip moves."""

    prompt: str
    camera: str = "static"
    seconds: float = 5.0
    fps: int = 24
    width: int = 854
    height: int = 480
    seed: int = 0
    chunk_prompts: tuple[str, ...] = ()  # long shots rendered in chunks: one prompt per chunk (the last repeats)


@dataclass
class MediaInfo:
    """What a backend reports about the file it wrote."""

    meta: dict[str, Any] = field(default_factory=dict)


class ImageBackend(Protocol):
    """Draws the pictures: a master per character and a keyframe per take."""

    name: str

    def master(self, character: Character, *, width: int, height: int, seed: int) -> Image.Image:
        """A reference portrait of one character (the look every later shot keeps)."""

    def keyframe(self, spec: KeyframeSpec, *, width: int, height: int) -> Image.Image:
        """A keyframe of a shot, conditioned on the characters' masters."""


class VideoBackend(Protocol):
    """Renders the clips: from a keyframe, or between two frames."""

    name: str

    def animate(self, keyframe: Path, motion: MotionSpec, out: Path) -> MediaInfo:
        """Image -> video: a clip that starts on the keyframe and moves as asked; writes an mp4 to `out`."""

    def bridge(self, first: Path, last: Path, motion: MotionSpec, out: Path) -> MediaInfo:
        """First-last-frame -> video: a clip from `first` to `last` (continuous shots); writes an mp4 to `out`."""


class MusicBackend(Protocol):
    """Composes the score."""

    name: str

    def compose(self, brief: MusicBrief, *, seconds: float, seed: int, out: Path) -> MediaInfo:
        """A score of exactly `seconds` from the brief; writes a WAV to `out`."""


class SpeechBackend(Protocol):
    """Speaks the voice-over lines."""

    name: str

    def voices(self, language: str) -> list[str]:
        """Voice names available for a language (empty: the language cannot be spoken)."""

    def speak(self, text: str, *, language: str, voice: str | None, out: Path) -> MediaInfo:
        """Speech of `text` (verbatim) in `language`; writes a mono WAV to `out`."""
