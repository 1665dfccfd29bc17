"""People and robots (animals and creatures in animals.py), drawn in a figure box from a Look.

A figure is drawn in a box `h` pixels high whose top centre is (cx, top); u runs across in units of h (0 at the
centre, facing side positive when flipped), v down from 0 (top of the head) to 1 (the feet).
Humanoid: head (skin) at v 0..2r with hair on top, top/coat (palette[0]) from the shoulders (v ~ 2r+0.04) to the
hips (v ~ 0.53, to 0.78 with a coat), legs (palette[1]) down to the feet, hands in skin colour.
"""

from __future__ import annotations

from PIL import ImageDraw

from reelgraph.backends.procedural.image.animals import QUADS, animal_head, draw_animal
from reelgraph.backends.procedural.image.looks import Look
from reelgraph.backends.procedural.image.paint import INK, RGB, Lit, Pen, shade


def _plain(c: RGB) -> RGB:
    return c


# ---------------------------------------------------------------- humanoids


def head_of(lk: Look) -> tuple[float, float, float]:
    """(u, v, radius) of the head in the figure box; for every kind of figure."""
    if lk.kind == "humanoid":
        return (0.035 if lk.old else 0.0), lk.head + 0.005 + (0.03 if lk.old else 0.0), lk.head
    if lk.kind == "robot":
        return 0.0, 0.165, 0.1
    return animal_head(lk)


def _face(p: Pen, lk: Look, hx: float, hy: float, r: float, look: float) -> None:
    hair = lk.hair if lk.hair != lk.skin else INK
    for s in (-1, 1):
        ex = hx + s * 0.36 * r + look * 0.18 * r
        if "eyepatch" in lk.features and s == 1:
            p.ellipse(ex - 0.2 * r, hy - 0.14 * r, ex + 0.2 * r, hy + 0.18 * r, INK)
            p.line([(hx - 0.9 * r, hy - 0.5 * r), (hx + 0.95 * r, hy - 0.1 * r)], INK, 0.05 * r)
        else:
            p.ellipse(ex - 0.17 * r, hy - 0.1 * r, ex + 0.17 * r, hy + 0.14 * r, (250, 250, 250))
            p.ellipse(ex - 0.09 * r + look * 0.06 * r, hy - 0.04 * r, ex + 0.09 * r + look * 0.06 * r, hy + 0.12 * r,
                      INK)
        p.line([(ex - 0.2 * r, hy - 0.28 * r), (ex + 0.2 * r, hy - 0.3 * r)], hair, 0.06 * r)
        if "glasses" in lk.features:
            p.d.ellipse(p.box(ex - 0.26 * r, hy - 0.2 * r, ex + 0.26 * r, hy + 0.24 * r), outline=p.lit(INK),
                        width=max(1, round(0.07 * r * p.h)))
    nx = hx + look * 0.25 * r
    p.line([(nx - 0.05 * r, hy + 0.1 * r), (nx + 0.02 * r, hy + 0.32 * r)], shade(lk.skin, 0.78), 0.07 * r)
    if "beard" in lk.features:
        p.d.chord(p.box(hx - 0.85 * r, hy - 0.3 * r, hx + 0.85 * r, hy + 1.02 * r), 10, 170, fill=p.lit(lk.hair))
    if "moustache" in lk.features or "beard" in lk.features:
        p.line([(nx - 0.3 * r, hy + 0.45 * r), (nx + 0.3 * r, hy + 0.45 * r)], lk.hair, 0.1 * r)
    p.line([(nx - 0.25 * r, hy + 0.55 * r), (nx, hy + 0.63 * r), (nx + 0.25 * r, hy + 0.55 * r)], (150, 60, 60),
           0.07 * r)


def _hair(p: Pen, lk: Look, hx: float, hy: float, r: float, back: bool) -> None:
    f = lk.features
    if "bald" in f:
        p.d.chord(p.box(hx - 0.98 * r, hy - 0.6 * r, hx + 0.98 * r, hy + 0.6 * r), 180, 360, fill=p.lit(lk.hair))
    else:
        p.d.chord(p.box(hx - 0.98 * r, hy - 1.08 * r, hx + 0.98 * r, hy + 0.5 * r), 180, 360, fill=p.lit(lk.hair))
    if back and "bald" not in f:
        p.ellipse(hx - 0.95 * r, hy - r, hx + 0.95 * r, hy + 0.8 * r, lk.hair)
    if "braids" in f:
        for s in (-1, 1):
            p.line([(hx + s * 0.9 * r, hy), (hx + s * 1.0 * r, hy + 2.4 * r)], lk.hair, 0.32 * r)
    if "ponytail" in f:
        p.line([(hx - 0.7 * r, hy - 0.4 * r), (hx - 1.3 * r, hy + 0.9 * r)], lk.hair, 0.35 * r)


def _headwear(p: Pen, lk: Look, hx: float, hy: float, r: float) -> None:
    c3, f = lk.colours[3], lk.features
    if "hat" in f:
        p.rect(hx - 1.3 * r, hy - 0.62 * r, hx + 1.3 * r, hy - 0.45 * r, c3)
        p.rect(hx - 0.8 * r, hy - 1.45 * r, hx + 0.8 * r, hy - 0.55 * r, c3, radius=0.01)
    elif "cap" in f:
        p.d.chord(p.box(hx - r, hy - 1.1 * r, hx + r, hy + 0.2 * r), 180, 360, fill=p.lit(c3))
        p.rect(hx, hy - 0.5 * r, hx + 1.5 * r, hy - 0.35 * r, c3)
    elif "helmet" in f or "hood" in f:
        p.d.chord(p.box(hx - 1.1 * r, hy - 1.15 * r, hx + 1.1 * r, hy + 0.4 * r), 180, 360, fill=p.lit(c3))
    elif "crown" in f:
        p.poly([(hx - 0.7 * r, hy - 0.7 * r), (hx - 0.7 * r, hy - 1.4 * r), (hx - 0.25 * r, hy - 1.0 * r),
                (hx, hy - 1.5 * r), (hx + 0.25 * r, hy - 1.0 * r), (hx + 0.7 * r, hy - 1.4 * r),
                (hx + 0.7 * r, hy - 0.7 * r)], (230, 190, 50))


def _body(p: Pen, lk: Look) -> tuple[float, float]:
    """Legs, arms, torso; returns (neck v, hip v)."""
    c0, c1, c2, c3 = lk.colours
    g, r, f = lk.girth, lk.head, lk.features
    neck, hip = 2 * r + 0.01 + (0.03 if lk.old else 0.0), 0.5 + r * 0.4
    shw, hipw, leg = 0.12 * g, 0.1 * g, 0.07 * min(g, 1.2)
    robe = "robe" in f or "cape" in f or "skirt" in f
    for s in (-1, 1):  # legs and shoes
        x = s * hipw * 0.5
        p.rect(x - leg / 2, hip - 0.02, x + leg / 2, 0.965, c1)
        p.ellipse(x - leg * 0.7 + s * 0.012, 0.94, x + leg * 0.7 + s * 0.012, 1.0, shade(c2, 0.55))
    for s in (-1, 1):  # sleeves and hands
        hand = (s * (shw + 0.055), hip + 0.01)
        p.line([(s * shw * 0.85, neck + 0.05), hand], c0, 0.062)
        p.ellipse(hand[0] - 0.03, hand[1] - 0.02, hand[0] + 0.03, hand[1] + 0.04, lk.skin)
    bottom = 0.78 if robe else hip + 0.02
    hem = hipw * (1.45 if robe else 1.0)
    lean = 0.03 if lk.old else 0.0
    if g > 1.2:
        p.ellipse(-shw * 1.02, neck + 0.01, shw * 1.02, bottom + 0.02, c0)
    else:
        p.poly([(-shw + lean, neck + 0.03), (shw + lean, neck + 0.03), (hem, bottom), (-hem, bottom)], c0)
        p.ellipse(-shw - 0.03 + lean, neck + 0.01, -shw + 0.05 + lean, neck + 0.08, c0)
        p.ellipse(shw - 0.05 + lean, neck + 0.01, shw + 0.03 + lean, neck + 0.08, c0)
    if "apron" in f:
        p.rect(-hipw * 0.8, neck + 0.12, hipw * 0.8, min(0.8, hip + 0.2), (246, 246, 240), radius=0.01)
    else:
        p.rect(-hipw * 0.98, hip - 0.035, hipw * 0.98, hip - 0.01, c3)  # belt
    return neck, hip


def _humanoid(p: Pen, lk: Look, look: float = 0.0, back: bool = False) -> None:
    c2, c3, f = lk.colours[2], lk.colours[3], lk.features
    hx, hy, r = head_of(lk)
    if "long_hair" in f and not back:
        p.rect(hx - 1.05 * r, hy, hx + 1.05 * r, 2 * r + 0.1, lk.hair, radius=0.02)
    if "backpack" in f and back:
        p.rect(-0.1 * lk.girth, 2 * r + 0.06, 0.1 * lk.girth, 0.45, shade(c3, 0.9), radius=0.02)
    neck, hip = _body(p, lk)
    if back and "backpack" in f:
        p.rect(-0.08 * lk.girth, 2 * r + 0.08, 0.08 * lk.girth, 0.42, c3, radius=0.02)
    p.rect(hx - 0.35 * r, 2 * r - 0.02, hx + 0.35 * r, neck + 0.03, lk.skin)  # neck
    if not back:
        p.poly([(-0.09, neck + 0.01), (0.09, neck + 0.01), (0.02, neck + 0.1), (-0.02, neck + 0.1)], c3)
    if "scarf" in f:
        p.rect(hx - 0.6 * r, neck - 0.01, hx + 0.6 * r, neck + 0.04, c2, radius=0.01)
        p.rect(hx + 0.2 * r, neck + 0.02, hx + 0.5 * r, neck + 0.16, c2)
    if "tie" in f and not back:
        p.poly([(-0.01, neck + 0.04), (0.01, neck + 0.04), (0.018, neck + 0.2), (0.0, neck + 0.23),
                (-0.018, neck + 0.2)], c2)
    p.ellipse(hx - 0.92 * r, hy - r, hx + 0.92 * r, hy + r, lk.skin)
    _hair(p, lk, hx, hy, r, back)
    if not back:
        _face(p, lk, hx, hy + 0.1 * r, r, look)
    _headwear(p, lk, hx, hy, r)
    if lk.old or "stick" in f:  # a walking stick
        p.line([(0.12 * lk.girth + 0.06, hip), (0.12 * lk.girth + 0.09, 1.0)], (110, 74, 44), 0.02)


# ---------------------------------------------------------------- robots


def _robot(p: Pen, lk: Look, look: float = 0.0, back: bool = False) -> None:
    c0, c1, c2, c3 = lk.colours
    w, f = 0.15 * lk.girth, lk.features
    p.line([(0, 0.03), (0, 0.09)], (90, 90, 96), 0.012)  # antenna with a light
    p.ellipse(-0.025, 0.0, 0.025, 0.05, c2, emissive=True)
    for s in (-1, 1):  # legs (or wheels), feet, arms, claws
        if "wheels" in f:
            p.ellipse(s * 0.08 - 0.08, 0.84, s * 0.08 + 0.08, 1.0, shade(c1, 0.5))
        else:
            p.rect(s * 0.07 - 0.035, 0.56, s * 0.07 + 0.035, 0.95, c1)
            p.rect(s * 0.07 - 0.055, 0.93, s * 0.07 + 0.055, 1.0, shade(c1, 0.5), radius=0.01)
        p.rect(s * (w + 0.005), 0.31, s * (w + 0.055), 0.56, c1, radius=0.015)
        p.ellipse(s * (w + 0.03) - 0.03, 0.55, s * (w + 0.03) + 0.03, 0.61, shade(c1, 0.6))
    p.rect(-w, 0.28, w, 0.6 if "wheels" not in f else 0.86, c0, radius=0.03)
    if not back:
        p.rect(-w * 0.55, 0.34, w * 0.55, 0.48, c3, radius=0.012)
        for i in range(3):
            x = -w * 0.35 + i * w * 0.35
            p.ellipse(x - 0.012, 0.51, x + 0.012, 0.535, c2, emissive=True)
    p.rect(-0.04, 0.24, 0.04, 0.29, (90, 90, 96))
    p.rect(-0.105, 0.08, 0.105, 0.25, c1, radius=0.025)  # head
    if back:
        return
    p.rect(-0.085, 0.11, 0.085, 0.2, shade(c1, 0.35), radius=0.015)  # face plate
    o = look * 0.02
    if "one_eye" in f:  # one glowing eye
        p.ellipse(o - 0.035, 0.125, o + 0.035, 0.185, c2, emissive=True)
    else:
        for s in (-1, 1):
            p.rect(o + s * 0.042 - 0.022, 0.135, o + s * 0.042 + 0.022, 0.165, c2)
    for i in range(4):
        x = o - 0.03 + i * 0.02
        p.line([(x, 0.182), (x, 0.194)], c2, 0.006)


def draw_character(d: ImageDraw.ImageDraw, lk: Look, cx: float, top: float, h: float, lit: Lit = _plain, *,
                   facing: float = 0.0, back: bool = False) -> None:
    """Draw a character whose bounding box is centred on `cx`, from `top`, `h` pixels high.

    facing: -1 looks left, +1 right, 0 at the camera (animals: 0 faces right); back: seen from behind.
    """
    if lk.kind in ("animal", "creature"):
        draw_animal(Pen(d, cx, top, h, lit, -1.0 if facing < 0 else 1.0), lk)
        return
    p = Pen(d, cx, top, h, lit)
    (_robot if lk.kind == "robot" else _humanoid)(p, lk, facing, back)


def mouth_of(lk: Look, facing: float = 0.0) -> tuple[float, float, float]:
    """(u, v, width) of the mouth in the figure box, as drawn for a figure facing `facing`: the humanoid's mouth line,
    the robot's grille, the lower edge of an animal's muzzle or its beak, the creature's mouth."""
    if lk.kind == "humanoid":
        hx, hy, r = head_of(lk)
        return hx + facing * 0.25 * r, hy + 0.69 * r, 0.5 * r
    if lk.kind == "robot":
        return facing * 0.02, 0.188, 0.07
    hx, hy, r = animal_head(lk)
    if lk.species in QUADS:
        q = QUADS[lk.species]
        sy = hy + (0.35 * r if lk.species == "horse" else 0.15 * r)
        u, v, w = hx + 0.65 * r + 0.5 * q.snout, sy + 0.42 * r, 0.45 * (0.7 * r + q.snout)
    else:
        u, v, w = {"rabbit": (hx + 0.85 * r, hy + 0.5 * r, 0.35 * r), "bird": (hx + 1.1 * r, hy + 0.05 * r, 0.5 * r),
                   "owl": (hx, hy + 0.14, 0.06)}.get(lk.species, (0.0, hy + 0.105, 0.2))
    return (-u if facing < 0 else u), v, w  # an animal facing left is drawn mirrored


def mouth_box(lk: Look, cx: float, top: float, h: float, facing: float = 0.0) -> tuple[float, float, float]:
    """The mouth's centre and width (x, y, w) in canvas pixels for a figure drawn at (cx, top, h)."""
    u, v, w = mouth_of(lk, facing)
    return cx + u * h, top + v * h, w * h


def head_box(lk: Look, cx: float, top: float, h: float, facing: float = 0.0) -> tuple[float, float, float, float]:
    """The head's box (x0, y0, x1, y1) in canvas pixels for a figure drawn at (cx, top, h)."""
    u, v, r = head_of(lk)
    if lk.kind in ("animal", "creature") and facing < 0:
        u = -u
    x, y = cx + u * h, top + v * h
    return x - r * h, y - r * h, x + r * h, y + r * h
