"""Procedural animatic images: storyboard frames of the script's places and cast, drawn with PIL (no weights).

A keyframe is the shot's place (one painter per key of reelgraph.schema.places, lit by lighting, time of day,
weather and season), the cast arranged by framing and composition (layout.py), drawn from their bible entries
(looks.py, figures.py, animals.py) the same way as in their masters, foreground props, and the shot's action as a
caption. Everything is drawn at 2x and downscaled for anti-aliasing; exposure is a gain of 2**EV.
The seed moves placement, scale, props and the light's direction, never a character's look. A keyframe's metadata
says where each seen character's mouth is (faces.py), for the lip-sync drawn once the voices exist.
"""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw

from reelgraph.backends.base import KeyframeSpec
from reelgraph.backends.procedural.image.caption import band_height, draw_caption, shown
from reelgraph.backends.procedural.image.faces import faces_meta
from reelgraph.backends.procedural.image.figures import draw_character
from reelgraph.backends.procedural.image.layout import Placement, _layout, arrange
from reelgraph.backends.procedural.image.looks import Look, look_of
from reelgraph.backends.procedural.image.paint import RGB, SS, Scene, gradient, shade
from reelgraph.backends.procedural.image.places import paint_place, scene_for
from reelgraph.backends.procedural.image.props import weather
from reelgraph.config import BackendConfig
from reelgraph.schema import Character

__all__ = ["Look", "ProceduralImageBackend", "_layout", "draw_character", "look_of"]

DARKNESS_LUMA = 17.0  # mean luma a 'darkness' keyframe is metered to (before exposure)
MIN_LUMA = 60.0  # auto-exposure floor of every other lighting (night stays dark blue, never murky)
MASTER_BG: tuple[RGB, RGB] = ((214, 214, 218), (172, 172, 180))


def _meter(img: Image.Image, lighting: str, exposure: float) -> Image.Image:
    """Meter 'darkness' down to near-black and lift murky frames to a floor, then apply the gain 2**EV; a pixel pushed
    past white keeps its hue (its channels are scaled together), as a camera's highlight roll-off would."""
    gain = 2.0 ** max(-3.0, min(3.0, float(exposure)))
    luma = float(np.asarray(img.reduce(4).convert("L"), dtype=np.float32).mean())
    if lighting == "darkness":
        gain *= DARKNESS_LUMA / max(luma, 1.0)
    elif luma < MIN_LUMA:
        gain *= min(3.0, MIN_LUMA / max(luma, 1.0))
    if abs(gain - 1.0) < 1e-6:
        return img
    rgb = np.asarray(img, dtype=np.float32) * gain
    peak = rgb.max(-1, keepdims=True)
    rgb *= np.where(peak > 255.0, 255.0 / np.maximum(peak, 1.0), 1.0)
    return Image.fromarray(np.round(rgb).astype(np.uint8))


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _plant(sc: Scene, x: float, base: float, top: float, r: float) -> None:
    """A foreground plant (indoors) or bush (outdoors), in pixels: stem from `base` up to leaves round `top`; in
    space, a heap of moon rock of the same shape."""
    rock = sc.place == "space"
    leaf = sc.lit((92, 90, 98) if rock else (34, 70, 40) if sc.interior else (30, 58, 34))
    if rock:
        sc.d.rectangle([x - 0.5 * r, top, x + 0.5 * r, base], fill=leaf)
    else:
        sc.d.line([(x, base), (x, top)], fill=sc.lit((60, 44, 30)), width=max(2, round(0.12 * r)))
    for dx, dy, k in ((0, 0, 1.0), (-0.7, 0.4, 0.75), (0.7, 0.35, 0.75), (0, 0.8, 0.8)):
        rr = r * k
        sc.d.ellipse([x + dx * r - rr, top + dy * r - rr, x + dx * r + rr, top + dy * r + rr], fill=leaf)
    if sc.interior:
        sc.d.rectangle([x - 0.6 * r, base - 0.9 * r, x + 0.6 * r, base], fill=sc.lit((120, 64, 44)))


def _foreground(sc: Scene, ps: list[Placement], flaw: str, wide: bool, rng: random.Random) -> Placement | None:
    """A foreground prop chosen by the seed: clean in a corner, or (flaw 'prop') right over a face, whose placement
    is returned."""
    faces = [p for p in ps if not p.back]
    if flaw == "prop" and faces:
        covered = rng.choice(faces)
        x0, y0, x1, y1 = covered.head()
        r = 0.75 * (x1 - x0)
        _plant(sc, (x0 + x1) / 2 + rng.uniform(-0.2, 0.2) * r, sc.h, (y0 + y1) / 2, r)
        return covered
    if rng.random() < 0.5:
        return None
    r = 0.09 * sc.h
    x = rng.choice((rng.uniform(0.02, 0.09), rng.uniform(0.91, 0.98))) * sc.w
    box = (x - 1.8 * r, sc.h - 0.32 * sc.h - r, x + 1.8 * r, sc.h)
    keep = [p.head() for p in faces] + ([(p.cx - p.half, p.top, p.cx + p.half, p.top + p.fh) for p in ps]
                                        if wide else [])
    if not any(_overlaps(box, b) for b in keep):
        _plant(sc, x, sc.h, sc.h - 0.32 * sc.h, r)
    return None


def _figures(sc: Scene, ps: list[Placement], wide: bool) -> None:
    for p in ps:
        if wide:  # a shadow on the ground, falling away from the light
            foot = p.top + p.fh
            ground = sc.img.getpixel((round(min(sc.w - 1, max(0, p.cx))), min(sc.h - 1, round(foot))))
            away = (0.5 - sc.light_x) * 1.2 * p.half
            sc.d.polygon([(p.cx - 0.6 * p.half, foot), (p.cx + 0.6 * p.half, foot),
                          (p.cx + 0.6 * p.half + away, foot + 0.06 * p.fh), (p.cx - 0.6 * p.half + away,
                                                                            foot + 0.06 * p.fh)],
                         fill=shade(ground, 0.7))
        lit = sc.key if not p.dark else (lambda c: shade(sc.key(c), 0.38))
        draw_character(sc.d, p.look, p.cx, p.top, p.fh, lit, facing=p.facing, back=p.back)


class ProceduralImageBackend:
    """Animatic images on the CPU: masters and keyframes drawn from the script's records."""

    name = "procedural"

    def __init__(self, cfg: BackendConfig | None = None) -> None:
        self.cfg = cfg or BackendConfig()
        self.last_meta: dict[str, object] = {}

    def master(self, character: Character, *, width: int, height: int, seed: int) -> Image.Image:
        """The character alone, centred, full figure, on a plain light background (the seed changes nothing)."""
        w, h = width * SS, height * SS
        img = gradient(w, h, [(0.0, MASTER_BG[0]), (1.0, MASTER_BG[1])])
        d = ImageDraw.Draw(img)
        lk = look_of(character)
        fh = min(0.8 * h, 0.82 * w / lk.aspect)
        foot = 0.9 * h
        d.ellipse([w / 2 - 0.5 * fh * lk.aspect, foot - 0.02 * fh, w / 2 + 0.5 * fh * lk.aspect, foot + 0.025 * fh],
                  fill=shade(MASTER_BG[1], 0.82))
        draw_character(d, lk, w / 2, foot - fh, fh)
        self.last_meta = {"kind": lk.kind, "species": lk.species}
        return img.reduce(SS)

    def keyframe(self, spec: KeyframeSpec, *, width: int, height: int) -> Image.Image:
        """A storyboard frame of the spec's place, cast, framing, lighting, exposure, composition and caption."""
        w, h = width * SS, height * SS
        caption = shown(spec.caption, height) if self.cfg.options.get("captions", True) else ""
        floor = h - band_height(height) * SS if caption else h
        looks = [look_of(c) for c in spec.characters]
        ps, flaw = arrange(looks, w, h, spec.framing, seed=spec.seed, composition=spec.composition, floor=floor)
        heads = [(b[0] / w, b[1] / h, b[2] / w, b[3] / h) for b in (p.head() for p in ps)]
        sc, key, words = scene_for(spec, w, h, heads)
        rng = random.Random(f"light|{spec.seed}|{spec.composition}")
        sc.gain, sc.light_x = rng.uniform(0.84, 1.06), rng.choice((0.15, 0.85))
        paint_place(sc, key, words, spec.crowd)
        _figures(sc, ps, spec.framing == "wide")
        covered = _foreground(sc, ps, flaw, spec.framing == "wide", rng)
        if not sc.interior:
            weather(sc)
        img = _meter(sc.img.reduce(SS), sc.lighting, spec.exposure)
        self.last_meta = {"place": key or "fallback", "framing": spec.framing, "composition": spec.composition,
                          "captioned": bool(caption),
                          "faces": faces_meta(ps, [c.slug for c in spec.characters], SS, width, height, covered)}
        out = draw_caption(img, caption) if caption else img
        out.info["reelgraph"] = self.last_meta  # travels with the image where `last_meta` cannot (Ray workers)
        return out
