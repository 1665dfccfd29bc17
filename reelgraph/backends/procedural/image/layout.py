"""Where the figures stand: framing (wide, medium, close, over_shoulder, two_shot) and per-seed composition.

`_layout` is the clean base arrangement: side by side in slots, never overlapping. `arrange` adds what a storyboard
artist varies from take to take (placement jitter, scale, facing), chosen by the seed; composition 0 has a
realistic chance (BAD_CHANCE) of a flaw an artist would fix: a character pushed partly out of frame, a figure too
small and dark, or (drawn by the backend) a foreground prop over a face. composition 1..7 re-rolls a clean
arrangement that keeps faces clear.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from reelgraph.backends.procedural.image.figures import head_box
from reelgraph.backends.procedural.image.looks import Look

BAD_CHANCE = 0.18
FLAWS = ("cut", "small_dark", "prop")


@dataclass(frozen=True)
class Placement:
    """One figure in the frame: its box (centre x, top, height in pixels), where it looks, and how it is lit."""

    look: Look
    cx: float
    top: float
    fh: float
    facing: float = 0.0
    back: bool = False
    dark: bool = False
    who: int = -1  # the figure's index in the looks arranged (placements may be drawn in another order)

    @property
    def half(self) -> float:
        """Half the figure's width in pixels."""
        return 0.5 * self.fh * self.look.aspect

    def head(self) -> tuple[float, float, float, float]:
        """The head's box (x0, y0, x1, y1) in canvas pixels."""
        return head_box(self.look, self.cx, self.top, self.fh, self.facing)


def _slots(n: int, w: float, framing: str) -> list[tuple[float, float]]:
    """(centre x, slot width) of each figure; in a close shot the first one has the wide centre slot."""
    if framing == "close" and n > 1:
        centre = 0.5 * w
        side = (w - centre) / 2
        left, right = (n - 1 + 1) // 2, (n - 1) // 2
        out = [(w / 2, centre)]
        for i in range(n - 1):
            k, count, x0 = (i // 2, left, 0.0) if i % 2 == 0 else (i // 2, right, w / 2 + centre / 2)
            slot = side / max(1, count)
            out.append((x0 + (k + 0.5) * slot, slot))
        return out
    slot = min(0.92 * w / n, {"wide": 0.22, "close": 0.5}.get(framing, 0.4) * w)
    left = (w - slot * n) / 2
    return [(left + (i + 0.5) * slot, slot) for i in range(n)]


def _layout(looks: list[Look], w: int, h: int, framing: str,
            floor: float | None = None) -> list[tuple[float, float, float]]:
    """(centre x, top y, height) of each figure, side by side in slots of the frame, never overlapping.

    `floor`: the lowest y feet may stand on (above a caption band); wide shots show everyone whole above it.
    """
    n = len(looks)
    if not n:
        return []
    floor = h if floor is None else floor
    framing = framing if framing in ("wide", "close") else "medium"
    out = []
    for i, (lk, (cx, slot)) in enumerate(zip(looks, _slots(n, w, framing), strict=True)):
        unit = {"wide": 0.42 * floor, "close": 2.6 * h}.get(framing, 1.3 * h)
        if framing == "close" and i > 0:
            unit *= 0.55  # the others, further back, cropped by the frame's bottom
        if framing == "wide":
            fh = unit * lk.rel
            top = 0.92 * floor - fh
        else:  # heads near the top line, small figures a little lower and less shrunk, feet out of frame
            fh = unit * lk.rel ** 0.5
            top = (0.07 if framing == "close" and i == 0 else 0.12) * h + 0.3 * h * (1 - lk.rel)
            if framing == "close" and i > 0:
                top += 0.25 * h
        fit = min(1.0, (0.94 * slot if n > 1 else w) / (fh * lk.aspect))
        top = top + fh * (1 - fit) if framing == "wide" else max(top, 1.02 * h - fh * fit)
        out.append((cx, top, fh * fit))
    return out


def _facing(i: int, n: int, cx: float, w: float) -> float:
    """Figures look towards the middle of the group (a lone one at the camera)."""
    if n == 1:
        return 0.0
    return 1.0 if cx < w / 2 else -1.0


def _base(looks: list[Look], w: int, h: int, framing: str, floor: float) -> list[Placement]:
    n = len(looks)
    if framing == "over_shoulder" and n >= 2:
        return _over_shoulder(looks, w, h)
    if framing == "two_shot" and n >= 2:
        rest = _layout(looks[2:], w, h, "medium") if n > 2 else []
        pair = _layout(looks[:2], w, h, "medium")
        out = [Placement(lk, x, t, f * 0.95, facing=1.0 if i == 0 else -1.0, who=i)
               for i, (lk, (_, t, f), x) in enumerate(zip(looks[:2], pair, (0.3 * w, 0.7 * w), strict=True))]
        for k, (lk, (x, t, f)) in enumerate(zip(looks[2:], rest, strict=True)):  # others further back, between
            out.insert(0, Placement(lk, 0.5 * w + (x - 0.5 * w) * 0.3, t + 0.15 * h, f * 0.5, who=2 + k))
        return out
    base = _layout(looks, w, h, "medium" if framing in ("over_shoulder", "two_shot") else framing, floor)
    return [Placement(lk, cx, top, fh, facing=_facing(i, n, cx, w), who=i)
            for i, (lk, (cx, top, fh)) in enumerate(zip(looks, base, strict=True))]


def _over_shoulder(looks: list[Look], w: int, h: int) -> list[Placement]:
    """The first character's back large at a side of the foreground, facing the second; the others beyond."""
    fg, lk2 = looks[0], looks[1]
    fh = 2.4 * h * fg.rel ** 0.5
    fg_p = Placement(fg, 0.12 * w, 0.28 * h, fh, facing=1.0, back=True, who=0)
    rest = _layout([lk2, *looks[2:]], int(0.62 * w), h, "medium")
    out = []
    for i, (lk, (x, t, f)) in enumerate(zip([lk2, *looks[2:]], rest, strict=True)):
        scale = 0.95 if i == 0 else 0.6
        out.append(Placement(lk, 0.36 * w + x, t + (0 if i == 0 else 0.12 * h), f * scale, facing=-1.0, who=1 + i))
    return [*out[1:], out[0], fg_p]  # drawn back to front


def _clean(ps: list[Placement], w: int, h: int) -> bool:
    """No two heads overlap; every head is inside the frame."""
    heads = [p.head() for p in ps if not p.back]
    inside = all(b[0] >= 0 and b[2] <= w and b[1] >= 0 for b in heads)
    apart = all(a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
                for i, a in enumerate(heads) for b in heads[i + 1:])
    return inside and apart


def _jitter(ps: list[Placement], w: int, h: int, rng: random.Random, framing: str, amount: float) -> list[Placement]:
    """Move each figure within the slack of its slot and scale it a little, keeping the arrangement clean."""
    out = []
    for i, p in enumerate(ps):
        if p.back:
            out.append(p)
            continue
        left = (p.cx - ps[i - 1].cx) if i and not ps[i - 1].back else p.cx
        right = (ps[i + 1].cx - p.cx) if i + 1 < len(ps) and not ps[i + 1].back else w - p.cx
        slack = max(0.0, min(left, right) - p.half * 1.02)
        s = rng.uniform(1 - 0.08 * amount, 1 + 0.04 * amount)
        fh = p.fh * s
        top = p.top + (p.fh - fh) if framing == "wide" else p.top
        out.append(replace(p, cx=p.cx + rng.uniform(-0.5, 0.5) * slack * amount, fh=fh, top=top))
    return out if _clean(out, w, h) else ps


def _recompose(ps: list[Placement], w: int, h: int, composition: int, framing: str) -> list[Placement]:
    """Another clean arrangement: the group shifted to a third, spread, staggered or reversed."""
    if not ps or framing == "over_shoulder":
        return ps
    xs = [p.cx for p in ps if not p.back]
    lo, hi = min(p.cx - p.half for p in ps), max(p.cx + p.half for p in ps)
    room_l, room_r = lo, w - hi
    shift = {1: -0.6 * room_l, 2: 0.6 * room_r, 5: -0.3 * room_l, 6: 0.3 * room_r}.get(composition, 0.0)
    out = [replace(p, cx=p.cx + shift) for p in ps]
    if composition in (3, 7) and len(xs) > 1:  # spread out / pull together
        k = 1.15 if composition == 3 else 0.9
        mid = (lo + hi) / 2
        out = [replace(p, cx=mid + (p.cx - mid) * k) for p in out]
    if composition == 4 and framing != "close":  # staggered depth: every other figure a step back
        out = [replace(p, fh=p.fh * 0.88, top=p.top + (0.12 * p.fh if framing == "wide" else 0.02 * h))
               if i % 2 else p for i, p in enumerate(out)]
    if composition in (5, 6) and len(out) > 1:  # mirrored order
        cxs = [p.cx for p in out][::-1]
        out = [replace(p, cx=x, facing=-p.facing) for p, x in zip(out, cxs, strict=True)]
    inside = all(p.cx - p.half >= -1 and p.cx + p.half <= w + 1 for p in out)
    return out if inside and _clean(out, w, h) else ps


def _flaw(ps: list[Placement], w: int, h: int, rng: random.Random, framing: str) -> tuple[list[Placement], str]:
    kind = rng.choice(FLAWS)
    i = rng.randrange(len(ps))
    p = ps[i]
    if kind == "cut" and not p.back:  # pushed towards the nearer edge until ~40 % of it is out of frame
        edge = 0 if p.cx < w / 2 else w
        cx = edge + (0.1 * p.half if edge == 0 else -0.1 * p.half)
        ps = [*ps[:i], replace(p, cx=cx), *ps[i + 1:]]
    elif kind == "small_dark" and not p.back:
        fh = p.fh * 0.55
        top = p.top + (p.fh - fh) if framing == "wide" else p.top + 0.2 * p.fh
        ps = [*ps[:i], replace(p, fh=fh, top=top, dark=True), *ps[i + 1:]]
    else:
        kind = "prop"
    return ps, kind


def arrange(looks: list[Look], w: int, h: int, framing: str, *, seed: int, composition: int,
            floor: float) -> tuple[list[Placement], str]:
    """Placements of the figures, and the flaw of this take ('' when clean; 'prop': the backend covers a face)."""
    ps = _base(looks, w, h, framing, floor)
    if not ps:
        return ps, ""
    rng = random.Random(f"layout|{seed}|{composition}|{framing}|{len(looks)}")
    ps = _jitter(ps, w, h, rng, framing, 1.0 if composition == 0 else 0.4)
    if composition:
        return _recompose(ps, w, h, composition % 8, framing), ""
    if framing != "wide" and rng.random() < BAD_CHANCE:
        return _flaw(ps, w, h, rng, framing)
    if framing == "wide" and rng.random() < BAD_CHANCE:  # wide shots show everyone whole: only a prop can err
        return ps, "prop"
    return ps, ""
