"""What the lip-sync is drawn from: the keyframe says where each seen mouth is, the clip which part of the keyframe
each frame shows, and eSpeak NG when each phoneme of a line starts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from reelgraph.backends.audio.offline_speech import OfflineSpeechBackend
from reelgraph.backends.base import KeyframeSpec, MotionSpec
from reelgraph.backends.procedural.image import ProceduralImageBackend
from reelgraph.backends.procedural.video import ProceduralVideoBackend
from reelgraph.config import BackendConfig
from reelgraph.media.mouths import draw_mouth, face_track
from reelgraph.schema import Character

W, H = 320, 180
MARA = Character(name="Mara", slug="mara", look="tall woman, long hair, red coat")
TOM = Character(name="Tom", slug="tom", look="short man with a beard, green jacket")
BOLT = Character(name="Bolt", slug="bolt", look="small round robot with a metal body", kind="robot")


def _key(framing: str, cast: list[Character]) -> tuple[np.ndarray, dict]:
    images = ProceduralImageBackend(BackendConfig())
    spec = KeyframeSpec(prompt="they talk", setting="a quiet kitchen", characters=cast, framing=framing, seed=3,
                        composition=1)
    img = np.asarray(images.keyframe(spec, width=W, height=H))
    return img, dict(images.last_meta)


def test_a_keyframe_records_the_mouths_it_shows() -> None:
    img, meta = _key("two_shot", [MARA, TOM])
    assert set(meta["faces"]) == {"mara", "tom"}
    for face in meta["faces"].values():
        x, y, w = face["mouth"]
        assert 0 < x < W and 0 < y < H and w >= 2
        around = [img[round(y - 0.6 * w), round(x + dx * w)].astype(int) for dx in (-0.5, 0.0, 0.5)]
        assert max(int(np.abs(a - around[0]).max()) for a in around) < 40  # cheek, upper lip, cheek: one skin
        opened = draw_mouth(img, (x, y, w), "open")
        changed = np.argwhere(np.abs(opened.astype(int) - img.astype(int)).sum(-1) > 30)
        assert changed.size and abs(changed[:, 1].mean() - x) < w and abs(changed[:, 0].mean() - y) < w


def test_backs_are_not_faces() -> None:
    _, meta = _key("over_shoulder", [MARA, BOLT])
    assert set(meta["faces"]) == {"bolt"} and meta["faces"]["bolt"]["kind"] == "robot"


def test_a_clip_says_what_part_of_the_keyframe_each_frame_shows(tmp_path: Path) -> None:
    img, meta = _key("medium", [MARA])
    key = tmp_path / "key.png"
    Image.fromarray(img).save(key)
    video = ProceduralVideoBackend(BackendConfig())
    motion = MotionSpec(prompt="", camera="push_in", seconds=1.0, fps=8, width=W, height=H)
    info = video.animate(key, motion, tmp_path / "clip.mp4")
    views = info.meta["keyframe_views"]
    assert len(views) == info.meta["frames"] == 8 and views[0] == [0.0, 0.0, W, H]
    track = face_track(meta["faces"], views, fps=8, width=W, height=H)
    (x, y, w), last = meta["faces"]["mara"]["mouth"], track.mouths["mara"][-1]
    x0, y0, x1, y1 = views[-1]
    assert last is not None and last[2] == pytest.approx(w * W / (x1 - x0), rel=1e-3)  # pushed in: bigger
    assert last[0] == pytest.approx((x - x0) * W / (x1 - x0), abs=0.02)
    assert last[1] == pytest.approx((y - y0) * H / (y1 - y0), abs=0.02)
    bridge = video.bridge(key, key, motion, tmp_path / "bridge.mp4").meta["keyframe_views"]
    assert bridge[0] is None and bridge[-1] == [0.0, 0.0, W, H]  # it shows the keyframe once it has arrived


def test_espeak_reports_when_each_phoneme_starts(tmp_path: Path) -> None:
    out = tmp_path / "line.wav"
    info = OfflineSpeechBackend().speak("Where are we going tonight?", language="en", voice="espeak+m1", out=out)
    phonemes = info.meta["phonemes"]
    times = [t for t, _ in phonemes]
    assert len(phonemes) >= 10 and times == sorted(times) and 0 <= times[0] < 0.12
    assert times[-1] < info.meta["seconds"]
    audio, rate = sf.read(str(out), dtype="float32")
    vowel = np.zeros(audio.size, bool)
    for t, name in phonemes:
        if name.strip("',") in ("e@", "A@", "i:", "oU", "aI", "I", "@"):
            end = next((u for u, _ in phonemes if u > t), info.meta["seconds"])
            vowel[int(t * rate):int(end * rate)] = True
    # the phoneme times line up with the sound: the vowels carry it (0.15 s off, they would not: ratio 0.9)
    assert vowel.any() and np.sqrt(np.mean(audio[vowel] ** 2)) > 1.4 * np.sqrt(np.mean(audio[~vowel] ** 2))
