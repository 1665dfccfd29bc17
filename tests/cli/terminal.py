"""The CLI as a person runs it: in a terminal (a pseudo-terminal, so the progress bars draw), in its own process
group, which a Ctrl-C (SIGINT to the group) reaches whole: Python and every ffmpeg it started."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--shots", "2", "--seconds", "1", "--width", "160", "--height", "90", "--fps", "8", "--no-critic"]
"""A tiny reel: two shots of one second at 160x90, 8 fps, no critic."""
PROMPT = "A cat and a dog in a kitchen"
COLOUR = re.compile(r"\x1b\[[0-9;]*m")
CURSOR = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


@dataclass
class Screen:
    """What a command showed in the terminal, and how it ended."""

    code: int
    raw: str

    @property
    def lines(self) -> list[str]:
        """Every row the terminal drew (colours removed; each redraw of a bar is a row of its own)."""
        text = CURSOR.sub("\n", COLOUR.sub("", self.raw))
        return [line.rstrip() for line in text.split("\n") if line.strip()]

    @property
    def text(self) -> str:
        """The rows as one text."""
        return "\n".join(self.lines)

    def bar(self, label: str) -> list[tuple[int, int]]:
        """(completed, total) of each drawing of the bar whose description starts with `label`."""
        row = re.compile(rf"^\S?\s*{re.escape(label)}.*?\s(\d+)/(\d+)\s+\d+:\d\d:\d\d$")
        return [(int(m[1]), int(m[2])) for m in map(row.match, self.lines) if m]


def in_terminal(*args: str, interrupt_when: Callable[[], bool] | None = None, env: dict[str, str] | None = None,
                timeout: float = 240) -> Screen:
    """Run `reelgraph ARGS` on a 200-column pseudo-terminal; send SIGINT to its process group once `interrupt_when`
    holds (checked while it runs)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    full = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "200", "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "reelgraph", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=full, cwd=ROOT, start_new_session=True)
    os.close(slave)
    chunks, sent, deadline = [], interrupt_when is None, time.monotonic() + timeout
    try:
        while True:
            if not sent and interrupt_when is not None and interrupt_when():
                os.killpg(proc.pid, signal.SIGINT)
                sent = True
            if time.monotonic() > deadline:
                raise TimeoutError(f"reelgraph {' '.join(args)} ran past {timeout} s")
            ready, _, _ = select.select([master], [], [], 0.05)
            try:
                data = os.read(master, 1 << 16) if ready else b""
            except OSError:  # the terminal closed: every process of the command has ended
                data = None
            if data:
                chunks.append(data)
            elif data is None or proc.poll() is not None and not ready:
                break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        os.close(master)
    return Screen(proc.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace"))


def logged(out: Path, stage: str) -> bool:
    """Whether the run's event log holds an event of `stage` yet."""
    events = out / "events.jsonl"
    return events.is_file() and f'"stage": "{stage}"' in events.read_text(encoding="utf-8", errors="replace")
