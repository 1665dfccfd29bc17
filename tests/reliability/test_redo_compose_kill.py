"""Break 9 (redo): a redo killed while it composes the new reels, then resumed, keeps the earlier reel once, as
reel_final.v1.mp4, and archives nothing twice (no reel_final.v2.mp4 copy of v1)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from reliability.helpers import SMALL, fake_ffmpeg, reel


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_redo_killed_in_compose_archives_the_old_reel_once(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert reel("generate", "--prompt", "A fox runs.", "--out", str(out), *SMALL).returncode == 0
    original = _sha(out / "reel_final.mp4")
    killer = fake_ffmpeg(tmp_path, 'case "$*" in *mov_text*) kill -KILL $PPID; exit 1;; esac')  # the reel's mux
    killed = reel("redo-shot", "--out", str(out), "--shot", "1", "--note", "darker, closer",
                  env={"REELGRAPH_FFMPEG": str(killer)})
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert (out / "reel_final.v1.mp4").is_file()
    resumed = reel("resume", "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    versions = sorted(p.name for p in out.glob("reel_*.v*.mp4"))
    assert versions == ["reel_en.v1.mp4", "reel_final.v1.mp4"]
    assert _sha(out / "reel_final.v1.mp4") == original != _sha(out / "reel_final.mp4")
