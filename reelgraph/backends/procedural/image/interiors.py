"""Painters of the indoor places: a back wall down to `sc.hz`, a floor, and the furniture that says what the room is."""

from __future__ import annotations

from functools import lru_cache

from PIL import ImageFont

from reelgraph.backends.procedural.image.paint import RGB, Scene, mix, shade
from reelgraph.backends.procedural.image.props import (
    BOOKS,
    DARK_WOOD,
    METAL,
    WOOD,
    chair,
    fire,
    frame_picture,
    shelves,
    table,
    window,
)


@lru_cache(maxsize=32)
def font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The default PIL font at a pixel size (at least 6), cached."""
    return ImageFont.load_default(size=max(6, px))


def sign(sc: Scene, x: float, y: float, text: str, bg: RGB, fg: RGB = (250, 246, 236), size: float = 0.05) -> None:
    """A shop sign centred at (x, y): letters `size` (fraction of h) high on a board."""
    f = font(round(size * sc.h))
    x0, y0, x1, y1 = sc.d.textbbox((0, 0), text, font=f)
    tw, th = (x1 - x0) / sc.w, (y1 - y0) / sc.h
    sc.rect(x - tw / 2 - 0.015, y - th / 2 - 0.015, x + tw / 2 + 0.015, y + th / 2 + 0.015, bg)
    sc.d.text(((x - tw / 2) * sc.w - x0, (y - th / 2) * sc.h - y0), text, font=f, fill=sc.lit(fg))


def room(sc: Scene, wall: RGB, floor: RGB, style: str = "boards") -> None:
    """Back wall, skirting and a floor (boards, tiles, carpet, stone or concrete) in perspective."""
    hz = sc.hz
    sc.rect(0, 0, 1, hz, wall)
    sc.rect(0, hz, 1, 1, floor)
    sc.rect(0, hz - 0.015, 1, hz, shade(wall, 0.7))
    line = shade(floor, 0.8)
    if style in ("boards", "tiles", "stone"):
        for i in range(1, 7):
            y = hz + (1 - hz) * (i / 7) ** 1.4
            sc.line([(0, y), (1, y)], line, 0.004)
    if style in ("tiles", "stone"):
        for i in range(-6, 17):
            x = i / 10
            sc.line([(0.5 + (x - 0.5) * 0.5, hz), (0.5 + (x - 0.5) * 1.6, 1)], line, 0.004)


def kitchen(sc: Scene) -> None:
    """A kitchen: tiled wall, wall cupboards, a counter with stove, hood and pots, and a fruit bowl."""
    room(sc, (228, 232, 226), (200, 196, 186), "tiles")
    for i in range(1, 9):  # wall tiles
        sc.line([(0, i * 0.06), (1, i * 0.06)], (204, 210, 206), 0.003)
    sc.rect(0.02, 0.06, 0.98, 0.22, (120, 160, 170))  # wall cupboards
    for i in range(8):
        sc.line([(0.02 + i * 0.12, 0.06), (0.02 + i * 0.12, 0.22)], (90, 124, 134), 0.006)
    sc.rect(0.0, sc.hz - 0.2, 1.0, sc.hz, (110, 150, 160))  # counter
    sc.rect(0.0, sc.hz - 0.22, 1.0, sc.hz - 0.19, (220, 214, 200))
    sx = sc.uniform(0.3, 0.6)
    sc.rect(sx, sc.hz - 0.2, sx + 0.16, sc.hz, (44, 44, 48))  # stove and oven door
    sc.rect(sx + 0.02, sc.hz - 0.15, sx + 0.14, sc.hz - 0.03, (80, 80, 86))
    sc.rect(sx - 0.01, 0.24, sx + 0.17, 0.3, METAL)  # hood
    for k, dx in enumerate((0.03, 0.1)):  # pots with handles
        x = sx + dx
        sc.rect(x - 0.025, sc.hz - 0.3 + 0.02 * k, x + 0.025, sc.hz - 0.22, (176, 180, 188))
        sc.line([(x + 0.025, sc.hz - 0.27), (x + 0.05, sc.hz - 0.27)], (60, 60, 64), 0.01)
    sc.circle(0.15, sc.hz - 0.26, 0.035, (200, 70, 50))  # fruit bowl
    sc.circle(0.18, sc.hz - 0.25, 0.03, (230, 190, 60))


def restaurant(sc: Scene) -> None:
    """A restaurant: dark red walls with pictures, tables with cloths, chairs and a flower each."""
    room(sc, (120, 40, 48), (96, 60, 40))
    for x in (0.15, 0.5, 0.85):
        frame_picture(sc, x - 0.06, 0.12, x + 0.06, 0.3, (60, 90, 70))
    for x in (0.12, 0.5, 0.88):
        table(sc, x, sc.hz - 0.02, 0.09, cloth=(246, 244, 238))
        chair(sc, x - 0.11, sc.hz + 0.02)
        sc.circle(x, sc.hz - 0.035, 0.012, (200, 40, 60))


def cafe(sc: Scene) -> None:
    """A café: a chalk menu, a counter with an espresso machine and cups, a CAFE sign and a table."""
    room(sc, (176, 128, 88), (150, 104, 70))
    sc.rect(0.05, 0.08, 0.3, 0.3, (40, 48, 44))  # chalk menu
    for i in range(4):
        sc.line([(0.07, 0.12 + i * 0.045), (0.22 + 0.02 * (i % 2), 0.12 + i * 0.045)], (230, 230, 220), 0.006)
    sc.rect(0.45, sc.hz - 0.22, 1.0, sc.hz, (110, 70, 44))  # counter, espresso machine, cups
    sc.rect(0.62, sc.hz - 0.36, 0.76, sc.hz - 0.22, (190, 190, 196))
    for i in range(4):
        sc.rect(0.8 + i * 0.04, sc.hz - 0.27, 0.82 + i * 0.04, sc.hz - 0.22, (244, 244, 240))
    sign(sc, 0.6, 0.12, "CAFE", (70, 40, 30))
    table(sc, 0.2, sc.hz + 0.02, 0.06)


def shop(sc: Scene) -> None:
    """A shop: shelves of goods, a counter with a till and a SHOP sign."""
    room(sc, (220, 214, 190), (180, 180, 176), "tiles")
    colours = [(220, 60, 50), (50, 110, 200), (240, 200, 40), (60, 170, 90), (240, 140, 40), (170, 80, 180)]
    shelves(sc, 0.02, 0.6, 0.1, sc.hz, 4, colours, (200, 200, 204))
    sc.rect(0.66, sc.hz - 0.2, 0.98, sc.hz, (80, 100, 140))  # counter and till
    sc.rect(0.78, sc.hz - 0.3, 0.88, sc.hz - 0.2, (40, 40, 44))
    sign(sc, 0.8, 0.12, "SHOP", (40, 80, 150))


def bookshop(sc: Scene) -> None:
    """A bookshop: two walls of bookshelves, a BOOKS sign and a table with a stack of books."""
    room(sc, (120, 80, 60), (110, 70, 46))
    shelves(sc, 0.0, 0.46, 0.04, sc.hz, 5, BOOKS)
    shelves(sc, 0.6, 1.0, 0.04, sc.hz, 5, BOOKS)
    sc.rect(0.47, 0.06, 0.59, sc.hz, (160, 120, 90))
    sign(sc, 0.53, 0.14, "BOOKS", (40, 60, 40), size=0.035)
    table(sc, 0.53, sc.hz - 0.01, 0.07)
    for i in range(3):
        sc.rect(0.49, sc.hz - 0.04 - 0.02 * i, 0.57 - 0.01 * i, sc.hz - 0.02 - 0.02 * i, BOOKS[i])


def bakery(sc: Scene) -> None:
    """A bakery: shelves of loaves, a counter with a glass case of pastries and a BAKERY sign."""
    room(sc, (244, 224, 196), (196, 160, 120), "tiles")
    bread = [(204, 140, 70), (222, 170, 96), (180, 110, 52), (236, 196, 120)]
    shelves(sc, 0.02, 0.98, 0.16, sc.hz - 0.2, 3, bread, (150, 100, 60), loaves=True)
    sc.rect(0.0, sc.hz - 0.2, 1.0, sc.hz, (170, 110, 70))  # counter with a glass case of pastries
    sc.rect(0.2, sc.hz - 0.19, 0.8, sc.hz - 0.06, (214, 232, 236))
    for i in range(10):
        sc.circle(0.24 + i * 0.057, sc.hz - 0.1, 0.022, bread[i % 4])
    sign(sc, 0.5, 0.07, "BAKERY", (140, 60, 40))


def office(sc: Scene) -> None:
    """An office: windows with blinds, a wall screen with a bar chart, a meeting table with laptops."""
    room(sc, (200, 208, 214), (120, 128, 140), "carpet")
    for x0 in (0.04, 0.74):
        window(sc, x0, 0.08, x0 + 0.22, 0.4)
        for i in range(8):
            sc.line([(x0, 0.1 + i * 0.04), (x0 + 0.22, 0.1 + i * 0.04)], (220, 222, 224), 0.004)
    sc.rect(0.36, 0.1, 0.64, 0.34, (30, 34, 44))  # wall screen with a chart
    sc.rect(0.38, 0.12, 0.62, 0.32, (40, 90, 140), raw=not sc.light.lamps_on)
    for i, v in enumerate((0.3, 0.5, 0.4, 0.7, 0.6)):
        sc.rect(0.41 + i * 0.04, 0.31 - 0.17 * v, 0.43 + i * 0.04, 0.31, (120, 200, 230))
    sc.rect(0.1, sc.hz - 0.02, 0.9, sc.hz + 0.03, (230, 230, 226))  # meeting table
    for x in (0.22, 0.5, 0.78):
        sc.rect(x - 0.04, sc.hz - 0.09, x + 0.04, sc.hz - 0.03, (40, 44, 50))  # laptops


def classroom(sc: Scene) -> None:
    """A classroom: a chalkboard with writing, a clock and two rows of desks."""
    room(sc, (236, 222, 170), (170, 130, 90))
    sc.rect(0.2, 0.1, 0.8, 0.4, (150, 110, 70))
    sc.rect(0.22, 0.12, 0.78, 0.38, (44, 90, 64))  # chalkboard
    for i in range(3):
        sc.line([(0.26, 0.17 + i * 0.06), (0.5 + 0.1 * i, 0.17 + i * 0.06)], (236, 236, 228), 0.006)
    sc.line([(0.6, 0.3), (0.66, 0.2), (0.72, 0.3), (0.6, 0.3)], (236, 236, 228), 0.006)
    sc.circle(0.9, 0.14, 0.04, (250, 250, 250))
    for row in range(2):
        for x in (0.12, 0.37, 0.63, 0.88):
            table(sc, x, sc.hz + 0.02 + row * 0.12, 0.07, c=(200, 160, 100))


def library(sc: Scene) -> None:
    """A library: three walls of bookshelves, a long reading table with green lamps."""
    room(sc, (90, 60, 44), (120, 40, 40), "carpet")
    for x0 in (0.0, 0.34, 0.68):
        shelves(sc, x0 + 0.01, x0 + 0.31, 0.02, sc.hz, 6, BOOKS, (70, 44, 28))
    table(sc, 0.5, sc.hz + 0.04, 0.18, c=DARK_WOOD)
    for x in (0.38, 0.62):
        sc.rect(x - 0.02, sc.hz - 0.0, x + 0.02, sc.hz + 0.04, (40, 110, 70))  # green reading lamps
        sc.rect(x - 0.003, sc.hz - 0.0, x + 0.003, sc.hz + 0.04, (200, 180, 80))


def gym(sc: Scene) -> None:
    """A gym: a punching bag where it covers no face, a weight rack, ring ropes and a GYM sign."""
    room(sc, (170, 176, 186), (52, 54, 60), "concrete")
    bag = sc.clear_x(0.08, 0.3, 0.04, 0.0, sc.hz) or 0.12
    sc.line([(bag, 0.0), (bag, 0.12)], (60, 60, 64), 0.006)
    sc.rect(bag - 0.035, 0.12, bag + 0.035, 0.46, (170, 36, 36), r=0.03)  # punching bag
    sc.rect(0.62, sc.hz - 0.22, 0.98, sc.hz, (50, 50, 56))  # weight rack and dumbbells
    for i in range(5):
        x = 0.65 + i * 0.065
        sc.rect(x, sc.hz - 0.15, x + 0.04, sc.hz - 0.13, METAL)
        sc.circle(x, sc.hz - 0.14, 0.022, (30, 30, 34))
        sc.circle(x + 0.04, sc.hz - 0.14, 0.022, (30, 30, 34))
    for i, c in enumerate(((200, 40, 40), (240, 240, 240), (40, 80, 200))):  # ring ropes across the back
        sc.line([(0.3, sc.hz - 0.2 + i * 0.06), (0.6, sc.hz - 0.2 + i * 0.06)], c, 0.008)
    for x in (0.3, 0.6):
        sc.rect(x - 0.006, sc.hz - 0.24, x + 0.006, sc.hz + 0.02, (200, 200, 204))
    sign(sc, 0.5, 0.1, "GYM", (30, 30, 34), (240, 200, 40))


def hospital(sc: Scene) -> None:
    """A hospital ward: two curtained beds with drip stands."""
    room(sc, (200, 226, 214), (214, 220, 222), "tiles")
    sc.line([(0.0, 0.06), (1.0, 0.06)], METAL, 0.008)
    for x in (0.04, 0.54):
        sc.rect(x, 0.06, x + 0.04, sc.hz - 0.02, (150, 196, 200))  # curtain
        sc.rect(x + 0.06, sc.hz - 0.12, x + 0.4, sc.hz - 0.04, (246, 246, 250))  # bed
        sc.rect(x + 0.06, sc.hz - 0.16, x + 0.14, sc.hz - 0.1, (250, 250, 252))
        sc.rect(x + 0.14, sc.hz - 0.12, x + 0.4, sc.hz - 0.06, (160, 200, 230))
        sc.rect(x + 0.06, sc.hz - 0.04, x + 0.4, sc.hz - 0.02, METAL)
        sc.line([(x + 0.44, 0.2), (x + 0.44, sc.hz)], METAL, 0.005)  # drip stand
        sc.rect(x + 0.43, 0.2, x + 0.45, 0.26, (220, 236, 250))
    sc.circle(0.5, 0.18, 0.03, (220, 60, 60))
    sc.rect(0.495, 0.16, 0.505, 0.2, (250, 250, 250))


def museum(sc: Scene) -> None:
    """A museum: four framed paintings, a bust on a pedestal and a rope barrier."""
    room(sc, (236, 230, 218), (170, 150, 120), "boards")
    arts = [(60, 90, 140), (170, 80, 60), (70, 120, 80), (200, 170, 80)]
    for i, x in enumerate((0.06, 0.31, 0.56, 0.81)):
        frame_picture(sc, x, 0.14 + 0.03 * (i % 2), x + 0.14, 0.38 + 0.03 * (i % 2), arts[i])
    sc.rect(0.45, sc.hz - 0.12, 0.55, sc.hz + 0.02, (240, 240, 236))  # pedestal and bust
    sc.circle(0.5, sc.hz - 0.17, 0.05, (200, 200, 196))
    for x in (0.05, 0.95):
        sc.rect(x - 0.005, sc.hz - 0.08, x + 0.005, sc.hz + 0.04, (200, 170, 60))
    sc.line([(0.05, sc.hz - 0.06), (0.5, sc.hz - 0.02), (0.95, sc.hz - 0.06)], (160, 30, 40), 0.008)


def concert_hall(sc: Scene) -> None:
    """A concert hall: a stage shell, orchestra chairs and stands, rows of red seats."""
    room(sc, (110, 50, 40), (140, 40, 44), "carpet")
    sc.rect(0.05, 0.12, 0.95, sc.hz - 0.08, (180, 130, 80))  # stage shell
    sc.rect(0.0, sc.hz - 0.08, 1.0, sc.hz, (120, 80, 50))
    sc.poly([(0.6, sc.hz - 0.12), (0.8, sc.hz - 0.12), (0.78, sc.hz - 0.22), (0.64, sc.hz - 0.2)], (20, 20, 24))
    for i in range(8):  # orchestra chairs and stands
        x = 0.1 + i * 0.06
        sc.rect(x, sc.hz - 0.13, x + 0.02, sc.hz - 0.08, (30, 30, 34))
        sc.line([(x + 0.03, sc.hz - 0.08), (x + 0.03, sc.hz - 0.17)], (30, 30, 34), 0.004)
    for row in range(3):  # audience seats
        y = sc.hz + 0.06 + row * 0.1
        for i in range(12):
            sc.rect(i / 12 + 0.006, y, (i + 1) / 12 - 0.006, y + 0.05, (170, 30, 40), r=0.01)


def theatre(sc: Scene) -> None:
    """A theatre stage: a dark wall between red curtains, a pelmet and a spotlight beam."""
    room(sc, (30, 24, 30), (150, 104, 60), "boards")
    for s in (0, 1):  # curtains
        x0, x1 = (0.0, 0.2) if s == 0 else (0.8, 1.0)
        sc.rect(x0, 0.0, x1, sc.hz, (160, 20, 30))
        for i in range(5):
            x = x0 + (x1 - x0) * (i + 0.5) / 5
            sc.line([(x, 0), (x, sc.hz)], (120, 10, 20), 0.01)
    sc.rect(0.0, 0.0, 1.0, 0.08, (140, 16, 26))
    sc.poly([(0.45, 0.0), (0.55, 0.0), (0.75, 1.0), (0.25, 1.0)], mix(sc.light.glow, (255, 250, 230), 0.5))


def garage(sc: Scene) -> None:
    """A garage: a roll-up door, a car and a stack of tyres."""
    room(sc, (150, 150, 146), (110, 110, 108), "concrete")
    sc.rect(0.3, 0.1, 0.98, sc.hz, (180, 184, 186))  # roll-up door
    for i in range(10):
        sc.line([(0.3, 0.12 + i * 0.05), (0.98, 0.12 + i * 0.05)], (150, 154, 158), 0.004)
    c = sc.rng.choice([(180, 40, 40), (40, 90, 170), (230, 200, 60)])
    sc.poly([(0.38, sc.hz - 0.1), (0.48, sc.hz - 0.22), (0.74, sc.hz - 0.22), (0.84, sc.hz - 0.1),
             (0.92, sc.hz - 0.08), (0.92, sc.hz + 0.02), (0.34, sc.hz + 0.02), (0.34, sc.hz - 0.08)], c)  # car
    sc.poly([(0.5, sc.hz - 0.2), (0.6, sc.hz - 0.2), (0.6, sc.hz - 0.11), (0.44, sc.hz - 0.11)], (160, 200, 220))
    for x in (0.44, 0.82):
        sc.circle(x, sc.hz + 0.02, 0.05, (30, 30, 32))
        sc.circle(x, sc.hz + 0.02, 0.02, METAL)
    for i in range(3):
        sc.circle(0.12, sc.hz - 0.04 - 0.05 * i, 0.035, (36, 36, 38))  # stack of tyres


def workshop(sc: Scene) -> None:
    """A workshop: a pegboard of tools, a workbench with a vice."""
    room(sc, (170, 140, 100), (130, 100, 70), "boards")
    sc.rect(0.1, 0.08, 0.9, 0.4, (200, 170, 120))  # pegboard of tools
    for i in range(7):
        x = 0.16 + i * 0.11
        sc.line([(x, 0.14), (x, 0.3)], (90, 60, 40), 0.01)
        sc.rect(x - 0.02, 0.12, x + 0.02, 0.16, METAL if i % 2 else (60, 60, 66))
    sc.rect(0.05, sc.hz - 0.16, 0.95, sc.hz - 0.12, WOOD)  # bench and vice
    for x in (0.08, 0.9):
        sc.rect(x, sc.hz - 0.12, x + 0.02, sc.hz + 0.03, DARK_WOOD)
    sc.rect(0.7, sc.hz - 0.22, 0.76, sc.hz - 0.16, (60, 90, 130))
    for i in range(3):
        sc.rect(0.2 + i * 0.02, sc.hz - 0.34, 0.22 + i * 0.02, sc.hz - 0.16, (210, 180, 130))


def home(sc: Scene) -> None:
    """A living room: a window, a picture, a sofa, a rug and a glowing floor lamp."""
    room(sc, (200, 180, 150), (150, 104, 70))
    window(sc, 0.06, 0.1, 0.3, 0.42)
    frame_picture(sc, 0.45, 0.12, 0.6, 0.28, (90, 120, 160))
    sc.rect(0.36, sc.hz - 0.14, 0.72, sc.hz, (90, 110, 150), r=0.02)  # sofa
    sc.rect(0.36, sc.hz - 0.2, 0.72, sc.hz - 0.12, (80, 100, 138), r=0.02)
    sc.oval(0.3, sc.hz + 0.05, 0.78, sc.hz + 0.14, (170, 70, 60))  # rug
    lx = 0.85
    sc.line([(lx, sc.hz), (lx, sc.hz - 0.3)], (50, 46, 40), 0.006)
    sc.poly([(lx - 0.04, sc.hz - 0.3), (lx + 0.04, sc.hz - 0.3), (lx + 0.03, sc.hz - 0.38), (lx - 0.03, sc.hz - 0.38)],
            sc.glow((236, 220, 180)), raw=True)


def bedroom(sc: Scene) -> None:
    """A bedroom: a window, a bed with pillow and blanket, a nightstand and lamp."""
    room(sc, (190, 200, 226), (160, 120, 90))
    window(sc, 0.7, 0.08, 0.92, 0.38)
    sc.rect(0.1, sc.hz - 0.2, 0.14, sc.hz, DARK_WOOD)  # headboard, bed, pillow, blanket
    sc.rect(0.14, sc.hz - 0.1, 0.56, sc.hz, (244, 244, 246))
    sc.rect(0.15, sc.hz - 0.14, 0.26, sc.hz - 0.08, (250, 250, 250), r=0.02)
    sc.rect(0.26, sc.hz - 0.11, 0.56, sc.hz + 0.01, (90, 130, 190))
    sc.rect(0.58, sc.hz - 0.1, 0.66, sc.hz, WOOD)  # nightstand and lamp
    sc.poly([(0.6, sc.hz - 0.12), (0.64, sc.hz - 0.12), (0.645, sc.hz - 0.17), (0.595, sc.hz - 0.17)],
            sc.glow((240, 220, 180)), raw=True)


def laboratory(sc: Scene) -> None:
    """A laboratory: a fume hood, a bench with flasks of coloured liquids and a microscope."""
    room(sc, (232, 238, 240), (190, 196, 200), "tiles")
    sc.rect(0.6, 0.06, 0.95, sc.hz - 0.2, (200, 214, 220))  # fume hood
    sc.rect(0.62, 0.1, 0.93, sc.hz - 0.24, (150, 190, 200))
    sc.rect(0.0, sc.hz - 0.18, 1.0, sc.hz, (60, 70, 80))  # bench and flasks of coloured liquids
    sc.rect(0.0, sc.hz - 0.2, 1.0, sc.hz - 0.17, (30, 34, 40))
    for i, c in enumerate(((60, 200, 120), (220, 60, 160), (60, 140, 230), (240, 200, 40))):
        x = 0.08 + i * 0.1
        sc.poly([(x - 0.025, sc.hz - 0.2), (x + 0.025, sc.hz - 0.2), (x + 0.008, sc.hz - 0.28),
                 (x - 0.008, sc.hz - 0.28)], c)
        sc.rect(x - 0.006, sc.hz - 0.32, x + 0.006, sc.hz - 0.28, (220, 236, 240))
    sc.rect(0.5, sc.hz - 0.32, 0.54, sc.hz - 0.2, (40, 40, 46))  # microscope


def station(sc: Scene) -> None:
    """A station: a vaulted roof, a train with lit windows, the track, a platform and a PLATFORM 2 sign."""
    sc.rect(0, 0, 1, sc.hz, (120, 110, 100))
    sc.d.arc(sc._box(-0.1, -0.3, 1.1, 0.6), 180, 360, fill=sc.lit((80, 70, 64)), width=round(0.02 * sc.h))
    train = sc.rng.choice([(180, 40, 40), (40, 100, 160), (40, 130, 90)])
    sc.rect(0.0, 0.26, 1.0, sc.hz - 0.06, train)  # carriages with windows
    for i in range(9):
        sc.rect(0.03 + i * 0.11, 0.3, 0.11 + i * 0.11, 0.4, sc.glow((170, 190, 210)), raw=True)
    sc.rect(0.0, sc.hz - 0.06, 1.0, sc.hz, (40, 40, 44))  # track
    sc.rect(0.0, sc.hz, 1.0, 1.0, (150, 146, 140))  # platform with a yellow line
    sc.rect(0.0, sc.hz + 0.02, 1.0, sc.hz + 0.04, (240, 200, 40))
    sc.circle(0.5, 0.1, 0.05, (250, 250, 246))
    sc.line([(0.5, 0.1), (0.5, 0.07)], (20, 20, 20), 0.006)
    sign(sc, 0.2, 0.12, "PLATFORM 2", (30, 60, 120), size=0.035)


def warehouse(sc: Scene) -> None:
    """A warehouse: three bays of pallet racking stacked with boxes."""
    room(sc, (130, 120, 108), (120, 118, 112), "concrete")
    for x0 in (0.0, 0.36, 0.72):
        for lvl in range(3):
            y = 0.08 + lvl * 0.17
            sc.rect(x0, y + 0.15, x0 + 0.3, y + 0.17, (220, 110, 40))
            for i in range(3):
                sc.rect(x0 + 0.01 + i * 0.1, y + 0.04, x0 + 0.09 + i * 0.1, y + 0.15, (184, 140, 90))
        for x in (x0, x0 + 0.3):
            sc.rect(x - 0.006, 0.08, x + 0.006, sc.hz, (40, 80, 150))


def church(sc: Scene) -> None:
    """A church: stained-glass windows (glowing when the lamps are lit), an altar with candles, pews."""
    room(sc, (170, 160, 144), (130, 120, 110), "stone")
    glass = [(200, 40, 60), (40, 80, 180), (240, 190, 40), (60, 150, 80)]
    for x in (0.15, 0.5, 0.85):  # stained glass
        sc.rect(x - 0.06, 0.12, x + 0.06, 0.42, (70, 60, 60))
        sc.circle(x, 0.14, 0.058 * sc.w / sc.h * 0.55, (70, 60, 60))
        for i in range(4):
            sc.rect(x - 0.05 + (i % 2) * 0.05, 0.14 + (i // 2) * 0.13, x + (i % 2) * 0.05, 0.26 + (i // 2) * 0.13,
                    sc.glow(glass[i]) if sc.light.lamps_on else glass[i], raw=True)
    sc.rect(0.42, sc.hz - 0.1, 0.58, sc.hz, (240, 236, 226))  # altar and candles
    for x in (0.45, 0.55):
        sc.rect(x - 0.004, sc.hz - 0.16, x + 0.004, sc.hz - 0.1, (250, 246, 230))
        sc.circle(x, sc.hz - 0.17, 0.008, (255, 200, 80), raw=True)
    for row in range(3):  # pews
        y = sc.hz + 0.07 + row * 0.11
        for x0, x1 in ((0.0, 0.38), (0.62, 1.0)):
            sc.rect(x0, y, x1, y + 0.05, DARK_WOOD)


def bar(sc: Scene) -> None:
    """A bar: shelves of bottles, a counter with stools and a neon BAR sign."""
    room(sc, (60, 36, 30), (80, 50, 36))
    bottles = [(60, 140, 70), (170, 110, 40), (200, 200, 210), (120, 40, 40)]
    for lvl in range(3):
        y = 0.12 + lvl * 0.1
        sc.rect(0.1, y + 0.07, 0.9, y + 0.08, (120, 80, 50))
        for i in range(20):
            x = 0.12 + i * 0.039
            sc.rect(x, y + 0.01, x + 0.018, y + 0.07, bottles[(i + lvl) % 4])
    sc.rect(0.0, sc.hz - 0.18, 1.0, sc.hz, (110, 60, 36))  # counter and stools
    sc.rect(0.0, sc.hz - 0.2, 1.0, sc.hz - 0.17, (150, 90, 50))
    for x in (0.15, 0.38, 0.62, 0.85):
        sc.line([(x, sc.hz), (x, sc.hz + 0.08)], (40, 40, 44), 0.008)
        sc.oval(x - 0.03, sc.hz - 0.01, x + 0.03, sc.hz + 0.02, (160, 30, 40))
    sign(sc, 0.5, 0.06, "BAR", (20, 10, 20), (255, 90, 160), size=0.04)


def cave(sc: Scene) -> None:
    """A cave: a rocky ceiling with stalactites, a dark mouth and a fire on one side."""
    sc.rect(0, 0, 1, 1, (52, 46, 44))
    sc.poly([(0, 0), (1, 0), (1, 0.2), (0.85, 0.12), (0.7, 0.25), (0.5, 0.15), (0.3, 0.26), (0.12, 0.14), (0, 0.22)],
            (34, 30, 30))
    for i in range(9):  # stalactites
        x = 0.05 + i * 0.11
        sc.poly([(x - 0.02, 0.12), (x + 0.02, 0.12), (x, 0.2 + 0.05 * (i % 3))], (70, 62, 58))
    sc.poly([(0, sc.hz), (0.3, sc.hz - 0.04), (0.7, sc.hz - 0.02), (1, sc.hz - 0.05), (1, 1), (0, 1)], (84, 74, 66))
    sc.oval(0.3, 0.2, 0.7, sc.hz, (26, 22, 24))  # the cave mouth, dark
    fire(sc, sc.rng.choice((0.08, 0.92)), sc.hz + 0.1, 0.12)


INTERIORS = {
    "kitchen": kitchen, "restaurant": restaurant, "cafe": cafe, "shop": shop, "bookshop": bookshop,
    "bakery": bakery, "office": office, "classroom": classroom, "library": library, "gym": gym,
    "hospital": hospital, "museum": museum, "concert_hall": concert_hall, "theatre": theatre, "garage": garage,
    "workshop": workshop, "home": home, "bedroom": bedroom, "laboratory": laboratory, "station": station,
    "warehouse": warehouse, "church": church, "bar": bar, "cave": cave,
}
