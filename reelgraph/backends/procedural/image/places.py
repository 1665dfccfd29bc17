"""One painter per place of reelgraph.schema.places, the light of the shot, and which place a spec stands for.

`resolve(spec)` -> (place key, fallback words): the spec's `place` if known, else a PLACES key or label found in the
setting's words; otherwise "" and the words to write on the labelled fallback set (never silently another place).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import replace

from PIL import ImageDraw

from reelgraph.backends.base import KeyframeSpec
from reelgraph.backends.procedural.image import props
from reelgraph.backends.procedural.image.exteriors import EXTERIORS, fallback
from reelgraph.backends.procedural.image.interiors import INTERIORS
from reelgraph.backends.procedural.image.paint import LIGHTS, RGB, Box, Light, Scene, gradient, mix, soften
from reelgraph.schema.places import PLACES

PAINTERS: dict[str, Callable[[Scene], None]] = {**INTERIORS, **EXTERIORS}
HORIZON = {"sea": 0.5, "coast": 0.52, "harbour": 0.55, "beach": 0.55, "space": 0.66, "rooftop": 0.5,
           "mountain": 0.62, "station": 0.62, "cave": 0.62, "concert_hall": 0.55}
SPACE_SKY: tuple[RGB, RGB] = ((2, 3, 10), (14, 16, 34))
TIME_LIGHT = {"dawn": "dawn", "golden": "golden", "dusk": "dusk", "night": "night"}
_ARTICLE = re.compile(r"^(?:a|an|the)\s+")


def _phrases() -> list[tuple[str, str]]:
    out = []
    for key, (label, _) in PLACES.items():
        for phrase in {key.replace("_", " "), _ARTICLE.sub("", label.lower())}:
            out.append((phrase, key))
    return out


PHRASES = _phrases()


def resolve(spec: KeyframeSpec) -> tuple[str, str]:
    """(place key, "") for a known place; ("", words to label the fallback) for an unknown one."""
    if spec.place in PLACES:
        return spec.place, ""
    text = (spec.setting or "").lower().replace("café", "cafe")
    best: tuple[tuple[int, int], str] | None = None
    for phrase, key in PHRASES:
        m = re.search(rf"\b{re.escape(phrase)}(?:s|es)?\b", text)
        if m and (best is None or (m.start(), -len(phrase)) < best[0]):
            best = ((m.start(), -len(phrase)), key)
    if best:
        return best[1], ""
    return "", (spec.place.replace("_", " ") if spec.place else spec.setting) or "somewhere"


def light_of(spec: KeyframeSpec, key: str, interior: bool) -> tuple[str, Light]:
    """The lighting name and Light of a shot: the Director's lighting, the time of day and the weather."""
    name = spec.lighting if spec.lighting in LIGHTS else "day"
    if spec.time_of_day in TIME_LIGHT and name in ("day", "interior"):
        name = TIME_LIGHT[spec.time_of_day]
    if spec.weather == "storm" and name == "day":
        name = "storm"
    light = LIGHTS[name]
    if key == "space" and name != "darkness":  # no night in space: the sun lights whatever it sees
        light = replace(light, ambient=soften(light.ambient, 0.5), sky=SPACE_SKY)
    elif interior and name in ("night", "dusk", "storm"):  # indoors at night the lamps are lit
        light = replace(light, ambient=soften(light.ambient, 0.45))
    elif spec.weather in ("rain", "fog") and not interior:
        grey = (150, 154, 162)
        light = replace(light, sky=(mix(light.sky[0], grey, 0.6), mix(light.sky[1], grey, 0.5)), disc=None,
                        ambient=tuple(a * 0.86 for a in light.ambient))  # type: ignore[arg-type]
    return name, light


def season_of(spec: KeyframeSpec) -> str:
    """The spec's season; when it gives none, winter if it snows, else summer."""
    if spec.season:
        return spec.season
    return "winter" if spec.weather == "snow" else "summer"


def scene_for(spec: KeyframeSpec, w: int, h: int, heads: list[Box]) -> tuple[Scene, str, str]:
    """A Scene with its sky painted: (scene, place key, fallback words)."""
    key, words = resolve(spec)
    interior = PLACES[key][1] if key else bool(spec.interior)
    name, light = light_of(spec, key, interior)
    hz = HORIZON.get(key, 0.62 if interior else 0.6)
    top, horizon = light.sky
    far = mix(horizon, (150, 150, 146), 0.6)
    img = gradient(w, h, [(0.0, top), (hz - 1e-6, horizon), (hz, far), (1.0, far)])
    rng = random.Random(f"{spec.seed}|{key or words}|{spec.setting}")
    sc = Scene(img=img, d=ImageDraw.Draw(img), w=w, h=h, hz=hz, place=key or "fallback", light=light,
               lighting=name, rng=rng, interior=interior, weather=spec.weather or "clear", season=season_of(spec),
               heads=heads)
    return sc, key, words


def paint_place(sc: Scene, key: str, words: str, crowd: bool) -> None:
    """Everything behind the characters."""
    if not sc.interior and key != "space":  # space paints its own sky: stars, a planet, no weather
        props.outdoor_sky(sc)
    if key:
        PAINTERS[key](sc)
    else:
        fallback(sc, words)
    if crowd:
        props.crowd(sc, sc.hz + 0.1, 0.24)
    if sc.weather == "fog" or (sc.weather == "snow" and not sc.interior):
        props.fog(sc, 0.3 if sc.weather == "fog" else 0.12)
