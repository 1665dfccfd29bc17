"""Break 3: two `generate` on one new --out at once leave exactly one run, and that run resumes.

The race is made deterministic with a pause point: the first run stops right after it checked that the folder holds
no run (before writing run.json); the second starts then.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from reelgraph.run.pause import PAUSE_ENV, RELEASE_ENV
from reliability.helpers import ROOT, SMALL, clean_error, reel


def _wait_for(path: Path, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_two_generates_on_one_new_folder_leave_one_run(tmp_path: Path) -> None:
    out, release = tmp_path / "run", tmp_path / "release"
    first = subprocess.Popen(
        [sys.executable, "-m", "reelgraph", "generate", "--prompt", "A cat and a dog", "--out", str(out), *SMALL],
        cwd=ROOT, env={**os.environ, PAUSE_ENV: "new-run", RELEASE_ENV: str(release), "COLUMNS": "200"}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _wait_for(Path(f"{release}.reached"), first)
        second = reel("generate", "--prompt", "A fox and a hen", "--out", str(out), *SMALL)
        release.touch()
        _, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err[-3000:]
    clean_error(second, 2, "in use by another reelgraph run")
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert f"run {run['run_id']} in" in " ".join(err.split())
    assert run["request"]["prompt"] == "A cat and a dog"
    resumed = reel("resume", "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "already finished" in resumed.stderr

