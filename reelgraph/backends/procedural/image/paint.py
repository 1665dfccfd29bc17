"""Pens and colours of the procedural renderer: colour maths, lights, named colours, and the Scene canvas.

A Scene is drawn at SS x the frame size; painters address it in fractions of the frame (x, y in 0..1) so that every
place painter reads like a storyboard sketch: `sc.rect(0.1, 0.4, 0.3, 0.6, WOOD)` is a box in the frame.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageChops, ImageDraw

RGB = tuple[int, int, int]
Gains = tuple[float, float, float]
Box = tuple[float, float, float, float]
WHITE: RGB = (255, 255, 255)
INK: RGB = (34, 30, 36)
SS = 2  # supersampling factor
KEY_LIGHT = 0.65  # how much the key light lifts characters out of the ambient tint (0: none, 1: white light)


def rgb(r: float, g: float, b: float) -> RGB:
    """A colour with its channels rounded and clipped to 0..255."""
    return max(0, min(255, round(r))), max(0, min(255, round(g))), max(0, min(255, round(b)))


def tint(c: RGB, k: Gains) -> RGB:
    """A colour with each channel multiplied by its gain."""
    return rgb(c[0] * k[0], c[1] * k[1], c[2] * k[2])


def shade(c: RGB, k: float) -> RGB:
    """A colour scaled by `k` (below 1 darker, above 1 lighter)."""
    return rgb(c[0] * k, c[1] * k, c[2] * k)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """The colour a fraction `t` of the way from `a` to `b`."""
    return rgb(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def soften(k: Gains, t: float) -> Gains:
    """Gains moved a fraction `t` of the way towards white light."""
    return k[0] + (1 - k[0]) * t, k[1] + (1 - k[1]) * t, k[2] + (1 - k[2]) * t


def hexrgb(c: str) -> RGB:
    """An RGB triple from a `#rrggbb` string."""
    return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)


def gradient(w: int, h: int, stops: list[tuple[float, RGB]]) -> Image.Image:
    """A vertical gradient through (position 0..1, colour) stops."""
    ys = np.linspace(0.0, 1.0, h)
    pos = [s[0] for s in stops]
    cols = np.array([s[1] for s in stops], dtype=np.float64)
    col = np.stack([np.interp(ys, pos, cols[:, k]) for k in range(3)], axis=1).round().astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(col[:, None, :])).resize((w, h), Image.Resampling.NEAREST)


def side_light(img: Image.Image, left: float, right: float) -> Image.Image:
    """Darken the picture by a horizontal ramp (1 - left at x=0 .. 1 - right at the far edge): the light's side."""
    ramp = Image.fromarray(np.array([[round(255 * (1 - left)), round(255 * (1 - right))]], dtype=np.uint8))
    ramp = ramp.resize(img.size, Image.Resampling.BILINEAR).convert("RGB")
    return ImageChops.multiply(img, ramp)


# ---------------------------------------------------------------- named colours

COLOURS: dict[str, RGB] = {
    "yellow": (240, 200, 30), "gold": (212, 170, 50), "golden": (212, 170, 50), "orange": (236, 128, 36),
    "red": (196, 40, 40), "crimson": (170, 20, 50), "scarlet": (220, 36, 30), "maroon": (120, 30, 40),
    "pink": (236, 130, 170), "purple": (120, 60, 150), "violet": (140, 80, 190), "lilac": (190, 160, 220),
    "blue": (40, 90, 190), "navy": (28, 40, 90), "teal": (20, 130, 130), "turquoise": (50, 190, 190),
    "cyan": (40, 200, 220), "green": (50, 140, 60), "olive": (110, 120, 50), "lime": (150, 210, 60),
    "brown": (120, 76, 44), "tan": (200, 160, 110), "beige": (220, 200, 160), "khaki": (180, 170, 110),
    "cream": (240, 230, 200), "white": (240, 240, 236), "grey": (128, 128, 132), "gray": (128, 128, 132),
    "silver": (190, 194, 200), "black": (40, 38, 42), "ginger": (200, 96, 40), "rust": (170, 80, 40),
}


# ---------------------------------------------------------------- lights


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
    "dawn": Light(((120, 120, 180), (250, 190, 170)), (0.95, 0.86, 0.86), (255, 220, 190), False, (255, 214, 160),
                  True, False),
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


# ---------------------------------------------------------------- the canvas


@dataclass
class Scene:
    """The canvas being drawn, in pixels (w, h: the supersampled size), and what is known about the shot."""

    img: Image.Image
    d: ImageDraw.ImageDraw
    w: int
    h: int
    hz: float  # horizon / foot of the back wall, as a fraction of h
    place: str
    light: Light
    lighting: str
    rng: random.Random
    interior: bool = False
    weather: str = "clear"
    season: str = "summer"
    heads: list[Box] = field(default_factory=list)  # fractions: faces that light sources must not sit behind
    gain: float = 1.0  # the strength of the light on the set this take (the seed varies it a little)
    light_x: float = 0.5  # where the light comes from (0 left .. 1 right): shadows fall away from it

    # ---- colour
    def lit(self, c: RGB) -> RGB:
        """A surface colour under the ambient light."""
        a = self.light.ambient
        return tint(c, (a[0] * self.gain, a[1] * self.gain, a[2] * self.gain))

    def key(self, c: RGB) -> RGB:
        """A character's colour under the key light: the ambient tint, softened so the look stays readable."""
        return tint(c, soften(self.light.ambient, KEY_LIGHT))

    def glow(self, base: RGB) -> RGB:
        """A window or lamp colour: lit by day, glowing otherwise."""
        return self.light.glow if self.light.lamps_on else self.lit(base)

    # ---- drawing in fractions of the frame (colours go through the ambient light unless raw)
    def px(self, x: float, y: float) -> tuple[float, float]:
        """Canvas pixels of a point given in fractions of the frame."""
        return x * self.w, y * self.h

    def _box(self, x0: float, y0: float, x1: float, y1: float) -> list[float]:
        return [min(x0, x1) * self.w, min(y0, y1) * self.h, max(x0, x1) * self.w, max(y0, y1) * self.h]

    def rect(self, x0: float, y0: float, x1: float, y1: float, c: RGB, *, raw: bool = False, r: float = 0) -> None:
        """A filled rectangle between two corners; `r` rounds its corners (a fraction of h)."""
        fill = c if raw else self.lit(c)
        if r:
            self.d.rounded_rectangle(self._box(x0, y0, x1, y1), radius=r * self.h, fill=fill)
        else:
            self.d.rectangle(self._box(x0, y0, x1, y1), fill=fill)

    def oval(self, x0: float, y0: float, x1: float, y1: float, c: RGB, *, raw: bool = False) -> None:
        """A filled ellipse inside the box (x0, y0)-(x1, y1)."""
        self.d.ellipse(self._box(x0, y0, x1, y1), fill=c if raw else self.lit(c))

    def circle(self, x: float, y: float, r: float, c: RGB, *, raw: bool = False) -> None:
        """A circle of radius r (fraction of h) at (x, y)."""
        rx = r * self.h / self.w
        self.oval(x - rx, y - r, x + rx, y + r, c, raw=raw)

    def poly(self, pts: list[tuple[float, float]], c: RGB, *, raw: bool = False) -> None:
        """A filled polygon through the points."""
        self.d.polygon([self.px(x, y) for x, y in pts], fill=c if raw else self.lit(c))

    def line(self, pts: list[tuple[float, float]], c: RGB, width: float = 0.004, *, raw: bool = False) -> None:
        """A polyline through the points, `width` a fraction of h."""
        self.d.line([self.px(x, y) for x, y in pts], fill=c if raw else self.lit(c),
                    width=max(1, round(width * self.h)))

    def uniform(self, a: float, b: float) -> float:
        """A random float in [a, b] from the scene's seeded generator."""
        return self.rng.uniform(a, b)

    def clear_x(self, lo: float, hi: float, half: float, y0: float, y1: float) -> float | None:
        """An x in [lo, hi] where a thing `half` wide (each side) spanning y0..y1 covers no face; None if none."""
        xs = [lo + (hi - lo) * i / 12 for i in range(13)]
        self.rng.shuffle(xs)
        for x in xs:
            if not any(x - half < b[2] and x + half > b[0] and y0 < b[3] and y1 > b[1] for b in self.heads):
                return x
        return None


Lit = Callable[[RGB], RGB]


@dataclass
class Pen:
    """Where and how one figure is drawn: canvas position (centre x, top y), height in pixels, light and facing."""

    d: ImageDraw.ImageDraw
    cx: float
    top: float
    h: float
    lit: Lit
    flip: float = 1.0  # -1 mirrors the figure (animals face right unflipped)

    def x(self, u: float) -> float:
        """Canvas x of a figure coordinate `u` (in figure heights from the centre; mirrored by `flip`)."""
        return self.cx + self.flip * u * self.h

    def y(self, v: float) -> float:
        """Canvas y of a figure coordinate `v` (in figure heights from the top)."""
        return self.top + v * self.h

    def box(self, u0: float, v0: float, u1: float, v1: float) -> list[float]:
        """The canvas box (x0, y0, x1, y1) of two figure-space corners, in order whatever the flip."""
        x0, x1 = sorted((self.x(u0), self.x(u1)))
        y0, y1 = sorted((self.y(v0), self.y(v1)))
        return [x0, y0, x1, y1]

    def ellipse(self, u0: float, v0: float, u1: float, v1: float, c: RGB, *, emissive: bool = False) -> None:
        """A filled ellipse in figure space; `emissive` colours are not lit."""
        self.d.ellipse(self.box(u0, v0, u1, v1), fill=c if emissive else self.lit(c))

    def rect(self, u0: float, v0: float, u1: float, v1: float, c: RGB, radius: float = 0.0) -> None:
        """A filled rectangle in figure space; `radius` rounds its corners (a fraction of the figure height)."""
        if radius:
            self.d.rounded_rectangle(self.box(u0, v0, u1, v1), radius=radius * self.h, fill=self.lit(c))
        else:
            self.d.rectangle(self.box(u0, v0, u1, v1), fill=self.lit(c))

    def poly(self, pts: list[tuple[float, float]], c: RGB) -> None:
        """A filled polygon in figure space."""
        self.d.polygon([(self.x(u), self.y(v)) for u, v in pts], fill=self.lit(c))

    def line(self, pts: list[tuple[float, float]], c: RGB, width: float) -> None:
        """A polyline in figure space with rounded joints, `width` a fraction of the figure height."""
        self.d.line([(self.x(u), self.y(v)) for u, v in pts], fill=self.lit(c), width=max(1, round(width * self.h)),
                    joint="curve")
