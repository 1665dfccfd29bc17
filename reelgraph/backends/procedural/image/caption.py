"""Storyboard captions: the shot's action in a dark band at the bottom of the frame, in white, at most two lines.

The font is Source Sans Pro (Latin with accents, Greek, Cyrillic; from the font-source-sans-pro package), sized to
the frame height; text is shown literally (no markup), wrapped on words, and ends with an ellipsis when it does not
fit in two lines. A letter the font lacks is written without its accent when that helps; a caption mostly in a
script the font lacks (Chinese, Arabic...) is not drawn rather than drawn as empty boxes, and neither is a caption on
a frame too small for a readable one (under about 150 pixels high).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BAND_RGB = (16, 16, 20)
TEXT_RGB = (250, 250, 246)
LINES = 2
FONT_FRACTION = 0.042  # font size / frame height
ELLIPSIS = "…"


MAX_BAND = 0.2  # the caption band may take at most this share of the frame's height
MOSTLY = 0.7  # share of a caption's letters the font must have for it to be drawn


@lru_cache(maxsize=16)
def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        import font_source_sans_pro

        path = Path(font_source_sans_pro.__file__).parent / "files" / "SourceSansPro-Semibold.ttf"
        return ImageFont.truetype(str(path), max(8, px))
    except (ImportError, OSError):
        return ImageFont.load_default(size=max(8, px))


def _glyph(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, ch: str) -> tuple[object, bytes]:
    mask = font.getmask(ch)
    return mask.size, bytes(mask)


@lru_cache(maxsize=4096)
def _has(px: int, ch: str) -> bool:
    font = _font(px)
    return ch.isspace() or _glyph(font, ch) != _glyph(font, "\U0010fffd")


def legible(text: str, px: int) -> str:
    """The text as the font can write it: letters it lacks without their accents, else dropped; '' when too much
    of it would be lost."""
    out, lost = [], 0
    for ch in text:
        if not _has(px, ch):
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            ch = base if base and all(_has(px, c) for c in base) else ""
            lost += not ch
        out.append(ch)
    letters = sum(not c.isspace() for c in text)
    return " ".join("".join(out).split()) if letters and lost <= (1 - MOSTLY) * letters else ""


def font_px(height: int) -> int:
    """The caption's font size in pixels for a frame `height` high (at least 9)."""
    return max(9, round(FONT_FRACTION * height))


def band_height(height: int) -> int:
    """Pixels the caption band takes at the bottom of a frame `height` high."""
    px = font_px(height)
    return round(px * (LINES * 1.25 + 0.7))


@lru_cache(maxsize=4096)
def _word_width(word: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> float:
    return font.getlength(word)


def _width(d: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> float:
    """Width of a line: the sum of its (cached) word widths and spaces; kerning across words is ignored."""
    words = text.split(" ")
    return sum(_word_width(x, font) for x in words) + _word_width(" ", font) * (len(words) - 1)


def wrap(text: str, width: float, d: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
         lines: int = LINES) -> list[str]:
    """Words into at most `lines` lines no wider than `width`; the last one ends with '…' if text was left over."""
    words = " ".join(text.split()).split(" ")
    out: list[str] = []
    cur = ""
    i = 0
    while i < len(words) and len(out) < lines:
        cand = f"{cur} {words[i]}".strip()
        if _width(d, cand, font) <= width or not cur:
            cur = cand
            i += 1
            if _width(d, cur, font) > width:  # one very long word: cut it
                while cur and _width(d, cur + ELLIPSIS, font) > width:
                    cur = cur[:-1]
                out.append(cur + ELLIPSIS)
                return out
        else:
            out.append(cur)
            cur = ""
    if cur and len(out) < lines:
        out.append(cur)
        cur = ""
    if i < len(words) or cur:
        last = out[-1]
        while last and _width(d, last + ELLIPSIS, font) > width:
            last = last[:-1].rstrip()
        out[-1] = last + ELLIPSIS
    return out


def shown(text: str, height: int) -> str:
    """The caption as it will be drawn on a frame `height` high ('' when none will be)."""
    if band_height(height) > MAX_BAND * height:  # a thumbnail-sized frame: the band would hide the picture
        return ""
    return legible(" ".join(text.split()), font_px(height))


def draw_caption(img: Image.Image, text: str) -> Image.Image:
    """The frame with `text` written in a band at its bottom (unchanged when text is empty)."""
    w, h = img.size
    px = font_px(h)
    text = shown(text, h)
    if not text:
        return img
    d = ImageDraw.Draw(img)
    font = _font(px)
    band = band_height(h)
    d.rectangle([0, h - band, w, h], fill=BAND_RGB)
    lines = wrap(text, w - 2 * px, d, font)
    y = h - band + round(0.35 * px)
    for line in lines:
        d.text(((w - _width(d, line, font)) / 2, y), line, font=font, fill=TEXT_RGB)
        y += round(1.25 * px)
    return img
