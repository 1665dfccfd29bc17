"""Shared helpers of the Studio tests: tiny requests, the CLI in a fresh interpreter, file hashes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "A lighthouse keeper befriends a stray robot during a storm"
TINY = {"shot_seconds": 1.0, "width": 160, "height": 90, "fps": 8, "critic": False}
TINY_ARGS = ["--seconds", "1", "--width", "160", "--height", "90", "--fps", "8", "--no-critic"]


def reelgraph(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """`reelgraph ...` in a fresh interpreter, as a user runs it."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "160", **(env or {})}
    return subprocess.run([sys.executable, "-m", "reelgraph", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=ROOT)


def hashes(root: Path, pattern: str) -> dict[str, str]:
    """sha256 of every file under root matching pattern, by relative path."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.glob(pattern)) if p.is_file()}


def events(out: Path) -> list[dict[str, Any]]:
    path = out / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
