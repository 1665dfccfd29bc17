"""What the terminal shows: real counts on every stage (compose included, never "0/None"), log lines without a
source-file column, the shot numbers of `history`, and stage times that belong to one command's run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cli.terminal import PROMPT, TINY, Screen, in_terminal


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Screen]:
    """A tiny two-shot, two-language reel made in a terminal, with the critic on."""
    out = tmp_path_factory.mktemp("progress") / "run"
    args = ["generate", "--prompt", PROMPT, "--out", str(out), *TINY, "--critic", "--languages", "en,fr"]
    screen = in_terminal(*args)
    assert screen.code == 0, screen.text[-3000:]
    return out, screen


def test_every_stage_shows_its_progress(made: tuple[Path, Screen]) -> None:
    out, screen = made
    assert "None" not in screen.text
    cast = len(json.loads((out / "script.json").read_text(encoding="utf-8"))["characters"])
    assert screen.bar("cast")[0] == (0, cast) and screen.bar("cast")[-1] == (cast, cast)
    assert "shot 1/2 take 1" in screen.text
    assert re.search(r"shot 2 take 1: (animate_keyframe|bridge_from_previous) done", screen.text)
    assert screen.bar("voice en")[0] == (0, 2) and screen.bar("voice fr")[0] == (1, 2)
    steps = ["cutting the picture", "mixing the en sound", "levelling and muxing the en reel", "mixing the fr sound",
             "levelling and muxing the fr reel"]
    for i, step in enumerate(steps):
        assert screen.bar(f"compose: {step}")[0] == (i, 5), screen.text[-3000:]
    assert screen.bar("compose: done")[-1] == (5, 5) and screen.bar("shots")[-1] == (2, 2)


def test_log_lines_have_no_source_file_column(made: tuple[Path, Screen]) -> None:
    _, screen = made
    verdicts = [line for line in screen.lines if re.search(r"shot \d take \d: [\d.]+/10", line)]
    assert len(verdicts) >= 2 and not any(re.search(r"\w+\.py:\d+", line) for line in verdicts), verdicts


def _history(out: Path) -> list[dict]:
    screen = in_terminal("history", "--out", str(out), "--json")
    assert screen.code == 0, screen.text[-3000:]
    return [json.loads(line) for line in screen.lines if line.startswith("{")]


def test_history_numbers_only_the_shots_of_the_run(made: tuple[Path, Screen]) -> None:
    out, _ = made
    rows = _history(out)
    assert {r["shot"] for r in rows} == {None, 1, 2}
    after = [r for r in rows if r["next"] in (["music"], ["voice"], ["compose"], [])]
    assert after and all(r["shot"] is None and r["attempt"] is None for r in after)
    table = in_terminal("history", "--out", str(out))
    shots = {row.split("│")[6].strip() for row in table.lines if row.startswith("│")}
    assert table.code == 0 and shots == {"", "1", "2"}, shots


def test_a_redo_shows_its_own_bars_and_times(made: tuple[Path, Screen]) -> None:
    out, first = made
    redo = in_terminal("redo-shot", "--out", str(out), "--shot", "2", "--note", "closer")
    assert redo.code == 0, redo.text[-3000:]
    assert redo.bar("shots")[0] == (1, 2) and redo.bar("shots")[-1] == (2, 2)
    times = next(line for line in redo.lines if line.startswith("time per stage"))
    assert times.startswith("time per stage (this redo of shot 2): ") and "plan" not in times
    before = next(line for line in first.lines if line.startswith("time per stage"))
    assert before.startswith("time per stage (this run): plan ")
    rows = _history(out)
    assert any(r["redo"] for r in rows) and {r["shot"] for r in rows} == {None, 1, 2}
