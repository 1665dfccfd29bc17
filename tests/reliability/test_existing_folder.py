"""Break 4: `generate --out` on a folder that holds the user's files keeps every one of them; `--out ""` is refused.

The sweep of partial files left by a killed writer touches only the studio's own scratch names, in the folders it
makes; a scratch file of a dead writer there is still swept.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from reelgraph.run.folder import RunFolder
from reelgraph.run.integrity import sweep_partials
from reliability.helpers import SMALL, clean_error, reel

USER_FILES = [".novel.31337.tmp", "sub/deeper/.report.4242.tmp.docx", "notes.txt", ".hidden.1.tmp.json",
              "shots/readme.md", "audio/.take.77777.tmp.wav", "shots/shot01/.draft.5555.tmp.txt"]


def _digests(root: Path, names: list[str]) -> dict[str, str | None]:
    return {n: hashlib.sha256((root / n).read_bytes()).hexdigest() if (root / n).is_file() else None for n in names}


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_generate_into_a_folder_with_user_files_keeps_them(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    for i, name in enumerate(USER_FILES):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(f"the user's own file {i}".encode())
    before = _digests(out, USER_FILES)
    proc = reel("generate", "--prompt", "A cat and a dog", "--out", str(out), *SMALL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "reel_final.mp4").is_file()
    assert _digests(out, USER_FILES) == before


def test_empty_out_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    here = tmp_path / "cwd"
    here.mkdir()
    for command in (["generate", "--prompt", "A cat", *SMALL], ["resume"], ["approve"], ["history"]):
        for empty in ("", "  "):
            clean_error(reel(*command, "--out", empty, cwd=here), 2, "--out", "empty path")
    assert list(here.iterdir()) == []


def test_a_dead_writers_scratch_is_still_swept(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path / "run")
    dead = _dead_pid()
    ours = [f"shots/shot01/.take1.{dead}.tmp.mp4", f".reel_en.{dead}.tmp.mp4", f".level-reel_en.{dead}.tmp.wav",
            f"audio/voice/en/.shot01.fit.{dead}.tmp.wav", f"masters/.fox.{dead}.tmp.png"]
    live = f"shots/shot01/.take2.{dead}.tmp.mp4".replace(str(dead), str(__import__("os").getpid()))
    for name in [*ours, live]:
        (folder.root / name).parent.mkdir(parents=True, exist_ok=True)
        (folder.root / name).write_bytes(b"partial")
    assert sorted(sweep_partials(folder)) == sorted(ours)
    assert (folder.root / live).is_file()
