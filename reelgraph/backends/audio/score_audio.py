"""What every model score goes through on its way to the reel: a text prompt from the brief, and the model's audio
made into exactly `seconds` of 44.1 kHz stereo 16-bit WAV (the procedural backend's format), faded to silence at
the end, never clipped."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np

from reelgraph.errors import BackendError
from reelgraph.schema import MusicBrief

OUT_RATE = 44_100
OUT_CHANNELS = 2


def describe(brief: MusicBrief, suffix: str = "") -> str:
    """The text prompt for a brief: mood, tempo, key and instrumentation."""
    parts = [f"{brief.mood} instrumental film score", f"{brief.tempo_bpm} bpm", f"key of {key_name(brief.key)}"]
    if brief.instrumentation:
        parts.append(", ".join(brief.instrumentation))
    if suffix:
        parts.append(suffix)
    return ", ".join(parts)


def key_name(key: str) -> str:
    """'F#m' → 'F# minor', 'Bb' → 'Bb major'."""
    return key[:-1] + " minor" if key.endswith("m") else key + " major"


def check_seconds(who: str, seconds: float, most: float | None = None) -> None:
    """Refuse a score length that is not a positive, finite number of seconds (at most `most`, when given)."""
    if not seconds or seconds <= 0 or not math.isfinite(seconds) or (most is not None and seconds > most):
        within = f"in (0, {most:.0f}]" if most is not None else "positive"
        raise BackendError(f"{who}: seconds must be {within} (got {seconds!r})")


def fit_length(audio: np.ndarray, n: int) -> np.ndarray:
    """Trim or zero-pad (channels, m) audio to exactly n samples."""
    if audio.shape[-1] >= n:
        return audio[:, :n]
    return np.pad(audio, ((0, 0), (0, n - audio.shape[-1])))


def fade_out(audio: np.ndarray, n: int) -> np.ndarray:
    """Fade the last n samples to silence (the last sample is exactly 0)."""
    n = min(n, audio.shape[-1])
    if n > 0:
        audio = audio.copy()
        audio[:, -n:] *= np.cos(np.linspace(0.0, np.pi / 2, n)) ** 2
        audio[:, -1] = 0.0
    return audio


def resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Polyphase resampling of (channels, n) audio."""
    if rate == target:
        return audio
    from scipy.signal import resample_poly

    ratio = Fraction(target, rate)
    out: np.ndarray = resample_poly(audio, ratio.numerator, ratio.denominator, axis=-1).astype(np.float32)
    return out


def write_score(audio: np.ndarray, rate: int, seconds: float, out: Path, fade_s: float) -> int:
    """Write model-rate (channels, n) audio as the reel's score at `out`; returns the number of samples written."""
    import soundfile as sf

    n_out = round(seconds * OUT_RATE)
    audio = fit_length(resample(audio, rate, OUT_RATE), n_out)
    if audio.shape[0] == 1:
        audio = np.repeat(audio, OUT_CHANNELS, axis=0)
    audio = fade_out(audio[:OUT_CHANNELS], round(fade_s * OUT_RATE))
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak > 0.999:  # never clip on the way to 16 bits; loudness is set in the mix
        audio = audio * (0.999 / peak)
    out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(out), audio.T, OUT_RATE, subtype="PCM_16", format="WAV")
    return n_out
