"""Quoted speech in a prompt becomes lines spoken by the characters who say them; each character has its own voice."""

from __future__ import annotations

import pytest

from reelgraph.schema import ReelRequest, Script
from reelgraph.story import write_script

PROMPT = ('Mara and her brother Tom reach the old bridge at dusk. "Run!" says Mara. Tom asks: "Where are we going?" '
          'She whispers "Home, before the storm." They cross the river together.')


def _lines(script: Script, language: str = "en") -> list[tuple[str, str, list[str]]]:
    return [(line.speaker, line.text, shot.characters) for shot in script.shots for line in shot.lines
            if line.language == language]


def test_quoted_words_are_spoken_by_whoever_says_them() -> None:
    script = write_script(ReelRequest(prompt=PROMPT, shots=5))
    lines = _lines(script)
    said = [(speaker, text) for speaker, text, _ in lines if speaker != "narrator"]
    assert said == [("mara", "Run!"), ("tom", "Where are we going?"), ("mara", "Home, before the storm.")]
    assert all(speaker in chars for speaker, _, chars in lines if speaker != "narrator")
    assert any(speaker == "narrator" for speaker, _, _ in lines)  # the rest is narrated


@pytest.mark.parametrize(("prompt", "speaker", "words"), [
    ("Lena and Oskar wait at the station. Lena asks, “Is that our train?”", "lena", "Is that our train?"),
    ("Lena and Oskar wait at the station. «Not yet» replies Oskar.", "oskar", "Not yet"),
    ("Lena and Oskar wait at the station. „Komm mit!“ Oskar says.", "oskar", "Komm mit!"),
    ('Lena and Oskar wait at the station. Oskar points down the track: "There it is, Lena!"', "oskar",
     "There it is, Lena!"),
    ('Lena and Oskar wait at the station. She checks the board — "Platform two."', "lena", "Platform two."),
])
def test_quote_marks_and_attributions(prompt: str, speaker: str, words: str) -> None:
    script = write_script(ReelRequest(prompt=prompt, shots=2))
    assert (speaker, words) in [(s, t) for s, t, _ in _lines(script)]


def test_other_languages_keep_their_narrated_frames() -> None:
    script = write_script(ReelRequest(prompt=PROMPT, shots=5, languages=["en", "fr"]))
    assert {line.speaker for shot in script.shots for line in shot.lines if line.language == "fr"} == {"narrator"}


def test_each_character_has_its_own_voice_and_the_narrator_keeps_its_own() -> None:
    script = write_script(ReelRequest(prompt=PROMPT, shots=5))
    voices = [c.voice for c in script.characters]
    assert len(set(voices)) == len(voices) and "narrator" not in voices
    assert write_script(ReelRequest(prompt=PROMPT, shots=5)).characters == script.characters  # deterministic


def test_a_line_is_spoken_by_the_narrator_or_a_cast_member() -> None:
    script = write_script(ReelRequest(prompt=PROMPT, shots=5))
    data = script.model_dump()
    data["shots"][1]["lines"][0]["speaker"] = "stranger"
    with pytest.raises(ValueError, match="not in the cast"):
        Script.model_validate(data)
    for shot in data["shots"]:
        for line in shot["lines"]:
            line.pop("speaker")
    assert {line.speaker for shot in Script.model_validate(data).shots for line in shot.lines} == {"narrator"}


def test_sentence_frames_use_the_languages_contractions() -> None:
    prompt = "Marta mends her nets in the village while Tomas walks to the harbour."
    script = write_script(ReelRequest(prompt=prompt, shots=4, languages=["en", "fr"]))
    french = " ".join(line.text for shot in script.shots for line in shot.lines if line.language == "fr")
    assert " le village" not in french.replace("au village", "") or "à le" not in french
    assert "à le " not in french and "à les " not in french and "de le " not in french


@pytest.mark.parametrize(("prompt", "said"), [
    ('Hugo kneads the dough. Lina ties on her apron and asks, "What do I do first?"', ("lina", "What do I do first?")),
    ('Juliette et monsieur Berthier sont au marché. « Tu as bien grandi ! » dit-il.',
     ("berthier", "Tu as bien grandi !")),
    ('Juliette et monsieur Berthier sont au marché. « Les meilleures », répond monsieur Berthier.',
     ("berthier", "Les meilleures")),
    ('Hugo and Lina open the bakery. "You\'re late," Hugo grumbles.', ("hugo", "You're late")),
])
def test_who_says_it_when_the_sentence_is_built_another_way(prompt: str, said: tuple[str, str]) -> None:
    script = write_script(ReelRequest(prompt=prompt, shots=2, languages=[
        "fr" if "marché" in prompt else "en"]))
    assert said in [(line.speaker, line.text) for shot in script.shots for line in shot.lines]
