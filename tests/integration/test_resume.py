"""A run killed for real (SIGKILL) after shot 3 of 6 resumes to the same reel without re-rendering shots 1-3."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from reel_helpers import EXAMPLE_PROMPT, ROOT, cli, file_states, stream_md5


def _committed(out: Path) -> set[int]:
    log = out / "events.jsonl"
    if not log.exists():
        return set()
    events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return {e["shot"] for e in events if e["stage"] == "commit"}


def test_killed_run_resumes_without_rerendering(example_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelgraph", "generate", "--prompt", EXAMPLE_PROMPT, "--out", str(out), "--critic",
         "--languages", "en,fr"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.time() + 300
    while 3 not in _committed(out):
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.time() < deadline, "shot 3 was never committed"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "reel_final.mp4").exists()
    before = file_states(out, "shots/shot0[123]/take*")
    assert before

    resumed = cli("resume", "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    after = file_states(out, "shots/shot0[123]/take*")
    assert after == before, "a committed shot was rendered again"
    for name in ("reel_final.mp4", "reel_fr.mp4"):
        assert stream_md5(out / name, "0:v") == stream_md5(example_run / name, "0:v")
        assert stream_md5(out / name, "0:a") == stream_md5(example_run / name, "0:a")

    def made(root: Path) -> dict:  # every file but the lock file (it notes the pid of its last holder)
        return {k: v for k, v in file_states(root, "**/*").items() if k != ".lock"}

    everything = made(out)
    again = cli("resume", "--out", str(out))
    assert again.returncode == 0 and "already finished" in again.stderr
    assert made(out) == everything, "resuming a finished run changed files"
