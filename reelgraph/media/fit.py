"""Fitting a voice line to its shot: a small tempo change (ffmpeg `atempo`, pitch kept), never a cut mid-word.

A line that fits is copied unchanged. Trailing near-silence (below `SILENCE_DBFS`, keeping `TAIL_S` of decay) does
not count: it may be dropped first. A line whose sound is still longer is sped up by at most `MAX_TEMPO` (+15 %);
if even that is not enough, `LineTooLong` carries the tempo it would need, so the Director can be asked for a
shorter line. Sound is never truncated: the only samples ever dropped are trailing near-silence.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import numpy as np
import soundfile as sf

from reelgraph.errors import BackendError
from reelgraph.media.ffmpeg import BITEXACT, TIMEOUT_S, run
from reelgraph.run.names import scratch_path
from reelgraph.run.safe_files import create_empty

MAX_TEMPO = 1.15
SILENCE_DBFS = -50.0
TAIL_S = 0.05  # decay kept after the last sound above the silence threshold
SLACK_S = 0.01  # aim this far under the limit: atempo lands within a few ms of the exact length


class LineTooLong(BackendError):
    """A line that cannot fit its shot even at the fastest tempo allowed; `ratio` is the tempo it would need."""

    def __init__(self, *, seconds: float, max_seconds: float, ratio: float, max_tempo: float = MAX_TEMPO) -> None:
        self.seconds = seconds
        self.max_seconds = max_seconds
        self.ratio = ratio
        self.max_tempo = max_tempo
        keep = min(max_tempo / ratio, 0.999)  # the share of the line that fits at the fastest tempo
        super().__init__(
            f"the line lasts {seconds:.2f} s but its shot allows {max_seconds:.2f} s: it would need {ratio:.3f}x "
            f"speed, more than the {max_tempo:.2f}x allowed; shorten it to about {keep:.1%} of its length")


@dataclass(frozen=True)
class FitResult:
    """What `fit_line` did: the tempo applied (1.0 = unchanged) and the durations before and after."""

    path: Path
    seconds_in: float
    seconds_out: float
    max_seconds: float
    tempo: float
    trimmed_silence_s: float = 0.0

    @property
    def changed(self) -> bool:
        """Whether the line was sped up or had silence trimmed."""
        return self.tempo != 1.0 or self.trimmed_silence_s > 0


def duration(path: Path) -> float:
    """Seconds of audio in a WAV (or any file soundfile reads)."""
    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError) as e:
        raise BackendError(f"cannot read audio {Path(path).name}: {e}") from None
    frames: int = info.frames
    rate: int = info.samplerate
    return frames / rate


def fit_line(wav_path: Path, max_seconds: float, out_path: Path, *, max_tempo: float = MAX_TEMPO,
             timeout: float = TIMEOUT_S) -> FitResult:
    """Write `wav_path` to `out_path` lasting at most `max_seconds`, sped up by at most `max_tempo` (pitch kept).

    Raises LineTooLong (carrying the needed tempo ratio) when the line cannot fit without cutting sound.
    """
    wav_path, out_path = Path(wav_path), Path(out_path)
    if not max_seconds > 0:
        raise ValueError(f"max_seconds must be positive, got {max_seconds!r}")
    if not 1.0 <= max_tempo <= 2.0:
        raise ValueError(f"max_tempo must be within [1, 2], got {max_tempo!r}")
    data, rate, subtype = _read(wav_path)
    seconds = data.shape[0] / rate
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if seconds <= max_seconds:
        if out_path.resolve() != wav_path.resolve():
            shutil.copyfile(wav_path, out_path)
        return FitResult(out_path, seconds, seconds, max_seconds, 1.0)
    sound = sound_seconds(data, rate)
    if sound <= max_seconds:  # only trailing silence is over: drop it, nothing else changes
        keep = int(np.floor(max_seconds * rate))
        _write(out_path, data[:keep], rate, subtype)
        return FitResult(out_path, seconds, keep / rate, max_seconds, 1.0, (data.shape[0] - keep) / rate)
    ratio = sound / max_seconds
    if ratio > max_tempo:
        raise LineTooLong(seconds=sound, max_seconds=max_seconds, ratio=ratio, max_tempo=max_tempo)

    tempo = min(max_tempo, sound / (max_seconds - SLACK_S)) if max_seconds > SLACK_S else max_tempo
    tmp = create_empty(out_path.parent, scratch_path(out_path, "fit-", ".wav"))
    try:
        stream = (ffmpeg.input(str(wav_path)).filter("atempo", f"{tempo:.6f}")
                  .output(str(tmp), acodec="pcm_s16le", ar=rate, ac=data.shape[1], format="wav", **BITEXACT))
        run(stream, timeout=timeout, what=f"fitting {wav_path.name}")
        fast, _, _ = _read(tmp)
        keep = fast.shape[0]
        if keep / rate > max_seconds:
            limit = int(np.floor(max_seconds * rate))
            last_loud = _last_loud(fast)
            if last_loud >= limit:  # atempo's rounding left sound past the limit: never cut it
                raise LineTooLong(seconds=sound, max_seconds=max_seconds, ratio=tempo * (last_loud + 1) / limit,
                                  max_tempo=max_tempo)
            keep = limit
        _write(tmp, fast[:keep], rate, "PCM_16")
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return FitResult(out_path, seconds, keep / rate, max_seconds, round(tempo, 6), (fast.shape[0] - keep) / rate)


def sound_seconds(data: np.ndarray, rate: int) -> float:
    """Seconds up to the last sample above `SILENCE_DBFS`, plus `TAIL_S` of decay (at most the whole length)."""
    last = _last_loud(data)
    return min(data.shape[0], last + 1 + round(TAIL_S * rate)) / rate if last >= 0 else 0.0


def _last_loud(data: np.ndarray) -> int:
    loud = np.flatnonzero(np.abs(data).max(axis=1) >= 10 ** (SILENCE_DBFS / 20))
    return int(loud[-1]) if loud.size else -1


def _read(path: Path) -> tuple[np.ndarray, int, str]:
    try:
        info = sf.info(str(path))
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as e:
        raise BackendError(f"cannot read audio {Path(path).name}: {e}") from None
    return data, rate, info.subtype


def _write(path: Path, data: np.ndarray, rate: int, subtype: str) -> None:
    subtype = subtype if subtype in ("PCM_16", "PCM_24", "PCM_32", "FLOAT") else "PCM_16"
    sf.write(str(path), data, rate, subtype=subtype, format="WAV")
