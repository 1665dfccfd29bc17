"""Mouth shapes from speech: phonemes (or, failing them, the line's loudness) as timed visemes.

A viseme is one of a few classic mouth shapes: `rest` (closed: silence, and the lips pressed for p, b, m), `open`
(a, A), `wide` (i, e), `round` (o, u, w), `mid` (the tongue and throat consonants, the schwa) and `teeth` (f, v).
eSpeak NG names its phonemes with ASCII mnemonics ("'oU", "I2", "tS", "_:"); stress and length marks aside, the
first letters say the shape, the same way in every language it speaks. A line's visemes are spans in seconds; `rest`
is what lies between them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Viseme = Literal["rest", "open", "wide", "round", "mid", "teeth"]
VISEMES: tuple[Viseme, ...] = ("rest", "open", "wide", "round", "mid", "teeth")

_MARKS = "'\",%="  # stress marks before a phoneme's letters
_ROUND_PAIRS = ("tS", "dZ")
_BY_LETTER: dict[str, Viseme] = {
    **dict.fromkeys("pbm", "rest"), **dict.fromkeys("fv", "teeth"), **dict.fromkeys("aA&V", "open"),
    **dict.fromkeys("iIeEj", "wide"), **dict.fromkeys("sz", "wide"), **dict.fromkeys("oOuUwWyY0rSZ", "round"),
}


def viseme_of(phoneme: str) -> Viseme:
    """The mouth shape of an eSpeak NG phoneme mnemonic ('_' and '_:' are pauses: `rest`)."""
    letters = phoneme.strip().lstrip(_MARKS)
    if not letters or letters.startswith("_"):
        return "rest"
    if letters.startswith(_ROUND_PAIRS):
        return "round"
    return _BY_LETTER.get(letters[0], "mid")


@dataclass(frozen=True)
class VisemeSpan:
    """A mouth shape held from `start` to `end` (seconds)."""

    start: float
    end: float
    viseme: Viseme

    def to_json(self) -> list[float | str]:
        """`[start, end, viseme]`, rounded to the millisecond."""
        return [round(self.start, 3), round(self.end, 3), self.viseme]

    @classmethod
    def from_json(cls, data: Sequence[float | str]) -> VisemeSpan:
        """The span of a `to_json` list (an unknown shape reads as `mid`)."""
        start, end, shape = float(data[0]), float(data[1]), str(data[2])
        return cls(start, end, next((v for v in VISEMES if v == shape), "mid"))


def _merged(spans: Iterable[VisemeSpan]) -> list[VisemeSpan]:
    """Spans in order with neighbours of one shape joined and `rest` dropped (it is what lies between spans)."""
    out: list[VisemeSpan] = []
    for span in sorted(spans, key=lambda s: s.start):
        if span.viseme == "rest" or span.end <= span.start:
            continue
        if out and out[-1].viseme == span.viseme and span.start - out[-1].end < 1e-6:
            out[-1] = VisemeSpan(out[-1].start, span.end, span.viseme)
        else:
            out.append(span)
    return out


def spans_from_phonemes(phonemes: Sequence[Sequence[float | str]], seconds: float) -> list[VisemeSpan]:
    """Visemes of a line from its phoneme starts (`[seconds, mnemonic]`, in order): each phoneme lasts until the
    next one starts, the last one until the line's end."""
    timed = sorted((float(t), str(name)) for t, name in phonemes)
    spans = []
    for i, (start, name) in enumerate(timed):
        end = timed[i + 1][0] if i + 1 < len(timed) else seconds
        spans.append(VisemeSpan(start, min(end, seconds), viseme_of(name)))
    return _merged(spans)


LOUD = 0.35
"""Share of the line's loudest 20 ms above which, with no phonemes to go by, the mouth is wide `open`."""
SOFT = 0.08
"""... and above which it is half open (`mid`); below it, closed."""


def spans_from_audio(samples: np.ndarray, rate: int, hop_s: float = 0.02) -> list[VisemeSpan]:
    """Visemes of a line from its own loudness, for speech with no phoneme timing: loud stretches `open`, softer ones
    `mid`, quiet ones closed (a voiced-segment mouth, coarser than phonemes but in time with the sound)."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    hop = max(1, round(hop_s * rate))
    n = mono.size // hop
    if n == 0:
        return []
    env = np.sqrt((mono[: n * hop].astype(np.float64).reshape(n, hop) ** 2).mean(axis=1))
    peak = float(env.max())
    if peak <= 0:
        return []
    spans = []
    for i, level in enumerate(env / peak):
        shape: Viseme = "open" if level >= LOUD else "mid" if level >= SOFT else "rest"
        spans.append(VisemeSpan(i * hop / rate, (i + 1) * hop / rate, shape))
    return _merged(spans)


def retimed(spans: Iterable[VisemeSpan], *, tempo: float = 1.0, offset: float = 0.0) -> list[VisemeSpan]:
    """Spans of a line played `tempo` times faster and starting `offset` seconds later."""
    return [VisemeSpan(s.start / tempo + offset, s.end / tempo + offset, s.viseme) for s in spans]


def viseme_over(spans: Sequence[VisemeSpan], t0: float, t1: float) -> Viseme:
    """The shape held longest during [t0, t1) (`rest` when the mouth is closed for most of it); `spans` sorted."""
    if t1 <= t0 or not spans:
        return "rest"
    held: dict[Viseme, float] = {}
    for span in spans:
        if span.start >= t1:
            break
        overlap = min(t1, span.end) - max(t0, span.start)
        if overlap > 0:
            held[span.viseme] = held.get(span.viseme, 0.0) + overlap
    held["rest"] = (t1 - t0) - sum(held.values())
    return max(VISEMES, key=lambda v: (held.get(v, 0.0), v != "rest"))
