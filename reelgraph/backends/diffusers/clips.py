"""What the diffusers video backends share about a clip: camera moves in words, the generation size, retiming model
frames to the clip's frame rate, and reading the conditioning images (no torch: importing this costs nothing)."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image

from reelgraph.backends.base import MotionSpec
from reelgraph.errors import BackendError

CAMERA = {
    "static": "static camera", "push_in": "slow camera push-in", "pull_out": "slow camera pull-out",
    "pan_left": "camera pans slowly left", "pan_right": "camera pans slowly right",
    "tilt_up": "camera tilts slowly up", "tilt_down": "camera tilts slowly down",
}


def check_motion(motion: MotionSpec) -> None:
    """Refuse a motion no clip can have (no length, no frame rate, no picture)."""
    if motion.seconds <= 0 or motion.fps <= 0 or motion.width < 2 or motion.height < 2:
        raise BackendError(f"video: bad motion {motion.seconds} s, {motion.fps} fps, {motion.width}x{motion.height}")


def retime(count: int, *, src_fps: float, dst_fps: float, out_frames: int) -> list[int]:
    """Source frame index of each output frame (nearest in time)."""
    return [min(count - 1, round(j * src_fps / dst_fps)) for j in range(out_frames)]


def generation_size(width: int, height: int, preset: dict[str, int], unit: int = 16) -> tuple[int, int]:
    """The motion's size, scaled down to the preset's area if larger, rounded to multiples of `unit`."""
    scale = min(1.0, math.sqrt(preset["width"] * preset["height"] / (width * height)))
    return max(unit, round(width * scale / unit) * unit), max(unit, round(height * scale / unit) * unit)


def load_image(path: Path, what: str) -> Image.Image:
    """An RGB conditioning image; a missing file is a BackendError naming `what` it is."""
    if not Path(path).is_file():
        raise BackendError(f"video: {what} image {path} is missing")
    with Image.open(path) as im:
        return im.convert("RGB")
