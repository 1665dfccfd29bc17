"""Script approval from the CLI (a wrong edit is refused and the run stays paused), then redo-shot by time travel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelgraph.errors import UsageError
from reelgraph.hitl import api as review
from reelgraph.run import lifecycle as runner
from studio.studio_helpers import PROMPT, TINY_ARGS, events, hashes, reelgraph


@pytest.fixture(scope="module")
def paused_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-shot animatic (shot 3 continues shot 2) paused for its script's approval."""
    out = tmp_path_factory.mktemp("approve") / "run"
    proc = reelgraph("generate", "--prompt", PROMPT, "--out", str(out), "--shots", "4", *TINY_ARGS, "--approve")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "waiting for approval" in proc.stderr
    return out


def _waiting(out: Path) -> bool:
    run = runner.read_run(out)
    return runner.snapshot_of(out, run).next == ("approve",)


def test_a_wrong_edit_is_refused_and_the_run_stays_paused(paused_run: Path, tmp_path: Path) -> None:
    script = json.loads((paused_run / "script.json").read_text())
    assert [s["transition"] for s in script["shots"]] == ["cut", "cut", "continuous", "fade"]
    assert not list(paused_run.glob("shots/*")) and _waiting(paused_run)
    script["shots"][1]["camera"] = "zoom"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(script))
    proc = reelgraph("approve", "--out", str(paused_run), "--edit", str(bad))
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "script.shots.1.camera" in proc.stderr
    with pytest.raises(UsageError, match="waits for its script to be approved"):
        runner.resume(paused_run)
    with pytest.raises(UsageError, match="not finished"):
        review.redo_shot(paused_run, 1)
    assert _waiting(paused_run) and not list(paused_run.glob("shots/*"))


@pytest.fixture(scope="module")
def finished_run(paused_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The paused run, approved with an edited title and beat of shot 2."""
    script = json.loads((paused_run / "script.json").read_text())
    script["title"] = "The Keeper and the Robot"
    script["shots"][1]["beat"] = "The robot waves from the rocks"
    edit = tmp_path_factory.mktemp("edit") / "script.json"
    edit.write_text(json.dumps(script))
    proc = reelgraph("approve", "--out", str(paused_run), "--edit", str(edit))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return paused_run


def test_approved_edit_is_used(finished_run: Path) -> None:
    assert json.loads((finished_run / "script.json").read_text())["title"] == "The Keeper and the Robot"
    kept = json.loads((finished_run / "shots/shot02/kept.json").read_text())
    assert kept["takes"][0]["requests"][0]["args"]["prompt"].startswith("The robot waves from the rocks")
    summary = json.loads((finished_run / "summary.json").read_text())
    assert summary["finished"] and summary["waiting"] is None
    assert [e["edited"] for e in events(finished_run) if e["stage"] == "approve"] == [True]


def _takes(new: set[str]) -> list[str]:
    """The new take files, a take's side files (face track, talking redraw) aside: each belongs to a new take."""
    sides = {n for n in new if n.endswith(("_faces.json", "_lips.mp4"))}
    owners = {n.rsplit("_", 1)[0] for n in sides}
    assert all(f"{o}.mp4" in new for o in owners), f"side files of a take not made again: {sorted(sides)}"
    return sorted(new - sides)


def test_redo_rerenders_the_shot_and_its_continuous_chain_only(finished_run: Path) -> None:
    out = finished_run
    before = hashes(out, "shots/*/take*")
    old_final = hashes(out, "reel_final.mp4")["reel_final.mp4"]
    proc = reelgraph("redo-shot", "--out", str(out), "--shot", "2", "--note", "make the robot smaller")
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = hashes(out, "shots/*/take*")
    assert {k: v for k, v in after.items() if k in before} == before, "a take file was overwritten"
    assert _takes(set(after) - set(before)) == ["shots/shot02/take2.mp4", "shots/shot02/take2_key.png",
                                                "shots/shot03/take2.mp4", "shots/shot03/take2_first.png",
                                                "shots/shot03/take2_key.png"]
    state = runner.snapshot_of(out, runner.read_run(out)).values
    assert [(r.shot, r.kept) for r in state["done"]] == [(1, 1), (2, 2), (3, 2), (4, 1)]
    assert state["notes"] == {2: "make the robot smaller"}
    prompt = state["done"][1].best.requests[0]["args"]["prompt"]
    assert prompt.endswith("make the robot smaller")
    assert state["done"][2].best.requests[1]["name"] == "bridge_from_previous"
    assert hashes(out, "reel_final.v1.mp4")["reel_final.v1.mp4"] == old_final
    assert hashes(out, "reel_final.mp4")["reel_final.mp4"] not in (old_final, None)
    fork = [e for e in events(out) if e["stage"] == "redo" and e["status"] == "fork"]
    assert fork and fork[0]["chain"] == [2, 3] and fork[0]["kept"] == [1, 4]
    rows = review.history(out)
    forks = [r for r in rows if r["redo"]]
    assert len(forks) == 1 and forks[0]["source"] == "update" and forks[0]["redo"]["shot"] == 2
    assert forks[0]["parent"] == fork[0]["from_checkpoint"]

    again = hashes(out, "shots/*/take*")
    state, plan = review.redo_shot(out, 4, "a slower fade")
    assert plan["chain"] == [4] and plan["kept"] == [1, 2, 3]
    now = hashes(out, "shots/*/take*")
    assert {k: v for k, v in now.items() if k in again} == again
    assert _takes(set(now) - set(again)) == ["shots/shot04/take2.mp4", "shots/shot04/take2_key.png"]
    assert [(r.shot, r.kept) for r in state.done] == [(1, 1), (2, 2), (3, 2), (4, 2)]
    assert state.notes == {2: "make the robot smaller", 4: "a slower fade"}
    assert {p.name for p in out.glob("reel_*.v*.mp4")} == {"reel_final.v1.mp4", "reel_en.v1.mp4",
                                                           "reel_final.v2.mp4", "reel_en.v2.mp4"}
    assert len([r for r in review.history(out) if r["redo"]]) == 2


def test_redo_refuses_a_bad_shot(finished_run: Path) -> None:
    with pytest.raises(UsageError, match=r"shots 1\.\.4"):
        review.redo_shot(finished_run, 9)
    with pytest.raises(UsageError, match="does not wait"):
        review.approve(finished_run)
