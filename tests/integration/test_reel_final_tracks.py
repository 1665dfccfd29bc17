"""reel_final.mp4 carries every language: one picture (copied), then per language its own audio track and, where
the language has a cue, its own subtitle track, each language-tagged, the first language's default; each track the
same as in reel_<lang>.mp4. A language without a cue has no subtitle track; a redo keeps the earlier reel as v1."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import soundfile as sf
from av.stream import Disposition
from reel_helpers import EXAMPLE_PROMPT, cli

from reelgraph.media.ffmpeg import encode_frames, ffmpeg_exe
from reelgraph.media.mix import LanguageTrack, has_cues, measure_loudness, mix_reel, mux_languages, write_srt

TINY = ["--width", "160", "--height", "90", "--fps", "8", "--shots", "2", "--seconds", "1", "--no-critic",
        "--languages", "en,fr"]
ISO3 = {"en": "eng", "fr": "fra"}


def _generate(out: Path) -> Path:
    proc = cli("generate", "--prompt", EXAMPLE_PROMPT, "--out", str(out), *TINY)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny two-language reel made through the CLI (the example prompt: both languages have cues)."""
    return _generate(tmp_path_factory.mktemp("final") / "run")


def _streams(path: Path, kind: str) -> list[dict[str, Any]]:
    """The streams of one kind: language, default disposition, duration (s), codec."""
    with av.open(str(path)) as f:
        return [{"language": s.metadata.get("language"), "default": bool(s.disposition & Disposition.default),
                 "duration": float(s.duration * s.time_base) if s.duration else None, "codec": s.codec_context.name}
                for s in f.streams if s.type == kind]


def _ffmpeg(*args: str) -> str:
    out = subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", *args], capture_output=True, text=True,
                         check=True, timeout=120)
    return out.stdout


def _packets_md5(path: Path, selector: str) -> str:
    """md5 of a stream's packets as stored (not decoded): equal only for a stream copied byte for byte."""
    return _ffmpeg("-i", str(path), "-map", selector, "-c", "copy", "-f", "md5", "-")


def _samples(path: Path, k: int) -> np.ndarray:
    """Audio track k decoded (float32, channels interleaved per frame)."""
    with av.open(str(path)) as f:
        return np.concatenate([frame.to_ndarray().ravel() for frame in f.decode(f.streams.audio[k])])


def _texts(path: Path, k: int) -> list[str]:
    """Texts of subtitle track k, extracted with ffmpeg to SRT."""
    srt = _ffmpeg("-i", str(path), "-map", f"0:s:{k}", "-f", "srt", "-")
    return [" ".join(b.strip().splitlines()[2:]) for b in srt.strip().split("\n\n") if b.strip()]


def _loudness(path: Path, k: int, tmp: Path) -> dict[str, float]:
    """Loudness of audio track k (the track copied out on its own first)."""
    alone = tmp / f"track{k}.m4a"
    _ffmpeg("-y", "-i", str(path), "-map", f"0:a:{k}", "-c", "copy", str(alone))
    return measure_loudness(alone, timeout=120)


def test_one_picture_copied_once(run: Path) -> None:
    videos = _streams(run / "reel_final.mp4", "video")
    assert [v["codec"] for v in videos] == ["h264"]
    assert _packets_md5(run / "reel_final.mp4", "0:v") == _packets_md5(run / "reel_picture.mp4", "0:v")


def test_an_audio_track_per_language_the_first_default(run: Path, tmp_path: Path) -> None:
    final = run / "reel_final.mp4"
    audio = _streams(final, "audio")
    assert [(a["language"], a["default"], a["codec"]) for a in audio] == [("eng", True, "aac"), ("fra", False, "aac")]
    for k, lang in enumerate(("en", "fr")):
        reel = run / f"reel_{lang}.mp4"
        assert audio[k]["duration"] == _streams(reel, "audio")[0]["duration"]
        assert np.array_equal(_samples(final, k), _samples(reel, 0)), lang
        assert _loudness(final, k, tmp_path) == measure_loudness(reel, timeout=120), lang
    assert not np.array_equal(_samples(final, 0), _samples(final, 1)), "both tracks carry the same language"


def test_a_subtitle_track_per_language_with_cues(run: Path) -> None:
    final = run / "reel_final.mp4"
    cued = [lang for lang in ("en", "fr") if has_cues(run / "subtitles" / f"{lang}.srt")]
    assert cued == ["en", "fr"], "the example prompt gives both languages a line"
    subs = _streams(final, "subtitle")
    assert [(s["language"], s["default"], s["codec"]) for s in subs] == [("eng", True, "mov_text"),
                                                                          ("fra", False, "mov_text")]
    for k, lang in enumerate(cued):
        texts = _texts(final, k)
        assert texts and texts == _texts(run / f"reel_{lang}.mp4", 0), lang
    assert _texts(final, 0) != _texts(final, 1)


def test_the_summary_and_state_point_at_the_final_reel(run: Path) -> None:
    summary = json.loads((run / "summary.json").read_text())
    assert summary["finished"] and summary["final"] == "reel_final.mp4"


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 2-second picture and a tone stem."""
    folder = tmp_path_factory.mktemp("mux")
    picture = folder / "picture.mp4"
    encode_frames((np.full((64, 64, 3), 90, np.uint8) for _ in range(16)), picture, fps=8, width=64, height=64)
    stem = folder / "stem.wav"
    t = np.arange(2 * 48_000) / 48_000
    sf.write(stem, np.stack([0.2 * np.sin(2 * np.pi * 440 * t)] * 2, axis=1), 48_000)
    return picture, stem


def test_a_language_without_cues_has_no_subtitle_track(media: tuple[Path, Path], tmp_path: Path) -> None:
    picture, stem = media
    tracks = []
    for lang, cues in (("fr", []), ("en", [(0.2, 1.0, "Hello there")])):  # the first language is the silent one
        srt, reel = tmp_path / f"{lang}.srt", tmp_path / f"reel_{lang}.mp4"
        write_srt(cues, srt)
        mix_reel(picture, stem, srt, ISO3[lang], reel, timeout=120)
        tracks.append(LanguageTrack(reel, ISO3[lang], has_cues(srt)))
    final = tmp_path / "reel_final.mp4"
    mux_languages(picture, tracks, final, timeout=120)
    assert [(a["language"], a["default"]) for a in _streams(final, "audio")] == [("fra", True), ("eng", False)]
    assert [s["language"] for s in _streams(final, "subtitle")] == ["eng"]  # mp4 keeps it enabled: default
    assert _texts(final, 0) == ["Hello there"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_redo_keeps_the_earlier_final_reel_with_its_tracks(tmp_path: Path) -> None:
    out = _generate(tmp_path / "run")
    old = _sha(out / "reel_final.mp4")
    proc = cli("redo-shot", "--out", str(out), "--shot", "2", "--note", "closer")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert {p.name for p in out.glob("reel_*.v*.mp4")} == {"reel_final.v1.mp4", "reel_en.v1.mp4", "reel_fr.v1.mp4"}
    assert _sha(out / "reel_final.v1.mp4") == old != _sha(out / "reel_final.mp4")
    for name in ("reel_final.v1.mp4", "reel_final.mp4"):
        assert [a["language"] for a in _streams(out / name, "audio")] == ["eng", "fra"], name
