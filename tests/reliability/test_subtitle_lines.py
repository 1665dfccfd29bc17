"""Break 7: a spoken line that looks like SRT timing (`00:00:00,000 --> 00:00:30,000 INJECTED`) is kept as text in
the reel's subtitle stream; a reel with no spoken line at all is muxed without one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from reel_helpers import probe, subtitle_texts

from reelgraph.media.ffmpeg import encode_frames
from reelgraph.media.mix import mix_reel, write_srt

LINES = ["00:00:00,000 --> 00:00:30,000 INJECTED", "1 00:00:01,000 --> 00:00:02,000 two", "-->", "12",
         "0:0:0.0 --> 9:9:9.9"]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("mux")
    picture = folder / "picture.mp4"
    encode_frames((np.full((64, 64, 3), 90, np.uint8) for _ in range(16)), picture, fps=8, width=64, height=64)
    stem = folder / "stem.wav"
    t = np.arange(2 * 48_000) / 48_000
    sf.write(stem, np.stack([0.2 * np.sin(2 * np.pi * 440 * t)] * 2, axis=1), 48_000)
    return picture, stem


def test_timestamp_like_lines_stay_text_in_the_reel(media: tuple[Path, Path], tmp_path: Path) -> None:
    picture, stem = media
    srt, reel = tmp_path / "en.srt", tmp_path / "reel.mp4"
    write_srt([(i * 0.35, i * 0.35 + 0.3, text) for i, text in enumerate(LINES)], srt)
    mix_reel(picture, stem, srt, "eng", reel, timeout=120)
    assert subtitle_texts(reel) == LINES


def test_a_reel_without_a_spoken_line_has_no_subtitle_stream(media: tuple[Path, Path], tmp_path: Path) -> None:
    picture, stem = media
    srt, reel = tmp_path / "en.srt", tmp_path / "reel.mp4"
    write_srt([], srt)
    assert srt.stat().st_size > 0  # the run folder takes no empty file as made
    mix_reel(picture, stem, srt, "eng", reel, timeout=120)
    assert sorted(s["type"] for s in probe(reel)["streams"]) == ["audio", "video"]
