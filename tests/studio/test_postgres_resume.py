"""A run checkpointed in a real PostgreSQL server, killed for real (SIGKILL) after shot 1 of 3, resumes to the same reel
without rendering shot 1 again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from reelgraph.media.ffmpeg import ffmpeg_exe
from reelgraph.run import lifecycle as runner
from studio.studio_helpers import PROMPT, ROOT, TINY, TINY_ARGS, events, hashes, reelgraph


def _stream_md5(path: Path, selector: str) -> str:
    return subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-map", selector, "-f", "md5",
                           "-"], capture_output=True, text=True, check=True, timeout=120).stdout.strip()


def test_killed_run_resumes_from_postgres(postgres_url: str, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    env = {**os.environ, "REELGRAPH_CHECKPOINT_URL": postgres_url}
    proc = subprocess.Popen([sys.executable, "-m", "reelgraph", "generate", "--prompt", PROMPT, "--out", str(out),
                             "--shots", "3", *TINY_ARGS], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while not any(e["stage"] == "commit" for e in events(out)):
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.time() < deadline, "shot 1 was never committed"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "reel_final.mp4").exists()
    assert not (out / "checkpoints.sqlite").exists(), "checkpoints went to SQLite, not PostgreSQL"
    run = runner.read_run(out)
    assert run["checkpoint"] == {"kind": "postgres", "url": postgres_url}
    with psycopg.connect(postgres_url) as conn:
        (count,) = conn.execute("SELECT count(*) FROM checkpoints WHERE thread_id = %s", (run["run_id"],)).fetchone()
    assert count > 0
    before = hashes(out, "shots/shot01/take*")
    assert before

    resumed = reelgraph("resume", "--out", str(out), "--checkpoint", postgres_url,
                        env={"REELGRAPH_CHECKPOINT_URL": ""})
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert hashes(out, "shots/shot01/take*") == before, "a committed shot was rendered again"

    reference = tmp_path / "reference"
    runner.generate(runner.parse_request(prompt=PROMPT, shots=3, **TINY), reference)
    for selector in ("0:v", "0:a"):
        assert _stream_md5(out / "reel_final.mp4", selector) == _stream_md5(reference / "reel_final.mp4", selector)
