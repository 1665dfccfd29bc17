"""What a critic is shown (a take and its shot) and what every critic does: a verdict 0–10 with named defects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from reelgraph.schema import Shot, Verdict

SAMPLES = 6


@dataclass
class TakeReview:
    """What the critic is shown: the clip, its keyframe, the masters of characters in frame, the shot's brief."""

    clip: Path
    shot: Shot
    width: int
    height: int
    keyframe: Path | None = None
    masters: dict[str, Path] = field(default_factory=dict)
    previous_last_frame: np.ndarray | None = None
    names: dict[str, str] = field(default_factory=dict)  # character slug -> name, for the verdict's reasons
    kinds: dict[str, str] = field(default_factory=dict)  # character slug -> kind (person, dog, robot...)


class Critic(Protocol):
    """What every critic does: judge a take against its shot, or a still, with a verdict 0–10."""

    @property
    def name(self) -> str:
        """Who judged (recorded in each verdict): 'heuristic' or a model name."""

    def judge(self, review: TakeReview) -> Verdict:
        """A verdict on one take; raises CriticError when it cannot judge (never a silent pass)."""

    def judge_image(self, image: Path) -> Verdict:
        """A verdict on a still (a character master)."""


def sample_indices(n: int, k: int = SAMPLES) -> list[int]:
    """First, last and evenly spaced frame indices."""
    if n <= 0:
        return []
    return sorted({round(i * (n - 1) / max(1, k - 1)) for i in range(k)})
