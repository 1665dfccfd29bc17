"""Lexical data for reading stories: the committed WordNet extract, the multilingual hand map and lemmatisation.

English lemmas come from WordNet's morphy over the extract (exception lists + detachment rules, whole words,
never substrings); French, German and Spanish use simplemma's forms pre-extracted at build time (simplemma's full
dictionaries take seconds to load, so the runtime does not import it). The runtime reads only files under ``data/``.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from reelgraph.schema.script import Mood

DATA = Path(__file__).parent / "data"
LANGS = ("en", "fr", "de", "es")

# where WordNet's first sense is not the story sense (a "dragon" is first a fierce person in WordNet)
EN_OVERRIDES = {
    "dragon": "a:dragon", "robot": "a:robot", "android": "a:robot", "droid": "a:robot", "cyborg": "a:robot",
    "monster": "a:creature", "unicorn": "a:creature", "creature": "a:creature", "griffin": "a:creature",
    "girl": "p:child", "boy": "p:child", "kid": "p:child", "toddler": "p:child", "schoolgirl": "p:child",
    "schoolboy": "p:child", "teen": "p:teen", "teenager": "p:teen", "grandma": "p:elder", "grandpa": "p:elder",
    "granny": "p:elder", "husky": "a:dog", "puppy": "a:dog", "kitten": "a:cat", "pup": "a:dog", "owl": "a:owl",
    "townspeople": "g", "villagers": "g", "crowd": "g", "people": "g", "audience": "g", "passengers": "g",
    "townsfolk": "g", "spectators": "g", "onlookers": "g", "locals": "g", "shoppers": "g", "customers": "g",
    "guests": "g", "tourists": "g", "commuters": "g", "pedestrians": "g", "mob": "g", "throng": "g", "fans": "g",
    "diners": "g", "party": "g", "family": "g", "class": "g", "team": "g", "choir": "g", "army": "g",
    "diner": "l:restaurant", "lighthouse": "l:coast", "boxer": "p", "star": "o", "marathon": "o",
}


class Extract(TypedDict):
    """lexicon.json.gz, as build_lexicon.py writes it."""

    nouns: dict[str, str]  # noun -> category code
    words: list[str]
    geo: list[str]
    exc: dict[str, str]  # WordNet's exception forms -> lemma
    cues: NotRequired[dict[str, str]]
    buildings: NotRequired[list[str]]
    only_nouns: NotRequired[list[str]]
    given: NotRequired[list[str]]
    forms: dict[str, dict[str, str]]  # language -> form -> lemma


class HandMap(TypedDict):
    """multilingual.json, the hand-written map."""

    _doc: str
    nouns: dict[str, dict[str, list[str]]]  # language -> category code -> words
    colours: dict[str, str]
    mood: dict[str, dict[Mood, list[str]]]  # language -> mood -> words
    place_words: dict[str, dict[str, str]]  # language -> place key -> word
    place_cues: NotRequired[dict[str, list[str]]]


@lru_cache(maxsize=1)
def extract() -> Extract:
    """The committed WordNet/simplemma extract (see build_lexicon.py)."""
    data: Extract = json.loads(gzip.decompress((DATA / "lexicon.json.gz").read_bytes()))
    return data


@lru_cache(maxsize=1)
def hand() -> HandMap:
    """The hand-written multilingual map (foreign nouns, colours, moods, place words)."""
    data: HandMap = json.loads((DATA / "multilingual.json").read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=1)
def frames() -> dict[str, Any]:
    """Voice-over sentence frames per language (language -> frame kind -> templates; "_doc" holds a note)."""
    data: dict[str, Any] = json.loads((DATA / "frames.json").read_text(encoding="utf-8"))
    return data


GENERIC_CUES = {"home", "field", "city_street"}  # places too many definitions name to say anything


@lru_cache(maxsize=1)
def place_cues() -> dict[str, str]:
    """English noun -> the place it points to when a story never names one: the hand map's cues ("chef": kitchen),
    then WordNet's definitions ("bartender ... at a bar": bar), generic places left out."""
    table = {k: v for k, v in extract().get("cues", {}).items() if v not in GENERIC_CUES}
    table.update({w: place for place, words in hand().get("place_cues", {}).items() for w in words})
    return table


@lru_cache(maxsize=4)
def nouns(lang: str) -> dict[str, str]:
    """Lower-case noun (lemma) -> category code ('p', 'p:child', 'a:fox', 'l:kitchen', 'g', 'o')."""
    table: dict[str, str] = {}
    if lang == "en":
        # WordNet's group nouns are too broad ("lost", "reunion"): only the listed ones mark a crowd
        table.update({k: v for k, v in extract()["nouns"].items() if v != "g"})
        table.update(EN_OVERRIDES)
    for cat, words in hand()["nouns"].get(lang, {}).items():
        for w in words:
            table[w.lower()] = cat
    return table


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Every single English word WordNet knows (nouns, verbs, adjectives, adverbs)."""
    ex = extract()
    return frozenset(ex["words"]) | frozenset(ex["nouns"])


@lru_cache(maxsize=1)
def only_nouns() -> frozenset[str]:
    """English words WordNet knows only as nouns ("skeleton", "door"): never verbs or adjectives."""
    return frozenset(extract().get("only_nouns", ()))


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """Common first names (lower case) from the US census lists, to tell "Sam" the person from "sam" the missile."""
    return frozenset(extract().get("given", ()))


@lru_cache(maxsize=1)
def given_genders() -> dict[str, str]:
    """First names the census lists give to one sex far more than the other (lower case) -> "f" or "m"."""
    table = extract().get("given_gender", {})
    return {str(k): str(v) for k, v in table.items()} if isinstance(table, dict) else {}


@lru_cache(maxsize=1)
def buildings() -> frozenset[str]:
    """English nouns WordNet files as buildings, rooms or structures the place keys do not cover ("observatory")."""
    return frozenset(extract().get("buildings", ()))


@lru_cache(maxsize=1)
def geo_names() -> frozenset[str]:
    """Proper names of places (cities, countries, regions) from WordNet."""
    return frozenset(extract()["geo"])


RULES = (("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"),
         ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""), ("er", ""),
         ("est", ""), ("er", "e"), ("est", "e"))


@lru_cache(maxsize=65536)
def lemma(word: str, lang: str = "en") -> str:
    """Lower-case lemma of one whole word ('streets' -> 'street', 'trains' -> 'train', 'start' stays 'start').

    English: WordNet's morphy (its exception lists, then its detachment rules, kept only when the result is a
    WordNet word). French/German/Spanish: simplemma's forms of the words the hand map knows.
    """
    low = word.lower()
    if lang == "en":
        exc = extract()["exc"]
        if low in exc:
            return exc[low]
        known = english_words()
        if low in known:
            return low
        for suffix, repl in RULES:
            if low.endswith(suffix) and len(low) > len(suffix) + 1:
                cand = low[: -len(suffix)] + repl
                if cand in known:
                    return cand
        if low.endswith("ing") and len(low) > 5 and low[-4] == low[-5] and low[:-4] in known:
            return low[:-4]  # running -> run
        if low.endswith("ed") and len(low) > 4 and low[-3] == low[-4] and low[:-3] in known:
            return low[:-3]  # stopped -> stop
        return low
    forms = extract()["forms"].get(lang, {})
    return (forms.get(word) or forms.get(low) or word).lower()


def category(word: str, lang: str = "en") -> str | None:
    """Category code of a noun form, by its whole-word lemma (never a substring)."""
    table = nouns(lang)
    low = word.lower()
    if low in table:
        return table[low]
    lem = lemma(word, lang)
    if lem in table or lang != "de" or len(low) < 7:
        return table.get(lem)
    # German compounds: "Hauptbahnhof" is a "Bahnhof", "Holzwerkstatt" a "Werkstatt" (longest known tail)
    for k in range(3, len(low) - 3):
        tail = table.get(low[k:]) or table.get(lemma(low[k:], lang))
        if tail:
            return tail
    return None
