"""Compositing with ffmpeg-python: cut the picture once, then per language mix music under voice and mux subtitles.

User text never enters a filter graph: subtitles travel as an SRT file input (mov_text), paths as input arguments.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import numpy as np
import soundfile as sf

from reelgraph.errors import BackendError
from reelgraph.media.ffmpeg import BITEXACT, run

LOUDNESS_TARGET = -16.0
TRUE_PEAK = -1.5
AUDIO_RATE = 48_000


@dataclass(frozen=True)
class Cut:
    """One kept clip in the reel and how it joins its neighbours."""

    path: Path
    seconds: float
    fade_in: float = 0.0
    fade_out: float = 0.0


def cut_picture(cuts: list[Cut], out: Path, *, fps: int, timeout: float) -> None:
    """Concatenate the kept clips (fades where asked) into one H.264 picture track, encoded once."""
    parts = []
    for cut in cuts:
        s = ffmpeg.input(str(cut.path)).video.filter("trim", duration=cut.seconds).filter("setpts", "PTS-STARTPTS")
        if cut.fade_in > 0:
            s = s.filter("fade", type="in", start_time=0, duration=cut.fade_in)
        if cut.fade_out > 0:
            s = s.filter("fade", type="out", start_time=max(0.0, cut.seconds - cut.fade_out), duration=cut.fade_out)
        parts.append(s)
    joined = ffmpeg.concat(*parts, v=1, a=0) if len(parts) > 1 else parts[0]
    stream = ffmpeg.output(joined, str(out), vcodec="libx264", pix_fmt="yuv420p", preset="veryfast", crf=20, r=fps,
                           movflags="+faststart", format="mp4", **BITEXACT)
    run(stream, timeout=timeout, what="cutting the picture")


def place_lines(lines: list[tuple[float, Path]], seconds: float, out: Path) -> None:
    """A voice track of exactly `seconds`: each line's WAV placed at its start time (mono, its own rate)."""
    rate = None
    chunks: list[tuple[int, np.ndarray]] = []
    for start, wav in lines:
        data, sr = sf.read(str(wav), dtype="float32", always_2d=True)
        if rate not in (None, sr):
            raise BackendError(f"voice lines have different sample rates ({rate} and {sr}): {wav.name}")
        rate = sr
        chunks.append((int(round(start * sr)), data.mean(axis=1)))
    rate = rate or 22_050
    track = np.zeros(int(round(seconds * rate)), np.float32)
    for offset, data in chunks:
        end = min(track.size, offset + data.size)
        track[offset:end] += data[: end - offset]
    sf.write(str(out), np.clip(track, -1, 1), rate, subtype="PCM_16", format="WAV")


def _mixed_audio(music: Path, voice: Path):
    """Music ducked under the voice (sidechain compression), then voice on top."""
    music_in = ffmpeg.input(str(music)).audio.filter("volume", 0.6)
    voice_in = ffmpeg.input(str(voice)).audio.filter("aresample", AUDIO_RATE)
    split = voice_in.filter_multi_output("asplit")
    music_in = music_in.filter("aresample", AUDIO_RATE)
    ducked = ffmpeg.filter([music_in, split[0]], "sidechaincompress", threshold=0.02, ratio=6, attack=15,
                           release=400, makeup=1)
    return ffmpeg.filter([ducked, split[1]], "amix", inputs=2, duration="first", normalize=0)


def _measure_loudness(music: Path, voice: Path, timeout: float) -> dict[str, str]:
    mixed = _mixed_audio(music, voice).filter("loudnorm", I=LOUDNESS_TARGET, TP=TRUE_PEAK, LRA=11,
                                              print_format="json")
    stream = ffmpeg.output(mixed, "-", format="null")
    args_err = run(stream, timeout=timeout, what="measuring loudness", loglevel="info")
    text = args_err.decode("utf-8", "replace")
    m = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", text, re.S)
    if not m:
        raise BackendError("measuring loudness: ffmpeg printed no loudnorm figures")
    return json.loads(m.group(0))


def mix_reel(picture: Path, music: Path, voice: Path, subtitles: Path, language_iso3: str, out: Path, *,
             timeout: float) -> dict[str, float]:
    """One language's reel: the picture (copied, not re-encoded), music+voice normalised to -16 LUFS, subtitles."""
    m = _measure_loudness(music, voice, timeout)
    audio = _mixed_audio(music, voice).filter(
        "loudnorm", I=LOUDNESS_TARGET, TP=TRUE_PEAK, LRA=11, linear="true", measured_I=m["input_i"],
        measured_TP=m["input_tp"], measured_LRA=m["input_lra"], measured_thresh=m["input_thresh"],
        offset=m["target_offset"]).filter("aresample", AUDIO_RATE)
    video = ffmpeg.input(str(picture)).video
    subs = ffmpeg.input(str(subtitles), format="srt", sub_charenc="UTF-8")["s"]
    stream = ffmpeg.output(
        video, audio, subs, str(out), vcodec="copy", acodec="aac", audio_bitrate="160k", ar=AUDIO_RATE, ac=2,
        scodec="mov_text", movflags="+faststart", format="mp4",
        **{"metadata:s:a:0": f"language={language_iso3}", "metadata:s:s:0": f"language={language_iso3}"},
        **BITEXACT)
    run(stream, timeout=timeout, what=f"mixing the {language_iso3} reel")
    return {"measured_lufs": float(m["input_i"]), "measured_true_peak": float(m["input_tp"])}


def srt_time(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


WORD_JOINER = "\u2060"


def literal_subtitle_text(text: str) -> str:
    """Text that subtitle decoders show as written: one line, no control characters, an invisible word joiner
    after each character that starts markup (`\\`, `{`, `<`): `{\\an8}`, `\\N` or `<b>` are shown, not obeyed."""
    line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    for ch in ("\\", "{", "<"):
        line = line.replace(ch, ch + WORD_JOINER)
    return line


def write_srt(cues: list[tuple[float, float, str]], out: Path) -> None:
    """Subtitles as SRT, each cue's text shown literally (see literal_subtitle_text)."""
    blocks = []
    for i, (start, end, text) in enumerate(cues, start=1):
        clean = literal_subtitle_text(text)
        blocks.append(f"{i}\n{srt_time(start)} --> {srt_time(end)}\n{clean}\n")
    out.write_text("\n".join(blocks), encoding="utf-8")
