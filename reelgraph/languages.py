"""Languages the studio can voice and subtitle, with the offline voice that speaks each one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    espeak: str
    script: str = "latin"


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in [
        Language("en", "English", "en-us"),
        Language("fr", "French", "fr-fr"),
        Language("de", "German", "de"),
        Language("es", "Spanish", "es"),
        Language("it", "Italian", "it"),
        Language("pt", "Portuguese", "pt-br"),
        Language("nl", "Dutch", "nl"),
        Language("sv", "Swedish", "sv"),
        Language("pl", "Polish", "pl"),
        Language("tr", "Turkish", "tr"),
        Language("ru", "Russian", "ru", "cyrillic"),
        Language("zh", "Chinese (Mandarin)", "cmn", "han"),
        Language("ja", "Japanese", "ja", "kana"),
        Language("ko", "Korean", "ko", "hangul"),
        Language("ar", "Arabic", "ar", "arabic"),
        Language("hi", "Hindi", "hi", "devanagari"),
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
