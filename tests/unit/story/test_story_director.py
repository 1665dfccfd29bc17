"""The story-reading Director: real runs over varied prompts (no mocks)."""

from __future__ import annotations

import time

import pytest

from reelgraph.schema import ReelRequest, Script
from reelgraph.schema.places import PLACES
from reelgraph.story import write_script

COOK = "Chef Marco teaches a nervous teenager to make pasta in a busy restaurant kitchen. The teenager drops the pot " \
       "and cries. Marco smiles and shows her again; by night she serves her first plate to a crowd of diners."
HEIST = "Ava, Bruno, Chen and Dmitri plan a heist in a dusty warehouse. At midnight Bruno cuts the alarm while Chen " \
        "cracks the vault. Dmitri panics when the guard returns, but Ava calms him and they escape across the rooftop."
LOVE = "Sofía meets Tomás at a rainy train station. He lends her his umbrella. Years later, they return to the " \
       "station together and smile."
BOXING = "In a sweaty boxing gym, an old coach with a grey beard trains a young boxer named Kofi. Kofi falls, gets " \
         "up, and finally wins the title."
BOOKS = "Mr. Hale runs a tiny bookshop on Main Street. Every evening Mei-Lin visits and reads poems by the window."
FOXES = "Two foxes race across a desert at dusk. The first fox stumbles; the other waits for it."
FRENCH = "Dans une petite boulangerie de Lyon, Camille et son chien Biscuit préparent le pain à l'aube. Puis Camille " \
         "court à la plage avec Biscuit."
SPANISH = "En un bosque oscuro, la niña Lucía busca a su perro Toby. Luego Lucía encuentra a Toby junto al río."
GERMAN = "Im Winter backt Anna in ihrer kleinen Bäckerei Brot. Dann geht Anna mit ihrem Hund Max an den Strand."
LONG = ("Old Mrs. Okafor keeps a lighthouse on a rocky coast. Every night she lights the lamp.\n\n"
        "One stormy evening a young fisherman named Eli is lost at sea. His small boat drifts toward the cliffs.\n\n"
        "Mrs. Okafor sees the boat, rings the bell, and guides him home. The next morning Eli brings her fresh fish.")
TRICKY = ("Priya leads a brainstorming session in the office. Later she searches the streets for her lost cat, "
          "trains for the marathon in the park, and plans a warm reunion.")
WOOD = "Grandpa Joe teaches woodworking to his grandson Sam."


def script(prompt: str, shots: int = 6, languages: list[str] | None = None) -> Script:
    return write_script(ReelRequest(prompt=prompt, shots=shots, languages=languages or ["en"]))


def names(s: Script) -> list[str]:
    return [c.name for c in s.characters]


def test_cooking_show_cast_and_place() -> None:
    s = script(COOK, 8)
    assert names(s)[0] == "Marco"
    assert any(c.role == "teenager" and c.age == "teen" for c in s.characters)
    assert len(s.characters) == 2
    assert all(c.kind == "person" for c in s.characters)
    assert {sh.place for sh in s.shots} == {"kitchen"}
    assert s.characters[0].role == "chef"


def test_heist_four_named() -> None:
    s = script(HEIST, 8)
    assert {"Ava", "Bruno", "Chen", "Dmitri"} <= set(names(s))
    assert "warehouse" in {sh.place for sh in s.shots}
    assert s.music.mood == "tense"
    assert not any(c.kind == "robot" for c in s.characters)


def test_love_story_fade_and_weather() -> None:
    s = script(LOVE, 6)
    assert names(s)[:2] == ["Sofía", "Tomás"] or set(names(s)[:2]) == {"Sofía", "Tomás"}
    assert s.shots[0].place == "station" or any(sh.place == "station" for sh in s.shots)
    assert any(sh.transition == "fade" for sh in s.shots)
    assert any(sh.weather == "rain" for sh in s.shots)


def test_boxing_gym() -> None:
    s = script(BOXING, 6)
    assert "Kofi" in names(s)
    coach = next(c for c in s.characters if c.role == "coach")
    assert coach.age == "elder" and "beard" in coach.features
    assert {sh.place for sh in s.shots} == {"gym"}


def test_bookshop_titles_and_street_names() -> None:
    s = script(BOOKS, 6)
    assert "Mr. Hale" in names(s)
    assert "Mei-Lin" in names(s)
    assert "Main" not in " ".join(names(s))
    assert "bookshop" in {sh.place for sh in s.shots}


def test_two_foxes() -> None:
    s = script(FOXES, 6)
    foxes = [c for c in s.characters if c.kind == "fox"]
    assert len(foxes) == 2 and len(s.characters) == 2
    assert foxes[0].palette[0] != foxes[1].palette[0]
    assert {sh.place for sh in s.shots} == {"desert"}
    assert any(sh.time_of_day == "dusk" for sh in s.shots)


@pytest.mark.parametrize(("prompt", "lang", "who", "places"), [
    (FRENCH, "fr", {"Camille", "Biscuit"}, {"bakery", "beach"}),
    (SPANISH, "es", {"Lucía", "Toby"}, {"forest", "river"}),
    (GERMAN, "de", {"Anna", "Max"}, {"bakery", "beach"}),
])
def test_other_languages(prompt: str, lang: str, who: set[str], places: set[str]) -> None:
    s = script(prompt, 6, [lang, "en"])
    assert who <= set(names(s))
    assert places <= {sh.place for sh in s.shots}
    dog = next(c for c in s.characters if c.name in who and c.kind == "dog")
    assert dog.palette
    story_lines = [ln.text for sh in s.shots for ln in sh.lines if ln.language == lang]
    assert story_lines and all(any(w in prompt for w in ln.rstrip(".").split()[:2]) for ln in story_lines)


def test_long_story_paragraphs() -> None:
    s = script(LONG, 12)
    assert "Mrs. Okafor" in names(s) and "Eli" in names(s)
    places = [sh.place for sh in s.shots]
    assert "coast" in places and "sea" in places
    assert any(sh.weather == "storm" for sh in s.shots)
    beats = [sh.beat for sh in s.shots]
    assert len(set(beats)) == len(beats)
    for a, b in zip(beats, beats[1:], strict=False):
        assert a != b


def test_tricky_words() -> None:
    s = script(TRICKY, 6)
    places = {sh.place for sh in s.shots}
    assert "office" in places and "city_street" in places and "park" in places
    assert "sea" not in places and "station" not in places
    assert not any(sh.weather in {"storm", "rain"} for sh in s.shots)
    assert {c.kind for c in s.characters} <= {"person", "cat"}
    w = script(WOOD, 4)
    assert {sh.place for sh in w.shots} == {"workshop"}
    assert {"Joe", "Sam"} <= {n.split()[-1] for n in names(w)}


@pytest.mark.parametrize("prompt", [COOK, HEIST, LOVE, BOXING, BOOKS, FOXES, FRENCH, SPANISH, GERMAN, LONG, TRICKY])
def test_twelve_shots_valid_distinct(prompt: str) -> None:
    s = script(prompt, 12, ["en", "fr"])
    assert len(s.shots) == 12
    Script.model_validate(s.model_dump())
    assert all(sh.place in PLACES for sh in s.shots)
    assert all(sh.duration == 5.0 for sh in s.shots)
    for lang in ("en", "fr"):
        lines = [ln.text for sh in s.shots for ln in sh.lines if ln.language == lang]
        assert len(set(lines)) == len(lines)
    assert sum(1 for sh in s.shots if sh.lines) >= 3
    beats = [sh.beat for sh in s.shots]
    assert len(set(beats)) == len(beats)
    assert not any(c.kind == "robot" for c in s.characters)


def test_lines_drawn_from_story_and_fit() -> None:
    s = script(COOK, 6)
    words = set(COOK.lower().replace(".", " ").replace(";", " ").replace(",", " ").split())
    for sh in s.shots:
        for ln in sh.lines:
            toks = ln.text.lower().rstrip(".").replace(",", " ").split()
            assert set(toks) <= words
            assert len(toks) <= 13


def test_deterministic() -> None:
    assert script(HEIST, 9).model_dump() == script(HEIST, 9).model_dump()


@pytest.mark.parametrize("prompt", ["<b>hi</b>\x07 !!!", "?!.,;" * 50, "buffalo " * 4000, "🎬🦊✨", "a", "\n\n\n."])
def test_hostile_input(prompt: str) -> None:
    s = script(prompt, 5)
    assert len(s.shots) == 5 and len(s.characters) >= 1


def test_fast_on_three_pages() -> None:
    script(LONG, 6)
    text = "\n\n".join([LONG, HEIST, LOVE, BOXING, TRICKY] * 6)
    t = time.perf_counter()
    script(text, 24)
    assert time.perf_counter() - t < 1.0
