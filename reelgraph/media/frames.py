"""Frames of a video one at a time, as ffmpeg decodes them: a whole reel is read without holding it in memory.

Each frame is read straight into its own array from ffmpeg's pipe (widened to hold a frame where the system allows).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import subprocess
import tempfile
from collections.abc import Generator
from pathlib import Path

import numpy as np

from reelgraph.errors import BackendError
from reelgraph.media.ffmpeg import child, failure, ffmpeg_exe, probe_video, time_limit


def iter_frames(path: Path, *, width: int | None = None, height: int | None = None,
                timeout: float | None = None) -> Generator[np.ndarray, None, None]:
    """Each frame of a video as an (H, W, 3) uint8 array, in order (scaled to width x height when given).

    ffmpeg may go `timeout` seconds (default: `time_limit()`) without giving a byte before it is killed and named;
    leaving the loop early ends it.
    """
    if width is None or height is None:
        info = probe_video(path)
        width, height = width or info["width"], height or info["height"]
    limit = time_limit() if timeout is None else timeout
    size = width * height * 3
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path), "-f", "rawvideo",
            "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "pipe:"]
    with tempfile.TemporaryFile() as errors, \
            child(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors) as proc:
        assert proc.stdout is not None  # stdout=PIPE
        fd = proc.stdout.fileno()
        _widen(fd, size)
        while True:
            frame = np.empty(size, np.uint8)
            got = _fill(fd, frame.data, limit, path)
            if got == 0:
                break
            if got < size:
                raise BackendError(f"decoding {path.name}: it ends inside a frame")
            yield frame.reshape(height, width, 3)
        try:
            proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            raise BackendError(f"decoding {path.name}: ffmpeg ran past {limit:.0f} s after its last frame") from None
        errors.seek(0)
        if proc.returncode != 0:
            raise failure(f"decoding {path.name}", proc.returncode, errors.read(1 << 16))


def _fill(fd: int, into: memoryview, limit: float, path: Path) -> int:
    """Read from `fd` until `into` is full or the stream ends; bytes read. ffmpeg may not stall for `limit` s."""
    got = 0
    while got < len(into):
        ready, _, _ = select.select([fd], [], [], limit)
        if not ready:
            raise BackendError(f"decoding {path.name}: ffmpeg gave no frame for {limit:.0f} s: killed")
        n = os.readv(fd, [into[got:]])
        if n == 0:
            break
        got += n
    return got


def _widen(fd: int, size: int) -> None:
    """Ask for a pipe that holds a whole frame (Linux; elsewhere, or when refused, the pipe stays as it is)."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, setsize, min(size, 1 << 20))
