"""The README's example through the CLI: the reels' streams, sizes, durations, audio and subtitles match the plan."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from reel_helpers import audio_samples, probe, subtitle_texts

from reelgraph.media.mix import measure_loudness
from reelgraph.schema import Script


def _script(out: Path) -> Script:
    return Script.model_validate_json((out / "script.json").read_text(encoding="utf-8"))


def test_run_folder_holds_plan_takes_verdicts_and_checkpoints(example_run: Path) -> None:
    script = _script(example_run)
    assert len(script.shots) == 6 and script.languages == ["en", "fr"]
    for name in ("reel_final.mp4", "reel_en.mp4", "reel_fr.mp4", "checkpoints.sqlite", "run.json", "summary.json",
                 "events.jsonl"):
        assert (example_run / name).is_file(), name
    for shot in script.shots:
        folder = example_run / "shots" / f"shot{shot.index:02d}"
        kept = json.loads((folder / "kept.json").read_text())
        for take in kept["takes"]:
            assert (folder / f"take{take['attempt']}.mp4").is_file()
            assert (folder / f"take{take['attempt']}_key.png").is_file()
            verdict = json.loads((folder / f"take{take['attempt']}_verdict.json").read_text())
            assert 0 <= verdict["score"] <= 10 and verdict["critic"] == "heuristic"
    for character in script.characters:
        assert (example_run / "masters" / f"{character.slug}.png").is_file()


def test_reels_match_the_plan(example_run: Path) -> None:
    script = _script(example_run)
    for name in ("reel_final.mp4", "reel_en.mp4", "reel_fr.mp4"):
        info = probe(example_run / name)
        kinds = {s["type"]: s for s in info["streams"]}
        assert set(kinds) == {"video", "audio", "subtitle"}, name
        video, audio = kinds["video"], kinds["audio"]
        assert (video["codec"], audio["codec"], kinds["subtitle"]["codec"]) == ("h264", "aac", "mov_text")
        assert (video["width"], video["height"]) == (854, 480)
        assert abs(video["fps"] - 24) < 1e-6
        assert video["frames"] == round(script.duration * 24)
        assert abs(info["duration"] - script.duration) < 0.1, info["duration"]
        assert audio["rate"] == 48000 and audio["channels"] == 2


def test_audio_is_not_silent_and_at_target_loudness(example_run: Path) -> None:
    samples = audio_samples(example_run / "reel_en.mp4")
    rms_db = 20 * np.log10(np.sqrt(np.mean(samples**2)) + 1e-12)
    assert rms_db > -35, rms_db
    for lang in ("en", "fr"):
        loud = measure_loudness(example_run / f"reel_{lang}.mp4", timeout=120)
        assert abs(loud["lufs"] + 16) <= 1.0 and loud["true_peak"] <= -1.0, loud
    assert (example_run / "audio" / "mix_fr.wav").is_file()


def test_subtitles_are_the_plans_lines(example_run: Path) -> None:
    script = _script(example_run)
    for lang in ("en", "fr"):
        expected = [" ".join(line.text for line in s.lines if line.language == lang) for s in script.shots if s.lines]
        assert subtitle_texts(example_run / f"reel_{lang}.mp4") == expected
    assert subtitle_texts(example_run / "reel_en.mp4") != subtitle_texts(example_run / "reel_fr.mp4")


def test_summary_names_the_kept_takes(example_run: Path) -> None:
    summary = json.loads((example_run / "summary.json").read_text())
    assert summary["finished"] and summary["final"] == "reel_final.mp4"
    assert [s["shot"] for s in summary["shots"]] == list(range(1, 7))
    for s in summary["shots"]:
        scored = [x for x in s["scores"] if x is not None]
        assert s["scores"][s["kept"] - 1] == max(scored)
