"""Animals and creatures, facing right in a figure box of width `aspect` (u in -aspect/2..aspect/2) and height 1.

Fur/body in palette[0]; belly, muzzle and paws in palette[1]; mane, wings, inner ears and tail tip in palette[2];
collar/spikes in palette[3]. Each species has its own silhouette: ears, tail, legs, neck, beak or wings.
"""

from __future__ import annotations

from dataclasses import dataclass

from reelgraph.backends.procedural.image.looks import Look
from reelgraph.backends.procedural.image.paint import INK, RGB, Pen, shade

BEAK: RGB = (240, 168, 40)


@dataclass(frozen=True)
class Quad:
    """A four-legged silhouette: body ellipse, legs, head (centre, radius), ears, snout length and tail."""

    body: tuple[float, float, float, float]
    legs: tuple[float, float, float]  # top v, width, x of the rear pair (the front pair at body's front - 0.1)
    head: tuple[float, float, float]
    ears: str  # floppy | pointed | round | small
    snout: float
    tail: str  # up | curl | bushy | down | thin | stub | hang


QUADS: dict[str, Quad] = {
    "dog": Quad((-0.52, 0.36, 0.34, 0.74), (0.6, 0.1, -0.38), (0.4, 0.28, 0.19), "floppy", 0.12, "up"),
    "cat": Quad((-0.46, 0.46, 0.3, 0.76), (0.65, 0.07, -0.36), (0.46, 0.38, 0.16), "pointed", 0.05, "curl"),
    "fox": Quad((-0.42, 0.44, 0.36, 0.72), (0.62, 0.07, -0.32), (0.46, 0.36, 0.15), "pointed", 0.16, "bushy"),
    "wolf": Quad((-0.4, 0.36, 0.36, 0.72), (0.6, 0.1, -0.3), (0.42, 0.28, 0.17), "pointed", 0.14, "down"),
    "horse": Quad((-0.45, 0.3, 0.3, 0.58), (0.48, 0.09, -0.36), (0.36, 0.12, 0.1), "small", 0.14, "hang"),
    "bear": Quad((-0.6, 0.24, 0.4, 0.82), (0.62, 0.16, -0.44), (0.42, 0.36, 0.2), "round", 0.1, "stub"),
    "mouse": Quad((-0.4, 0.45, 0.4, 0.95), (0.85, 0.06, -0.28), (0.5, 0.62, 0.22), "round", 0.14, "thin"),
    "dragon": Quad((-0.4, 0.42, 0.36, 0.78), (0.62, 0.1, -0.3), (0.54, 0.2, 0.12), "small", 0.12, "thin"),
}


def animal_head(lk: Look) -> tuple[float, float, float]:
    """(u, v, r) of an animal's head in its figure box (facing right)."""
    if lk.species in QUADS:
        return QUADS[lk.species].head
    return {"rabbit": (0.16, 0.42, 0.17), "bird": (0.22, 0.26, 0.15), "owl": (0.0, 0.3, 0.27),
            "creature": (0.0, 0.4, 0.3)}.get(lk.species, (0.0, 0.4, 0.3))


def _ears(p: Pen, q: Quad, c0: RGB, c2: RGB) -> None:
    hx, hy, r = q.head
    if q.ears == "pointed":
        for ex in (-0.55, 0.35):
            x = hx + ex * r
            p.poly([(x - 0.07, hy - 0.5 * r), (x, hy - 1.7 * r), (x + 0.07, hy - 0.6 * r)], c0)
            p.poly([(hx + ex * r - 0.035, hy - 0.6 * r), (hx + ex * r, hy - 1.35 * r),
                    (hx + ex * r + 0.035, hy - 0.65 * r)], c2)
    elif q.ears == "round":
        for ex in (-0.6, 0.45):
            p.ellipse(hx + ex * r - 0.45 * r, hy - 1.3 * r, hx + ex * r + 0.45 * r, hy - 0.4 * r, c0)
            p.ellipse(hx + ex * r - 0.25 * r, hy - 1.1 * r, hx + ex * r + 0.25 * r, hy - 0.6 * r, c2)
    elif q.ears == "small":
        p.poly([(hx - 0.3 * r, hy - 0.7 * r), (hx - 0.15 * r, hy - 1.8 * r), (hx + 0.1 * r, hy - 0.8 * r)], c0)


def _tail(p: Pen, q: Quad, lk: Look) -> None:
    c0, c2 = lk.colours[0], lk.colours[2]
    x0, y0 = q.body[0] + 0.04, (q.body[1] + q.body[3]) / 2 - 0.06
    if q.tail == "up":
        p.line([(x0, y0), (x0 - 0.12, y0 - 0.14), (x0 - 0.16, y0 - 0.3)], c0, 0.06)
    elif q.tail == "curl":
        p.line([(x0, y0 + 0.05), (x0 - 0.16, y0), (x0 - 0.24, y0 - 0.2), (x0 - 0.18, y0 - 0.38)], c0, 0.05)
    elif q.tail in ("bushy", "down"):
        dy = 0.2 if q.tail == "down" else 0.05
        p.poly([(x0 + 0.02, y0 - 0.04), (x0 - 0.2, y0 + dy - 0.06), (x0 - 0.36, y0 + dy + 0.06),
                (x0 - 0.14, y0 + dy + 0.12), (x0 + 0.02, y0 + 0.1)], c0)
        if q.tail == "bushy":
            p.ellipse(x0 - 0.38, y0 + dy, x0 - 0.26, y0 + dy + 0.12, (246, 244, 240))
    elif q.tail == "thin":
        p.line([(x0, y0 + 0.1), (x0 - 0.25, y0 + 0.02), (x0 - 0.42, y0 - 0.1)], c0 if lk.species == "dragon" else
               shade(c0, 0.8), 0.025 if lk.species == "mouse" else 0.06)
    elif q.tail == "hang":
        p.poly([(x0, y0 - 0.04), (x0 + 0.04, y0), (x0 - 0.06, y0 + 0.45), (x0 - 0.14, y0 + 0.42)], c2)
    else:
        p.ellipse(x0 - 0.06, y0 - 0.04, x0 + 0.04, y0 + 0.06, c0)


def _quadruped(p: Pen, lk: Look, q: Quad) -> None:
    c0, c1, c2, c3 = lk.colours
    b0, v0, b1, v1 = q.body
    top, lw, rear = q.legs
    front = b1 - 0.12
    far = shade(c0, 0.72)
    for x in (rear + 0.08, front + 0.08):  # far legs
        p.rect(x - lw / 2, top, x + lw / 2, 0.97, far)
    if lk.species == "dragon":  # wings behind the body
        p.poly([(b0 + 0.2, v0 + 0.04), (b0 + 0.05, 0.0), (b0 + 0.45, 0.08), (b1 - 0.05, v0 + 0.04)], c2)
    _tail(p, q, lk)
    p.ellipse(b0, v0, b1, v1, c0)
    p.ellipse(b0 + 0.12, (v0 + v1) / 2 + 0.04, b1 - 0.08, v1, c1)  # belly
    if "spots" in lk.features:
        for k in range(3):
            p.ellipse(b0 + 0.15 + k * 0.18, v0 + 0.05, b0 + 0.25 + k * 0.18, v0 + 0.14, shade(c0, 0.5))
    if "stripes" in lk.features:
        for k in range(4):
            p.line([(b0 + 0.15 + k * 0.13, v0 + 0.02), (b0 + 0.12 + k * 0.13, v0 + 0.18)], shade(c0, 0.6), 0.025)
    for x in (rear, front):  # near legs and paws
        p.rect(x - lw / 2, top, x + lw / 2, 0.97, c0)
        p.ellipse(x - lw * 0.65, 0.93, x + lw * 0.65, 1.0, c1)
    hx, hy, r = q.head
    p.poly([(b1 - 0.14, (v0 + v1) / 2), (b1 - 0.02, v0 + 0.02), (hx - 0.02, hy - 0.4 * r), (hx - 0.4 * r, hy + r)],
           c0)  # neck
    if lk.species == "horse":
        p.line([(b1 - 0.08, v0 + 0.02), (hx - 0.5 * r, hy - 0.6 * r)], c2, 0.05)
    if lk.species == "dragon":
        for k in range(5):
            x = b0 + 0.1 + k * 0.14
            p.poly([(x - 0.04, v0 + 0.03), (x, v0 - 0.06), (x + 0.04, v0 + 0.03)], c3)
    if "collar" in lk.features or lk.species == "dog":
        p.line([(hx - 0.9 * r, hy + 0.4 * r), (hx - 0.3 * r, hy + 1.1 * r)], c3, 0.04)
    _ears(p, q, c0, c2)
    p.ellipse(hx - r, hy - r, hx + r, hy + r, c0)
    if q.ears == "floppy":
        p.ellipse(hx - 0.95 * r, hy - 0.8 * r, hx - 0.35 * r, hy + 0.7 * r, c2)
    sy = hy + (0.35 * r if lk.species == "horse" else 0.15 * r)
    p.poly([(hx + 0.3 * r, sy - 0.45 * r), (hx + r + q.snout, sy - 0.1 * r), (hx + r + q.snout, sy + 0.35 * r),
            (hx + 0.3 * r, sy + 0.55 * r)], c1)  # muzzle
    p.ellipse(hx + r + q.snout - 0.035, sy - 0.15 * r, hx + r + q.snout + 0.015, sy + 0.15 * r, INK)
    p.ellipse(hx + 0.15 * r, hy - 0.45 * r, hx + 0.45 * r, hy - 0.1 * r, INK)  # eye
    if lk.species == "dragon":
        p.poly([(hx - 0.3 * r, hy - 0.8 * r), (hx - 0.8 * r, hy - 1.8 * r), (hx + 0.1 * r, hy - 0.9 * r)], c3)


def _rabbit(p: Pen, lk: Look) -> None:
    c0, c1, c2, _ = lk.colours
    hx, hy, r = animal_head(lk)
    p.ellipse(-0.45, 0.74, -0.31, 0.88, (246, 246, 244))  # tail puff
    p.ellipse(-0.4, 0.45, 0.28, 1.0, c0)
    p.ellipse(-0.2, 0.6, 0.24, 1.0, c1)
    p.ellipse(0.0, 0.9, 0.3, 1.0, c0)  # front paw
    for dx in (-0.1, 0.05):  # long ears
        p.ellipse(hx + dx - 0.05, 0.0, hx + dx + 0.05, hy - 0.5 * r, c0)
        p.ellipse(hx + dx - 0.025, 0.04, hx + dx + 0.025, hy - 0.6 * r, c2)
    p.ellipse(hx - r, hy - r, hx + r, hy + r, c0)
    p.ellipse(hx + 0.5 * r, hy, hx + 1.15 * r, hy + 0.6 * r, c1)
    p.ellipse(hx + 0.2 * r, hy - 0.4 * r, hx + 0.5 * r, hy - 0.05 * r, INK)


def _bird(p: Pen, lk: Look) -> None:
    c0, c1, c2, _ = lk.colours
    hx, hy, r = animal_head(lk)
    for dx in (-0.06, 0.06):  # thin legs
        p.line([(dx, 0.7), (dx, 0.98)], BEAK, 0.02)
        p.line([(dx - 0.05, 0.98), (dx + 0.06, 0.98)], BEAK, 0.02)
    p.poly([(-0.2, 0.5), (-0.5, 0.42), (-0.5, 0.62)], shade(c0, 0.7))  # tail feathers
    p.ellipse(-0.3, 0.3, 0.3, 0.76, c0)
    p.ellipse(-0.12, 0.46, 0.26, 0.74, c1)
    p.poly([(-0.22, 0.4), (0.12, 0.38), (0.02, 0.62), (-0.34, 0.6)], c2)  # wing
    p.ellipse(hx - r, hy - r, hx + r, hy + r, c0)
    p.poly([(hx + 0.8 * r, hy - 0.3 * r), (hx + 1.7 * r, hy + 0.05 * r), (hx + 0.8 * r, hy + 0.35 * r)], BEAK)
    p.ellipse(hx + 0.15 * r, hy - 0.4 * r, hx + 0.5 * r, hy - 0.05 * r, INK)


def _owl(p: Pen, lk: Look) -> None:
    c0, c1, c2, _ = lk.colours
    hx, hy, r = animal_head(lk)
    for s in (-1, 1):
        p.poly([(s * 0.12, 0.08), (s * 0.3, -0.0), (s * 0.28, 0.16)], c0)  # ear tufts
        p.line([(s * 0.08, 0.92), (s * 0.08, 1.0)], BEAK, 0.03)
    p.ellipse(-0.34, 0.1, 0.34, 0.96, c0)
    p.ellipse(-0.22, 0.5, 0.22, 0.94, c1)
    for s in (-1, 1):
        p.ellipse(s * 0.3 - 0.06, 0.42, s * 0.3 + 0.06, 0.86, shade(c0, 0.75))  # wings
        ex = s * 0.12
        p.ellipse(ex - 0.11, hy - 0.11, ex + 0.11, hy + 0.11, (246, 240, 220))
        p.ellipse(ex - 0.07, hy - 0.07, ex + 0.07, hy + 0.07, c2)
        p.ellipse(ex - 0.035, hy - 0.035, ex + 0.035, hy + 0.035, INK)
    p.poly([(hx - 0.03, hy + 0.08), (hx + 0.03, hy + 0.08), (hx, hy + 0.17)], BEAK)


def _creature(p: Pen, lk: Look) -> None:
    c0, c1, c2, c3 = lk.colours
    hx, hy, r = animal_head(lk)
    for s in (-1, 1):
        p.poly([(s * 0.16, 0.16), (s * 0.3, -0.0), (s * 0.26, 0.2)], c2)  # horns
        p.ellipse(s * 0.2 - 0.1, 0.9, s * 0.2 + 0.1, 1.0, shade(c0, 0.7))  # feet
        p.line([(s * 0.36, 0.5), (s * 0.4, 0.7)], c0, 0.07)  # arms
    p.ellipse(-0.42, 0.14, 0.42, 0.96, c0)
    p.ellipse(-0.26, 0.5, 0.26, 0.92, c1)
    for s in (-1, 1):
        p.ellipse(s * 0.12 - 0.07, hy - 0.12, s * 0.12 + 0.07, hy + 0.02, (250, 250, 240))
        p.ellipse(s * 0.12 - 0.03, hy - 0.08, s * 0.12 + 0.03, hy - 0.0, INK)
    p.rect(-0.12, hy + 0.08, 0.12, hy + 0.13, INK, radius=0.02)
    p.rect(-0.06, hy + 0.08, -0.03, hy + 0.11, (250, 250, 240))
    p.rect(0.03, hy + 0.08, 0.06, hy + 0.11, c3)


def draw_animal(p: Pen, lk: Look) -> None:
    """Draw an animal of `lk`'s species: a quadruped of QUADS, a rabbit, a bird or an owl, else a horned creature."""
    if lk.species in QUADS:
        _quadruped(p, lk, QUADS[lk.species])
    else:
        {"rabbit": _rabbit, "bird": _bird, "owl": _owl}.get(lk.species, _creature)(p, lk)
