"""Break 5 (ffmpeg): an ffmpeg that stops reading the frames piped into it is killed within the profile's
`ffmpeg_timeout` and named; `resume` with a working ffmpeg finishes the reel."""

from __future__ import annotations

import time
from pathlib import Path

from reliability.helpers import SMALL, clean_error, fake_ffmpeg, reel


def test_an_ffmpeg_that_stops_reading_frames_ends_within_its_bound(tmp_path: Path) -> None:
    profile = tmp_path / "quick.toml"
    profile.write_text("ffmpeg_timeout = 5\n", encoding="utf-8")
    stall = fake_ffmpeg(tmp_path, 'case "$*" in *rawvideo*) exec sleep 600;; esac')  # holds stdin, reads nothing
    out = tmp_path / "run"
    started = time.monotonic()
    proc = reel("generate", "--prompt", "A fox runs.", "--out", str(out), *SMALL, "--profile", str(profile),
                env={"REELGRAPH_FFMPEG": str(stall)}, timeout=120)
    elapsed = time.monotonic() - started
    clean_error(proc, 1, "ffmpeg stopped reading frames", "5 s")
    assert elapsed < 60, f"took {elapsed:.0f} s"
    resumed = reel("resume", "--out", str(out), env={"REELGRAPH_FFMPEG": ""})
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert (out / "reel_final.mp4").is_file()
