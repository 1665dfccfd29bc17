"""Helpers for the tests: running the CLI for real, and probing media with PyAV and ffmpeg."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from reelgraph.media.ffmpeg import ffmpeg_exe

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_PROMPT = "A lighthouse keeper befriends a stray robot during a storm"


def cli(*args: str, timeout: float = 600, **kw: Any) -> subprocess.CompletedProcess:
    """Run `reelgraph ...` in a fresh interpreter, as a user would."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "160"}
    return subprocess.run([sys.executable, "-m", "reelgraph", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=kw.get("cwd", ROOT))


def probe(path: Path) -> dict[str, Any]:
    """Streams of a media file (codec, size, fps, duration) read with PyAV."""
    with av.open(str(path)) as f:
        streams = []
        for s in f.streams:
            info: dict[str, Any] = {"type": s.type, "codec": s.codec_context.name,
                                    "language": s.metadata.get("language")}
            if s.type == "video":
                info.update(width=s.codec_context.width, height=s.codec_context.height,
                            fps=float(s.average_rate or 0), frames=s.frames,
                            duration=float(s.duration * s.time_base) if s.duration else None)
            if s.type == "audio":
                info.update(rate=s.codec_context.sample_rate, channels=s.codec_context.channels,
                            duration=float(s.duration * s.time_base) if s.duration else None)
            streams.append(info)
        return {"streams": streams, "duration": float(Fraction(f.duration, av.time_base)) if f.duration else None}


def stream_md5(path: Path, selector: str) -> str:
    """md5 of a stream's decoded content (e.g. '0:v' or '0:a'), via ffmpeg's md5 muxer."""
    out = subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-map", selector, "-f", "md5", "-"],
                         capture_output=True, text=True, check=True, timeout=300)
    return out.stdout.strip()


def audio_samples(path: Path) -> np.ndarray:
    """The first audio stream of a file, decoded to float32 mono."""
    with av.open(str(path)) as f:
        chunks = [frame.to_ndarray().astype(np.float32).reshape(frame.layout.nb_channels if frame.format.is_planar
                                                                 else 1, -1).mean(0)
                  for frame in f.decode(audio=0)]
    return np.concatenate(chunks)


def subtitle_texts(path: Path) -> list[str]:
    """Texts of the first subtitle stream, extracted with ffmpeg to SRT."""
    out = subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-map", "0:s:0", "-f", "srt", "-"],
                         capture_output=True, text=True, check=True, timeout=120)
    blocks = [b.strip().splitlines() for b in out.stdout.strip().split("\n\n") if b.strip()]
    return [" ".join(lines[2:]).replace("\u2060", "") for lines in blocks]


def file_states(root: Path, pattern: str) -> dict[str, tuple[int, str]]:
    """mtime (ns) and sha256 of every file matching pattern under root."""
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.glob(pattern)) if p.is_file()}


def run_async(coro: Any) -> Any:
    """`asyncio.run(coro)` in a thread of its own: a test's event loop never meets one left running in this thread
    (Playwright's sync API keeps one for its session)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
