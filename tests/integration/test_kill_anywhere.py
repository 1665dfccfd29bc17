"""The soak in small: a run SIGKILLed at 5 random moments resumes each time to the reel an uninterrupted run makes."""

from __future__ import annotations

from pathlib import Path

from soak.kill_resume import soak


def test_five_kills_lose_nothing(tmp_path: Path) -> None:
    result = soak(kills=5, seed=7, workdir=tmp_path)
    assert result.kills == 5
    assert result.rerendered == []
    assert result.bad_artifacts == []
    assert result.identical
