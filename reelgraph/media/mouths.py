"""Talking mouths on the animatic: where each character's mouth is on every frame of a take, and the mouth shapes
drawn there while the character's line plays.

Shots are rendered before their lines are spoken, so the lip-sync is drawn in two steps. When a take is rendered, its
`FaceTrack` is kept beside it (`shots/shotNN/takeK_faces.json`): per frame, each seen character's mouth (centre and
width in frame pixels, followed through the camera move), or None where it is not on the frame. When the reel is
composed, the voice lines and their place in the reel are known: each frame gets, for each character whose line
plays then, the viseme held longest during the frame, drawn over the closed mouth of the keyframe. A mouth at rest
is left as drawn; the narrator moves no mouth; nothing is drawn on a character whose line does not play.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from reelgraph.media.visemes import Viseme, VisemeSpan, viseme_over

Mouth = tuple[float, float, float]
"""A mouth on a frame: centre x, y of the closed mouth and its width, in frame pixels."""
Rect = Sequence[float]

MIN_MOUTH_PX = 2.0
"""A mouth narrower than this on a frame is neither drawn nor measured there."""

SHAPES: dict[Viseme, tuple[float, float]] = {
    "open": (0.85, 0.7), "wide": (1.1, 0.32), "round": (0.55, 0.55), "mid": (0.8, 0.4), "teeth": (0.85, 0.3),
}
"""Width and height of each open shape, in mouth widths (`rest` is the closed mouth the keyframe drew)."""
TEETH: frozenset[Viseme] = frozenset({"wide", "teeth"})
SUPERSAMPLE = 4


@dataclass
class FaceTrack:
    """Where each seen character's mouth is on each frame of one take."""

    fps: int
    width: int
    height: int
    mouths: dict[str, list[Mouth | None]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)

    @property
    def frames(self) -> int:
        """Frames of the take the track covers."""
        return max((len(m) for m in self.mouths.values()), default=0)

    def to_json(self) -> dict[str, Any]:
        """The track as JSON data (the take's `_faces.json`)."""
        return {"fps": self.fps, "width": self.width, "height": self.height, "frames": self.frames,
                "faces": {slug: {"kind": self.kinds.get(slug, "humanoid"),
                                 "mouth": [None if m is None else [round(v, 2) for v in m] for m in mouths]}
                          for slug, mouths in self.mouths.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaceTrack:
        """The track of `to_json` data."""
        faces = data.get("faces", {})
        return cls(int(data["fps"]), int(data["width"]), int(data["height"]),
                   {slug: [None if m is None else (float(m[0]), float(m[1]), float(m[2])) for m in face["mouth"]]
                    for slug, face in faces.items()},
                   {slug: str(face.get("kind", "humanoid")) for slug, face in faces.items()})


def face_track(faces: Mapping[str, Mapping[str, Any]], views: Sequence[Rect | None], *, fps: int, width: int,
               height: int, picture_height: int | None = None) -> FaceTrack:
    """The track of a take: each keyframe mouth (`faces`, from the keyframe's metadata: slug -> {"kind", "mouth":
    [x, y, w]}) seen through the clip's per-frame view of the keyframe (`views`: [x0, y0, x1, y1] or None), which
    fills the top `picture_height` rows of each frame (all of them by default; below them a fixed caption band)."""
    rows = picture_height or height
    track = FaceTrack(fps, width, height, kinds={slug: str(f.get("kind", "humanoid")) for slug, f in faces.items()})
    for slug, face in faces.items():
        x, y, w = (float(v) for v in face["mouth"])
        mouths: list[Mouth | None] = []
        for rect in views:
            if rect is None or rect[2] <= rect[0] or rect[3] <= rect[1]:
                mouths.append(None)
                continue
            sx, sy = width / (rect[2] - rect[0]), rows / (rect[3] - rect[1])
            fx, fy, fw = (x - rect[0]) * sx, (y - rect[1]) * sy, w * sx
            inside = fw / 2 <= fx <= width - fw / 2 and fw / 2 <= fy <= rows - fw / 2
            mouths.append((fx, fy, fw) if inside and fw >= MIN_MOUTH_PX else None)
        track.mouths[slug] = mouths
    return track


def mouth_box(mouth: Mouth, width: int, height: int) -> tuple[int, int, int, int]:
    """The pixels (x0, y0, x1, y1) where a mouth opens: its width across, 0.8 of it down from just above the closed
    line (clipped to the frame). The lip-sync measure looks here."""
    x, y, w = mouth
    half = max(w, MIN_MOUTH_PX) / 2
    x0, x1 = math.floor(x - half), math.ceil(x + half)
    y0, y1 = math.floor(y - 0.3 * half), math.ceil(y + 1.3 * half)
    return max(0, x0), max(0, y0), min(width, x1), min(height, y1)


ROBOT_GLOW = np.array([236.0, 232.0, 196.0])
"""A robot talks with a lit slot on its dark face plate."""


def _colours(patch: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(inside, teeth) colours of a mouth drawn over `patch`: a dark inside toned from the face round it (a robot's:
    a lit slot)."""
    face = np.median(patch.reshape(-1, 3).astype(np.float32), axis=0)
    if kind == "robot":
        return ROBOT_GLOW, ROBOT_GLOW
    inside = face * 0.28 + np.array([18.0, 2.0, 6.0])
    light = min(1.0, float(face @ [0.299, 0.587, 0.114]) / 170.0)
    return inside, face * 0.25 + np.array([236.0, 234.0, 222.0]) * 0.75 * light


def draw_mouth(frame: np.ndarray, mouth: Mouth, viseme: Viseme, kind: str = "humanoid") -> np.ndarray:
    """`frame` with the mouth open in the shape `viseme` (anti-aliased; a new array; `rest` leaves it as it is)."""
    if viseme not in SHAPES:
        return frame
    h, w = frame.shape[:2]
    x, y, size = mouth
    sw, sh = max(1.6, SHAPES[viseme][0] * size), max(1.2, SHAPES[viseme][1] * size * (0.5 if kind == "robot" else 1))
    cy = y + 0.2 * sh  # the jaw drops: the opening grows mostly downwards from the closed line
    x0, x1 = max(0, math.floor(x - sw / 2) - 1), min(w, math.ceil(x + sw / 2) + 1)
    y0, y1 = max(0, math.floor(cy - sh / 2) - 1), min(h, math.ceil(cy + sh / 2) + 1)
    if x1 <= x0 or y1 <= y0:
        return frame
    k = SUPERSAMPLE
    ellipse = [(x - sw / 2 - x0) * k, (cy - sh / 2 - y0) * k, (x + sw / 2 - x0) * k, (cy + sh / 2 - y0) * k]
    mask = Image.new("L", ((x1 - x0) * k, (y1 - y0) * k), 0)
    ImageDraw.Draw(mask).ellipse(ellipse, fill=255)
    alpha = np.asarray(mask.reduce(k), np.float32)[..., None] / 255.0
    out = frame.copy()
    patch = out[y0:y1, x0:x1].astype(np.float32)
    inside, teeth = _colours(patch, kind)
    fill = np.broadcast_to(inside, patch.shape).copy()
    if viseme in TEETH and kind != "robot":
        rows = (np.arange(y0, y1, dtype=np.float32) + 0.5)[:, None]
        fill[(rows < cy).repeat(x1 - x0, axis=1)] = teeth  # the upper teeth show
    out[y0:y1, x0:x1] = np.round(patch * (1 - alpha) + fill * alpha).clip(0, 255).astype(np.uint8)
    return out


def speaking(lips: Mapping[str, Sequence[VisemeSpan]], slugs: Iterable[str], t0: float, t1: float) -> bool:
    """Whether any of `slugs` has an open mouth shape during [t0, t1) (seconds of the reel)."""
    return any(s.start < t1 and s.end > t0 for slug in slugs for s in lips.get(slug, ()))


def lip_synced_frames(frames: Iterable[np.ndarray], track: FaceTrack, lips: Mapping[str, Sequence[VisemeSpan]],
                      start: float) -> Iterator[np.ndarray]:
    """The take's frames with each seen character's mouth shaped by its line (`lips`: slug -> viseme spans in
    seconds of the reel); the take's first frame is at `start` in the reel."""
    for j, frame in enumerate(frames):
        t0 = start + j / track.fps
        for slug, mouths in track.mouths.items():
            spans, mouth = lips.get(slug), mouths[j] if j < len(mouths) else None
            if not spans or mouth is None:
                continue
            shape = viseme_over(spans, t0, t0 + 1 / track.fps)
            if shape != "rest":
                frame = draw_mouth(frame, mouth, shape, track.kinds.get(slug, "humanoid"))
        yield frame
