"""The procedural animatic backends: readable keyframes, consistent characters, exposure, and eased clips."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelgraph.backends.base import KeyframeSpec, MotionSpec
from reelgraph.backends.procedural.image import ProceduralImageBackend, _layout, look_of
from reelgraph.backends.procedural.video import MOVES, ProceduralVideoBackend, view
from reelgraph.config import BackendConfig
from reelgraph.errors import BackendError
from reelgraph.media.ffmpeg import decode_frames, probe_video
from reelgraph.schema import Character

W, H = 320, 180
MARA = Character(name="Mara", slug="mara", look="tall woman, long hair, red coat",
                 palette=["#c0392b", "#1f4e79", "#f1c40f", "#ecf0f1"])
BOLT = Character(name="Bolt", slug="bolt", look="small round robot with a metal body",
                 palette=["#7f8c8d", "#2c3e50", "#00e5ff", "#e67e22"])


@pytest.fixture(scope="module")
def images() -> ProceduralImageBackend:
    return ProceduralImageBackend(BackendConfig())


@pytest.fixture(scope="module")
def video() -> ProceduralVideoBackend:
    return ProceduralVideoBackend(BackendConfig())


def _spec(**kw: object) -> KeyframeSpec:
    base: dict[str, object] = {"prompt": "Mara waits", "setting": "a quiet meadow", "characters": [MARA]}
    return KeyframeSpec(**{**base, **kw})  # type: ignore[arg-type]


def _near(img: Image.Image, hex_colour: str, tol: int = 14) -> float:
    """Fraction of pixels within `tol` (per channel) of a #rrggbb colour."""
    a = np.asarray(img, dtype=np.int16)
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    return float((np.abs(a - c).max(axis=2) <= tol).mean())


def _luma(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("L"), dtype=np.float32)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


# ---------------------------------------------------------------- images


def test_masters_differ_and_their_colours_reach_the_keyframe(images: ProceduralImageBackend) -> None:
    mara = images.master(MARA, width=256, height=256, seed=0)
    bolt = images.master(BOLT, width=256, height=256, seed=0)
    assert mara.size == bolt.size == (256, 256) and mara.mode == "RGB"
    assert _mad(np.asarray(mara), np.asarray(bolt)) > 8
    for colour in MARA.palette[:2]:
        assert _near(mara, colour) > 0.01
        assert _near(bolt, colour) < 0.001
    wide = images.keyframe(_spec(characters=[MARA, BOLT], framing="wide"), width=W, height=H)
    for colour in MARA.palette[:2] + BOLT.palette[:2]:  # the whole figures are in a wide day shot
        assert _near(wide, colour) > 0.002, colour
    close = images.keyframe(_spec(characters=[MARA], framing="close"), width=W, height=H)
    assert _near(close, MARA.palette[0]) > 0.05


def test_characters_without_palette_get_distinct_stable_looks() -> None:
    a = look_of(Character(name="A", slug="ann", look="a woman"))
    b = look_of(Character(name="B", slug="bob", look="a man"))
    assert a.colours != b.colours
    assert a == look_of(Character(name="A", slug="ann", look="a woman"))
    assert look_of(BOLT).kind == "robot" and look_of(Character(name="C", slug="c", look="orange cat")).kind == "animal"


@pytest.mark.parametrize("framing", ["wide", "medium", "close"])
def test_several_characters_stand_side_by_side(framing: str) -> None:
    looks = [look_of(c) for c in (MARA, BOLT, Character(name="P", slug="pip", look="a dog"))]
    spans = sorted((cx - fh * lk.aspect / 2, cx + fh * lk.aspect / 2)
                   for lk, (cx, _, fh) in zip(looks, _layout(looks, 854, 480, framing), strict=True))
    assert all(left >= 0 and right <= 854 for left, right in spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


@pytest.mark.parametrize(("setting", "lighting", "framing"), [
    ("a lighthouse on a stormy sea", "storm", "wide"), ("a rainy city street", "night", "medium"),
    ("a pine forest", "golden", "wide"), ("a small kitchen", "interior", "close"), ("desert dunes", "day", "wide"),
    ("mountain pass", "dusk", "medium"), ("deep space", "night", "wide"), ("a windy cliff", "day", "close"),
])
def test_keyframes_are_readable_scenes(images: ProceduralImageBackend, setting: str, lighting: str,
                                       framing: str) -> None:
    img = images.keyframe(_spec(setting=setting, lighting=lighting, framing=framing), width=W, height=H)
    assert img.size == (W, H) and img.mode == "RGB"
    luma = _luma(img)
    assert 15 < luma.mean() < 235 and luma.std() > 12


def test_lighting_sets_brightness(images: ProceduralImageBackend) -> None:
    day, night = (_luma(images.keyframe(_spec(lighting=x), width=W, height=H)).mean() for x in ("day", "night"))
    assert day > night + 40


def test_darkness_is_near_black_until_exposed(images: ProceduralImageBackend) -> None:
    dark = _luma(images.keyframe(_spec(setting="a cellar", lighting="darkness"), width=W, height=H))
    lifted = _luma(images.keyframe(_spec(setting="a cellar", lighting="darkness", exposure=2.0), width=W, height=H))
    assert dark.mean() < 20
    assert lifted.mean() > 60 and lifted.std() > 15


def test_images_are_deterministic_and_seeds_move_only_details(images: ProceduralImageBackend) -> None:
    a = images.keyframe(_spec(seed=3), width=W, height=H)
    assert _png(a) == _png(images.keyframe(_spec(seed=3), width=W, height=H))
    assert _png(a) != _png(images.keyframe(_spec(seed=4), width=W, height=H))
    assert _png(images.master(MARA, width=128, height=128, seed=0)) == \
        _png(images.master(MARA, width=128, height=128, seed=9))


# ---------------------------------------------------------------- video


@pytest.fixture(scope="module")
def stills(tmp_path_factory: pytest.TempPathFactory, images: ProceduralImageBackend) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("stills")
    first, last = folder / "first.png", folder / "last.png"
    images.keyframe(_spec(setting="a city street", lighting="night"), width=W, height=H).save(first)
    images.keyframe(_spec(setting="a lighthouse by the sea", framing="wide"), width=W, height=H).save(last)
    return first, last


def _motion(camera: str, seconds: float = 1.5, fps: int = 12) -> MotionSpec:
    return MotionSpec(prompt="", camera=camera, seconds=seconds, fps=fps, width=W, height=H)


@pytest.mark.parametrize(("camera", "seconds"), [("push_in", 1.5), ("pan_left", 1.3), ("pull_out", 1.0)])
def test_clip_starts_on_the_keyframe_with_exact_frames(video: ProceduralVideoBackend, stills: tuple[Path, Path],
                                                       tmp_path: Path, camera: str, seconds: float) -> None:
    out = tmp_path / "clip.mp4"
    info = video.animate(stills[0], _motion(camera, seconds), out)
    n = round(seconds * 12)
    assert probe_video(out) | {"duration": 0} == {"width": W, "height": H, "fps": 12.0, "frames": n, "duration": 0}
    views = info.meta.pop("keyframe_views")
    assert info.meta == {"frames": n, "fps": 12, "width": W, "height": H, "seconds": round(n / 12, 6),
                         "camera": camera, "backend": "procedural", "picture_height": H}  # no caption band here
    assert len(views) == n and views[0] == [0, 0, W, H]  # each frame's view of the keyframe: the first is all of it
    frames = decode_frames(out)
    key = np.asarray(Image.open(stills[0]).convert("RGB"))
    assert _mad(frames[0], key) < 4
    assert _mad(frames[-1], frames[0]) > 3


def test_bridge_runs_from_first_to_last(video: ProceduralVideoBackend, stills: tuple[Path, Path],
                                        tmp_path: Path) -> None:
    out = tmp_path / "bridge.mp4"
    info = video.bridge(stills[0], stills[1], _motion("pan_right"), out)
    assert info.meta["bridge"] is True and info.meta["frames"] == 18
    frames = decode_frames(out)
    first, last = (np.asarray(Image.open(p).convert("RGB")) for p in stills)
    assert len(frames) == 18
    assert _mad(frames[0], first) < 4 and _mad(frames[-1], last) < 4
    assert _mad(frames[9], first) > 8 and _mad(frames[9], last) > 8  # a real dissolve in the middle


def test_static_clip_breathes_smoothly_and_repeats(video: ProceduralVideoBackend, stills: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    video.animate(stills[1], _motion("static", 2.0), a)
    video.animate(stills[1], _motion("static", 2.0), b)
    frames = decode_frames(a)
    assert np.array_equal(frames, decode_frames(b))
    steps = [_mad(x, y) for x, y in zip(frames, frames[1:], strict=False)]
    assert _mad(frames[0], frames[-1]) > 1.0  # not frozen
    assert max(steps) < 4.0  # no jumps


def test_camera_views_are_eased_and_stay_in_frame() -> None:
    assert view(MOVES["pan_right"], 0.0, 854, 480) == (0.0, 0.0, 854.0, 480.0)
    for name, move in MOVES.items():
        rects = [view(move, p / 20, 854, 480) for p in range(21)]
        if name != "pull_out":
            assert all(r[0] >= -1e-9 and r[1] >= -1e-9 and r[2] <= 854 + 1e-9 and r[3] <= 480 + 1e-9 for r in rects)
        centres = [(r[0] + r[2]) / 2 for r in rects]
        if move.px:
            assert all((b - a) * move.px >= 0 for a, b in zip(centres, centres[1:], strict=False))


def test_bad_motion_is_refused(video: ProceduralVideoBackend, stills: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="camera"):
        video.animate(stills[0], _motion("dolly_zoom"), tmp_path / "x.mp4")
    with pytest.raises(BackendError, match="even"):
        video.animate(stills[0], MotionSpec(prompt="", width=321, height=180), tmp_path / "x.mp4")


def test_the_caption_band_stays_put_while_the_camera_moves(tmp_path: Path) -> None:
    """A storyboard keyframe's caption band is not part of the picture the camera moves over: a push-in and a
    bridge keep it whole (and in a bridge dissolve one shot's band into the next); mouths are placed in the picture."""
    from reelgraph.backends.procedural.image.caption import draw_caption
    from reelgraph.backends.procedural.video import caption_band
    from reelgraph.media.mouths import face_track

    w, h = 320, 180
    rng = np.random.default_rng(3)
    paths = []
    for k, words in enumerate(("Every Saturday two friends race their model boats on the pond in the park",
                               "A gust flips the little red boat")):
        picture = Image.fromarray((rng.random((h, w, 3)) * 255).astype(np.uint8)).resize((w, h))
        paths.append(tmp_path / f"key{k}.png")
        draw_caption(picture, words).save(paths[-1])
    band = caption_band(Image.open(paths[0]))
    assert 0.1 * h < band < 0.3 * h and caption_band(Image.open(paths[0]).crop((0, 0, w, h - band))) == 0
    video = ProceduralVideoBackend()
    motion = MotionSpec(prompt="x", camera="push_in", seconds=1.0, fps=12, width=w, height=h)
    info = video.animate(paths[0], motion, tmp_path / "push.mp4")
    assert info.meta["picture_height"] == h - band
    frames = decode_frames(tmp_path / "push.mp4")
    key = np.asarray(Image.open(paths[0]).convert("RGB"))
    assert _mad(frames[-1][h - band:], key[h - band:]) < 3  # the caption, whole, on the last frame
    assert _mad(frames[-1][: h - band], key[: h - band]) > 10  # while the picture above it has moved
    bridge = video.bridge(paths[0], paths[1], motion, tmp_path / "bridge.mp4")
    frames = decode_frames(tmp_path / "bridge.mp4")
    second = np.asarray(Image.open(paths[1]).convert("RGB"))
    assert _mad(frames[1][h - band:], key[h - band:]) < 3 and _mad(frames[-1][h - band:], second[h - band:]) < 3
    assert bridge.meta["picture_height"] == h - band
    track = face_track({"ada": {"kind": "humanoid", "mouth": [160, 60, 12]}}, [[0, 0, w, h - band]], fps=12,
                       width=w, height=h, picture_height=h - band)
    assert track.mouths["ada"][0] == (160.0, 60.0, 12.0)  # the whole picture in view: the mouth where it was drawn
