"""A generated soundtrack laid under a silent clip: fitted to the clip's length, resampled, muxed as AAC stereo."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from reelgraph.errors import BackendError
from reelgraph.media.ffmpeg import BITEXACT, run

SAMPLE_RATE = 44_100
CHANNELS = 2
BITRATE = "192k"


def as_channels(audio: Any) -> np.ndarray:
    """A model's waveform (a tensor or array: (batch, channels, samples), (channels, samples) or (samples,); the
    first of a batch) as float32 (channels, samples) in [-1, 1]."""
    if hasattr(audio, "detach"):
        audio = audio.detach().float().cpu().numpy()
    wave = np.asarray(audio, dtype=np.float32)
    if wave.ndim == 3:
        wave = wave[0]
    if wave.ndim == 1:
        wave = wave[None]
    if wave.ndim != 2 or wave.shape[0] < 1 or wave.shape[0] > 8 or not np.isfinite(wave).all():
        raise BackendError(f"audio: the model's waveform has shape {tuple(np.shape(audio))} or is not finite")
    return np.clip(wave, -1.0, 1.0)


def fit_samples(wave: np.ndarray, sample_rate: int, seconds: float) -> np.ndarray:
    """(channels, samples) trimmed or padded with silence to exactly round(seconds x sample_rate) samples."""
    want = max(1, round(seconds * sample_rate))
    if wave.shape[1] >= want:
        return wave[:, :want]
    return np.pad(wave, ((0, 0), (0, want - wave.shape[1])))


def mux_audio(video: Path, wave: np.ndarray, sample_rate: int, out: Path, *, seconds: float) -> None:
    """Write `out`: the picture of `video` (copied) and `wave` (channels, samples at `sample_rate`) fitted to
    `seconds`, resampled to 44.1 kHz stereo AAC."""
    fitted = fit_samples(wave, sample_rate, seconds)
    with tempfile.TemporaryDirectory(prefix="reelgraph-audio-") as tmp:
        raw = Path(tmp) / "audio.f32"
        np.ascontiguousarray(fitted.T).tofile(raw)  # interleaved
        picture = ffmpeg.input(str(video))
        sound = ffmpeg.input(str(raw), format="f32le", ac=fitted.shape[0], ar=sample_rate)
        stream = ffmpeg.output(
            picture["v"], sound["a"], str(out), vcodec="copy", acodec="aac", ac=CHANNELS, ar=SAMPLE_RATE,
            audio_bitrate=BITRATE, t=f"{seconds:.6f}", movflags="+faststart", format="mp4", **BITEXACT)
        run(stream, what=f"muxing the audio of {Path(out).name}")
