"""Approval answers, continuous chains, take numbering and reel versions, without running the graph."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reelgraph.agents.director.offline import write_script
from reelgraph.hitl.fork import archive_reels, continuous_chain, drop_if_unchanged, free_attempt
from reelgraph.hitl.interrupts import (
    ScriptEditError,
    approval_request,
    pending_approval,
    read_answer,
    validate_script,
)
from reelgraph.run.folder import RunFolder, sha256_file
from reelgraph.schema import ReelRequest

REQUEST = ReelRequest(prompt="A lighthouse keeper befriends a stray robot during a storm", shots=4, shot_seconds=1)
SCRIPT = write_script(REQUEST)
SCRIPT = SCRIPT.model_copy(update={"shots": [s.model_copy(update={"transition": tr}) for s, tr in
                                             zip(SCRIPT.shots, ["cut", "cut", "continuous", "fade"], strict=True)]})
SPOKEN = next(s.index for s in SCRIPT.shots if s.lines)  # the first shot with a line (a shot may be silent)


def test_answers_approve_or_edit() -> None:
    assert read_answer(None, REQUEST, SCRIPT) == (SCRIPT, False)
    assert read_answer(True, REQUEST, SCRIPT) == (SCRIPT, False)
    assert read_answer({"approved": True}, REQUEST, SCRIPT) == (SCRIPT, False)
    edit = SCRIPT.model_dump(mode="json") | {"title": "New title"}
    script, edited = read_answer({"script": edit}, REQUEST, SCRIPT)
    assert edited and script.title == "New title"


@pytest.mark.parametrize(("change", "field"), [
    (lambda s: s["shots"][1].update(camera="zoom"), "script.shots.1.camera"),
    (lambda s: s["shots"].pop(), "script.shots: 3 shots"),
    (lambda s: s.update(languages=["en", "fr"]), f"script: shot {SPOKEN} has no voice-over line in ['fr']"),
    (lambda s: [s.update(languages=["fr"]), *(line.update(language="fr") for shot in s["shots"]
                                              for line in shot["lines"])], "script.languages: ['fr']"),
    (lambda s: s["shots"][0].update(transition="continuous"), "shot 1 cannot continue"),
    (lambda s: s.update(director="me"), "script.director"),
])
def test_a_wrong_edit_names_the_field(change, field: str) -> None:
    data = SCRIPT.model_dump(mode="json")
    change(data)
    with pytest.raises(ScriptEditError, match=re.escape(field)):
        validate_script(data, REQUEST)
    with pytest.raises(ScriptEditError):
        read_answer({"script": data}, REQUEST, SCRIPT)


def test_other_answers_are_refused() -> None:
    for answer in ({"approved": False}, {"ok": 1}, "yes", 3):
        with pytest.raises(ScriptEditError):
            read_answer(answer, REQUEST, SCRIPT)
    assert pending_approval([{"value": approval_request(SCRIPT)}])["script"]["title"] == SCRIPT.title
    assert pending_approval([]) is None


def test_continuous_chain_follows_the_transitions() -> None:
    assert [s.transition for s in SCRIPT.shots] == ["cut", "cut", "continuous", "fade"]
    assert continuous_chain(SCRIPT, 2) == [2, 3]
    assert continuous_chain(SCRIPT, 3) == [3]
    assert continuous_chain(SCRIPT, 4) == [4]


def test_take_numbers_and_reel_versions(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    assert free_attempt(folder, 2, 1) == 1
    shot = tmp_path / "shots" / "shot02"
    shot.mkdir(parents=True)
    for name in ("take1_key.png", "take1.mp4", "take3.mp4", "kept.json"):
        (shot / name).write_bytes(b"x")
    assert free_attempt(folder, 2, 1) == 4 and free_attempt(folder, 2, 2) == 2
    assert archive_reels(folder, ["en"]) is None
    (tmp_path / "reel_final.mp4").write_bytes(b"v1")
    (tmp_path / "reel_en.mp4").write_bytes(b"v1")
    archived = archive_reels(folder, ["en"])
    assert archived == (1, ["reel_final.v1.mp4", "reel_en.v1.mp4"])
    assert not drop_if_unchanged(folder, archived, "0" * 64)
    (tmp_path / "reel_final.mp4").write_bytes(b"v2")
    assert archive_reels(folder, ["en"])[0] == 2
    assert drop_if_unchanged(folder, (2, ["reel_final.v2.mp4", "reel_en.v2.mp4"]),
                             sha256_file(tmp_path / "reel_final.mp4"))
    assert sorted(p.name for p in tmp_path.glob("reel_*.v*.mp4")) == ["reel_en.v1.mp4", "reel_final.v1.mp4"]
