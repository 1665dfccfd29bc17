"""Break 9 (file system): a disk that fills during the music, and a run folder made read-only mid-run, are each one
error naming the cause (exit 1); once space or write access is back, `resume` finishes the reel.

The run is paused (a pause point) after its last shot is committed; the disk is filled, or the folder made
read-only, then it goes on: the next write is the score's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reelgraph.run.pause import PAUSE_ENV, RELEASE_ENV
from reliability.helpers import ROOT, SMALL

REEL = f"{sys.executable} -m reelgraph"


def _in_namespace(flags: list[str], script: str, tmp_path: Path) -> subprocess.CompletedProcess:
    release = tmp_path / "release"
    body = f"""
set -u
export {PAUSE_ENV}=after:commit {RELEASE_ENV}={release} COLUMNS=200
{{script_start}}
{REEL} generate --prompt 'A fox runs.' --out $OUT {' '.join(SMALL)} 2> {tmp_path}/generate.err &
pid=$!
while [ ! -e {release}.reached ]; do sleep 0.05; kill -0 $pid 2>/dev/null || break; done
{{script_paused}}
touch {release}
wait $pid
echo "generate-exit=$?"
unset {PAUSE_ENV}
{{script_after}}
{REEL} resume --out $OUT 2> {tmp_path}/resume.err
echo "resume-exit=$?"
test -f $OUT/reel_final.mp4 && echo reel-made
"""
    start, paused, after = script.split("---")
    body = body.replace("{script_start}", start).replace("{script_paused}", paused).replace("{script_after}", after)
    return subprocess.run(["unshare", *flags, "sh", "-c", body], capture_output=True, text=True, timeout=300, cwd=ROOT)


def _check(proc: subprocess.CompletedProcess, tmp_path: Path, needle: str) -> None:
    err = (tmp_path / "generate.err").read_text(encoding="utf-8")
    said = " ".join(err.split())
    assert "generate-exit=1" in proc.stdout, proc.stdout + proc.stderr + err[-3000:]
    assert "Traceback" not in err and needle in said.lower(), err[-3000:]
    assert "reelgraph resume --out" in said
    assert "resume-exit=0" in proc.stdout and "reel-made" in proc.stdout, \
        proc.stdout + (tmp_path / "resume.err").read_text(encoding="utf-8")[-3000:]


@pytest.mark.parametrize("free_kib", [0, 160])
def test_disk_full_during_the_music(tmp_path: Path, free_kib: int) -> None:
    """No byte left (SQLite meets it first), or a few pages left (libsndfile meets it writing the score)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    script = f"""
mount -t tmpfs -o size=16m tmpfs {disk}
OUT={disk}/run
---
dd if=/dev/zero of={disk}/filler bs=64k 2>/dev/null
rm {disk}/filler
dd if=/dev/zero of={disk}/filler bs=1k count=$(( $(df -k --output=avail {disk} | tail -1) - {free_kib} )) 2>/dev/null
---
rm {disk}/filler
"""
    _check(_in_namespace(["-rm"], script, tmp_path), tmp_path, "no space left")


def test_run_folder_made_read_only_mid_run(tmp_path: Path) -> None:
    script = f"""
OUT={tmp_path}/run
---
chmod -R a-w $OUT
---
chmod -R u+w $OUT
"""
    _check(_in_namespace(["--map-user=1000", "--map-group=1000"], script, tmp_path), tmp_path, "read-only")
