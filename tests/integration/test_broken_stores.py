"""Broken stores: a damaged or foreign checkpoint database, a missing or truncated take, a full disk.

Each gives one clear error naming the file; damaged artifacts have a repair path that re-renders only what is broken.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from reel_helpers import ROOT, cli, file_states

from reelgraph.hitl.fork import continuous_chain
from reelgraph.schema import Script

REQUEST = ["--shots", "3", "--seconds", "1", "--width", "160", "--height", "90", "--fps", "8", "--no-critic"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "run"
    proc = cli("generate", "--prompt", "A knight and a dragon share a cave", "--out", str(out), *REQUEST)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


@pytest.fixture
def run(finished: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(finished, copy)
    return copy


def _outside_chain(script: Script, shot: int) -> list[int]:
    """The shots a redo of `shot` keeps: all but it and the continuous shots that follow it."""
    chain = set(continuous_chain(script, shot))
    return [s.index for s in script.shots if s.index not in chain]


def _clean_error(proc: subprocess.CompletedProcess, code: int, *needles: str) -> None:
    assert proc.returncode == code, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr[-2000:]


def test_corrupted_checkpoint_database(run: Path) -> None:
    (run / "checkpoints.sqlite").write_bytes(os.urandom(4096))
    _clean_error(cli("resume", "--out", str(run)), 1, "checkpoints.sqlite", "unreadable")


def test_foreign_checkpoint_database(run: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert cli("generate", "--prompt", "A cat", "--out", str(other), "--shots", "1", "--seconds", "1", "--width",
               "128", "--height", "72", "--fps", "8", "--no-critic").returncode == 0
    shutil.copyfile(other / "checkpoints.sqlite", run / "checkpoints.sqlite")
    before = file_states(run, "shots/**/*")
    _clean_error(cli("resume", "--out", str(run)), 1, "checkpoints.sqlite", "no checkpoint of run")
    assert file_states(run, "shots/**/*") == before


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_damaged_take_is_named_then_repaired(run: Path, damage: str) -> None:
    kept = json.loads((run / "shots" / "shot02" / "kept.json").read_text())
    clip = run / kept["takes"][kept["kept"] - 1]["clip"]["path"]
    if damage == "missing":
        clip.unlink()
    else:
        clip.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    script = Script.model_validate_json((run / "script.json").read_text())
    others = f"shots/shot0[{''.join(str(s) for s in _outside_chain(script, 2))}]/*"  # the shots a redo keeps
    kept_states = file_states(run, others)
    _clean_error(cli("resume", "--out", str(run)), 1, "shots/shot02/", "--repair")
    repaired = cli("resume", "--out", str(run), "--repair")
    assert repaired.returncode == 0, repaired.stderr[-2000:]
    assert kept_states and file_states(run, others) == kept_states
    assert cli("resume", "--out", str(run)).returncode == 0
    assert (run / "reel_final.mp4").is_file()


def test_missing_reel_is_recomposed(run: Path) -> None:
    (run / "reel_final.mp4").unlink()
    shots = file_states(run, "shots/**/*")
    _clean_error(cli("resume", "--out", str(run)), 1, "reel_final.mp4", "--repair")
    assert cli("resume", "--out", str(run), "--repair").returncode == 0
    assert (run / "reel_final.mp4").is_file()
    assert file_states(run, "shots/**/*") == shots


def test_full_disk_is_a_clear_error_and_resumable(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    out = disk / "run"
    reel = [sys.executable, "-m", "reelgraph"]
    script = f"""
set -u
mount -t tmpfs -o size=600k tmpfs {disk}
{' '.join(reel)} generate --prompt 'A fox in a forest' --out {out} {' '.join(REQUEST)}
echo "generate-exit=$?"
mount -o remount,size=64m {disk}
{' '.join(reel)} resume --out {out}
echo "resume-exit=$?"
test -f {out}/reel_final.mp4 && echo reel-made
"""
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=600,
                          cwd=ROOT)
    assert "generate-exit=1" in proc.stdout, proc.stdout + proc.stderr[-3000:]
    assert "no space left" in proc.stderr.lower() or "disk is full" in proc.stderr.lower(), proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert "resume-exit=0" in proc.stdout and "reel-made" in proc.stdout, proc.stdout + proc.stderr[-3000:]
