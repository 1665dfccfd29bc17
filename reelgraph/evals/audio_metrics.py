"""Audio measures of a reel: integrated loudness, true peak, and how well subtitles match the placed voice lines."""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from reelgraph.errors import BackendError
from reelgraph.media.ffmpeg import TIMEOUT_S, ffmpeg_exe
from reelgraph.schema import Script

RATE = 48_000
SEARCH_S = 0.5
"""How far around a cue's start the voice line is looked for."""


def decode_audio(path: Path, rate: int = RATE) -> np.ndarray:
    """The first audio stream of a media file as (N, channels) float32 at `rate`."""
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path), "-map", "0:a:0",
            "-f", "f32le", "-acodec", "pcm_f32le", "-ar", str(rate), "-ac", "2", "pipe:"]
    proc = subprocess.run(args, capture_output=True, timeout=TIMEOUT_S, check=False)
    if proc.returncode != 0:
        raise BackendError(f"decoding audio of {path.name}: {proc.stderr.decode('utf-8', 'replace')[-300:]}")
    return np.frombuffer(proc.stdout, np.float32).reshape(-1, 2)


def _db(x: float) -> float | None:
    return round(20 * math.log10(x), 2) if x > 0 else None


def loudness(path: Path) -> dict[str, float | None]:
    """Integrated loudness (LUFS, ITU-R BS.1770 via pyloudnorm), true peak (dBTP, 4x oversampled) and length."""
    import pyloudnorm
    from scipy.signal import resample_poly

    audio = decode_audio(path)
    seconds = len(audio) / RATE
    lufs = None
    if seconds >= 0.4:
        value = float(pyloudnorm.Meter(RATE).integrated_loudness(audio.astype(np.float64)))
        lufs = round(value, 2) if math.isfinite(value) else None
    peak = float(np.abs(resample_poly(audio, 4, 1, axis=0)).max()) if len(audio) else 0.0
    return {"lufs": lufs, "true_peak_dbtp": _db(peak), "seconds": round(seconds, 3)}


def _srt_seconds(stamp: str) -> float:
    h, m, rest = stamp.strip().split(":")
    s, ms = rest.split(",")
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_srt(path: Path) -> list[tuple[float, float, str]]:
    """Cues of an SRT file: (start, end, text)."""
    return parse_srt_text(path.read_text(encoding="utf-8"))


def parse_srt_text(text: str) -> list[tuple[float, float, str]]:
    """Cues of SRT text: (start, end, text)."""
    cues = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = block.splitlines()
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        a, b = lines[timing].split("-->")
        cues.append((_srt_seconds(a), _srt_seconds(b), " ".join(lines[timing + 1:])))
    return cues


def _mono(path: Path) -> tuple[np.ndarray, int]:
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return data.mean(axis=1), rate


def _placement(track: np.ndarray, line: np.ndarray, rate: int, expected: float) -> float | None:
    """Where (seconds) `line` sits in `track`, searched within SEARCH_S of `expected` by cross-correlation."""
    from scipy.signal import correlate

    lo = max(0, int((expected - SEARCH_S) * rate))
    probe = line[: min(len(line), rate)]
    hi = int((expected + SEARCH_S) * rate) + len(probe)
    seg = np.zeros(max(0, hi - lo), np.float32)
    got = track[lo:hi]
    seg[: len(got)] = got
    if len(seg) < len(probe) or not np.any(probe) or not np.any(got):
        return None
    corr = correlate(seg, probe, mode="valid", method="fft")
    return (lo + int(np.argmax(corr))) / rate


def voice_timing(run: Path, script: Script, language: str) -> dict[str, Any]:
    """Subtitle cues against the voice lines placed in the language's voice track.

    offset: placed line start − cue start; duration error: cue length − line length; overlap: seconds two cues
    share; truncated: seconds of voice cut off by the end of the reel.
    """
    cues = parse_srt(run / "subtitles" / f"{language}.srt")
    track, rate = _mono(run / "audio" / f"voice_{language}.wav")
    shots = [s.index for s in script.shots if any(line.language == language for line in s.lines)]
    offsets, dur_err, truncated = [], [], 0.0
    for (start, end, _), shot in zip(cues, shots, strict=False):
        line, line_rate = _mono(run / "audio" / "voice" / language / f"shot{shot:02d}.wav")
        if line_rate != rate:
            continue
        at = _placement(track, line, rate, start)
        if at is not None:
            offsets.append(at - start)
        dur_err.append((end - start) - len(line) / line_rate)
        truncated += max(0.0, start + len(line) / line_rate - script.duration)
    overlap = sum(max(0.0, a[1] - b[0]) for a, b in zip(cues, cues[1:], strict=False))
    return {
        "cues": len(cues), "lines": len(shots),
        "offset_max_s": round(max((abs(x) for x in offsets), default=0.0), 3),
        "duration_error_max_s": round(max((abs(x) for x in dur_err), default=0.0), 3),
        "overlap_s": round(overlap, 3), "truncated_s": round(truncated, 3),
        "past_end_s": round(max(0.0, max((c[1] for c in cues), default=0.0) - script.duration), 3),
    }
