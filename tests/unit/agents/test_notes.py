"""A person's note on a shot changes the Director's request in ways the picture shows."""

from __future__ import annotations

import numpy as np
import pytest

from reelgraph.agents.director.brief import ShotBrief
from reelgraph.agents.director.offline import OfflineDirector as TemplateDirector
from reelgraph.agents.director.offline import note_changes
from reelgraph.backends.base import KeyframeSpec
from reelgraph.backends.procedural.image import ProceduralImageBackend
from reelgraph.schema import Character, Script, Shot

MARA = Character(name="Mara", slug="mara", look="tall woman, long hair, red coat",
                 palette=["#c0392b", "#1f4e79", "#f1c40f", "#ecf0f1"])
SHOT = Shot(index=1, beat="Mara waits.", setting="a quiet meadow", action="Mara waits.", characters=["mara"],
            framing="medium", lighting="day", camera="pan_left")
SCRIPT = Script(title="t", logline="l", characters=[MARA], shots=[SHOT], languages=["en"])


def _args(note: str | None) -> tuple[dict, dict]:
    brief = ShotBrief(script=SCRIPT, shot=SHOT, attempt=1, seed=4, note=note)
    director = TemplateDirector()
    return director._keyframe_args(brief), director._motion_args(brief)


@pytest.mark.parametrize(("note", "expected"), [
    ("make it darker and move the camera closer", {"exposure": -1.5, "framing": "closer"}),
    ("brighter please, and wider", {"exposure": 1.5, "framing": "wider"}),
    ("less dark", {"exposure": 1.5}),
    ("warmer light, calmer camera", {"lighting": "golden", "camera": "static"}),
    ("make it night", {"lighting": "night"}),
    ("pull back a bit, colder", {"framing": "wider", "lighting": "dusk"}),
])
def test_note_words_become_changes(note: str, expected: dict) -> None:
    assert note_changes(note) == expected


def test_a_note_changes_the_tool_args_and_stays_in_the_prompt() -> None:
    key, motion = _args("darker, closer, steady camera")
    plain_key, plain_motion = _args(None)
    assert key["exposure"] == -1.5 and plain_key["exposure"] == 0.0
    assert key["framing"] == "close" and plain_key["framing"] == "medium"
    assert motion["camera"] == "static" and plain_motion["camera"] == "pan_left"
    assert "darker, closer" in key["prompt"]


def _subject_area(image: np.ndarray) -> float:
    """Share of the frame in the coat's red (the subject's size in frame), measured from pixels."""
    x = image.astype(np.int16)
    return float(((x[..., 0] > 1.8 * x[..., 1]) & (x[..., 0] > 1.8 * x[..., 2]) & (x[..., 0] > 25)).mean())


def test_darker_closer_note_gives_a_darker_closer_keyframe() -> None:
    images = ProceduralImageBackend()
    shots = {}
    for label, note in (("plain", None), ("note", "darker, closer")):
        a, _ = _args(note)
        spec = KeyframeSpec(prompt=a["prompt"], setting=a["setting"], characters=[MARA], lighting=a["lighting"],
                            framing=a["framing"], exposure=a["exposure"], composition=a["composition"], seed=a["seed"])
        shots[label] = np.asarray(images.keyframe(spec, width=320, height=180).convert("RGB"))
    luma = {k: float((v @ np.array([0.299, 0.587, 0.114])).mean()) for k, v in shots.items()}
    assert luma["note"] < 0.7 * luma["plain"]
    assert _subject_area(shots["note"]) > 1.2 * _subject_area(shots["plain"])
