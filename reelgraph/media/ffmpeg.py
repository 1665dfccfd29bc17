"""ffmpeg through ffmpeg-python: one place that finds the binary, runs it bounded, pipes frames in and out."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypedDict

import ffmpeg
import numpy as np

from reelgraph.errors import BackendError
from reelgraph.run.hold import check_not_cancelled, current_hold
from reelgraph.run.pause import pause_point

TIMEOUT_S = 600
BITEXACT = {"fflags": "+bitexact", "map_metadata": -1}
PIPE_CHUNK = 1 << 16
_LIMIT: ContextVar[float] = ContextVar("ffmpeg_time_limit", default=TIMEOUT_S)


class VideoInfo(TypedDict):
    """What `probe_video` reads off a video."""

    width: int
    height: int
    fps: float
    frames: int
    duration: float


def time_limit() -> float:
    """Seconds an ffmpeg call may take (or stall, for piped frames) here: the run's `ffmpeg_timeout`."""
    return _LIMIT.get()


@contextlib.contextmanager
def limited_to(seconds: float) -> Iterator[None]:
    """Within the block (and the threads started from it with its context), ffmpeg calls take `seconds` at most."""
    token = _LIMIT.set(seconds)
    try:
        yield
    finally:
        _LIMIT.reset(token)


@functools.cache
def ffmpeg_exe() -> str:
    """`REELGRAPH_FFMPEG`, else the binary bundled by imageio-ffmpeg (libx264 + aac), else ffmpeg on PATH."""
    exe = os.environ.get("REELGRAPH_FFMPEG")
    if exe:
        return exe
    try:
        import imageio_ffmpeg

        bundled: str = imageio_ffmpeg.get_ffmpeg_exe()
        return bundled
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if not found:
            raise BackendError("no ffmpeg found: install imageio-ffmpeg or put ffmpeg on PATH") from None
        return found


def _cannot_start(e: OSError) -> BackendError:
    """The error for an ffmpeg binary that cannot be started (missing, not executable)."""
    hint = " (REELGRAPH_FFMPEG names it: fix or unset it)" if os.environ.get("REELGRAPH_FFMPEG") else ""
    return BackendError(f"ffmpeg {ffmpeg_exe()!r} cannot be started: {e.strerror or e}{hint}")


def failure(what: str, returncode: int, stderr: bytes) -> BackendError:
    """The error for an ffmpeg that exited with `returncode`: killed by a signal, or failed with its last words."""
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else str(-returncode)
        return BackendError(f"{what}: ffmpeg was killed by {name}")
    tail = stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
    return BackendError(f"{what}: ffmpeg failed (exit {returncode}): {' | '.join(tail)}")


@contextlib.contextmanager
def child(args: list[str], **popen: Any) -> Iterator[subprocess.Popen[bytes]]:
    """An ffmpeg process of the current run: refused once the run is cancelled, ended when it is cancelled, and
    killed if the block leaves it running."""
    check_not_cancelled()
    try:
        proc: subprocess.Popen[bytes] = subprocess.Popen(args, **popen)
    except OSError as e:
        raise _cannot_start(e) from None
    hold = current_hold()
    with hold.child(proc) if hold is not None else contextlib.nullcontext():
        try:
            pause_point("ffmpeg")
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def run_args(args: list[str], *, timeout: float | None = None,
             what: str = "ffmpeg") -> subprocess.CompletedProcess[bytes]:
    """Run an ffmpeg command line with a time limit (default: `time_limit()`); a binary that cannot start or a
    timeout is a BackendError, a cancelled run's call a RunCancelled."""
    limit = time_limit() if timeout is None else timeout
    with child(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        try:
            out, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise BackendError(f"{what}: ffmpeg ran past {limit:.0f} s") from None
    check_not_cancelled()
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def run(stream: Any, *, timeout: float | None = None, what: str = "ffmpeg", loglevel: str = "error") -> bytes:
    """Run an ffmpeg-python stream with a time limit; return stderr; raise BackendError with ffmpeg's last words."""
    args = stream.compile(cmd=ffmpeg_exe(), overwrite_output=True)
    args[1:1] = ["-hide_banner", "-nostdin", "-loglevel", loglevel]
    proc = run_args(args, timeout=timeout, what=what)
    if proc.returncode != 0:
        raise failure(what, proc.returncode, proc.stderr)
    return proc.stderr


class _Stalled(Exception):
    """ffmpeg took no bytes of a frame for the whole time limit."""


def _feed(fd: int, data: memoryview, stall_s: float) -> None:
    """Write `data` to the non-blocking pipe `fd`; raise _Stalled when the reader takes nothing for `stall_s`."""
    while data:
        _, ready, _ = select.select([], [fd], [], stall_s)
        if not ready:
            raise _Stalled
        try:
            data = data[os.write(fd, data[:PIPE_CHUNK]):]
        except BlockingIOError:
            continue


def encode_frames(frames: Iterable[np.ndarray], out: Path, *, fps: int, width: int, height: int,
                  timeout: float | None = None) -> int:
    """Encode RGB uint8 frames (H, W, 3) to an H.264 mp4 (yuv420p, no audio). Returns the frame count.

    Every write into ffmpeg and its finishing are bounded by `timeout` (default: `time_limit()`): an ffmpeg that
    stops reading is killed and named, not waited for.
    """
    limit = time_limit() if timeout is None else timeout
    stream = (
        ffmpeg.input("pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{width}x{height}", framerate=fps)
        .output(str(out), vcodec="libx264", pix_fmt="yuv420p", preset="veryfast", crf=20, r=fps,
                movflags="+faststart", format="mp4", **BITEXACT)
    )
    args = stream.compile(cmd=ffmpeg_exe(), overwrite_output=True)
    args[1:1] = ["-hide_banner", "-nostdin", "-loglevel", "error"]
    with tempfile.TemporaryFile() as errors, child(args, stdin=subprocess.PIPE, stderr=errors) as proc:
        stdin = proc.stdin
        assert stdin is not None  # stdin=PIPE
        count = 0
        try:
            fd = stdin.fileno()
            os.set_blocking(fd, False)
            try:
                for frame in frames:
                    if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
                        raise BackendError(
                            f"frame {count} is {frame.shape} {frame.dtype}, expected ({height}, {width}, 3) uint8")
                    _feed(fd, np.ascontiguousarray(frame).data.cast("B"), limit)
                    count += 1
                stdin.close()
            except BrokenPipeError:  # ffmpeg died while frames went in: its exit status says why
                pass
            proc.wait(timeout=limit)
        except _Stalled:
            proc.kill()
            proc.wait()
            raise BackendError(f"encoding {out.name}: ffmpeg stopped reading frames (nothing taken for "
                               f"{limit:.0f} s, after {count} frames): killed") from None
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise BackendError(f"encoding {out.name}: ffmpeg ran past {limit:.0f} s after its last frame") from None
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            with contextlib.suppress(OSError):
                stdin.close()
        errors.seek(0)
        err = errors.read(1 << 16)
    check_not_cancelled()
    if proc.returncode != 0:
        raise failure(f"encoding {out.name}", proc.returncode, err)
    return count


def decode_frames(path: Path, *, width: int | None = None, height: int | None = None,
                  from_end: float | None = None) -> np.ndarray:
    """Frames of a video as an (N, H, W, 3) uint8 array: all of them, or those of the last `from_end` seconds."""
    if width is None or height is None:
        info = probe_video(path)
        width, height = width or info["width"], height or info["height"]
    w, h = width, height
    src = ffmpeg.input(str(path), sseof=-from_end) if from_end else ffmpeg.input(str(path))
    stream = src.output("pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{w}x{h}")
    args = stream.compile(cmd=ffmpeg_exe())
    args[1:1] = ["-hide_banner", "-nostdin", "-loglevel", "error"]
    proc = run_args(args, what=f"decoding {path.name}")
    if proc.returncode != 0:
        raise failure(f"decoding {path.name}", proc.returncode, proc.stderr)
    data = np.frombuffer(proc.stdout, np.uint8)
    if data.size == 0 or data.size % (w * h * 3):
        raise BackendError(f"decoding {path.name}: no whole frames")
    return data.reshape(-1, h, w, 3)


def decode_last_frame(path: Path) -> np.ndarray:
    """The last frame of a video at its own size."""
    last: np.ndarray = decode_frames(path, from_end=0.5)[-1]
    return last


def probe_video(path: Path) -> VideoInfo:
    """Width, height, fps, frame count and duration of a video, read with ffmpeg itself (no ffprobe needed)."""
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"]
    proc = run_args(args, what=f"probing {path.name}")
    text = proc.stderr.decode("utf-8", "replace")
    if proc.returncode < 0:
        raise failure(f"probing {path.name}", proc.returncode, proc.stderr)
    if proc.returncode != 0:
        raise BackendError(f"probing {path.name}: {text.strip().splitlines()[-1] if text.strip() else 'failed'}")
    m = re.search(r"Stream #\S+.*Video:.*?, (\d{2,5})x(\d{2,5})[, ].*?(\d+(?:\.\d+)?) fps", text)
    frames = re.findall(r"frame=\s*(\d+)", text)
    if not m or not frames:
        raise BackendError(f"probing {path.name}: no video stream")
    fps = float(m.group(3))
    n = int(frames[-1])
    return {"width": int(m.group(1)), "height": int(m.group(2)), "fps": fps, "frames": n, "duration": n / fps}

