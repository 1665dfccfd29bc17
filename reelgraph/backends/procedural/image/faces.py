"""Where each character's mouth is on a keyframe: recorded with the keyframe so that mouths can be drawn later.

The keyframe's metadata gets `faces`: for each character whose face is seen (not from behind, not covered by a
foreground prop, its mouth inside the frame and at least MIN_MOUTH_PX wide: a smaller one is neither drawn nor seen
to move), its kind and mouth `[x, y, width]` in the keyframe's pixels (x, y: the middle of the closed mouth). The
lip-sync of the animatic (reelgraph.media.mouths) follows these through the clip's camera move and opens them while
the character speaks.
"""

from __future__ import annotations

from typing import Any

from reelgraph.backends.procedural.image.figures import mouth_box
from reelgraph.backends.procedural.image.layout import Placement
from reelgraph.media.mouths import MIN_MOUTH_PX


def faces_meta(ps: list[Placement], slugs: list[str], scale: int, width: int, height: int,
               covered: Placement | None = None) -> dict[str, dict[str, Any]]:
    """The `faces` entry of a keyframe's metadata: slug -> {"kind", "mouth": [x, y, width]} in output pixels, for
    placements drawn on a canvas `scale` times the output size."""
    faces: dict[str, dict[str, Any]] = {}
    for p in ps:
        if p.back or p is covered or not 0 <= p.who < len(slugs):
            continue
        x, y, w = (v / scale for v in mouth_box(p.look, p.cx, p.top, p.fh, p.facing))
        if w < MIN_MOUTH_PX or not (w / 2 <= x <= width - w / 2 and w / 2 <= y <= height - w / 2):
            continue
        faces[slugs[p.who]] = {"kind": p.look.kind, "mouth": [round(x, 2), round(y, 2), round(w, 2)]}
    return faces
