"""Procedural animatic images: composed, readable scenes and consistent characters drawn with PIL (no weights).

A keyframe is a sky/ground gradient, set pieces picked from keywords of the setting and prompt, weather, and the
characters drawn from their records (body from `look` keywords, colours from `palette`). Everything is drawn at 2x
and downscaled for anti-aliasing. Lighting sets the palette; exposure is a gain of 2**EV on the display values.
The seed moves small details (clouds, props, stars), never a character's look.
"""

from __future__ import annotations

import colorsys
import hashlib
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageDraw

from reelgraph.backends.base import KeyframeSpec
from reelgraph.config import BackendConfig
from reelgraph.schema import Character

RGB = tuple[int, int, int]
Gains = tuple[float, float, float]
WHITE: RGB = (255, 255, 255)
SS = 2  # supersampling factor
DARKNESS_LUMA = 17.0  # mean luma a 'darkness' keyframe is metered to (before exposure)
MIN_LUMA = 60.0  # auto-exposure floor of every other lighting (night stays dark blue, never murky)
KEY_LIGHT = 0.65  # how much a key light lifts the characters out of the ambient tint (0: none, 1: white light)
MASTER_BG: tuple[RGB, RGB] = ((214, 214, 218), (172, 172, 180))
SPACE_SKY: tuple[RGB, RGB] = ((2, 3, 10), (14, 16, 34))


# ---------------------------------------------------------------- lighting


@dataclass(frozen=True)
class Light:
    """How one lighting looks: sky gradient, ambient tint of lit surfaces, and its light sources."""

    sky: tuple[RGB, RGB]  # zenith, horizon
    ambient: Gains
    disc: RGB | None  # sun or moon colour; None: hidden by cloud
    moon: bool
    glow: RGB  # lamps and windows
    lamps_on: bool
    stars: bool


LIGHTS: dict[str, Light] = {
    "day": Light(((88, 146, 222), (196, 222, 244)), (1.0, 1.0, 1.0), (255, 250, 222), False, (232, 238, 244),
                 False, False),
    "golden": Light(((222, 130, 78), (255, 214, 142)), (1.04, 0.86, 0.66), (255, 224, 150), False,
                    (255, 214, 150), False, False),
    "dusk": Light(((46, 42, 100), (226, 124, 112)), (0.66, 0.58, 0.74), (255, 176, 132), False, (255, 204, 122),
                  True, False),
    "night": Light(((8, 12, 34), (36, 50, 90)), (0.34, 0.38, 0.56), (236, 236, 216), True, (255, 208, 112),
                   True, True),
    "storm": Light(((46, 50, 60), (116, 122, 132)), (0.56, 0.6, 0.66), None, False, (255, 216, 142), True, False),
    "interior": Light(((70, 60, 92), (182, 142, 112)), (0.96, 0.85, 0.7), None, False, (255, 214, 134), True,
                      False),
    "darkness": Light(((4, 5, 12), (18, 22, 38)), (0.26, 0.28, 0.4), (190, 194, 186), True, (214, 160, 90), True,
                      True),
}


def _rgb(r: float, g: float, b: float) -> RGB:
    """A colour with its channels rounded and clipped to 0..255."""
    return max(0, min(255, round(r))), max(0, min(255, round(g))), max(0, min(255, round(b)))


def _tint(c: RGB, k: Gains) -> RGB:
    return _rgb(c[0] * k[0], c[1] * k[1], c[2] * k[2])


def _shade(c: RGB, k: float) -> RGB:
    return _rgb(c[0] * k, c[1] * k, c[2] * k)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return _rgb(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def _soften(k: Gains, t: float) -> Gains:
    """Gains moved a fraction `t` of the way towards white light."""
    return k[0] + (1 - k[0]) * t, k[1] + (1 - k[1]) * t, k[2] + (1 - k[2]) * t


# ---------------------------------------------------------------- keywords


def _words(*texts: str) -> str:
    return " ".join(t.lower() for t in texts if t)


def _kw(text: str, pattern: str) -> bool:
    """Whether a word of `text` starts with one of the alternatives of `pattern`."""
    return re.search(rf"\b(?:{pattern})", text) is not None


def _first(text: str, table: dict[str, str]) -> str | None:
    """The key whose keywords occur earliest in `text`."""
    best: tuple[int, str] | None = None
    for key, pattern in table.items():
        m = re.search(rf"\b(?:{pattern})", text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), key)
    return best[1] if best else None


INDOORS = r"inside|interior|indoors|room\b|kitchen|bedroom|office|lab\b|laborator|workshop|library|studio|cafe|café|" \
          r"tavern|attic|corridor|hallway|classroom|apartment|cellar|basement|bar\b|restaurant|museum|cockpit"
SCENES: dict[str, str] = {
    "space": r"space|planet|orbit|galax|asteroid|spaceship|starship|cosmos|nebula|lunar|mars\b",
    "sea": r"sea\b|seas\b|ocean|beach|shore|harbo|lighthouse|wave|boat|ship|coast|bay\b|pier|dock|lake|island",
    "cliff": r"cliff|canyon|ledge|precipice|gorge",
    "city": r"city|street|town|alley|road|market|downtown|rooftop|village|square|avenue|neighbo|suburb|bridge",
    "forest": r"forest|wood|jungle|tree|park\b|garden|grove|orchard",
    "desert": r"desert|dune|sand|wasteland|savann",
    "mountain": r"mountain|peak|summit|glacier|alps|ridge|valley",
    "field": r"field|meadow|farm|countryside|prairie|plain|hill",
}
GROUND: dict[str, tuple[RGB, RGB]] = {  # far, near
    "sea": ((44, 100, 156), (28, 78, 128)),
    "cliff": ((44, 100, 156), (28, 78, 128)),
    "city": ((132, 132, 138), (78, 78, 86)),
    "forest": ((70, 116, 64), (48, 92, 44)),
    "desert": ((234, 204, 146), (212, 172, 112)),
    "mountain": ((116, 146, 104), (86, 122, 76)),
    "space": ((124, 122, 128), (88, 86, 92)),
    "interior": ((132, 92, 62), (156, 110, 74)),
    "field": ((128, 176, 96), (86, 148, 66)),
}
HORIZON = {"sea": 0.55, "cliff": 0.5, "city": 0.62, "forest": 0.6, "desert": 0.6, "mountain": 0.62,
           "space": 0.66, "interior": 0.64, "field": 0.6}


# ---------------------------------------------------------------- characters


@dataclass(frozen=True)
class Look:
    """A character's drawing: body kind and proportions, and colours (main, second, hair/detail, accent)."""

    kind: str  # humanoid | robot | animal
    ears: str  # animals: pointed | floppy
    rel: float  # height relative to an adult
    girth: float
    head: float  # head radius / height
    old: bool
    robe: bool
    hat: bool
    glasses: bool
    beard: bool
    long_hair: bool
    colours: tuple[RGB, RGB, RGB, RGB]
    hair: RGB
    skin: RGB

    @property
    def aspect(self) -> float:
        """Width of the drawing over its height."""
        if self.kind == "animal":
            return 1.5
        if self.kind == "robot":
            return 0.44 * self.girth + 0.04
        return 0.26 * self.girth + 0.17


SKINS: list[RGB] = [(244, 208, 180), (226, 178, 142), (198, 138, 98), (150, 96, 62), (104, 66, 44)]
HAIRS = {"red hair|red-haired|redhead|ginger|auburn": (176, 72, 36), "blond|golden hair|fair hair": (226, 192, 112),
         "black hair|dark hair|black-haired|dark-haired|raven": (34, 30, 32), "brown hair|brunette": (96, 62, 38),
         "grey hair|gray hair|white hair|silver hair|grey-haired|gray-haired|white-haired": (196, 196, 200)}


def _hex(c: str) -> RGB:
    return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)


def _derived_palette(slug: str) -> list[RGB]:
    """Four stable, distinct colours from a hash of the slug."""
    d = hashlib.sha256(slug.encode()).digest()
    hue = d[0] / 255
    out = []
    for i, (dh, s, v) in enumerate([(0.0, 0.62, 0.78), (0.5, 0.45, 0.45), (0.12, 0.55, 0.4), (0.33, 0.7, 0.9)]):
        h = (hue + dh + (d[i + 1] / 255 - 0.5) * 0.06) % 1.0
        r, g, b = colorsys.hsv_to_rgb(h, s, v)
        out.append((round(r * 255), round(g * 255), round(b * 255)))
    return out


def look_of(character: Character) -> Look:
    """The drawing of a character, from its look keywords and palette (never from a seed)."""
    text = _words(character.look, character.wardrobe)
    digest = hashlib.sha256(character.slug.encode()).digest()
    pal = [_hex(c) for c in character.palette]
    derived = _derived_palette(character.slug)
    full = (pal + derived[len(pal):])[:4]
    colours = (full[0], full[1], full[2], full[3])
    kind = "robot" if _kw(text, r"robot|metal|android|droid|mech|cyborg|automaton|machine") else \
        "animal" if _kw(text, r"cats?\b|kitten|dogs?\b|puppy|hound|fox|wolf|animal|bears?\b|lion|tiger") else "humanoid"
    tall, small = _kw(text, r"tall|giant|towering|lanky"), _kw(text, r"small|short|child|kid|little|tiny|young girl|"
                                                                      r"young boy|boy\b|girl\b")
    rel = {"humanoid": 1.0, "robot": 1.0, "animal": 0.46}[kind] * (1.15 if tall else 0.72 if small else 1.0)
    girth = 1.35 if _kw(text, r"round|stout|plump|fat|chubby|burly|broad|stocky|bulky") else \
        0.85 if _kw(text, r"thin|slim|skinny|slender|lanky") else 1.0
    old = _kw(text, r"old|elder|aged|grey-haired|gray-haired|grandm|grandf|wrinkl")
    hair = colours[2]
    for pattern, colour in HAIRS.items():
        if _kw(text, pattern):
            hair = colour
            break
    if old and hair == colours[2]:
        hair = (200, 200, 204)
    skin = SKINS[0 if _kw(text, r"pale|fair-skinned|freckl") else 2 if _kw(text, r"olive|tan") else
                 4 if _kw(text, r"dark skin|dark-skinned|brown skin|deep skin") else digest[5] % len(SKINS)]
    return Look(kind=kind, ears="pointed" if _kw(text, r"cats?\b|kitten|fox|wolf|lion|tiger") else "floppy",
                rel=rel, girth=girth, head=0.1 if small and kind == "humanoid" else 0.068 if tall else 0.075,
                old=old, robe=_kw(text, r"robe|dress|gown|cloak|coat|cape|kimono|habit"),
                hat=_kw(text, r"hat|cap\b|helmet|hood|beret"), glasses=_kw(text, r"glasses|spectacles|goggles"),
                beard=_kw(text, r"beard"), long_hair=_kw(text, r"long hair|braid|ponytail|long-haired"),
                colours=colours, hair=hair, skin=skin)


Lit = Callable[[RGB], RGB]


def _plain(c: RGB) -> RGB:
    return c


@dataclass
class Pen:
    """Where and how one figure is drawn: canvas position (centre x, top y), height in pixels, and the light."""

    d: ImageDraw.ImageDraw
    cx: float
    top: float
    h: float
    lit: Lit

    def x(self, u: float) -> float:
        return self.cx + u * self.h

    def y(self, v: float) -> float:
        return self.top + v * self.h

    def box(self, u0: float, v0: float, u1: float, v1: float) -> list[float]:
        x0, x1 = sorted((self.x(u0), self.x(u1)))
        y0, y1 = sorted((self.y(v0), self.y(v1)))
        return [x0, y0, x1, y1]

    def ellipse(self, u0: float, v0: float, u1: float, v1: float, c: RGB, *, emissive: bool = False) -> None:
        self.d.ellipse(self.box(u0, v0, u1, v1), fill=c if emissive else self.lit(c))

    def rect(self, u0: float, v0: float, u1: float, v1: float, c: RGB, radius: float = 0.0) -> None:
        if radius:
            self.d.rounded_rectangle(self.box(u0, v0, u1, v1), radius=radius * self.h, fill=self.lit(c))
        else:
            self.d.rectangle(self.box(u0, v0, u1, v1), fill=self.lit(c))

    def poly(self, pts: list[tuple[float, float]], c: RGB) -> None:
        self.d.polygon([(self.x(u), self.y(v)) for u, v in pts], fill=self.lit(c))

    def line(self, pts: list[tuple[float, float]], c: RGB, width: float) -> None:
        self.d.line([(self.x(u), self.y(v)) for u, v in pts], fill=self.lit(c), width=max(1, round(width * self.h)),
                    joint="curve")


INK: RGB = (34, 30, 36)


def _face(p: Pen, lk: Look, hx: float, hy: float, r: float) -> None:
    for s in (-1, 1):
        ex = hx + s * 0.36 * r
        p.ellipse(ex - 0.17 * r, hy - 0.1 * r, ex + 0.17 * r, hy + 0.14 * r, (250, 250, 250))
        p.ellipse(ex - 0.09 * r, hy - 0.04 * r, ex + 0.09 * r, hy + 0.12 * r, INK)
        p.line([(ex - 0.2 * r, hy - 0.28 * r), (ex + 0.2 * r, hy - 0.3 * r)], lk.hair if lk.hair != lk.skin else INK,
               0.06 * r)
        if lk.glasses:
            p.d.ellipse(p.box(ex - 0.26 * r, hy - 0.2 * r, ex + 0.26 * r, hy + 0.24 * r), outline=p.lit(INK),
                        width=max(1, round(0.06 * r * p.h)))
    p.line([(hx - 0.05 * r, hy + 0.1 * r), (hx + 0.02 * r, hy + 0.32 * r)], _shade(lk.skin, 0.78), 0.07 * r)
    if lk.beard:
        p.d.chord(p.box(hx - 0.85 * r, hy - 0.3 * r, hx + 0.85 * r, hy + 1.02 * r), 10, 170, fill=p.lit(lk.hair))
    p.line([(hx - 0.25 * r, hy + 0.52 * r), (hx, hy + 0.6 * r), (hx + 0.25 * r, hy + 0.52 * r)], (150, 60, 60),
           0.07 * r)


def _humanoid(p: Pen, lk: Look) -> None:
    c0, c1, c2, c3 = lk.colours
    g, r = lk.girth, lk.head
    hx, hy = (0.035 if lk.old else 0.0), r + 0.005
    neck, hip = 2 * r + 0.01, 0.5 + r * 0.4
    shw, hipw, leg = 0.12 * g, 0.1 * g, 0.07 * min(g, 1.2)
    if lk.long_hair:
        p.rect(hx - 1.05 * r, hy, hx + 1.05 * r, neck + 0.09, lk.hair, radius=0.02)
    for s in (-1, 1):  # legs and shoes
        x = s * hipw * 0.5
        p.rect(x - leg / 2, hip - 0.02, x + leg / 2, 0.965, c1)
        p.ellipse(x - leg * 0.7 + s * 0.012, 0.94, x + leg * 0.7 + s * 0.012, 1.0, _shade(c2, 0.55))
    for s in (-1, 1):  # sleeves and hands
        hand = (s * (shw + 0.055), hip + 0.01)
        p.line([(s * shw * 0.85, neck + 0.05), hand], c0, 0.062)
        p.ellipse(hand[0] - 0.03, hand[1] - 0.02, hand[0] + 0.03, hand[1] + 0.04, lk.skin)
    bottom = 0.78 if lk.robe else hip + 0.02
    hem = hipw * (1.45 if lk.robe else 1.0)
    if g > 1.2:
        p.ellipse(-shw * 1.02, neck + 0.01, shw * 1.02, bottom + 0.02, c0)
    else:
        p.poly([(-shw, neck + 0.03), (shw, neck + 0.03), (hem, bottom), (-hem, bottom)], c0)
        p.ellipse(-shw - 0.03, neck + 0.01, -shw + 0.05, neck + 0.08, c0)
        p.ellipse(shw - 0.05, neck + 0.01, shw + 0.03, neck + 0.08, c0)
    p.rect(-hipw * 0.98, hip - 0.035, hipw * 0.98, hip - 0.01, c3)  # belt
    p.rect(hx - 0.35 * r, 2 * r - 0.02, hx + 0.35 * r, neck + 0.03, lk.skin)  # neck
    p.poly([(-shw * 0.75, neck + 0.01), (shw * 0.75, neck + 0.01), (0.02, neck + 0.1), (-0.02, neck + 0.1)], c3)
    p.ellipse(hx - 0.92 * r, hy - r, hx + 0.92 * r, hy + r, lk.skin)
    p.d.chord(p.box(hx - 0.98 * r, hy - 1.08 * r, hx + 0.98 * r, hy + 0.5 * r), 180, 360, fill=p.lit(lk.hair))
    _face(p, lk, hx, hy + 0.1 * r, r)
    if lk.hat:
        p.rect(hx - 1.3 * r, hy - 0.62 * r, hx + 1.3 * r, hy - 0.45 * r, c3)
        p.rect(hx - 0.8 * r, hy - 1.45 * r, hx + 0.8 * r, hy - 0.55 * r, c3, radius=0.01)
    if lk.old:  # a walking stick
        p.line([(shw + 0.06, hip), (shw + 0.09, 1.0)], (110, 74, 44), 0.02)


def _robot(p: Pen, lk: Look) -> None:
    c0, c1, c2, c3 = lk.colours
    g = lk.girth
    w = 0.15 * g
    p.line([(0, 0.03), (0, 0.09)], (90, 90, 96), 0.012)
    p.ellipse(-0.025, 0.0, 0.025, 0.05, c2, emissive=True)
    for s in (-1, 1):  # legs, feet, arms, claws
        p.rect(s * 0.07 - 0.035, 0.56, s * 0.07 + 0.035, 0.95, c1)
        p.rect(s * 0.07 - 0.055, 0.93, s * 0.07 + 0.055, 1.0, _shade(c1, 0.5), radius=0.01)
        p.rect(s * (w + 0.005), 0.31, s * (w + 0.055), 0.56, c1, radius=0.015)
        p.ellipse(s * (w + 0.03) - 0.03, 0.55, s * (w + 0.03) + 0.03, 0.61, _shade(c1, 0.6))
    p.rect(-w, 0.28, w, 0.6, c0, radius=0.03)
    p.rect(-w * 0.55, 0.34, w * 0.55, 0.48, c3, radius=0.012)
    for i in range(3):
        x = -w * 0.35 + i * w * 0.35
        p.ellipse(x - 0.012, 0.51, x + 0.012, 0.535, c2, emissive=True)
    p.rect(-0.04, 0.24, 0.04, 0.29, (90, 90, 96))
    p.rect(-0.105, 0.08, 0.105, 0.25, c1, radius=0.025)
    p.rect(-0.085, 0.11, 0.085, 0.2, _shade(c1, 0.35), radius=0.015)
    for s in (-1, 1):
        p.rect(s * 0.042 - 0.022, 0.135, s * 0.042 + 0.022, 0.165, c2)
    for i in range(4):
        x = -0.03 + i * 0.02
        p.line([(x, 0.182), (x, 0.194)], c2, 0.006)


def _animal(p: Pen, lk: Look) -> None:
    c0, c1, c2, c3 = lk.colours
    g = min(lk.girth, 1.2)
    far = _shade(c0, 0.72)
    for x in (-0.45, 0.2):  # far legs
        p.rect(x + 0.05, 0.55, x + 0.14, 0.97, far)
    if lk.ears == "pointed":
        p.line([(-0.5, 0.6), (-0.66, 0.45), (-0.68, 0.22), (-0.6, 0.12)], c0, 0.07)
        p.ellipse(-0.65, 0.08, -0.55, 0.18, c2)
    else:
        p.line([(-0.5, 0.58), (-0.64, 0.42), (-0.66, 0.3)], c0, 0.07)
    p.ellipse(-0.6, 0.36 - 0.06 * g, 0.36, 0.8 + 0.02 * g, c0)
    p.ellipse(-0.4, 0.58, 0.22, 0.8, c1)
    for x in (-0.38, 0.26):  # near legs and paws
        p.rect(x - 0.06, 0.6, x + 0.05, 0.97, c0)
        p.ellipse(x - 0.075, 0.93, x + 0.07, 1.0, c1)
    p.poly([(0.28, 0.5), (0.36, 0.3), (0.5, 0.32), (0.42, 0.56)], c0)  # neck
    p.rect(0.3, 0.4, 0.47, 0.46, c3, radius=0.02)  # collar
    hx, hy, r = 0.48, 0.26, 0.2
    if lk.ears == "pointed":
        for ex in (-0.55, 0.45):
            p.poly([(hx + ex * r - 0.08, hy - 0.35 * r), (hx + ex * r + 0.01, hy - 1.55 * r),
                    (hx + ex * r + 0.08, hy - 0.45 * r)], c0)
            p.poly([(hx + ex * r - 0.04, hy - 0.5 * r), (hx + ex * r + 0.01, hy - 1.25 * r),
                    (hx + ex * r + 0.045, hy - 0.55 * r)], c1)
    p.ellipse(hx - r, hy - r, hx + r, hy + r, c0)
    if lk.ears != "pointed":
        for ex in (-0.8, 0.45):
            p.ellipse(hx + ex * r - 0.05, hy - 0.95 * r, hx + ex * r + 0.06, hy + 0.45 * r, c2)
    p.ellipse(hx + 0.1, hy + 0.02, hx + r + 0.07, hy + 0.19, c1)  # muzzle
    p.ellipse(hx + r + 0.02, hy + 0.03, hx + r + 0.08, hy + 0.08, INK)
    for ex in (0.02, 0.12):
        p.ellipse(hx + ex - 0.025, hy - 0.08, hx + ex + 0.025, hy - 0.02, INK)


def draw_character(d: ImageDraw.ImageDraw, lk: Look, cx: float, top: float, h: float, lit: Lit = _plain) -> None:
    """Draw a character whose bounding box is centred on `cx`, from `top`, `h` pixels high."""
    p = Pen(d, cx, top, h, lit)
    {"robot": _robot, "animal": _animal}.get(lk.kind, _humanoid)(p, lk)


# ---------------------------------------------------------------- scenes


@dataclass
class Scene:
    """The canvas being drawn and what is known about the shot."""

    img: Image.Image
    d: ImageDraw.ImageDraw
    w: int
    h: int
    hz: float  # horizon, pixels
    kind: str
    text: str
    light: Light
    lighting: str
    rng: random.Random

    def lit(self, c: RGB) -> RGB:
        """A surface colour under the ambient light."""
        return _tint(c, self.light.ambient)

    def key(self, c: RGB) -> RGB:
        """A character's colour under the key light: the ambient tint, softened so the look stays readable."""
        return _tint(c, _soften(self.light.ambient, KEY_LIGHT))

    def has(self, pattern: str) -> bool:
        return _kw(self.text, pattern)

    def glow(self, base: RGB) -> RGB:
        """A window or lamp colour: lit by day, glowing otherwise."""
        return self.light.glow if self.light.lamps_on else self.lit(base)


def _gradient(w: int, h: int, stops: list[tuple[float, RGB]]) -> Image.Image:
    """A vertical gradient through (position 0..1, colour) stops."""
    ys = np.linspace(0.0, 1.0, h)
    pos = [s[0] for s in stops]
    cols = np.array([s[1] for s in stops], dtype=np.float64)
    col = np.stack([np.interp(ys, pos, cols[:, k]) for k in range(3)], axis=1).round().astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(col[:, None, :])).resize((w, h), Image.Resampling.NEAREST)


def _sky(sc: Scene) -> tuple[RGB, RGB]:
    return SPACE_SKY if sc.kind == "space" else sc.light.sky


def _clouds(sc: Scene, n: int) -> None:
    top, horizon = _sky(sc)
    base = (236, 238, 242) if sc.lighting in ("day", "golden") else _mix(_mix(top, horizon, 0.5), WHITE, 0.06)
    if sc.lighting == "storm":
        base = (76, 80, 90)
    colour = sc.lit(base) if sc.lighting not in ("night", "darkness") else base
    for _ in range(n):
        cx, cy = sc.rng.uniform(0, sc.w), sc.rng.uniform(0.08, 0.42) * sc.hz
        s = sc.rng.uniform(0.05, 0.1) * sc.w
        for dx, dy, k in ((-0.9, 0.1, 0.6), (0.0, 0.0, 0.85), (0.8, 0.12, 0.65), (0.3, -0.35, 0.6)):
            r = s * k
            sc.d.ellipse([cx + dx * s - r, cy + dy * s - r * 0.62, cx + dx * s + r, cy + dy * s + r * 0.62],
                         fill=colour)


def _disc(sc: Scene) -> None:
    if sc.light.disc is None or sc.kind == "interior":
        return
    low = sc.lighting in ("golden", "dusk")
    x = sc.rng.uniform(0.12, 0.88) * sc.w
    y = sc.hz * (0.72 if low else sc.rng.uniform(0.15, 0.3))
    r = sc.w * (0.05 if low else 0.032)
    if not sc.light.moon and not low:
        sc.d.ellipse([x - 1.8 * r, y - 1.8 * r, x + 1.8 * r, y + 1.8 * r], fill=_mix(sc.light.sky[0], WHITE, 0.3))
    sc.d.ellipse([x - r, y - r, x + r, y + r], fill=sc.light.disc)
    if sc.light.moon:
        sky = _sky(sc)[0]
        sc.d.ellipse([x - r * 0.55, y - r * 1.1, x + r * 1.45, y + r * 0.9], fill=sky)


def _stars(sc: Scene, n: int) -> None:
    for _ in range(n):
        x, y = sc.rng.uniform(0, sc.w), sc.rng.uniform(0, sc.hz * 0.85)
        r = sc.rng.choice((1.0, 1.5, 2.2))
        v = sc.rng.randint(150, 255)
        sc.d.ellipse([x - r, y - r, x + r, y + r], fill=(v, v, min(255, v + 10)))


def _wavy(sc: Scene, y: float, amp: float, periods: float, colour: RGB, phase: float = 0.0) -> None:
    """Fill everything below a wavy line."""
    xs = np.linspace(0, sc.w, 48)
    ys = y + amp * np.sin(xs / sc.w * periods * 2 * np.pi + phase)
    pts = list(zip(xs.tolist(), ys.tolist(), strict=True)) + [(sc.w, sc.h), (0, sc.h)]
    sc.d.polygon(pts, fill=colour)


def _tree(sc: Scene, x: float, base: float, size: float, pine: bool) -> None:
    trunk = sc.lit((96, 64, 40))
    sc.d.rectangle([x - 0.06 * size, base - 0.45 * size, x + 0.06 * size, base], fill=trunk)
    if pine:
        for i, k in enumerate((1.0, 0.78, 0.56)):
            y0 = base - (0.3 + 0.3 * i) * size
            sc.d.polygon([(x - 0.38 * k * size, y0), (x + 0.38 * k * size, y0), (x, y0 - 0.55 * size)],
                         fill=sc.lit(_shade((44, 110, 62), 0.85 + 0.1 * i)))
    else:
        for dx, dy, k in ((-0.22, -0.62, 0.3), (0.22, -0.64, 0.3), (0.0, -0.86, 0.36)):
            r = k * size
            sc.d.ellipse([x + dx * size - r, base + dy * size - r, x + dx * size + r, base + dy * size + r],
                         fill=sc.lit((66, 132, 58) if dy < -0.7 else (56, 118, 50)))


def _house(sc: Scene, x: float, base: float, size: float) -> None:
    sc.d.rectangle([x - 0.5 * size, base - 0.6 * size, x + 0.5 * size, base], fill=sc.lit((196, 170, 132)))
    sc.d.polygon([(x - 0.62 * size, base - 0.58 * size), (x + 0.62 * size, base - 0.58 * size),
                  (x, base - 1.0 * size)], fill=sc.lit((150, 58, 48)))
    sc.d.rectangle([x - 0.1 * size, base - 0.32 * size, x + 0.1 * size, base], fill=sc.lit((92, 60, 40)))
    sc.d.rectangle([x + 0.2 * size, base - 0.45 * size, x + 0.38 * size, base - 0.3 * size],
                   fill=sc.glow((150, 176, 200)))


def _lighthouse(sc: Scene, x: float, base: float, size: float) -> None:
    sc.d.polygon([(x - 0.5 * size, base), (x + 0.6 * size, base), (x + 0.3 * size, base - 0.2 * size),
                  (x - 0.35 * size, base - 0.18 * size)], fill=sc.lit((92, 88, 84)))
    top, bot = base - 1.9 * size, base - 0.15 * size
    for i in range(5):
        y0, y1 = bot - (bot - top) * i / 5, bot - (bot - top) * (i + 1) / 5
        w0, w1 = 0.2 * size * (1 - 0.35 * i / 5), 0.2 * size * (1 - 0.35 * (i + 1) / 5)
        sc.d.polygon([(x - w0, y0), (x + w0, y0), (x + w1, y1), (x - w1, y1)],
                     fill=sc.lit((200, 48, 42) if i % 2 else (238, 236, 230)))
    lamp = (255, 240, 170) if sc.light.lamps_on else sc.lit((230, 230, 200))
    if sc.light.lamps_on:
        beam = [(x, top - 0.12 * size), (x - sc.w * 0.45, top - 0.4 * size), (x - sc.w * 0.45, top + 0.15 * size)]
        sc.d.polygon(beam, fill=_mix(sc.light.sky[1], lamp, 0.35))
    sc.d.rectangle([x - 0.1 * size, top - 0.2 * size, x + 0.1 * size, top], fill=lamp)
    sc.d.polygon([(x - 0.15 * size, top - 0.2 * size), (x + 0.15 * size, top - 0.2 * size), (x, top - 0.38 * size)],
                 fill=sc.lit((40, 40, 46)))


def _boat(sc: Scene, x: float, y: float, size: float) -> None:
    sc.d.polygon([(x - 0.6 * size, y), (x + 0.6 * size, y), (x + 0.4 * size, y + 0.25 * size),
                  (x - 0.45 * size, y + 0.25 * size)], fill=sc.lit((120, 70, 44)))
    sc.d.line([(x, y), (x, y - 0.9 * size)], fill=sc.lit((80, 60, 40)), width=max(1, round(0.04 * size)))
    sc.d.polygon([(x + 0.03 * size, y - 0.85 * size), (x + 0.5 * size, y - 0.1 * size), (x + 0.03 * size,
                  y - 0.1 * size)], fill=sc.lit((240, 236, 222)))


def _fire(sc: Scene, x: float, base: float, size: float) -> None:
    for dx in (-0.2, 0.0, 0.2):
        sc.d.line([(x + dx * size - 0.15 * size, base), (x + dx * size + 0.15 * size, base - 0.08 * size)],
                  fill=sc.lit((90, 60, 40)), width=max(1, round(0.07 * size)))
    sc.d.polygon([(x - 0.3 * size, base - 0.05 * size), (x + 0.3 * size, base - 0.05 * size), (x, base - 0.9 * size)],
                 fill=(255, 140, 40))
    sc.d.polygon([(x - 0.15 * size, base - 0.05 * size), (x + 0.15 * size, base - 0.05 * size),
                  (x, base - 0.5 * size)], fill=(255, 220, 90))


def _lamp_post(sc: Scene, x: float, base: float, size: float) -> None:
    sc.d.rectangle([x - 0.02 * size, base - size, x + 0.02 * size, base], fill=sc.lit((48, 50, 56)))
    lamp = sc.glow((214, 214, 200))
    sc.d.ellipse([x - 0.08 * size, base - 1.1 * size, x + 0.08 * size, base - 0.94 * size], fill=lamp)


def _scene_sea(sc: Scene) -> None:
    crest = sc.lit((200, 220, 236)) if sc.lighting != "storm" else sc.lit((222, 230, 236))
    rough = 2.5 if (sc.lighting == "storm" or sc.has("storm")) else 1.0
    for _ in range(int(40 * rough)):
        y = sc.rng.uniform(sc.hz + 4, sc.h * 0.82)
        k = (y - sc.hz) / (sc.h - sc.hz)
        x, length = sc.rng.uniform(0, sc.w), sc.w * (0.02 + 0.06 * k) * rough
        sc.d.line([(x, y), (x + length, y - 2 * k * rough)], fill=crest, width=max(1, round(1 + 3 * k)))
    if sc.kind == "sea":
        _wavy(sc, sc.h * 0.8, sc.h * 0.015, 1.5, sc.lit((216, 198, 152)), sc.rng.uniform(0, 6))
    if sc.has(r"boat|ship|sail"):
        _boat(sc, sc.rng.uniform(0.15, 0.4) * sc.w, sc.hz + 0.04 * sc.h, 0.12 * sc.h)


def _scene_cliff(sc: Scene) -> None:
    _scene_sea(sc)
    edge = sc.rng.uniform(0.58, 0.7) * sc.w
    top = sc.h * 0.74
    rock = [(0, top), (edge, top), (edge + 0.04 * sc.w, top + 0.06 * sc.h), (edge + 0.02 * sc.w, sc.h * 0.88),
            (edge + 0.07 * sc.w, sc.h), (0, sc.h)]
    sc.d.polygon(rock, fill=sc.lit((112, 100, 90)))
    sc.d.polygon([(0, top - 0.01 * sc.h), (edge + 0.005 * sc.w, top - 0.01 * sc.h), (edge + 0.03 * sc.w,
                  top + 0.03 * sc.h), (0, top + 0.05 * sc.h)], fill=sc.lit((90, 136, 70)))
    sc.d.rectangle([0, top + 0.05 * sc.h, edge, sc.h], fill=sc.lit((84, 126, 64)))


def _scene_city(sc: Scene) -> None:
    x = -sc.rng.uniform(0, 0.05) * sc.w
    while x < sc.w:
        bw = sc.rng.uniform(0.08, 0.16) * sc.w
        bh = sc.rng.uniform(0.25, 0.5) * sc.h
        shade = sc.rng.uniform(0.75, 1.05)
        sc.d.rectangle([x, sc.hz - bh, x + bw, sc.hz], fill=sc.lit(_shade((150, 146, 160), shade)))
        lit_p = 0.55 if sc.light.lamps_on else 1.0
        for wy in np.arange(sc.hz - bh + 0.03 * sc.h, sc.hz - 0.04 * sc.h, 0.055 * sc.h):
            for wx in np.arange(x + 0.015 * sc.w, x + bw - 0.02 * sc.w, 0.03 * sc.w):
                on = sc.rng.random() < lit_p
                c = sc.light.glow if (on and sc.light.lamps_on) else sc.lit((120, 140, 168) if on else (96, 100, 116))
                sc.d.rectangle([wx, wy, wx + 0.012 * sc.w, wy + 0.025 * sc.h], fill=c)
        x += bw + sc.rng.uniform(0.0, 0.02) * sc.w
    sc.d.rectangle([0, sc.hz, sc.w, sc.hz + 0.05 * sc.h], fill=sc.lit((150, 146, 142)))
    for i in range(8):
        x0 = (i + 0.25) * sc.w / 8
        sc.d.rectangle([x0, sc.h * 0.83, x0 + sc.w / 20, sc.h * 0.845], fill=sc.lit((220, 210, 150)))
    for x in (sc.rng.uniform(0.05, 0.2), sc.rng.uniform(0.8, 0.95)):
        _lamp_post(sc, x * sc.w, sc.hz + 0.06 * sc.h, 0.4 * sc.h)


def _scene_forest(sc: Scene) -> None:
    _wavy(sc, sc.hz - 0.06 * sc.h, 0.03 * sc.h, 5, sc.lit((52, 92, 60)), sc.rng.uniform(0, 6))
    sc.d.rectangle([0, sc.hz, sc.w, sc.h], fill=sc.lit(GROUND["forest"][0]))
    trees = sorted((sc.rng.uniform(0, 1), sc.rng.uniform(0, 1)) for _ in range(9))
    for depth, x in sorted(trees):
        base = sc.hz + depth * 0.14 * sc.h
        _tree(sc, x * sc.w, base, (0.35 + 0.3 * depth) * sc.h, pine=sc.rng.random() < 0.5)
    sc.d.polygon([(0.42 * sc.w, sc.hz + 0.1 * sc.h), (0.58 * sc.w, sc.hz + 0.1 * sc.h), (0.8 * sc.w, sc.h),
                  (0.2 * sc.w, sc.h)], fill=sc.lit((132, 112, 80)))


def _scene_desert(sc: Scene) -> None:
    _wavy(sc, sc.hz - 0.03 * sc.h, 0.04 * sc.h, 1.3, sc.lit((226, 188, 128)), sc.rng.uniform(0, 6))
    _wavy(sc, sc.hz + 0.08 * sc.h, 0.05 * sc.h, 0.9, sc.lit((236, 204, 146)), sc.rng.uniform(0, 6))
    x, base, s = sc.rng.uniform(0.7, 0.9) * sc.w, sc.hz + 0.1 * sc.h, 0.22 * sc.h
    green = sc.lit((74, 130, 72))
    sc.d.rounded_rectangle([x - 0.07 * s, base - s, x + 0.07 * s, base], radius=0.07 * s, fill=green)
    sc.d.rounded_rectangle([x - 0.3 * s, base - 0.7 * s, x - 0.17 * s, base - 0.35 * s], radius=0.06 * s, fill=green)
    sc.d.rectangle([x - 0.3 * s, base - 0.45 * s, x, base - 0.35 * s], fill=green)


def _scene_mountain(sc: Scene) -> None:
    for layer, colour in ((0, (132, 146, 170)), (1, (98, 112, 128))):
        x = -sc.rng.uniform(0, 0.2) * sc.w
        while x < sc.w:
            mw = sc.rng.uniform(0.25, 0.45) * sc.w
            mh = sc.rng.uniform(0.25, 0.45 - 0.1 * layer) * sc.h
            peak = (x + mw / 2, sc.hz - mh)
            sc.d.polygon([(x, sc.hz), peak, (x + mw, sc.hz)], fill=sc.lit(colour))
            sc.d.polygon([peak, (peak[0] - mw * 0.12, peak[1] + mh * 0.24), (peak[0], peak[1] + mh * 0.18),
                          (peak[0] + mw * 0.12, peak[1] + mh * 0.24)], fill=sc.lit((240, 242, 246)))
            x += mw * sc.rng.uniform(0.5, 0.8)
    _wavy(sc, sc.hz + 0.02 * sc.h, 0.02 * sc.h, 2, sc.lit(GROUND["mountain"][0]), sc.rng.uniform(0, 6))


def _scene_space(sc: Scene) -> None:
    _stars(sc, 160)
    x, y, r = sc.rng.uniform(0.2, 0.8) * sc.w, sc.hz * sc.rng.uniform(0.3, 0.5), 0.14 * sc.h
    planet = sc.rng.choice([(196, 120, 86), (96, 140, 200), (170, 150, 200)])
    sc.d.ellipse([x - r, y - r, x + r, y + r], fill=planet)
    sc.d.ellipse([x - r * 0.6, y - r, x + r * 1.4, y + r], fill=_shade(planet, 0.55))
    sc.d.ellipse([x - r * 1.7, y - r * 0.18, x + r * 1.7, y + r * 0.18], outline=(220, 214, 200),
                 width=max(1, round(0.015 * sc.h)))
    for _ in range(7):
        cx, cy = sc.rng.uniform(0, sc.w), sc.rng.uniform(sc.hz + 0.04 * sc.h, sc.h)
        cr = sc.rng.uniform(0.02, 0.06) * sc.w * (0.4 + (cy - sc.hz) / (sc.h - sc.hz))
        sc.d.ellipse([cx - cr, cy - cr * 0.3, cx + cr, cy + cr * 0.3], fill=sc.lit((70, 68, 74)))


def _scene_interior(sc: Scene) -> None:
    sc.d.rectangle([0, 0, sc.w, sc.hz], fill=sc.lit((198, 178, 150)))
    sc.d.rectangle([0, sc.hz - 0.03 * sc.h, sc.w, sc.hz], fill=sc.lit((120, 88, 64)))
    wx = sc.rng.uniform(0.1, 0.3) * sc.w
    box = [wx, 0.12 * sc.h, wx + 0.24 * sc.w, 0.46 * sc.h]
    sky = _gradient(round(box[2] - box[0]), round(box[3] - box[1]), [(0, sc.light.sky[0]), (1, sc.light.sky[1])])
    sc.img.paste(sky, (round(box[0]), round(box[1])))
    sc.d.rectangle(box, outline=sc.lit((236, 232, 222)), width=max(2, round(0.012 * sc.h)))
    sc.d.line([((box[0] + box[2]) / 2, box[1]), ((box[0] + box[2]) / 2, box[3])], fill=sc.lit((236, 232, 222)),
              width=max(2, round(0.01 * sc.h)))
    px = sc.rng.uniform(0.6, 0.8) * sc.w
    sc.d.rectangle([px, 0.16 * sc.h, px + 0.1 * sc.w, 0.32 * sc.h], fill=sc.lit((110, 76, 50)))
    sc.d.rectangle([px + 0.01 * sc.w, 0.18 * sc.h, px + 0.09 * sc.w, 0.3 * sc.h], fill=sc.lit((112, 150, 120)))
    for i in range(7):
        y = sc.hz + (sc.h - sc.hz) * (i / 7) ** 1.4
        sc.d.line([(0, y), (sc.w, y)], fill=sc.lit((128, 90, 60)), width=max(1, round(0.004 * sc.h)))
    tx = sc.rng.uniform(0.65, 0.85) * sc.w
    sc.d.rectangle([tx - 0.1 * sc.w, sc.hz + 0.02 * sc.h, tx + 0.1 * sc.w, sc.hz + 0.05 * sc.h],
                   fill=sc.lit((124, 82, 50)))
    for s in (-1, 1):
        sc.d.rectangle([tx + s * 0.085 * sc.w - 0.005 * sc.w, sc.hz + 0.05 * sc.h, tx + s * 0.085 * sc.w + 0.005 *
                        sc.w, sc.hz + 0.16 * sc.h], fill=sc.lit((100, 66, 40)))
    lamp = sc.glow((230, 214, 170))
    sc.d.polygon([(tx + 0.03 * sc.w, sc.hz - 0.1 * sc.h), (tx + 0.07 * sc.w, sc.hz - 0.1 * sc.h),
                  (tx + 0.08 * sc.w, sc.hz - 0.03 * sc.h), (tx + 0.02 * sc.w, sc.hz - 0.03 * sc.h)], fill=lamp)
    sc.d.rectangle([tx + 0.045 * sc.w, sc.hz - 0.03 * sc.h, tx + 0.055 * sc.w, sc.hz + 0.02 * sc.h],
                   fill=sc.lit((60, 56, 50)))


def _scene_field(sc: Scene) -> None:
    _wavy(sc, sc.hz - 0.02 * sc.h, 0.025 * sc.h, 1.6, sc.lit((110, 160, 90)), sc.rng.uniform(0, 6))
    _wavy(sc, sc.hz + 0.08 * sc.h, 0.03 * sc.h, 1.1, sc.lit(GROUND["field"][0]), sc.rng.uniform(0, 6))
    _tree(sc, sc.rng.uniform(0.05, 0.25) * sc.w, sc.hz + 0.04 * sc.h, 0.42 * sc.h, pine=False)
    for _ in range(30):
        x, y = sc.rng.uniform(0, sc.w), sc.rng.uniform(sc.hz + 0.15 * sc.h, sc.h)
        c = sc.lit(sc.rng.choice([(240, 220, 90), (236, 236, 240), (220, 110, 140)]))
        sc.d.ellipse([x - 3, y - 3, x + 3, y + 3], fill=c)


SCENE_DRAW: dict[str, Callable[[Scene], None]] = {
    "sea": _scene_sea, "cliff": _scene_cliff, "city": _scene_city, "forest": _scene_forest, "desert": _scene_desert,
    "mountain": _scene_mountain, "space": _scene_space, "interior": _scene_interior, "field": _scene_field,
}


def _props(sc: Scene) -> None:
    """Set pieces named in the text that the scene itself does not draw."""
    outdoors = sc.kind not in ("interior", "space")
    if outdoors and sc.has("lighthouse"):
        x = sc.rng.uniform(0.72, 0.86) * sc.w
        _lighthouse(sc, x, sc.hz + (0.0 if sc.kind != "cliff" else 0.2 * sc.h), 0.2 * sc.h)
    if outdoors and sc.has(r"house|cabin|cottage|hut|barn|farmhouse") and sc.kind != "city":
        _house(sc, sc.rng.uniform(0.6, 0.85) * sc.w, sc.hz + 0.03 * sc.h, 0.2 * sc.h)
    if outdoors and sc.kind in ("field", "desert", "mountain", "city", "cliff") and sc.has(r"tree|oak|willow"):
        _tree(sc, sc.rng.uniform(0.75, 0.95) * sc.w, sc.hz + 0.05 * sc.h, 0.4 * sc.h, pine=False)
    if sc.has(r"campfire|bonfire|fire\b|fireplace|hearth"):
        _fire(sc, sc.rng.uniform(0.4, 0.6) * sc.w, sc.h * 0.9, 0.16 * sc.h)
    if sc.has(r"lantern|lamp|candle|torch") and sc.kind not in ("city", "interior"):
        _lamp_post(sc, sc.rng.uniform(0.08, 0.2) * sc.w, sc.hz + 0.1 * sc.h, 0.35 * sc.h)


def _weather(sc: Scene) -> None:
    storm = sc.lighting == "storm" or sc.has("storm")
    if storm or sc.has(r"rain|downpour|drizzl|shower"):
        colour = _mix(sc.lit((150, 160, 178)), (200, 210, 225), 0.3)
        n = 260 if storm else 160
        for _ in range(n):
            x, y = sc.rng.uniform(-0.1, 1.0) * sc.w, sc.rng.uniform(0, sc.h)
            ln = sc.rng.uniform(0.03, 0.06) * sc.h
            sc.d.line([(x, y), (x + 0.3 * ln, y + ln)], fill=colour, width=1)
    if sc.has(r"snow|blizzard|winter|frost"):
        for _ in range(180):
            x, y, r = sc.rng.uniform(0, sc.w), sc.rng.uniform(0, sc.h), sc.rng.uniform(1.5, 4.0)
            sc.d.ellipse([x - r, y - r, x + r, y + r], fill=sc.lit((246, 248, 252)))


def _fog(sc: Scene) -> None:
    if sc.has(r"fog|mist|haze|smok"):
        veil = Image.new("RGB", sc.img.size, _mix(sc.light.sky[1], sc.lit((200, 204, 210)), 0.5))
        sc.img.paste(Image.blend(sc.img, veil, 0.38))


def _layout(looks: list[Look], w: int, h: int, framing: str) -> list[tuple[float, float, float]]:
    """(centre x, top y, height) of each figure, side by side in slots of the frame, never overlapping."""
    n = len(looks)
    if not n:
        return []
    unit = {"wide": 0.42, "close": 2.6}.get(framing, 1.3) * h
    slot = min(0.92 * w / n, {"wide": 0.22, "close": 0.5}.get(framing, 0.4) * w)
    left = (w - slot * n) / 2
    out = []
    for i, lk in enumerate(looks):
        cx = left + (i + 0.5) * slot
        if framing == "wide":
            fh = unit * lk.rel
            top = 0.9 * h - fh
        else:  # heads near the top line, small figures a little lower and less shrunk, feet out of frame
            fh = unit * lk.rel ** 0.5
            top = (0.07 if framing == "close" else 0.12) * h + 0.3 * h * (1 - lk.rel)
        fit = min(1.0, (0.94 * slot if n > 1 else w) / (fh * lk.aspect))
        top = top + fh * (1 - fit) if framing == "wide" else max(top, 1.02 * h - fh * fit)
        out.append((cx, top, fh * fit))
    return out


def _meter(img: Image.Image, lighting: str, exposure: float) -> Image.Image:
    """Meter 'darkness' down to near-black and lift murky frames to a floor, then apply the gain 2**EV (clipped)."""
    gain = 2.0 ** max(-3.0, min(3.0, float(exposure)))
    luma = float(np.asarray(img.reduce(4).convert("L"), dtype=np.float32).mean())
    if lighting == "darkness":
        gain *= DARKNESS_LUMA / max(luma, 1.0)
    elif luma < MIN_LUMA:
        gain *= min(3.0, MIN_LUMA / max(luma, 1.0))
    if abs(gain - 1.0) < 1e-6:
        return img
    lut = [min(255, round(i * gain)) for i in range(256)]
    return img.point(lut * 3)


class ProceduralImageBackend:
    """Animatic images on the CPU: masters and keyframes drawn from the script's records."""

    name = "procedural"

    def __init__(self, cfg: BackendConfig | None = None) -> None:
        self.cfg = cfg or BackendConfig()

    def master(self, character: Character, *, width: int, height: int, seed: int) -> Image.Image:
        """The character alone, centred, full figure, on a plain neutral background (the seed changes nothing)."""
        w, h = width * SS, height * SS
        img = _gradient(w, h, [(0.0, MASTER_BG[0]), (1.0, MASTER_BG[1])])
        d = ImageDraw.Draw(img)
        lk = look_of(character)
        fh = min(0.8 * h, 0.82 * w / lk.aspect)
        foot = 0.9 * h
        d.ellipse([w / 2 - 0.5 * fh * lk.aspect, foot - 0.02 * fh, w / 2 + 0.5 * fh * lk.aspect, foot + 0.025 * fh],
                  fill=_shade(MASTER_BG[1], 0.82))
        draw_character(d, lk, w / 2, foot - fh, fh)
        return img.reduce(SS)

    def keyframe(self, spec: KeyframeSpec, *, width: int, height: int) -> Image.Image:
        """A composed scene from the spec's setting, prompt, lighting, framing, exposure and seed."""
        w, h = width * SS, height * SS
        sc = self._scene(spec, w, h)
        SCENE_DRAW[sc.kind](sc)
        _props(sc)
        _fog(sc)
        looks = [look_of(c) for c in spec.characters]
        if spec.framing == "wide":
            for lk, (cx, top, fh) in zip(looks, _layout(looks, w, h, "wide"), strict=True):
                half = 0.5 * fh * lk.aspect
                sc.d.ellipse([cx - half, top + fh - 0.025 * fh, cx + half, top + fh + 0.03 * fh],
                             fill=_shade(sc.lit(GROUND[sc.kind][1]), 0.6))
        for lk, (cx, top, fh) in zip(looks, _layout(looks, w, h, spec.framing), strict=True):
            draw_character(sc.d, lk, cx, top, fh, sc.key)
        _weather(sc)
        return _meter(sc.img.reduce(SS), spec.lighting, spec.exposure)

    @staticmethod
    def _scene(spec: KeyframeSpec, w: int, h: int) -> Scene:
        text = _words(spec.setting, spec.prompt)
        setting = spec.setting.lower()
        kind = "interior" if _kw(setting, INDOORS) else _first(setting, SCENES) or _first(text, SCENES) or "field"
        light = LIGHTS.get(spec.lighting, LIGHTS["day"])
        if kind == "space" and spec.lighting != "darkness":  # no night in space: the sun lights whatever it sees
            light = replace(light, ambient=_soften(light.ambient, 0.5))
        rng = random.Random(f"{spec.seed}|{kind}|{setting}")
        hz = HORIZON[kind] * h
        top, horizon = SPACE_SKY if kind == "space" else light.sky
        far, near = (_tint(c, light.ambient) for c in GROUND[kind])
        img = _gradient(w, h, [(0.0, top), (hz / h - 1e-6, horizon), (hz / h, far), (1.0, near)])
        sc = Scene(img=img, d=ImageDraw.Draw(img), w=w, h=h, hz=hz, kind=kind, text=text, light=light,
                   lighting=spec.lighting, rng=rng)
        if kind not in ("interior", "space"):
            if light.stars:
                _stars(sc, 90)
            _disc(sc)
            _clouds(sc, rng.randint(1, 3) if spec.lighting != "storm" else 6)
        return sc
