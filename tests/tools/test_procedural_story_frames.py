"""Storyboard frames that show the story: places, a distinct cast, framing, captions, exposure and bridges."""

from __future__ import annotations

import colorsys
import importlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelgraph.backends.base import KeyframeSpec, MotionSpec
from reelgraph.backends.procedural.image import ProceduralImageBackend, look_of
from reelgraph.backends.procedural.image.caption import band_height
from reelgraph.backends.procedural.image.layout import _clean, arrange
from reelgraph.backends.procedural.video import ProceduralVideoBackend
from reelgraph.backends.registry import BACKENDS
from reelgraph.config import BackendConfig
from reelgraph.media.ffmpeg import decode_frames
from reelgraph.schema import Character
from reelgraph.schema.places import PLACES

W, H = 320, 180
CAST = [
    Character(name="Ada", slug="ada", look="old keeper", palette=["#e6c619", "#1f3a93", "#888888", "#333333"],
              age="elder", features=["beard"]),
    Character(name="Bo", slug="bo", look="a boy", palette=["#d6272e", "#2a2a2a", "#5a3a1a"], age="child"),
    Character(name="Cy", slug="cy", look="tall woman", palette=["#1aa260", "#6b4226", "#111111"], build="tall"),
    Character(name="Di", slug="di", look="broad man", palette=["#8e44ad", "#7f8c8d", "#222222"], build="broad"),
    Character(name="Ed", slug="ed", look="a small robot", kind="robot", palette=["#00a3e0", "#555555", "#ff00ff"],
              features=["one eye"]),
]
DOG = Character(name="Rex", slug="rex", look="a dog", kind="dog", palette=["#8b5a2b", "#e8d2b0", "#5a3a1a"])
KEEPER = Character(name="Old Tom", slug="tom", look="an old lighthouse keeper", wardrobe="yellow oilskin coat")


@pytest.fixture(scope="module")
def images() -> ProceduralImageBackend:
    return ProceduralImageBackend(BackendConfig())


def _spec(**kw: object) -> KeyframeSpec:
    base: dict[str, object] = {"prompt": "", "setting": "", "characters": [CAST[0]], "place": "field"}
    return KeyframeSpec(**{**base, **kw})  # type: ignore[arg-type]


def _mask(img: Image.Image, hex_colour: str, tol: int = 14) -> np.ndarray:
    a = np.asarray(img, dtype=np.int16)
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    return np.abs(a - c).max(axis=2) <= tol


def _luma(img: Image.Image) -> float:
    return float(np.asarray(img.convert("L"), dtype=np.float32).mean())


def _thumb(img: Image.Image) -> np.ndarray:
    return np.asarray(img.resize((32, 18), Image.Resampling.BOX), dtype=np.float32)


# ---------------------------------------------------------------- cast


@pytest.mark.parametrize("framing", ["wide", "medium", "two_shot"])
def test_five_characters_are_five_distinct_figures(images: ProceduralImageBackend, framing: str) -> None:
    img = images.keyframe(_spec(characters=CAST, framing=framing, place="park"), width=854, height=480)
    xs = []
    for c in CAST:
        m = _mask(img, c.palette[0])
        assert m.sum() > 150, c.name  # a visible blob of the character's main colour
        ys_, xs_ = np.nonzero(m)
        xs.append(float(np.median(xs_)))
    xs.sort()
    assert all(b - a > 40 for a, b in zip(xs, xs[1:], strict=False)), xs


def test_a_named_colour_is_drawn_in_that_colour(images: ProceduralImageBackend) -> None:
    lk = look_of(KEEPER)
    h, s, _ = colorsys.rgb_to_hsv(*(v / 255 for v in lk.colours[0]))
    assert 40 / 360 < h < 65 / 360 and s > 0.6  # yellow
    master = np.asarray(images.master(KEEPER, width=256, height=256, seed=0), dtype=np.float32) / 255
    hsv = np.asarray(Image.fromarray((master * 255).astype(np.uint8)).convert("HSV"), dtype=np.float32)
    saturated = hsv[..., 1] > 150
    hue = np.median(hsv[..., 0][saturated]) * 360 / 255
    assert 40 < hue < 65
    painted = look_of(KEEPER.model_copy(update={"palette": ["#1f3a93"]}))
    assert painted.colours[0] == (0x1F, 0x3A, 0x93)  # the palette wins over the words


def _silhouette(img: Image.Image) -> tuple[float, float]:
    a = np.asarray(img, dtype=np.int16)
    bg = a[:, 2:3]  # the background is a vertical gradient: compare with the left edge of the same row
    ys, xs = np.nonzero(np.abs(a - bg).max(axis=2) > 30)
    return float(xs.max() - xs.min()), float(ys.max() - ys.min())


def test_animals_differ_from_people_in_silhouette(images: ProceduralImageBackend) -> None:
    w, h = _silhouette(images.master(CAST[2], width=256, height=256, seed=0))
    assert h > 2 * w  # a person stands tall
    for kind in ("dog", "cat", "fox", "horse", "bear", "wolf", "mouse"):
        animal = Character(name="A", slug=f"a-{kind}", look=f"a {kind}", kind=kind)
        aw, ah = _silhouette(images.master(animal, width=256, height=256, seed=0))
        assert aw > ah, kind  # four legs: longer than tall
    masters = [np.asarray(images.master(Character(name="A", slug="same", look="x", kind=k), width=128, height=128,
                                        seed=0), dtype=np.float32) for k in ("dog", "cat", "bird", "owl", "rabbit")]
    assert all(np.abs(a - b).mean() > 3 for i, a in enumerate(masters) for b in masters[i + 1:])


def test_a_robot_appears_only_when_cast(images: ProceduralImageBackend) -> None:
    robot = CAST[4]
    without = images.keyframe(_spec(prompt="a robot waits", characters=[CAST[0]], framing="wide"), width=W, height=H)
    with_ = images.keyframe(_spec(prompt="a robot waits", characters=[CAST[0], robot], framing="wide"), width=W,
                            height=H)
    assert _mask(without, robot.palette[0]).sum() == 0
    assert _mask(with_, robot.palette[0]).sum() > 20
    assert look_of(Character(name="M", slug="m", look="a man with a metal arm")).kind == "humanoid"


# ---------------------------------------------------------------- places


@pytest.fixture(scope="module")
def place_thumbs(images: ProceduralImageBackend) -> dict[str, np.ndarray]:
    out = {k: _thumb(images.keyframe(_spec(place=k, characters=[]), width=W, height=H)) for k in PLACES}
    out["?fallback"] = _thumb(images.keyframe(_spec(place="", setting="a quiet meadow", characters=[]), width=W,
                                              height=H))
    return out


def test_every_place_renders_distinctly(place_thumbs: dict[str, np.ndarray]) -> None:
    keys = list(place_thumbs)
    close = [(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]
             if np.abs(place_thumbs[a] - place_thumbs[b]).mean() < 10]
    assert not close


def test_a_kitchen_is_not_a_meadow(images: ProceduralImageBackend, place_thumbs: dict[str, np.ndarray]) -> None:
    kitchen, field = place_thumbs["kitchen"], place_thumbs["field"]
    assert np.abs(kitchen.mean(axis=(0, 1)) - field.mean(axis=(0, 1))).max() > 20  # mean colour differs
    assert np.abs(kitchen - field).mean() > 30
    by_setting = _thumb(images.keyframe(_spec(place="", setting="a small kitchen", characters=[]), width=W, height=H))
    assert np.abs(by_setting - kitchen).mean() < 15  # the setting's words name the place


def test_an_unknown_place_is_a_labelled_fallback(images: ProceduralImageBackend) -> None:
    a = images.keyframe(_spec(place="", setting="a quiet meadow", characters=[]), width=W, height=H)
    assert images.last_meta["place"] == "fallback"
    b = images.keyframe(_spec(place="", setting="the moon base", characters=[]), width=W, height=H)
    assert np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).max() > 100  # the label differs


def test_time_weather_and_season_change_the_picture(images: ProceduralImageBackend) -> None:
    day = images.keyframe(_spec(place="park", characters=[]), width=W, height=H)
    night = images.keyframe(_spec(place="park", characters=[], time_of_day="night"), width=W, height=H)
    autumn = images.keyframe(_spec(place="park", characters=[], season="autumn"), width=W, height=H)
    rain = images.keyframe(_spec(place="park", characters=[], weather="rain"), width=W, height=H)
    assert _luma(day) > _luma(night) + 30
    for other in (autumn, rain):
        assert np.abs(_thumb(day) - _thumb(other)).mean() > 5


def test_space_has_no_clouds_sun_or_bushes(images: ProceduralImageBackend) -> None:
    for seed in range(3):
        img = images.keyframe(_spec(place="space", characters=[], seed=seed), width=W, height=H)
        sky = np.asarray(img)[: int(0.6 * H)]
        assert (sky.min(axis=2) >= 235).mean() < 0.01  # stars only: no white clouds, no sun disc (about 2.3 % with)
        ground = np.asarray(img)[int(0.66 * H):].astype(np.int16)
        assert not (ground[..., 1] - ground[..., 0] > 15).any()  # nothing green on the moon


# ---------------------------------------------------------------- framing, exposure, caption


def test_close_framing_gives_a_larger_subject_than_wide(images: ProceduralImageBackend) -> None:
    sizes = {f: _mask(images.keyframe(_spec(framing=f), width=W, height=H), CAST[0].palette[0]).mean()
             for f in ("wide", "medium", "close")}
    assert sizes["close"] > sizes["medium"] > sizes["wide"] * 2


def test_exposure_and_darker_lighting_lower_the_luma(images: ProceduralImageBackend) -> None:
    base = _luma(images.keyframe(_spec(place="kitchen"), width=W, height=H))
    darker = _luma(images.keyframe(_spec(place="kitchen", exposure=-1.0), width=W, height=H))
    brighter = _luma(images.keyframe(_spec(place="kitchen", exposure=0.7), width=W, height=H))
    dusk = _luma(images.keyframe(_spec(place="market", lighting="dusk"), width=W, height=H))
    day = _luma(images.keyframe(_spec(place="market", lighting="day"), width=W, height=H))
    assert darker < base - 25 and brighter > base + 15 and dusk < day - 20


def test_captions_are_a_legible_band_unless_turned_off(images: ProceduralImageBackend) -> None:
    spec = _spec(caption="Ada lights the <b>lamp</b> while the storm rages outside " * 4)
    img = np.asarray(images.keyframe(spec, width=854, height=480).convert("L"), dtype=np.float32)
    band = img[480 - band_height(480):]
    assert np.median(band) < 30 and (band > 200).mean() > 0.01  # dark band, white letters
    plain = ProceduralImageBackend(BackendConfig(options={"captions": False}))
    off = np.asarray(plain.keyframe(spec, width=854, height=480).convert("L"), dtype=np.float32)
    assert np.median(off[480 - band_height(480):]) > 60
    assert np.median(np.asarray(images.master(CAST[0], width=256, height=256, seed=0).convert("L"))[-20:]) > 100


# ---------------------------------------------------------------- composition


@pytest.mark.parametrize("framing", ["wide", "medium", "close", "over_shoulder", "two_shot"])
def test_every_arrangement_keeps_heads_apart(framing: str) -> None:
    looks = [look_of(c) for c in [*CAST, DOG]]
    for n in range(1, 7):
        for composition in range(8):
            ps, flaw = arrange(looks[:n], 854, 480, framing, seed=composition * 7, composition=composition,
                               floor=420)
            assert len(ps) == n
            if composition:
                assert flaw == "" and _clean(ps, 854, 480), (n, composition)
            if framing == "wide" and flaw in ("", "prop"):
                assert all(p.cx - p.half >= 0 and p.cx + p.half <= 854 and p.top + p.fh <= 420 for p in ps)


def test_seeds_vary_the_take_with_a_realistic_share_of_flaws() -> None:
    looks = [look_of(c) for c in CAST[:3]]
    flaws = [arrange(looks, 854, 480, "medium", seed=s, composition=0, floor=420)[1] for s in range(200)]
    share = sum(bool(f) for f in flaws) / len(flaws)
    assert 0.08 < share < 0.3
    xs = {round(arrange(looks, 854, 480, "medium", seed=s, composition=0, floor=420)[0][0].cx) for s in range(10)}
    assert len(xs) > 5  # placement jitter


def test_the_registry_path_still_loads() -> None:
    module, name = BACKENDS[("image", "procedural")].split(":")
    assert getattr(importlib.import_module(module), name) is ProceduralImageBackend


# ---------------------------------------------------------------- continuity


def test_a_bridge_is_a_camera_move_not_a_hold(images: ProceduralImageBackend, tmp_path: Path) -> None:
    first, last = tmp_path / "first.png", tmp_path / "last.png"
    images.keyframe(_spec(place="harbour", framing="wide"), width=W, height=H).save(first)
    images.keyframe(_spec(place="harbour", framing="close"), width=W, height=H).save(last)
    out = tmp_path / "bridge.mp4"
    ProceduralVideoBackend(BackendConfig()).bridge(first, last, MotionSpec(prompt="", camera="static", seconds=5,
                                                                          fps=24, width=W, height=H), out)
    frames = decode_frames(out).astype(np.int16)
    a, b = (np.asarray(Image.open(p).convert("RGB"), dtype=np.int16) for p in (first, last))
    assert len(frames) == 120
    assert np.abs(frames[0] - a).mean() < 4 and np.abs(frames[-1] - b).mean() < 4
    steps = [np.abs(x - y).mean() for x, y in zip(frames, frames[1:], strict=False)]
    assert min(steps) > 0 and not any(np.array_equal(x, y) for x, y in zip(frames, frames[1:], strict=False))
    assert np.abs(frames[12] - a).mean() > 3  # moving on the previous frame before the cut, not frozen
