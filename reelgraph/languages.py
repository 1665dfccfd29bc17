"""Languages the studio can voice and subtitle, with the offline voice that speaks each one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    """A language: its code and name, its espeak voice, ISO 639-3 code and writing system."""

    code: str
    name: str
    espeak: str
    iso3: str
    script: str = "latin"


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in [
        Language("en", "English", "en-us", "eng"),
        Language("fr", "French", "fr-fr", "fra"),
        Language("de", "German", "de", "deu"),
        Language("es", "Spanish", "es", "spa"),
        Language("it", "Italian", "it", "ita"),
        Language("pt", "Portuguese", "pt-br", "por"),
        Language("nl", "Dutch", "nl", "nld"),
        Language("sv", "Swedish", "sv", "swe"),
        Language("pl", "Polish", "pl", "pol"),
        Language("tr", "Turkish", "tr", "tur"),
        Language("ru", "Russian", "ru", "rus", "cyrillic"),
        Language("zh", "Chinese (Mandarin)", "cmn", "zho", "han"),
        Language("ja", "Japanese", "ja", "jpn", "kana"),
        Language("ko", "Korean", "ko", "kor", "hangul"),
        Language("ar", "Arabic", "ar", "ara", "arabic"),
        Language("hi", "Hindi", "hi", "hin", "devanagari"),
    ]
}


class UnknownLanguage(ValueError):
    """A language code the studio has no voice or script for."""


def check_language(code: str) -> str:
    """Normalise a language code ('EN', 'en-US' -> 'en') or raise naming the known ones."""
    norm = code.strip().lower().replace("_", "-").split("-")[0] if isinstance(code, str) else ""
    if norm not in LANGUAGES:
        known = ", ".join(sorted(LANGUAGES))
        raise UnknownLanguage(f"unknown language {code!r}; known: {known}")
    return norm
