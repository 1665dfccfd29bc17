"""Lips in sync, measured on the finished reel: two characters talk, their mouths move while (and only while) their
own lines play, and no mouth moves while the narrator speaks or the other one does.

The voice is found in the reel's decoded audio (the score as the music-only baseline), the open mouths in its decoded
frames (against the takes as rendered, where the face tracks say the mouths are): neither from the lip track that
drew the mouths.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reel_helpers import cli

from reelgraph.evals.lipsync import reel_cues, reel_lip_sync
from reelgraph.schema import Script

PROMPT = ('Late at night, Nora and her grandfather Abel sit on the porch of the old farmhouse. "Do you hear the '
          'owls?" Abel asks Nora. Nora answers him: "I hear them every night, Grandpa." They watch the stars '
          'together until dawn.')


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lips") / "porch"
    proc = cli("generate", "--prompt", PROMPT, "--out", str(out), "--shots", "4", "--seconds", "3", "--width", "160",
               "--height", "90", "--fps", "8", "--no-critic")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_the_scene_has_both_speakers_and_the_narrator_on_screen(run: Path) -> None:
    script = Script.model_validate_json((run / "script.json").read_text(encoding="utf-8"))
    speakers = {line.speaker for shot in script.shots for line in shot.lines}
    assert {"nora", "abel", "narrator"} <= speakers
    cues = reel_cues(run / "reel_final.mp4", script)
    assert {c.speaker for c in cues} == speakers  # the subtitles say who speaks each line


def test_mouths_move_only_in_their_owners_voiced_lines(run: Path) -> None:
    fig = reel_lip_sync(run)
    assert fig is not None, "no take kept a face track"
    print(f"lip-sync: {fig}")
    assert fig.share_voiced is not None and fig.share_voiced >= 0.9, fig
    assert fig.open >= 10, fig  # both speakers visibly talk
    for who in ("nora", "abel"):
        own = fig.per_character[who]
        assert own["speaking_seen"] >= 4 and own["speaking_open"] >= 0.5 * own["speaking_seen"], (who, own)
    # mouths were on screen while the narrator spoke and while the other one spoke: and stayed closed
    assert fig.seen_during_narrator >= 8 and fig.seen_during_others >= 8, fig
    assert fig.during_narrator == 0 and fig.during_others == 0 and fig.outside_own_lines == 0, fig


def test_the_reel_was_judged_in_sync_when_composed(run: Path) -> None:
    verdict = json.loads((run / "lip_sync.json").read_text(encoding="utf-8"))
    assert verdict["defects"] == [] and verdict["score"] == 10.0, verdict
    fig = reel_lip_sync(run)
    assert fig is not None and verdict["metrics"]["open"] == fig.open  # the check and the eval measure alike
    kept = json.loads((run / "shots" / "shot02" / "kept.json").read_text(encoding="utf-8"))
    assert (run / kept["takes"][0]["clip"]["meta"]["faces"]["path"]).is_file()
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert summary["lip_sync"]["score"] == verdict["score"] and summary["lip_sync"]["defects"] == []


def test_a_damaged_lip_or_face_track_is_named_by_resume_and_made_again_by_repair(run: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "porch"
    shutil.copytree(run, copy)
    (copy / "audio" / "lips_en.json").write_text('{"language": "en", "speakers": {}}', encoding="utf-8")
    face = json.loads((copy / "shots" / "shot02" / "kept.json").read_text(encoding="utf-8"))
    face_path = copy / face["takes"][0]["clip"]["meta"]["faces"]["path"]
    face_path.unlink()
    named = cli("resume", "--out", str(copy))
    assert named.returncode != 0 and "audio/lips_en.json" in named.stderr and face_path.name in named.stderr
    fixed = cli("resume", "--out", str(copy), "--repair")
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    redone = json.loads((copy / "shots" / "shot02" / "kept.json").read_text(encoding="utf-8"))
    assert (copy / redone["takes"][-1]["clip"]["meta"]["faces"]["path"]).is_file(), "shot 2 was made again"
    assert json.loads((copy / "audio" / "lips_en.json").read_text())["speakers"], "the voice was made again"
    verdict = json.loads((copy / "lip_sync.json").read_text(encoding="utf-8"))
    assert verdict["defects"] == [] and verdict["score"] == 10.0, verdict
