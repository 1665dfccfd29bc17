"""Saying a line tersely: the story's own words, articles and auxiliaries left out, ending on a word that means
something; nothing at all when fewer than two such words fit ("Gwen has" says nothing)."""

from __future__ import annotations

from collections.abc import Callable

from reelgraph.story.reader import STOP

# words a terse line leaves out ("Gwen has farmed the valley" -> "Gwen farmed valley")
TERSE_DROP = {
    "en": {"a", "an", "the", "has", "have", "had", "is", "was", "are", "were", "been", "be", "just", "very", "really"},
    "fr": {"le", "la", "les", "un", "une", "des", "est", "a", "été"},
    "es": {"el", "la", "los", "las", "un", "una", "unos", "unas", "ha", "es", "fue"},
    "de": {"der", "die", "das", "den", "dem", "ein", "eine", "einen", "hat", "ist", "war"},
}


def bare(word: str) -> str:
    """A word without case and the punctuation around it."""
    return word.lower().strip(",.;:!?\"“”()—–")


def meaningful(word: str, lang: str) -> bool:
    """Whether a word carries meaning (is not one of the language's function words)."""
    return bare(word) not in STOP.get(lang, STOP["en"])


def terse(text: str, lang: str, fits: Callable[[str], bool]) -> tuple[str, int]:
    """(the line said tersely so that `fits` accepts it, how many of the text's words it used); ("", 0) when fewer
    than two meaningful words fit."""
    words = text.split()
    kept = [k for k, w in enumerate(words) if bare(w) not in TERSE_DROP.get(lang, set())]
    while kept and (not fits(" ".join(words[k] for k in kept)) or not meaningful(words[kept[-1]], lang)):
        kept.pop()
    if sum(meaningful(words[k], lang) for k in kept) < 2:
        return "", 0
    return " ".join(words[k] for k in kept).rstrip(",;:—–"), kept[-1] + 1
