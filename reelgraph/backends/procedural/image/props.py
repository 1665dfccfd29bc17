"""Set pieces shared by the place painters: sky, trees, buildings, furniture, weather. Coordinates are fractions."""

from __future__ import annotations

import numpy as np
from PIL import Image

from reelgraph.backends.procedural.image.paint import RGB, WHITE, Scene, mix, shade

WOOD: RGB = (132, 90, 56)
DARK_WOOD: RGB = (92, 60, 38)
METAL: RGB = (150, 154, 162)
LEAVES: dict[str, list[RGB]] = {
    "spring": [(112, 176, 84), (236, 170, 196), (128, 186, 96)],
    "summer": [(66, 132, 58), (56, 118, 50), (74, 140, 62)],
    "autumn": [(214, 110, 40), (196, 64, 40), (226, 176, 52)],
    "winter": [],
}
BOOKS: list[RGB] = [(160, 50, 46), (48, 86, 140), (60, 120, 70), (200, 160, 60), (110, 60, 110), (220, 210, 190)]


# ---------------------------------------------------------------- sky


def disc(sc: Scene) -> None:
    """The sun or moon, never behind a face."""
    if sc.light.disc is None:
        return
    low = sc.lighting in ("golden", "dusk", "dawn")
    y = sc.hz * (0.72 if low else sc.uniform(0.15, 0.3))
    r = 0.09 if low else 0.056
    x = sc.clear_x(0.1, 0.9, 2 * r * sc.h / sc.w, y - 2 * r, y + 2 * r)
    if x is None:
        return
    if not sc.light.moon and not low:
        sc.circle(x, y, 1.8 * r, mix(sc.light.sky[0], WHITE, 0.3), raw=True)
    sc.circle(x, y, r, sc.light.disc, raw=True)
    if sc.light.moon:
        sc.circle(x + 0.45 * r * sc.h / sc.w, y - 0.1 * r, 0.95 * r, sc.light.sky[0], raw=True)


def clouds(sc: Scene, n: int) -> None:
    """`n` puffy clouds in the upper sky: white by day, tinted by the sky at other times, grey in storm or rain."""
    top, horizon = sc.light.sky
    base = (236, 238, 242) if sc.lighting in ("day", "golden") else mix(mix(top, horizon, 0.5), WHITE, 0.08)
    if sc.lighting == "storm" or sc.weather in ("storm", "rain"):
        base = (96, 100, 110) if sc.lighting != "night" else (40, 44, 56)
    for _ in range(n):
        cx, cy, s = sc.uniform(0, 1), sc.uniform(0.08, 0.42) * sc.hz, sc.uniform(0.03, 0.06)
        for dx, dy, k in ((-0.9, 0.1, 0.6), (0.0, 0.0, 0.85), (0.8, 0.12, 0.65), (0.3, -0.35, 0.6)):
            r = s * k
            sc.oval(cx + dx * s - r, cy + dy * s * 1.6 - r, cx + dx * s + r, cy + dy * s * 1.6 + r * 0.9,
                    sc.lit(base) if sc.lighting not in ("night", "darkness") else base, raw=True)


def stars(sc: Scene, n: int, bottom: float | None = None) -> None:
    """`n` stars of random size and brightness above `bottom` (default: 0.85 of the horizon's height)."""
    bottom = sc.hz * 0.85 if bottom is None else bottom
    for _ in range(n):
        x, y = sc.uniform(0, 1) * sc.w, sc.uniform(0, bottom) * sc.h
        r = sc.rng.choice((1.0, 1.5, 2.2))
        v = sc.rng.randint(150, 255)
        sc.d.ellipse([x - r, y - r, x + r, y + r], fill=(v, v, min(255, v + 10)))


def outdoor_sky(sc: Scene) -> None:
    """What is in the outdoor sky: stars if the light has them, the sun or moon unless rain, storm or fog, clouds."""
    if sc.light.stars:
        stars(sc, 90)
    if sc.weather not in ("rain", "storm", "fog"):
        disc(sc)
    clouds(sc, 6 if sc.lighting == "storm" or sc.weather in ("storm", "rain") else sc.rng.randint(1, 3))


def wavy(sc: Scene, y: float, amp: float, periods: float, colour: RGB, phase: float = 0.0, *,
         raw: bool = False) -> None:
    """Fill everything below a wavy line."""
    xs = np.linspace(0, 1, 40)
    ys = y + amp * np.sin(xs * periods * 2 * np.pi + phase)
    sc.poly([*zip(xs.tolist(), ys.tolist(), strict=True), (1, 1), (0, 1)], colour, raw=raw)


def ground(sc: Scene, far: RGB, near: RGB) -> None:
    """A ground band from the horizon down, from `far` to `near` colour, in 4 steps."""
    for i in range(4):
        y0 = sc.hz + (1 - sc.hz) * i / 4
        sc.rect(0, y0, 1, y0 + (1 - sc.hz) / 4 + 0.01, mix(far, near, i / 3))


# ---------------------------------------------------------------- nature


def tree(sc: Scene, x: float, base: float, size: float, *, pine: bool = False) -> None:
    """A tree `size` (fraction of h) tall standing at (x, base); leaves follow the season."""
    ax = sc.h / sc.w
    sc.rect(x - 0.05 * size * ax, base - 0.45 * size, x + 0.05 * size * ax, base, (96, 64, 40))
    leaves = LEAVES.get(sc.season, LEAVES["summer"])
    if pine:
        snow = sc.season == "winter"
        for i, k in enumerate((1.0, 0.78, 0.56)):
            y0 = base - (0.3 + 0.3 * i) * size
            c = (232, 236, 240) if snow and i == 2 else shade((44, 110, 62), 0.85 + 0.1 * i)
            sc.poly([(x - 0.38 * k * size * ax, y0), (x + 0.38 * k * size * ax, y0), (x, y0 - 0.55 * size)], c)
        return
    if not leaves:  # bare winter branches
        for dx in (-0.3, 0.0, 0.3):
            sc.line([(x, base - 0.4 * size), (x + dx * size * ax, base - 0.95 * size)], (86, 58, 38), 0.012 * size)
        return
    for i, (dx, dy, k) in enumerate(((-0.22, -0.62, 0.3), (0.22, -0.64, 0.3), (0.0, -0.86, 0.36))):
        r = k * size
        sc.circle(x + dx * size * ax, base + dy * size, r, leaves[i % len(leaves)])


def bush(sc: Scene, x: float, base: float, size: float, c: RGB = (70, 130, 64)) -> None:
    """A bush of three leafy circles standing at (x, base), about `size` high."""
    ax = sc.h / sc.w
    for dx in (-0.5, 0.0, 0.5):
        sc.circle(x + dx * size * ax, base - 0.35 * size, 0.45 * size, c)


def flowers(sc: Scene, n: int, y0: float, y1: float) -> None:
    """`n` small flowers in random colours scattered between y0 and y1."""
    for _ in range(n):
        c = sc.rng.choice([(240, 220, 90), (236, 236, 240), (220, 110, 140), (200, 80, 60)])
        sc.circle(sc.uniform(0, 1), sc.uniform(y0, y1), 0.006, c)


# ---------------------------------------------------------------- buildings and things


def house(sc: Scene, x: float, base: float, size: float, wall: RGB = (196, 170, 132),
          roof: RGB = (150, 58, 48)) -> None:
    """A house `size` high at (x, base): walls, a pitched roof, a door and a window that glows when the lamps are on."""
    ax = sc.h / sc.w
    sc.rect(x - 0.5 * size * ax, base - 0.6 * size, x + 0.5 * size * ax, base, wall)
    sc.poly([(x - 0.62 * size * ax, base - 0.58 * size), (x + 0.62 * size * ax, base - 0.58 * size),
             (x, base - 1.0 * size)], roof)
    sc.rect(x - 0.1 * size * ax, base - 0.32 * size, x + 0.1 * size * ax, base, (92, 60, 40))
    sc.rect(x + 0.2 * size * ax, base - 0.45 * size, x + 0.38 * size * ax, base - 0.3 * size,
            sc.glow((150, 176, 200)), raw=True)


def building(sc: Scene, x0: float, x1: float, top: float, base: float, c: RGB, lit_p: float = 0.55) -> None:
    """A block of flats with a grid of windows, lit at night."""
    sc.rect(x0, top, x1, base, c)
    for wy in np.arange(top + 0.03, base - 0.05, 0.06):
        for wx in np.arange(x0 + 0.012, x1 - 0.02, 0.03):
            on = sc.rng.random() < lit_p
            col = sc.light.glow if (on and sc.light.lamps_on) else sc.lit((120, 140, 168) if on else (90, 96, 112))
            sc.rect(wx, wy, wx + 0.013, wy + 0.03, col, raw=True)


def lamp_post(sc: Scene, x: float, base: float, size: float) -> None:
    """A lamp post `size` high at (x, base) with a lamp that glows when the lamps are on."""
    sc.rect(x - 0.004, base - size, x + 0.004, base, (48, 50, 56))
    sc.circle(x, base - size, 0.018, sc.glow((214, 214, 200)), raw=True)


def lighthouse(sc: Scene, x: float, base: float, size: float) -> None:
    """A striped lighthouse `size` high at (x, base); when the lamps are on its lamp glows and casts a beam."""
    ax = sc.h / sc.w
    top, bot = base - 1.9 * size, base - 0.1 * size
    for i in range(5):
        y0, y1 = bot - (bot - top) * i / 5, bot - (bot - top) * (i + 1) / 5
        w0, w1 = 0.2 * size * (1 - 0.07 * i) * ax, 0.2 * size * (1 - 0.07 * (i + 1)) * ax
        sc.poly([(x - w0, y0), (x + w0, y0), (x + w1, y1), (x - w1, y1)], (200, 48, 42) if i % 2 else (238, 236, 230))
    lamp = (255, 240, 170) if sc.light.lamps_on else sc.lit((230, 230, 200))
    if sc.light.lamps_on:
        sc.poly([(x, top - 0.1 * size), (x - 0.45, top - 0.4 * size), (x - 0.45, top + 0.15 * size)],
                mix(sc.light.sky[1], lamp, 0.3), raw=True)
    sc.rect(x - 0.1 * size * ax, top - 0.2 * size, x + 0.1 * size * ax, top, lamp, raw=True)
    sc.poly([(x - 0.15 * size * ax, top - 0.2 * size), (x + 0.15 * size * ax, top - 0.2 * size),
             (x, top - 0.38 * size)], (40, 40, 46))


def boat(sc: Scene, x: float, y: float, size: float, hull: RGB = (120, 70, 44)) -> None:
    """A sailing boat with its deck line at (x, y), the hull below and a mast about `size` tall."""
    ax = sc.h / sc.w
    sc.poly([(x - 0.6 * size * ax, y), (x + 0.6 * size * ax, y), (x + 0.4 * size * ax, y + 0.25 * size),
             (x - 0.45 * size * ax, y + 0.25 * size)], hull)
    sc.line([(x, y), (x, y - 0.9 * size)], (80, 60, 40), 0.04 * size)
    sc.poly([(x + 0.01, y - 0.85 * size), (x + 0.5 * size * ax, y - 0.1 * size), (x + 0.01, y - 0.1 * size)],
            (240, 236, 222))


def fire(sc: Scene, x: float, base: float, size: float) -> None:
    """A fire `size` high at (x, base): orange and yellow flames, not dimmed by the ambient light."""
    ax = sc.h / sc.w
    sc.poly([(x - 0.3 * size * ax, base), (x + 0.3 * size * ax, base), (x, base - 0.9 * size)], (255, 140, 40),
            raw=True)
    sc.poly([(x - 0.15 * size * ax, base), (x + 0.15 * size * ax, base), (x, base - 0.5 * size)], (255, 220, 90),
            raw=True)


def window(sc: Scene, x0: float, y0: float, x1: float, y1: float, frame: RGB = (236, 232, 222)) -> None:
    """A window onto the sky of the time of day."""
    top, bottom = sc.light.sky
    sc.d.rectangle(sc._box(x0, y0, x1, (y0 + y1) / 2), fill=top)
    sc.d.rectangle(sc._box(x0, (y0 + y1) / 2, x1, y1), fill=bottom)
    sc.d.rectangle(sc._box(x0, y0, x1, y1), outline=sc.lit(frame), width=max(2, round(0.012 * sc.h)))
    sc.line([((x0 + x1) / 2, y0), ((x0 + x1) / 2, y1)], frame, 0.01)


def shelves(sc: Scene, x0: float, x1: float, y0: float, y1: float, rows: int, items: list[RGB],
            frame: RGB = DARK_WOOD, *, loaves: bool = False) -> None:
    """A shelf unit full of books (or loaves of bread)."""
    sc.rect(x0, y0, x1, y1, frame)
    step = (y1 - y0) / rows
    for r in range(rows):
        top = y0 + r * step + 0.01
        x = x0 + 0.008
        while x < x1 - 0.012:
            wd = sc.uniform(0.025, 0.04) if loaves else sc.uniform(0.006, 0.012)
            c = sc.rng.choice(items)
            if loaves:
                sc.oval(x, top + step * 0.4, min(x + wd, x1 - 0.006), top + step - 0.012, c)
            else:
                sc.rect(x, top + sc.uniform(0, 0.2) * step, min(x + wd, x1 - 0.006), top + step - 0.012, c)
            x += wd + 0.003
        sc.rect(x0, top + step - 0.012, x1, top + step - 0.006, shade(frame, 0.8))


def table(sc: Scene, x: float, y: float, half: float, c: RGB = WOOD, cloth: RGB | None = None) -> None:
    """A table top `half` wide each side of x at height y, on two legs; `cloth` covers the top."""
    sc.rect(x - half, y, x + half, y + 0.025, cloth or c)
    for s in (-1, 1):
        sc.rect(x + s * (half - 0.01) - 0.004, y + 0.025, x + s * (half - 0.01) + 0.004, y + 0.13, shade(c, 0.8))


def chair(sc: Scene, x: float, y: float, c: RGB = DARK_WOOD) -> None:
    """A side view of a chair at (x, y): back, seat and legs."""
    sc.rect(x - 0.018, y - 0.08, x - 0.012, y + 0.08, c)
    sc.rect(x - 0.018, y, x + 0.02, y + 0.012, c)
    sc.rect(x + 0.014, y, x + 0.02, y + 0.08, c)


def frame_picture(sc: Scene, x0: float, y0: float, x1: float, y1: float, art: RGB, gilt: RGB = (196, 160, 70)) -> None:
    """A gilt-framed picture filling the box, with a pale blob on the `art` colour."""
    sc.rect(x0, y0, x1, y1, gilt)
    sc.rect(x0 + 0.008, y0 + 0.014, x1 - 0.008, y1 - 0.014, art)
    sc.circle((x0 + x1) / 2, (y0 + y1) / 2, (y1 - y0) * 0.2, mix(art, WHITE, 0.4))


def crowd(sc: Scene, base: float, size: float, n: int = 14) -> None:
    """Background people: simple silhouettes in muted colours (not cast members)."""
    ax = sc.h / sc.w
    for _ in range(n):
        x, s = sc.uniform(0, 1), size * sc.uniform(0.85, 1.1)
        c = sc.rng.choice([(90, 96, 120), (120, 90, 80), (80, 110, 90), (130, 120, 100), (70, 70, 80)])
        sc.rect(x - 0.12 * s * ax, base - 0.75 * s, x + 0.12 * s * ax, base, shade(c, 0.8), r=0.05 * s)
        sc.circle(x, base - 0.85 * s, 0.1 * s, (150, 120, 100))


# ---------------------------------------------------------------- weather


def rain(sc: Scene, n: int) -> None:
    """`n` slanting rain streaks over the whole frame."""
    colour = mix(sc.lit((150, 160, 178)), (200, 210, 225), 0.3)
    for _ in range(n):
        x, y, ln = sc.uniform(-0.1, 1.0) * sc.w, sc.uniform(0, 1) * sc.h, sc.uniform(0.03, 0.06) * sc.h
        sc.d.line([(x, y), (x + 0.3 * ln, y + ln)], fill=colour, width=1)


def snowfall(sc: Scene, n: int) -> None:
    """`n` snowflakes of random size over the whole frame."""
    c = sc.lit((246, 248, 252))
    for _ in range(n):
        x, y, r = sc.uniform(0, 1) * sc.w, sc.uniform(0, 1) * sc.h, sc.uniform(1.5, 4.0)
        sc.d.ellipse([x - r, y - r, x + r, y + r], fill=c)


def fog(sc: Scene, amount: float = 0.38) -> None:
    """A grey haze blended over the whole image (`amount` 0..1)."""
    veil = Image.new("RGB", sc.img.size, mix(sc.light.sky[1], sc.lit((200, 204, 210)), 0.5))
    sc.img.paste(Image.blend(sc.img, veil, amount))


def weather(sc: Scene) -> None:
    """Rain, snow or wind-blown leaves over everything."""
    if sc.weather in ("rain", "storm") or (sc.lighting == "storm" and not sc.interior):
        rain(sc, 260 if sc.weather == "storm" or sc.lighting == "storm" else 160)
    if sc.weather == "snow":
        snowfall(sc, 180)
    if sc.weather == "wind":
        for _ in range(40):
            x, y = sc.uniform(0, 1), sc.uniform(0, 1)
            sc.line([(x, y), (x + 0.05, y - 0.008)], (220, 224, 230), 0.002)
