"""The video backend's ``parallel`` option, checked: ``{ ulysses = 2 }``, ``{ ring = 2 }`` or both."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reelgraph.errors import UsageError

KEYS = ("ulysses", "ring", "timeout_s")
MAX_DEGREE = 64


@dataclass(frozen=True)
class ParallelSpec:
    """Degrees of context parallelism (their product is the number of processes, one per GPU) and the time one
    collective may wait for the other ranks before the clip fails."""

    ulysses: int = 1
    ring: int = 1
    timeout_s: float = 600.0

    @property
    def world(self) -> int:
        """Processes (and GPUs) in the group."""
        return self.ulysses * self.ring

    def describe(self) -> dict[str, Any]:
        """For a take's metadata."""
        return {"ulysses": self.ulysses, "ring": self.ring, "world": self.world}


def _degree(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DEGREE:
        raise UsageError(f"video option parallel.{key} must be a whole number from 1 to {MAX_DEGREE}, got {value!r}")
    return value


def check_parallel(value: Any) -> ParallelSpec | None:
    """The ``parallel`` option as a spec; None when absent or when it asks for a single process."""
    if value in (None, False):
        return None
    if not isinstance(value, Mapping):
        raise UsageError("video option parallel must be a table such as { ulysses = 2 } or { ring = 2 }, "
                         f"got {value!r}")
    unknown = sorted(set(value) - set(KEYS))
    if unknown:
        raise UsageError(f"video option parallel: unknown key(s) {', '.join(unknown)}; known: {', '.join(KEYS)}")
    timeout = value.get("timeout_s", 600.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 10 <= timeout <= 86400:
        raise UsageError(f"video option parallel.timeout_s must be seconds from 10 to 86400, got {timeout!r}")
    spec = ParallelSpec(ulysses=_degree(value.get("ulysses", 1), "ulysses"),
                        ring=_degree(value.get("ring", 1), "ring"), timeout_s=float(timeout))
    return spec if spec.world > 1 else None


def check_compatible(spec: ParallelSpec, opts: Mapping[str, Any], attention: str) -> None:
    """Refuse switches that cannot run split over ranks (raises UsageError naming them)."""
    if float(opts.get("first_block_cache") or 0.0) > 0 and not float(opts.get("cache_fixed_ratio") or 0.0):
        raise UsageError("video option parallel: the first-block cache decides from each rank's share of the "
                         "sequence, so ranks could disagree; use cache_fixed_ratio (the same schedule on every rank) "
                         "or drop first_block_cache")
    if attention in ("flash4", "sage_triton"):
        raise UsageError(f"video option parallel: attention {attention!r} has no context-parallel path; use the "
                         "default (torch SDPA, cuDNN on a GPU), \"cudnn\" or \"flash\"")


def split_size(width: int, height: int, unit: int, world: int) -> tuple[int, int]:
    """A generation size whose tokens per frame ((width/unit) x (height/unit)) split evenly over `world` ranks:
    the size itself when they do, else the nearest such size (fewest units moved, then the closest shape, then the
    smaller)."""
    cols, rows = width // unit, height // unit
    best: tuple[int, float, int, int, int] | None = None
    for dc in range(-world, world + 1):
        for dr in range(-world, world + 1):
            c, r = cols + dc, rows + dr
            if c < 1 or r < 1 or (c * r) % world:
                continue
            key = (abs(dc) + abs(dr), round(abs(math.log(c * rows / (r * cols))), 9), c * r, c, r)
            if best is None or key < best:
                best = key
    if best is None:  # unreachable for world >= 1: cols x world is always divisible
        raise UsageError(f"no generation size near {width}x{height} splits over {world} ranks")
    return best[3] * unit, best[4] * unit
