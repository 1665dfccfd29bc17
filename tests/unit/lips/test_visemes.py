"""Phonemes become mouth shapes, held for the right time; a frame shows the shape held longest during it."""

from __future__ import annotations

import numpy as np
import pytest

from reelgraph.media.visemes import VisemeSpan, retimed, spans_from_audio, spans_from_phonemes, viseme_of, viseme_over


@pytest.mark.parametrize(("phoneme", "shape"), [
    ("'a", "open"), ("A:", "open"), ("aI", "open"), ("i:", "wide"), ("E", "wide"), ("'oU", "round"), ("u:", "round"),
    ("w", "round"), ("tS", "round"), ("f", "teeth"), ("v", "teeth"), ("m", "rest"), ("p", "rest"), ("b", "rest"),
    ("_:", "rest"), ("_", "rest"), ("t", "mid"), ("@", "mid"), ("k", "mid"), ("", "rest"),
])
def test_phonemes_map_to_mouth_shapes(phoneme: str, shape: str) -> None:
    assert viseme_of(phoneme) == shape


def test_phoneme_starts_become_spans_closed_between() -> None:
    # "home": h, 'oU, m, then a pause; the line lasts 0.5 s
    spans = spans_from_phonemes([[0.0, "h"], [0.05, "'oU"], [0.3, "m"], [0.4, "_:"]], 0.5)
    assert spans == [VisemeSpan(0.0, 0.05, "mid"), VisemeSpan(0.05, 0.3, "round")]
    merged = spans_from_phonemes([[0.0, "a"], [0.1, "A:"], [0.2, "_"]], 0.3)
    assert merged == [VisemeSpan(0.0, 0.2, "open")]  # neighbours of one shape are one span


def test_a_fitted_line_is_sped_up_and_placed() -> None:
    spans = retimed([VisemeSpan(0.2, 0.6, "open")], tempo=1.1, offset=3.0)
    assert spans[0].start == pytest.approx(3.0 + 0.2 / 1.1) and spans[0].end == pytest.approx(3.0 + 0.6 / 1.1)


def test_a_frame_shows_the_shape_held_longest() -> None:
    spans = [VisemeSpan(1.0, 1.05, "round"), VisemeSpan(1.05, 1.2, "open")]
    assert viseme_over(spans, 1.0, 1.125) == "open"
    assert viseme_over(spans, 0.875, 1.0) == "rest"  # before the line
    assert viseme_over(spans, 1.125, 1.25) == "open"  # 75 ms open, 50 ms closed
    assert viseme_over(spans, 1.2, 1.3) == "rest"


def test_without_phonemes_the_mouth_follows_the_line_loudness() -> None:
    rate = 16_000
    t = np.arange(rate) / rate
    audio = np.where((t > 0.2) & (t < 0.5), 0.5, 0.0) * np.sin(2 * np.pi * 200 * t)
    spans = spans_from_audio(audio.astype(np.float32), rate)
    assert spans and spans[0].start == pytest.approx(0.2, abs=0.02) and spans[-1].end == pytest.approx(0.5, abs=0.02)
    assert {s.viseme for s in spans} <= {"open", "mid"}
