"""The offline Director's shorter lines: the line's own words, meaningful, or silence."""

from __future__ import annotations

import pytest

from reelgraph.agents.director.offline import OfflineDirector
from reelgraph.schema import VoiceLine


@pytest.mark.parametrize(("text", "keep", "expected"), [
    ("Gwen has farmed the valley for forty years.", 0.5, "Gwen farmed valley"),
    ("Tom waits. Then the train comes in late.", 0.5, "Tom waits."),
    ("Dans la cuisine, Léa prépare le dîner.", 0.5, "Dans la cuisine"),
    ("Gwen has farmed the valley for forty years.", 0.2, ""),  # "Gwen has" says nothing: silence
    ("and the new puppy is useless.", 0.3, ""),
])
def test_shorter_lines_keep_meaning_or_go_silent(text: str, keep: float, expected: str) -> None:
    lang = "fr" if "cuisine" in text else "en"
    shorter = OfflineDirector().shorten_line(VoiceLine(language=lang, text=text), ["Gwen"], keep)
    assert shorter == expected
    assert len(shorter) <= keep * len(text) + 1
    assert all(w in text for w in shorter.split()), "only the line's own words"
