"""Frames read one at a time give the video's frames, and a decoder that stalls is killed and named in time."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from reelgraph.errors import BackendError
from reelgraph.media.ffmpeg import decode_frames, encode_frames
from reelgraph.media.frames import iter_frames


def _clip(path: Path) -> Path:
    rng = np.random.default_rng(1)
    encode_frames((rng.integers(0, 255, (36, 48, 3), dtype=np.uint8) for _ in range(7)), path, fps=8, width=48,
                  height=36)
    return path


def test_frames_one_at_a_time_are_the_videos_frames(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "clip.mp4")
    frames = list(iter_frames(clip))
    assert len(frames) == 7 and np.array_equal(np.stack(frames), decode_frames(clip))
    assert [f.shape for f in iter_frames(clip, width=24, height=18)] == [(18, 24, 3)] * 7


def test_a_stalled_decoder_is_killed_and_named(tmp_path: Path) -> None:
    stalled = tmp_path / "stalled.mp4"
    os.mkfifo(stalled)  # nobody ever writes to it: ffmpeg waits for its input and gives nothing
    started = time.monotonic()
    with pytest.raises(BackendError, match="stalled.mp4: ffmpeg gave no frame for 1 s"):
        list(iter_frames(stalled, width=48, height=36, timeout=1))
    assert time.monotonic() - started < 10
