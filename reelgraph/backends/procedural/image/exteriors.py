"""Painters of the outdoor places: the sky is already drawn down to `sc.hz`; each paints its land and set pieces."""

from __future__ import annotations

from reelgraph.backends.procedural.image.interiors import sign
from reelgraph.backends.procedural.image.paint import RGB, Scene, shade
from reelgraph.backends.procedural.image.props import (
    boat,
    building,
    flowers,
    ground,
    house,
    lamp_post,
    lighthouse,
    stars,
    tree,
    wavy,
)

GRASS: dict[str, tuple[RGB, RGB]] = {
    "spring": ((130, 184, 96), (96, 160, 70)), "summer": ((112, 164, 80), (80, 140, 60)),
    "autumn": ((170, 150, 80), (140, 120, 60)), "winter": ((226, 230, 236), (206, 212, 222)),
}


def grass(sc: Scene) -> tuple[RGB, RGB]:
    """The (far, near) grass colours of the scene's season (summer's for an unknown one)."""
    return GRASS.get(sc.season, GRASS["summer"])


def water(sc: Scene, y0: float, y1: float, rough: float = 1.0) -> None:
    """Water from y0 to y1: two blues, wave crests longer and thicker nearer; `rough` scales their count and length."""
    sc.rect(0, y0, 1, y1, (44, 100, 156))
    sc.rect(0, y0 + (y1 - y0) * 0.5, 1, y1, (32, 84, 136))
    crest = (214, 228, 240)
    for _ in range(int(36 * rough)):
        y = sc.uniform(y0 + 0.01, y1)
        k = (y - y0) / max(1e-3, y1 - y0)
        x, ln = sc.uniform(0, 1), (0.02 + 0.05 * k) * rough
        sc.line([(x, y), (x + ln, y - 0.004 * k * rough)], crest, 0.002 + 0.006 * k)


def market(sc: Scene) -> None:
    """A market square: buildings behind three striped stalls with counters of fruit."""
    ground(sc, (170, 150, 120), (140, 120, 96))
    for x0 in (0.02, 0.35, 0.68):
        building(sc, x0, x0 + 0.3, sc.hz - 0.34, sc.hz, (190, 160, 130), 0.4)
    stripes = sc.rng.sample([(200, 50, 50), (40, 110, 190), (50, 150, 80), (230, 170, 40)], 3)
    fruit = [(220, 60, 40), (240, 180, 40), (90, 170, 60), (240, 120, 30)]
    for i, x in enumerate((0.17, 0.5, 0.83)):  # stalls: awning, counter, crates of fruit
        for k in range(6):
            sc.rect(x - 0.15 + k * 0.05, sc.hz - 0.22, x - 0.1 + k * 0.05, sc.hz - 0.15,
                    stripes[i] if k % 2 else (246, 242, 232))
        sc.rect(x - 0.14, sc.hz - 0.04, x + 0.14, sc.hz + 0.06, (150, 104, 64))
        for k in range(9):
            sc.circle(x - 0.12 + k * 0.03, sc.hz - 0.05, 0.018, fruit[(k + i) % 4])
        for s in (-1, 1):
            sc.rect(x + s * 0.14 - 0.004, sc.hz - 0.15, x + s * 0.14 + 0.004, sc.hz, (90, 64, 40))


def city_street(sc: Scene) -> None:
    """A city street: a row of blocks of flats, a pavement, a road with lane marks and two lamp posts."""
    x = -sc.uniform(0, 0.05)
    while x < 1:
        bw = sc.uniform(0.1, 0.18)
        building(sc, x, x + bw, sc.hz - sc.uniform(0.28, 0.5), sc.hz, shade((150, 146, 160), sc.uniform(0.75, 1.05)))
        x += bw + sc.uniform(0, 0.02)
    sc.rect(0, sc.hz, 1, sc.hz + 0.05, (150, 146, 142))
    sc.rect(0, sc.hz + 0.05, 1, 1, (70, 70, 78))
    for i in range(8):
        sc.rect((i + 0.25) / 8, 0.88, (i + 0.25) / 8 + 0.05, 0.895, (220, 210, 150))
    for x in (sc.uniform(0.05, 0.2), sc.uniform(0.8, 0.95)):
        lamp_post(sc, x, sc.hz + 0.06, 0.4)


def harbour(sc: Scene) -> None:
    """A harbour: water, warehouses and a crane on the quay, two boats, a pier with bollards in front."""
    water(sc, sc.hz, 1.0, 0.7)
    for x0 in (0.55, 0.75):
        sc.rect(x0, sc.hz - 0.18, x0 + 0.18, sc.hz, (160, 90, 60))  # warehouses on the quay
        sc.poly([(x0, sc.hz - 0.18), (x0 + 0.09, sc.hz - 0.25), (x0 + 0.18, sc.hz - 0.18)], (110, 60, 44))
    sc.line([(0.5, sc.hz), (0.5, sc.hz - 0.36), (0.66, sc.hz - 0.36)], (230, 170, 40), 0.01)  # crane
    for x, c in ((0.12, (180, 60, 50)), (0.32, (40, 90, 160))):
        boat(sc, x, sc.hz + 0.06, 0.16, c)
    sc.rect(0, 0.8, 1, 0.86, (120, 90, 60))  # pier and bollards
    for i in range(6):
        sc.rect(0.05 + i * 0.18, 0.86, 0.07 + i * 0.18, 1.0, (90, 64, 44))
        sc.rect(0.08 + i * 0.18, 0.76, 0.1 + i * 0.18, 0.8, (40, 40, 44))


def coast(sc: Scene) -> None:
    """A coast: sea (rougher in a storm), a grassy cliff edge and a lighthouse where it covers no face."""
    water(sc, sc.hz, 1.0, 2.2 if sc.lighting == "storm" or sc.weather == "storm" else 1.0)
    edge = sc.uniform(0.58, 0.7)
    sc.poly([(0, 0.72), (edge, 0.72), (edge + 0.04, 0.78), (edge + 0.02, 0.88), (edge + 0.07, 1), (0, 1)],
            (112, 100, 90))
    sc.rect(0, 0.71, edge, 0.77, grass(sc)[1])
    x = sc.clear_x(0.74, 0.92, 0.03, 0.2, sc.hz) or 0.88
    lighthouse(sc, x, sc.hz, 0.2)


def sea(sc: Scene) -> None:
    """Open sea (rougher in a storm) with a boat near the horizon."""
    water(sc, sc.hz, 1.0, 2.5 if sc.lighting == "storm" or sc.weather == "storm" else 1.3)
    boat(sc, sc.uniform(0.7, 0.9), sc.hz + 0.03, 0.1)


def beach(sc: Scene) -> None:
    """A beach: a strip of sea, surf and sand, a parasol and a towel."""
    water(sc, sc.hz, sc.hz + 0.12, 0.6)
    wavy(sc, sc.hz + 0.12, 0.01, 3, (240, 246, 246))
    wavy(sc, sc.hz + 0.13, 0.01, 3, (238, 214, 160))
    x = sc.uniform(0.75, 0.92)  # parasol and towel
    sc.line([(x, 0.74), (x, 0.5)], (240, 240, 240), 0.006)
    sc.d.pieslice(sc._box(x - 0.09, 0.46, x + 0.09, 0.58), 180, 360, fill=sc.lit((230, 70, 60)))
    sc.rect(x - 0.12, 0.8, x - 0.02, 0.84, (60, 120, 200))
    for _ in range(6):
        sc.circle(sc.uniform(0, 1), sc.uniform(0.8, 0.98), 0.006, (250, 236, 220))


def forest(sc: Scene) -> None:
    """A forest: a wooded ridge, ten trees (pines or broadleaves) in depth order, and a path."""
    wavy(sc, sc.hz - 0.06, 0.03, 5, (52, 92, 60))
    ground(sc, (70, 110, 60), (48, 88, 44)) if sc.season != "winter" else ground(sc, *GRASS["winter"])
    for depth, x in sorted((sc.uniform(0, 1), sc.uniform(0, 1)) for _ in range(10)):
        tree(sc, x, sc.hz + depth * 0.14, 0.35 + 0.3 * depth, pine=sc.rng.random() < 0.5)
    sc.poly([(0.42, sc.hz + 0.1), (0.58, sc.hz + 0.1), (0.8, 1), (0.2, 1)], (132, 112, 80))


def desert(sc: Scene) -> None:
    """A desert: two dune bands and a cactus on each side."""
    wavy(sc, sc.hz - 0.03, 0.04, 1.3, (226, 188, 128), sc.uniform(0, 6))
    wavy(sc, sc.hz + 0.08, 0.05, 0.9, (236, 204, 146), sc.uniform(0, 6))
    for x in (sc.uniform(0.05, 0.2), sc.uniform(0.78, 0.92)):  # cacti
        ax = sc.h / sc.w
        sc.rect(x - 0.015 * ax, sc.hz - 0.12, x + 0.015 * ax, sc.hz + 0.1, (74, 130, 72), r=0.012)
        sc.rect(x - 0.06 * ax, sc.hz - 0.06, x - 0.015 * ax, sc.hz - 0.04, (74, 130, 72))
        sc.rect(x - 0.06 * ax, sc.hz - 0.1, x - 0.04 * ax, sc.hz - 0.04, (74, 130, 72), r=0.008)


def snow(sc: Scene) -> None:
    """A snowy landscape: white hills, snow-capped pines at the sides and falling snow in the sky."""
    wavy(sc, sc.hz - 0.04, 0.03, 1.5, (214, 222, 236))
    wavy(sc, sc.hz + 0.04, 0.02, 1.1, (240, 244, 250))
    for x in (0.08, 0.2, 0.85, 0.94):
        tree(sc, x, sc.hz + 0.05, 0.3, pine=True)
        sc.poly([(x - 0.03, sc.hz - 0.1), (x + 0.03, sc.hz - 0.1), (x, sc.hz - 0.2)], (246, 248, 252))
    for _ in range(60):
        sc.circle(sc.uniform(0, 1), sc.uniform(0, sc.hz), 0.004, (246, 248, 252))


def mountain(sc: Scene) -> None:
    """Mountains: two ranges of snow-capped peaks, a grassy foreground and rocks."""
    for layer, colour in ((0, (132, 146, 170)), (1, (98, 112, 128))):
        x = -sc.uniform(0, 0.2)
        while x < 1:
            mw, mh = sc.uniform(0.25, 0.45), sc.uniform(0.25, 0.45 - 0.1 * layer)
            peak = (x + mw / 2, sc.hz - mh)
            sc.poly([(x, sc.hz), peak, (x + mw, sc.hz)], colour)
            sc.poly([peak, (peak[0] - mw * 0.12, peak[1] + mh * 0.24), (peak[0], peak[1] + mh * 0.18),
                     (peak[0] + mw * 0.12, peak[1] + mh * 0.24)], (240, 242, 246))
            x += mw * sc.uniform(0.5, 0.8)
    wavy(sc, sc.hz + 0.02, 0.02, 2, grass(sc)[0])
    sc.poly([(0.0, 1.0), (0.0, 0.8), (0.2, 0.86), (0.34, 1.0)], (110, 104, 100))  # rocks


def garden(sc: Scene) -> None:
    """A garden: a hedge, a picket fence, two flower beds and a path."""
    ground(sc, *grass(sc))
    sc.rect(0, sc.hz - 0.16, 1, sc.hz + 0.01, (50, 110, 56), r=0.03)  # hedge
    for i in range(14):  # picket fence
        x = i / 13
        sc.rect(x - 0.008, sc.hz - 0.08, x + 0.008, sc.hz + 0.04, (244, 244, 240))
    for x0 in (0.02, 0.68):  # flower beds
        sc.rect(x0, 0.78, x0 + 0.3, 0.9, (110, 76, 50), r=0.02)
        for k in range(10):
            sc.circle(x0 + 0.02 + k * 0.028, 0.78, 0.012, [(230, 80, 120), (250, 210, 60), (240, 240, 250)][k % 3])
    sc.poly([(0.45, sc.hz + 0.01), (0.55, sc.hz + 0.01), (0.64, 1), (0.36, 1)], (200, 186, 160))


def park(sc: Scene) -> None:
    """A park: trees, a pond, a bench and a lamp post."""
    ground(sc, *grass(sc))
    for x in (0.1, 0.3, 0.75, 0.92):
        tree(sc, x, sc.hz + 0.02, 0.4)
    sc.oval(0.45, sc.hz + 0.04, 0.75, sc.hz + 0.12, (70, 130, 180))  # pond
    sc.rect(0.12, 0.8, 0.3, 0.82, (120, 80, 50))  # bench
    sc.rect(0.12, 0.76, 0.3, 0.775, (120, 80, 50))
    for x in (0.13, 0.29):
        sc.rect(x - 0.004, 0.82, x + 0.004, 0.87, (40, 40, 44))
    lamp_post(sc, 0.4, sc.hz + 0.06, 0.3)


def field(sc: Scene) -> None:
    """Fields: two rolling hills in season colours, a tree, a fence along the hill and flowers."""
    far, near = grass(sc)
    wavy(sc, sc.hz - 0.02, 0.025, 1.6, far, sc.uniform(0, 6))
    wavy(sc, sc.hz + 0.08, 0.03, 1.1, near, sc.uniform(0, 6))
    tree(sc, sc.uniform(0.05, 0.25), sc.hz + 0.04, 0.42)
    for i in range(8):  # a fence along the hill
        x = 0.55 + i * 0.06
        sc.rect(x - 0.004, sc.hz - 0.02, x + 0.004, sc.hz + 0.06, (120, 90, 60))
    sc.line([(0.55, sc.hz + 0.0), (1.0, sc.hz + 0.0)], (120, 90, 60), 0.006)
    flowers(sc, 30, sc.hz + 0.15, 1.0)


def farm(sc: Scene) -> None:
    """A farm: crop rows in perspective, a red barn and two haystacks."""
    ground(sc, (170, 150, 80), (120, 150, 70))
    for i in range(8):  # crop rows
        sc.line([(0.5 + (i - 4) * 0.06, sc.hz + 0.02), (0.5 + (i - 4) * 0.3, 1.0)], (100, 120, 50), 0.006)
    x = 0.78  # barn
    sc.rect(x - 0.12, sc.hz - 0.22, x + 0.12, sc.hz + 0.02, (170, 40, 36))
    sc.poly([(x - 0.14, sc.hz - 0.22), (x, sc.hz - 0.34), (x + 0.14, sc.hz - 0.22)], (120, 30, 30))
    sc.rect(x - 0.05, sc.hz - 0.12, x + 0.05, sc.hz + 0.02, (240, 236, 226))
    sc.line([(x - 0.05, sc.hz - 0.12), (x + 0.05, sc.hz + 0.02)], (170, 40, 36), 0.006)
    for hx in (0.12, 0.3):  # haystacks
        sc.d.pieslice(sc._box(hx - 0.06, sc.hz - 0.06, hx + 0.06, sc.hz + 0.06), 180, 360, fill=sc.lit((220, 190, 90)))


def river(sc: Scene) -> None:
    """A river: grass, the water with ripples, a stone bridge, reeds and a tree."""
    ground(sc, *grass(sc))
    sc.poly([(0.0, sc.hz + 0.06), (1.0, sc.hz + 0.02), (1.0, sc.hz + 0.16), (0.0, sc.hz + 0.24)], (60, 120, 170))
    for _ in range(20):
        x, y = sc.uniform(0, 1), sc.uniform(sc.hz + 0.06, sc.hz + 0.18)
        sc.line([(x, y), (x + 0.04, y)], (180, 210, 230), 0.003)
    sc.d.arc(sc._box(0.55, sc.hz - 0.06, 0.85, sc.hz + 0.2), 180, 360, fill=sc.lit((150, 140, 130)),
             width=round(0.03 * sc.h))  # stone bridge
    for x in (0.05, 0.12, 0.9, 0.95):  # reeds
        sc.line([(x, 0.86), (x + 0.01, 0.74)], (90, 120, 60), 0.005)
    tree(sc, 0.3, sc.hz + 0.03, 0.32)


def village(sc: Scene) -> None:
    """A village: a cobbled square with four houses and a well."""
    sc.rect(0, sc.hz, 1, 1, (170, 160, 150))
    for i in range(14):  # cobbles
        sc.line([(0, sc.hz + i * 0.03), (1, sc.hz + i * 0.03)], (140, 132, 124), 0.003)
    walls = [(220, 200, 160), (200, 170, 150), (230, 220, 200), (190, 180, 150)]
    for i, x in enumerate((0.1, 0.32, 0.68, 0.9)):
        house(sc, x, sc.hz + 0.01, 0.3, walls[i])
    sc.rect(0.46, sc.hz - 0.04, 0.54, sc.hz + 0.04, (140, 130, 120))  # the well
    sc.poly([(0.44, sc.hz - 0.06), (0.5, sc.hz - 0.14), (0.56, sc.hz - 0.06)], (120, 60, 40))


def castle(sc: Scene) -> None:
    """A castle: a crenellated stone wall with three towers, a flag and a gate."""
    ground(sc, *grass(sc))
    stone = (150, 146, 140)
    sc.rect(0.2, sc.hz - 0.3, 0.8, sc.hz + 0.02, stone)
    for x in (0.15, 0.5, 0.85):
        w = 0.06 if x != 0.5 else 0.08
        top = sc.hz - (0.44 if x != 0.5 else 0.52)
        sc.rect(x - w, top, x + w, sc.hz + 0.02, shade(stone, 0.92))
        for k in range(4):
            sc.rect(x - w + k * w / 2, top - 0.03, x - w + k * w / 2 + w / 4, top, shade(stone, 0.92))
    sc.line([(0.5, sc.hz - 0.55), (0.5, sc.hz - 0.66)], (60, 50, 40), 0.004)
    sc.poly([(0.5, sc.hz - 0.66), (0.56, sc.hz - 0.63), (0.5, sc.hz - 0.6)], (200, 40, 40))
    sc.d.pieslice(sc._box(0.45, sc.hz - 0.12, 0.55, sc.hz + 0.08), 180, 360, fill=sc.lit((50, 40, 36)))
    for k in range(12):
        sc.rect(0.2 + k * 0.05, sc.hz - 0.33, 0.225 + k * 0.05, sc.hz - 0.3, stone)


def rooftop(sc: Scene) -> None:
    """A rooftop: the skyline behind, a roof deck with parapet, chimneys and a water tank."""
    x = 0.0
    while x < 1:  # the skyline behind
        bw = sc.uniform(0.06, 0.12)
        building(sc, x, x + bw, sc.hz - sc.uniform(0.15, 0.35), sc.hz + 0.1, (90, 96, 116), 0.5)
        x += bw
    sc.rect(0, sc.hz + 0.1, 1, 1, (110, 100, 96))  # roof deck, parapet, chimneys and a water tank
    sc.rect(0, sc.hz + 0.08, 1, sc.hz + 0.12, (150, 140, 130))
    for cx in (0.08, 0.9):
        sc.rect(cx - 0.025, sc.hz - 0.06, cx + 0.025, sc.hz + 0.1, (150, 70, 50))
    sc.rect(0.72, sc.hz - 0.2, 0.8, sc.hz - 0.06, (120, 86, 56))
    sc.line([(0.73, sc.hz - 0.06), (0.73, sc.hz + 0.1)], (60, 60, 60), 0.004)
    sc.line([(0.79, sc.hz - 0.06), (0.79, sc.hz + 0.1)], (60, 60, 60), 0.004)


def space(sc: Scene) -> None:
    """Space: stars, a ringed planet where it covers no face, and a cratered moon surface."""
    stars(sc, 160, bottom=sc.hz)
    x = sc.clear_x(0.15, 0.85, 0.12, 0.05, 0.4) or 0.8
    planet = sc.rng.choice([(196, 120, 86), (96, 140, 200), (170, 150, 200)])
    sc.circle(x, 0.22, 0.14, planet, raw=True)
    sc.circle(x + 0.04, 0.22, 0.12, shade(planet, 0.55), raw=True)
    sc.d.ellipse(sc._box(x - 0.28, 0.2, x + 0.28, 0.245), outline=(220, 214, 200), width=max(1, round(0.008 * sc.h)))
    sc.rect(0, sc.hz, 1, 1, (110, 108, 114))
    for _ in range(7):  # craters
        cx, cy = sc.uniform(0, 1), sc.uniform(sc.hz + 0.04, 1)
        r = sc.uniform(0.02, 0.06) * (0.4 + (cy - sc.hz) / (1 - sc.hz))
        sc.oval(cx - r, cy - r * 0.5, cx + r, cy + r * 0.5, (70, 68, 74))


def fallback(sc: Scene, words: str) -> None:
    """An unknown place: a plain grey set (stage flats) with a card that says what it stands for."""
    if sc.interior:
        sc.rect(0, 0, 1, sc.hz, (168, 168, 164))
    sc.rect(0, sc.hz, 1, 1, (132, 132, 128))
    for i in range(1, 6):
        sc.line([(0, sc.hz + (1 - sc.hz) * (i / 6) ** 1.4), (1, sc.hz + (1 - sc.hz) * (i / 6) ** 1.4)],
                (120, 120, 116), 0.003)
    text = (words or "somewhere").strip()[:40]
    sign(sc, 0.5, 0.08, text.upper(), (60, 60, 64), (240, 240, 236), size=0.035)


EXTERIORS = {
    "market": market, "city_street": city_street, "harbour": harbour, "coast": coast, "sea": sea, "beach": beach,
    "forest": forest, "desert": desert, "snow": snow, "mountain": mountain, "garden": garden, "park": park,
    "field": field, "farm": farm, "river": river, "village": village, "castle": castle, "rooftop": rooftop,
    "space": space,
}
