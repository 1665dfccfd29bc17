"""Compositing with ffmpeg-python: cut the picture once, then per language mix music under voice and mux subtitles,
then copy every language's tracks into one reel.

User text never enters a filter graph: subtitles travel as an SRT file input (mov_text), paths as input arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np
import soundfile as sf

from reelgraph.errors import BackendError
from reelgraph.media.ffmpeg import BITEXACT, run
from reelgraph.run.names import scratch_path
from reelgraph.run.safe_files import create_empty

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
    """A voice track of exactly `seconds`: each line's WAV placed at its start time (mono, at the first line's rate;
    a line of another rate, such as a clip's own sound among spoken lines, is resampled to it)."""
    rate = None
    chunks: list[tuple[int, np.ndarray]] = []
    for start, wav in lines:
        data, sr = sf.read(str(wav), dtype="float32", always_2d=True)
        mono = data.mean(axis=1)
        rate = rate or sr
        if sr != rate:
            from scipy.signal import resample_poly

            ratio = Fraction(rate, sr)
            mono = resample_poly(mono, ratio.numerator, ratio.denominator).astype(np.float32)
        chunks.append((int(round(start * rate)), mono))
    rate = rate or 22_050
    track = np.zeros(int(round(seconds * rate)), np.float32)
    for offset, data in chunks:
        end = min(track.size, offset + data.size)
        track[offset:end] += data[: end - offset]
    sf.write(str(out), np.clip(track, -1, 1), rate, subtype="PCM_16", format="WAV")


def _mixed_audio(music: Path, voice: Path) -> Any:
    """Music ducked under the voice (sidechain compression), then voice on top."""
    music_in = ffmpeg.input(str(music)).audio.filter("volume", 0.6)
    voice_in = ffmpeg.input(str(voice)).audio.filter("aresample", AUDIO_RATE)
    split = voice_in.filter_multi_output("asplit")
    music_in = music_in.filter("aresample", AUDIO_RATE)
    ducked = ffmpeg.filter([music_in, split[0]], "sidechaincompress", threshold=0.02, ratio=6, attack=15,
                           release=400, makeup=1)
    return ffmpeg.filter([ducked, split[1]], "amix", inputs=2, duration="first", normalize=0)


def mix_stem(music: Path, voice: Path, out: Path, *, timeout: float) -> None:
    """The language's audio stem: music ducked under the voice, summed, 48 kHz stereo WAV (not yet normalised)."""
    stream = ffmpeg.output(_mixed_audio(music, voice), str(out), acodec="pcm_s16le", ar=AUDIO_RATE, ac=2,
                           format="wav", **BITEXACT)
    run(stream, timeout=timeout, what="mixing music and voice")


CORRECTIONS = 4  # gain corrections after limiting, at most
AAC_HEADROOM = 1.5  # dB kept below TRUE_PEAK for the peaks AAC encoding adds (the limiter holds that ceiling)


def measure_loudness(audio: Path, *, timeout: float) -> dict[str, float]:
    """EBU R128 integrated loudness (LUFS), loudness range (LU) and true peak (dBTP), measured by ffmpeg's ebur128."""
    stream = ffmpeg.output(ffmpeg.input(str(audio)).audio.filter("ebur128", peak="true", framelog="quiet"), "-",
                           format="null")
    text = run(stream, timeout=timeout, what="measuring loudness", loglevel="info").decode("utf-8", "replace")
    summary = text[text.rfind("Summary:"):]
    keys = ("I", "LRA", "Peak")
    found = {key: m for key in keys if (m := re.search(rf"{key}:\s+(-?[\d.]+|-inf)", summary))}
    if len(found) != len(keys):
        raise BackendError(f"measuring loudness of {audio.name}: ffmpeg printed no ebur128 summary")
    value = {k: float(m.group(1)) for k, m in found.items()}
    return {"lufs": value["I"], "lra": value["LRA"], "true_peak": value["Peak"]}


def _normalised(stem: Path, gain: float, limit: bool, out: Path, timeout: float,
                headroom: float = AAC_HEADROOM) -> dict[str, float]:
    # band-limited as the AAC encoder will (~15 kHz at 160 kb/s), so the reel measures what was normalised here
    audio = ffmpeg.input(str(stem)).audio.filter("lowpass", f=15000).filter("volume", f"{gain:.3f}dB")
    if limit:  # a true-peak limiter: limiting at 4x the sample rate also catches the peaks between samples
        ceiling = 10 ** ((TRUE_PEAK - headroom) / 20)
        audio = (audio.filter("aresample", 4 * AUDIO_RATE)
                 .filter("alimiter", limit=f"{ceiling:.4f}", level="disabled", attack=5, release=50)
                 .filter("aresample", AUDIO_RATE))
    run(ffmpeg.output(audio, str(out), acodec="pcm_s16le", ar=AUDIO_RATE, ac=2, format="wav", **BITEXACT),
        timeout=timeout, what="normalising loudness")
    return measure_loudness(out, timeout=timeout)


def _level(stem: Path, measured: dict[str, float], level: Path, timeout: float,
           headroom: float) -> tuple[float, bool, dict[str, float]]:
    """The stem at the target loudness in `level`: (gain, limited, its loudness)."""
    gain = LOUDNESS_TARGET - measured["lufs"] if measured["lufs"] > -70 else 0.0
    limit = gain != 0.0 and measured["true_peak"] + gain > TRUE_PEAK - headroom
    result = _normalised(stem, gain, limit, level, timeout, headroom)
    for _ in range(CORRECTIONS):  # the limiter takes some loudness back: correct the gain for it
        if not limit or abs(result["lufs"] - LOUDNESS_TARGET) <= 0.3:
            break
        gain += 1.5 * (LOUDNESS_TARGET - result["lufs"])  # the limiter takes a share of every extra dB
        result = _normalised(stem, gain, limit, level, timeout, headroom)
    return gain, limit, result


def mix_reel(picture: Path, stem: Path, subtitles: Path, language_iso3: str, out: Path, *,
             timeout: float) -> dict[str, float]:
    """One language's reel: the picture (copied, not re-encoded), the stem brought to -16 LUFS (a limiter holds the
    true peak when the gain would push it over -1.5 dBTP; the gain is corrected for what the limiter took),
    and the subtitles as mov_text."""
    measured = measure_loudness(stem, timeout=timeout)
    level = create_empty(out.parent, scratch_path(out, "level-", ".wav"))
    headroom = AAC_HEADROOM
    try:
        for _ in range(2):  # heavy limiting leaves peaks the AAC encoder lifts further: measure the reel, redo once
            gain, limit, result = _level(stem, measured, level, timeout, headroom)
            video = ffmpeg.input(str(picture)).video
            subs = [ffmpeg.input(str(subtitles), format="srt", sub_charenc="UTF-8")["s"]] if has_cues(subtitles) \
                else []  # a reel without a spoken line has no subtitle stream
            sub_opts = {"scodec": "mov_text", "metadata:s:s:0": f"language={language_iso3}"} if subs else {}
            stream = ffmpeg.output(
                video, ffmpeg.input(str(level)).audio, *subs, str(out), vcodec="copy", acodec="aac",
                audio_bitrate="160k", ar=AUDIO_RATE, ac=2, movflags="+faststart", format="mp4",
                **{"metadata:s:a:0": f"language={language_iso3}"}, **sub_opts, **BITEXACT)
            run(stream, timeout=timeout, what=f"muxing the {language_iso3} reel")
            if not limit:
                break
            reel = measure_loudness(out, timeout=timeout)
            if reel["true_peak"] <= TRUE_PEAK + 0.4:
                break
            headroom += reel["true_peak"] - TRUE_PEAK
    finally:
        level.unlink(missing_ok=True)
    return {"stem_lufs": measured["lufs"], "gain_db": round(gain, 3), "limited": limit, "lufs": result["lufs"],
            "true_peak": result["true_peak"]}


@dataclass(frozen=True)
class LanguageTrack:
    """One language of the final reel: its finished reel (from `mix_reel`) and its ISO 639-2 code."""

    reel: Path
    iso3: str
    subtitled: bool  # the reel has a subtitle stream (its language has a cue)


def _dispositions(kind: str, count: int) -> dict[str, str]:
    """Output options marking the first stream of a kind default, the others not (mp4 keeps the first track of each
    kind enabled, i.e. default, in any case)."""
    return {f"disposition:{kind}:{k}": "default" if k == 0 else "0" for k in range(count)}


def mux_languages(picture: Path, tracks: list[LanguageTrack], out: Path, *, timeout: float) -> None:
    """One reel with every language: the picture once, then each language's audio and subtitles as their own
    tracks, all copied from its reel (not re-encoded), language-tagged, the first of each kind marked default (the
    first language's; its subtitles' unless it has none)."""
    reels = [ffmpeg.input(str(t.reel)) for t in tracks]
    subtitled = [(reel, t) for reel, t in zip(reels, tracks, strict=True) if t.subtitled]
    opts = {f"metadata:s:a:{k}": f"language={t.iso3}" for k, t in enumerate(tracks)}
    opts |= {f"metadata:s:s:{k}": f"language={t.iso3}" for k, (_, t) in enumerate(subtitled)}
    opts |= _dispositions("a", len(tracks)) | _dispositions("s", len(subtitled))
    stream = ffmpeg.output(ffmpeg.input(str(picture))["v:0"], *(r["a:0"] for r in reels),
                           *(r["s:0"] for r, _ in subtitled), str(out), c="copy", movflags="+faststart",
                           format="mp4", **opts, **BITEXACT)
    run(stream, timeout=timeout, what="muxing the reel of every language")


def srt_time(seconds: float) -> str:
    """Seconds as an SRT timestamp (HH:MM:SS,mmm)."""
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


WORD_JOINER = "\u2060"


def literal_subtitle_text(text: str) -> str:
    """Text that subtitle decoders show as written: one line, no control characters, an invisible word joiner
    after each character that starts markup (`\\`, `{`, `<`): `{\\an8}`, `\\N` or `<b>` are shown, not obeyed; and
    inside every `-->`, so that a line that looks like a cue's timing stays text."""
    line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    for ch in ("\\", "{", "<"):
        line = line.replace(ch, ch + WORD_JOINER)
    return line.replace("-->", "--" + WORD_JOINER + ">")  # an SRT reader takes `… --> …` for a cue's timing


def write_srt(cues: list[tuple[float, float, str]], out: Path) -> None:
    """Subtitles as SRT, each cue's text shown literally (see literal_subtitle_text)."""
    blocks = []
    for i, (start, end, text) in enumerate(cues, start=1):
        clean = literal_subtitle_text(text)
        blocks.append(f"{i}\n{srt_time(start)} --> {srt_time(end)}\n{clean}\n")
    out.write_text("\n".join(blocks) if blocks else "\n", encoding="utf-8")  # no cue: a blank file (see has_cues)


def has_cues(srt: Path) -> bool:
    """True when an SRT file written by `write_srt` holds a cue (text never holds a bare `-->`: see
    literal_subtitle_text)."""
    return "-->" in srt.read_text(encoding="utf-8")
