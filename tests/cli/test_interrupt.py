"""Ctrl-C: the run stops cleanly (exit 130) and says the exact command that continues it; that command finishes the
reel, with the shots bar counting the shots made before and the stage times of the resume alone."""

from __future__ import annotations

import os
from pathlib import Path

from cli.terminal import PROMPT, TINY, in_terminal, logged
from reelgraph.cli import resume_command


def test_ctrl_c_mid_run_says_how_to_resume_and_the_resume_finishes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["generate", "--prompt", PROMPT, "--out", str(out), *TINY, "--shots", "4"]
    stopped = in_terminal(*args, interrupt_when=lambda: logged(out, "commit"))
    assert stopped.code == 130, stopped.text[-3000:]
    assert f"interrupted: what was made is kept; continue with: reelgraph resume --out {out}" in stopped.text
    assert "Traceback" not in stopped.text and not (out / "reel_final.mp4").exists()
    made = len(list((out / "shots").glob("shot*/kept.json")))
    assert 1 <= made < 4

    resumed = in_terminal("resume", "--out", str(out))
    assert resumed.code == 0, resumed.text[-3000:]
    shots = resumed.bar("shots")
    assert shots[0] == (made, 4) and shots[-1] == (4, 4), shots  # the shots made before the resume count
    assert (out / "reel_final.mp4").stat().st_size > 0
    times = next(line for line in resumed.lines if line.startswith("time per stage"))
    assert times.startswith("time per stage (this resume): ") and "compose" in times
    assert "plan" not in times and "cast" not in times  # planned and cast by the first run, not this one


def test_ctrl_c_before_the_run_starts_leaves_nothing_to_resume(tmp_path: Path) -> None:
    out, release = tmp_path / "run", tmp_path / "release"
    env = {"REELGRAPH_PAUSE_AT": "new-run", "REELGRAPH_PAUSE_FILE": str(release)}  # held before run.json is written
    screen = in_terminal("generate", "--prompt", PROMPT, "--out", str(out), *TINY, env=env,
                         interrupt_when=lambda: os.path.exists(f"{release}.reached"))
    assert screen.code == 130, screen.text[-3000:]
    assert "interrupted: the run had not started; nothing to resume" in screen.text
    assert "Traceback" not in screen.text and not (out / "run.json").exists()


def test_the_resume_command_carries_what_the_options_set() -> None:
    said = resume_command(Path("runs/my film"), "postgresql://reel:secret@db:5432/reels",
                          {"REELGRAPH_DIRECTOR_URL": "http://127.0.0.1:8011/v1"})
    assert said == ("REELGRAPH_DIRECTOR_URL=http://127.0.0.1:8011/v1 reelgraph resume --out 'runs/my film' "
                    "--checkpoint 'postgresql://reel:***@db:5432/reels'")
