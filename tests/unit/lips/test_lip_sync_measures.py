"""The lip-sync measures find voice under music, open mouths on frames, and name a mouth that moves out of turn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from reelgraph.agents.critic.lipsync import (
    Cue,
    LipSyncFigures,
    ShotFaces,
    judge_lip_sync,
    lip_sync_figures,
    read_mouths,
    voiced_intervals,
)
from reelgraph.media.ffmpeg import encode_frames
from reelgraph.media.mouths import FaceTrack, lip_synced_frames
from reelgraph.media.visemes import VisemeSpan

RATE, FPS, SECONDS, W, H = 48_000, 8, 3.0, 64, 48
MOUTH = (32.0, 30.0, 10.0)
VOICE = (1.0, 1.6)


def music() -> np.ndarray:
    t = np.arange(int(SECONDS * RATE)) / RATE
    chord = sum(np.sin(2 * np.pi * f * t + k) for k, f in enumerate((110, 220, 277, 330, 440, 660)))
    drums = np.random.default_rng(0).normal(0, 1, t.size) * (np.sin(2 * np.pi * 2 * t) > 0.9)
    return (0.05 * chord + 0.05 * drums).astype(np.float32)


def voice() -> np.ndarray:
    t = np.arange(int(SECONDS * RATE)) / RATE
    harmonics = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 25))
    syllables = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)  # four syllables a second
    on = (t >= VOICE[0]) & (t < VOICE[1])
    return (0.25 * harmonics * syllables * on).astype(np.float32)


def mixed() -> np.ndarray:
    v = voice()
    duck = np.where(np.convolve(np.abs(v) > 0, np.ones(RATE // 5), "same") > 0, 0.3, 1.0)  # the music dips under
    return 0.6 * music() * duck + v


def test_voice_is_found_under_the_music() -> None:
    assert voiced_intervals(0.6 * music(), RATE, music(), RATE) == []
    found = voiced_intervals(mixed(), RATE, music(), RATE)
    assert found and found[0][0] == pytest.approx(VOICE[0], abs=0.03) and found[-1][1] == pytest.approx(VOICE[1],
                                                                                                         abs=0.03)
    inside = sum(b - a for a, b in found)
    assert inside >= 0.6 * (VOICE[1] - VOICE[0]), found  # the troughs between syllables may be quiet


def test_the_music_alone_would_pass_for_voice_without_its_baseline() -> None:
    assert voiced_intervals(0.6 * music(), RATE) != []  # why the score is the baseline


def _face() -> np.ndarray:
    img = Image.new("RGB", (W, H), (40, 60, 110))
    d = ImageDraw.Draw(img)
    d.ellipse([18, 8, 46, 42], fill=(214, 170, 140))
    d.line([(28, 30), (32, 31), (36, 30)], fill=(150, 60, 60))
    return np.asarray(img)


def _picture(tmp_path: Path, lips: dict[str, list[VisemeSpan]]) -> tuple[Path, ShotFaces]:
    n = int(SECONDS * FPS)
    track = FaceTrack(FPS, W, H, {"mara": [MOUTH] * n}, {"mara": "humanoid"})
    ref, picture = tmp_path / "take.mp4", tmp_path / "picture.mp4"
    encode_frames((_face() for _ in range(n)), ref, fps=FPS, width=W, height=H)
    encode_frames(lip_synced_frames((_face() for _ in range(n)), track, lips, 0.0), picture, fps=FPS, width=W,
                  height=H)
    return picture, ShotFaces(0, n, ref, track)


def _judge(tmp_path: Path, lips: dict[str, list[VisemeSpan]], cues: list[Cue]) -> tuple[LipSyncFigures, list[str]]:
    picture, shot = _picture(tmp_path, lips)
    fig = lip_sync_figures(read_mouths(picture, [shot]), FPS, voiced_intervals(mixed(), RATE, music(), RATE), cues)
    return fig, list(judge_lip_sync(fig, {"mara": "Mara"}).defects)


TALK = [VisemeSpan(1.0, 1.2, "open"), VisemeSpan(1.2, 1.35, "round"), VisemeSpan(1.35, 1.6, "wide")]
LINES = [Cue(*VOICE, "mara"), Cue(2.0, 2.9, "narrator")]


def test_a_mouth_in_time_with_its_line_passes(tmp_path: Path) -> None:
    fig, defects = _judge(tmp_path, {"mara": TALK}, LINES)
    assert defects == [] and fig.open >= 4 and fig.share_voiced == 1.0 and fig.outside_own_lines == 0


def test_a_mouth_a_second_late_is_named(tmp_path: Path) -> None:
    late = [VisemeSpan(s.start + 1.0, s.end + 1.0, s.viseme) for s in TALK]
    fig, defects = _judge(tmp_path, {"mara": late}, LINES)
    assert "lips_out_of_sync" in defects
    assert fig.during_narrator >= 4 and fig.share_voiced is not None and fig.share_voiced < 0.5


def test_a_mouth_moving_in_another_characters_line_is_named(tmp_path: Path) -> None:
    fig, defects = _judge(tmp_path, {"mara": TALK}, [Cue(*VOICE, "tom"), Cue(2.0, 2.9, "narrator")])
    assert "lips_out_of_sync" in defects and fig.during_others >= 4


def test_a_still_mouth_on_a_speaking_character_is_named(tmp_path: Path) -> None:
    fig, defects = _judge(tmp_path, {}, LINES)
    assert defects == ["lips_still"] and fig.open == 0
