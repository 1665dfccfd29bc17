"""Procedural animatic video: eased camera moves over a still keyframe, and camera-move bridges between shots.

Frames are views (rectangles) of the keyframe resampled with PIL's bilinear filter. The keyframe is padded with a
blurred mirror of itself so that a pull-out can show a little more than the frame without black bars; every other
move stays inside the picture. Frames stream to ffmpeg one by one; nothing holds the whole clip in memory.

A storyboard caption band at the bottom of a keyframe (the procedural image backend's) stays where it is: the camera
moves over the picture above it, and in a bridge the two shots' bands dissolve into each other.

Each clip's metadata carries `keyframe_views`: per frame, the rectangle of the keyframe it shows (`[x0, y0, x1, y1]`
in keyframe pixels), or None where it shows something else (a bridge's travel over the previous shot and its
dissolve), and `picture_height`: the rows of the frame those views fill (the rest is the fixed caption band). With
them, a point of the keyframe (a character's mouth) is found on every frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from reelgraph.backends.base import MediaInfo, MotionSpec
from reelgraph.backends.procedural.image.caption import BAND_RGB
from reelgraph.config import BackendConfig
from reelgraph.errors import BackendError
from reelgraph.media.ffmpeg import encode_frames

PAD = 0.25  # padding of the plate, as a fraction of the frame size
BREATH_S = 8.0  # the static camera breathes in and out once in this many seconds: subtle, never frozen
Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class Move:
    """A camera move: zoom (fraction of the frame the view shrinks by; negative zooms out) and a pan direction."""

    zoom: float
    px: float = 0.0  # -1 left .. +1 right
    py: float = 0.0  # -1 up .. +1 down
    lead: bool = False  # zoom in early to make room for the pan to travel
    breathe: bool = False  # in and out at a fixed pace, whatever the clip's length (else once, eased)


MOVES: dict[str, Move] = {
    "static": Move(0.09, 0.6, -0.3, breathe=True),
    "push_in": Move(0.2),
    "pull_out": Move(-0.16),
    "pan_left": Move(0.2, -1.0, lead=True),
    "pan_right": Move(0.2, 1.0, lead=True),
    "tilt_up": Move(0.2, 0.0, -1.0, lead=True),
    "tilt_down": Move(0.2, 0.0, 1.0, lead=True),
}


def ease(t: float) -> float:
    """Smootherstep: zero velocity and acceleration at both ends."""
    t = min(1.0, max(0.0, t))
    return t * t * t * (t * (6 * t - 15) + 10)


def breath(seconds: float) -> float:
    """The static camera's progress after `seconds`: in and out, moving almost all the time."""
    return math.sin(math.pi * seconds / BREATH_S) ** 2


def frame_count(motion: MotionSpec) -> int:
    """Frames of a clip: round(seconds x fps), at least one."""
    return max(1, round(motion.seconds * motion.fps))


def view(move: Move, p: float, w: int, h: int) -> Rect:
    """The part of the frame the camera sees at progress p (0: the whole frame, exactly)."""
    z = move.zoom * ((1 - (1 - p) ** 2) if move.lead else p)
    s = 1.0 - z
    cx = w / 2 + move.px * z * w / 2 * p
    cy = h / 2 + move.py * z * h / 2 * p
    return cx - s * w / 2, cy - s * h / 2, cx + s * w / 2, cy + s * h / 2


class Plate:
    """A still picture padded with a soft mirror of itself, from which views are resampled."""

    def __init__(self, image: Image.Image) -> None:
        self.w, self.h = image.size
        self.px, self.py = round(self.w * PAD), round(self.h * PAD)
        self.image = self._padded(np.asarray(image.convert("RGB")))

    def _padded(self, a: np.ndarray) -> Image.Image:
        pad = ((self.py, self.py), (self.px, self.px), (0, 0))
        mirror = Image.fromarray(np.pad(a, pad, mode="reflect"))
        soft = mirror.reduce(8).filter(ImageFilter.GaussianBlur(3)).resize(mirror.size, Image.Resampling.BILINEAR)
        ys = np.arange(mirror.height, dtype=np.float32)
        xs = np.arange(mirror.width, dtype=np.float32)
        ys = np.minimum(np.minimum(ys - self.py, self.py + self.h - 1 - ys), 0)  # 0 inside, -distance outside
        xs = np.minimum(np.minimum(xs - self.px, self.px + self.w - 1 - xs), 0)
        feather = max(2.0, 0.35 * min(self.px, self.py))
        mask = np.clip(255 * (1 + np.minimum(ys[:, None], xs[None, :]) / feather), 0, 255).astype(np.uint8)
        plate = Image.composite(mirror, soft, Image.fromarray(mask))
        plate.paste(Image.fromarray(a), (self.px, self.py))  # the picture itself stays exact
        return plate

    def render(self, rect: Rect) -> Image.Image:
        """The view `rect` (frame pixels; it may reach into the padding), resampled to the frame size."""
        x0, y0, x1, y1 = rect
        box = (x0 + self.px, y0 + self.py, x1 + self.px, y1 + self.py)
        return self.image.resize((self.w, self.h), Image.Resampling.BILINEAR, box=box)


def _load(path: Path, w: int, h: int) -> Image.Image:
    try:
        with Image.open(path) as im:
            img = im.convert("RGB")
    except (OSError, ValueError) as e:
        raise BackendError(f"cannot read image {path.name}: {e}") from None
    return img if img.size == (w, h) else img.resize((w, h), Image.Resampling.LANCZOS)


def caption_band(img: Image.Image) -> int:
    """Rows of the storyboard caption band at the bottom of `img` (0 when it has none): solid band colour at both
    edges, row after row from the bottom, over at least 5 % of the height."""
    a = np.asarray(img.convert("RGB")).astype(np.int16)
    h = a.shape[0]
    edges = np.concatenate([a[:, :3], a[:, -3:]], axis=1)  # (h, 6, 3)
    solid = np.all(np.abs(edges - np.array(BAND_RGB, dtype=np.int16)) <= 6, axis=(1, 2))
    rows = 0
    while rows < h // 2 and solid[h - 1 - rows]:
        rows += 1
    return rows if rows >= 0.05 * h else 0


class Still:
    """A keyframe split into its picture (which the camera moves over) and its fixed caption band (maybe none)."""

    def __init__(self, img: Image.Image, band: int) -> None:
        w, h = img.size
        self.plate = Plate(img.crop((0, 0, w, h - band)) if band else img)
        self.band = np.asarray(img.crop((0, h - band, w, h)).convert("RGB")) if band else None

    def frame(self, rect: Rect) -> np.ndarray:
        """The view `rect` of the picture, with the band below it."""
        picture = np.asarray(self.plate.render(rect))
        return picture if self.band is None else np.concatenate([picture, self.band], axis=0)


def _stills(*images: Image.Image) -> list[Still]:
    """The images as stills, cutting off one caption band height shared by all (none unless every one has it)."""
    bands = {caption_band(im) for im in images}
    band = bands.pop() if len(bands) == 1 else 0
    return [Still(im, band) for im in images]


def _check(motion: MotionSpec) -> Move:
    if motion.width % 2 or motion.height % 2 or motion.width < 16 or motion.height < 16:
        raise BackendError(f"clip size {motion.width}x{motion.height} must be even and at least 16 (H.264)")
    if motion.fps < 1 or motion.seconds <= 0:
        raise BackendError(f"clip of {motion.seconds} s at {motion.fps} fps is empty")
    move = MOVES.get(motion.camera)
    if move is None:
        raise BackendError(f"unknown camera move {motion.camera!r}; known: {', '.join(MOVES)}")
    return move


def _progress(i: int, n: int) -> float:
    return i / (n - 1) if n > 1 else 0.0


def camera_views(move: Move, n: int, fps: int, w: int, h: int) -> list[Rect]:
    """The view of the keyframe on each of the n frames of a clip that animates it with `move`."""
    return [view(move, breath(i / fps) if move.breathe else ease(_progress(i, n)), w, h) for i in range(n)]


def _camera_frames(still: Still, views: list[Rect]) -> Iterator[np.ndarray]:
    for rect in views:
        yield still.frame(rect)


BLEND_MAX = 8  # frames of the dissolve inside a bridge, at most
TRAVEL_S = 1.0  # seconds the camera travels on the previous shot's last frame before the dissolve, at most


def glide(t: float) -> float:
    """Eased progress that never stops moving (no frozen frames at either end): smootherstep plus a linear part."""
    return 0.3 * t + 0.7 * ease(t)


def bridge_plan(n: int, fps: int) -> tuple[int, int, int]:
    """(travel, blend, arrive) frames of a bridge of n frames."""
    blend = min(BLEND_MAX, max(1, n // 6)) if n >= 3 else 0
    travel = min((n - blend) // 2, round(TRAVEL_S * fps))
    return travel, blend, n - travel - blend


def bridge_views(move: Move, n: int, fps: int, w: int, h: int) -> list[Rect | None]:
    """The view of the keyframe (`b`) on each frame of a bridge: None while the bridge shows the previous shot's last
    frame or dissolves from it, then the settling camera's view."""
    arrive = Move(-0.12, move.px, move.py)
    travel, blend, settle = bridge_plan(n, fps)
    views: list[Rect | None] = [None] * (travel + blend)
    for j in range(settle):
        t = (j + 1) / settle
        views.append(view(arrive, 1.0 - glide(t), w, h) if t < 1 else (0.0, 0.0, float(w), float(h)))
    return views


def _bridge_frames(a: Still, b: Still, move: Move, n: int, fps: int) -> Iterator[np.ndarray]:
    """A camera move across the cut: the camera travels into `a` (the previous shot's last frame) in the shot's
    direction, a short dissolve of at most BLEND_MAX frames, then the camera settles onto `b` (the keyframe),
    ending exactly on its framing. The view never stops moving."""
    travel_move = Move(0.2, move.px, move.py)
    arrive = Move(-0.12, move.px, move.py)
    travel, blend, _ = bridge_plan(n, fps)
    w, h = a.plate.w, a.plate.h
    for i in range(travel):
        yield a.frame(view(travel_move, glide(i / travel), w, h))
    for j in range(blend):
        alpha = (j + 1) / (blend + 1)
        fa = Image.fromarray(a.frame(view(travel_move, 1.0 + 0.3 * (j + 1) / max(1, travel), w, h)))
        fb = Image.fromarray(b.frame(view(arrive, 1.0, w, h)))
        yield np.asarray(Image.blend(fa, fb, alpha))
    for rect in bridge_views(move, n, fps, w, h)[travel + blend:]:
        assert rect is not None  # the settling frames show the keyframe
        yield b.frame(rect)


class ProceduralVideoBackend:
    """Animatic clips on the CPU: eased camera moves over the keyframe and dissolving bridges."""

    name = "procedural"

    def __init__(self, cfg: BackendConfig | None = None) -> None:
        self.cfg = cfg or BackendConfig()

    def animate(self, keyframe: Path, motion: MotionSpec, out: Path) -> MediaInfo:
        """A clip that starts on the keyframe and moves as `motion.camera` asks."""
        move = _check(motion)
        n = frame_count(motion)
        (still,) = _stills(_load(keyframe, motion.width, motion.height))
        views = camera_views(move, n, motion.fps, still.plate.w, still.plate.h)
        self._encode(_camera_frames(still, views), motion, out)
        return self._info(motion, n, views, still.plate.h)

    def bridge(self, first: Path, last: Path, motion: MotionSpec, out: Path) -> MediaInfo:
        """A clip that starts exactly on `first` and ends exactly on `last`: a camera move across a short dissolve."""
        move = _check(motion)
        n = frame_count(motion)
        a, b = _stills(_load(first, motion.width, motion.height), _load(last, motion.width, motion.height))
        self._encode(_bridge_frames(a, b, move, n, motion.fps), motion, out)
        return self._info(motion, n, bridge_views(move, n, motion.fps, b.plate.w, b.plate.h), b.plate.h,
                          bridge=True)

    @staticmethod
    def _encode(frames: Iterator[np.ndarray], motion: MotionSpec, out: Path) -> None:
        encode_frames(frames, out, fps=motion.fps, width=motion.width, height=motion.height)

    def _info(self, motion: MotionSpec, n: int, views: Sequence[Rect | None], picture_height: int, *,
              bridge: bool = False) -> MediaInfo:
        meta: dict[str, Any] = {
            "frames": n, "fps": motion.fps, "width": motion.width, "height": motion.height,
            "seconds": round(n / motion.fps, 6), "camera": motion.camera, "backend": self.name,
            "keyframe_views": [None if v is None else [round(c, 3) for c in v] for v in views],
            "picture_height": picture_height}
        if bridge:
            meta["bridge"] = True
        return MediaInfo(meta=meta)
