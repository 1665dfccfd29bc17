"""A language's lip track: each character line's visemes where the line plays (as fitted), none for the narrator;
its file is checked by hash before it moves a mouth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from reelgraph.agents.critic.lipsync import Cue
from reelgraph.run.folder import RunFolder
from reelgraph.schema import Artifact, Character, Script, Shot
from reelgraph.steps.lips import SpokenLine, line_cues, line_visemes, lips_intact, write_lip_track

PHONEMES: list[list[object]] = [[0.0, "h"], [0.1, "'oU"], [0.4, "m"], [0.5, "_"]]


def _wav(path: Path, seconds: float) -> Path:
    sf.write(str(path), np.zeros(round(seconds * 16_000), np.float32), 16_000)
    return path


def test_a_fitted_line_moves_the_mouth_sped_up_where_it_plays(tmp_path: Path) -> None:
    line = SpokenLine(_wav(tmp_path / "fit.wav", 0.6 / 1.2), "Home", PHONEMES, tempo=1.2)  # 0.6 s spoken, sped up
    spans = line_visemes(line, at=3.0)
    assert [s.viseme for s in spans] == ["mid", "round"]
    assert spans[1].start == pytest.approx(3.0 + 0.1 / 1.2) and spans[1].end == pytest.approx(3.0 + 0.4 / 1.2)


def test_the_track_holds_characters_only_and_is_checked_by_hash(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path / "run")
    line = SpokenLine(_wav(tmp_path / "a.wav", 0.6), "Home", PHONEMES)
    assert write_lip_track(folder, "en", [("narrator", line, 0.3)]) is None  # the narrator moves no mouth
    ref = write_lip_track(folder, "en", [("narrator", line, 0.3), ("mara", line, 2.3)])
    assert ref is not None and ref["path"] == "audio/lips_en.json"
    data = json.loads((folder.root / ref["path"]).read_text(encoding="utf-8"))
    assert set(data["speakers"]) == {"mara"} and data["speakers"]["mara"][0][0] == pytest.approx(2.3)
    voice = Artifact(id="voice.en", kind="voice", path="audio/voice_en.wav", sha256="0" * 64, meta={"lips": ref})
    assert lips_intact(folder, voice)
    (folder.root / ref["path"]).write_text("{}", encoding="utf-8")
    assert not lips_intact(folder, voice)


def test_a_subtitle_names_who_says_it() -> None:
    shot = Shot(index=1, beat="b", setting="s", action="a")
    script = Script(title="t", logline="l", languages=["en"], shots=[shot], characters=[
        Character(name="Mara", slug="mara", look="x"), Character(name="Mara Lee", slug="mara-lee", look="y")])
    cues = line_cues([[0, 1, "Mara Lee: Hi."], [1, 2, "Mara: Run!"], [2, 3, "Mara ran: fast."]], script)
    assert cues == [Cue(0, 1, "mara-lee"), Cue(1, 2, "mara"), Cue(2, 3, "narrator")]
