"""Helpers for the reliability tests: the CLI run as a user runs it, in its own session, and what a clean error is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--shots", "1", "--seconds", "2", "--width", "160", "--height", "90", "--fps", "8", "--no-critic"]
"""The smallest reel: one shot of two seconds at 160x90, 8 fps, no critic."""


def reel(*args: str, env: dict[str, str] | None = None, timeout: float = 300,
         cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run `reelgraph ...` in a fresh interpreter and its own session (signals it sends reach no test runner).

    `env` adds to (or, with an empty value, removes from) the test's environment.
    """
    full = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    for key, value in (env or {}).items():
        if value:
            full[key] = value
        else:
            full.pop(key, None)
    return subprocess.run([sys.executable, "-m", "reelgraph", *args], capture_output=True, text=True,
                          timeout=timeout, env=full, cwd=cwd, start_new_session=True, stdin=subprocess.DEVNULL)


def clean_error(proc: subprocess.CompletedProcess, code: int, *needles: str) -> str:
    """Assert one clear error: the exit code, no traceback, each needle in stderr. Returns stderr on one line."""
    text = " ".join(proc.stderr.split())
    assert proc.returncode == code, f"exit {proc.returncode}: {proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    for needle in needles:
        assert needle in text, proc.stderr[-3000:]
    return text


def fake_ffmpeg(folder: Path, body: str) -> Path:
    """An executable shell script standing in for ffmpeg: `body`, then the real ffmpeg with the same arguments."""
    from reelgraph.media.ffmpeg import ffmpeg_exe

    path = folder / "ffmpeg"
    path.write_text(f"#!/bin/sh\n{body}\nexec {ffmpeg_exe()} \"$@\"\n", encoding="utf-8")
    path.chmod(0o755)
    return path
