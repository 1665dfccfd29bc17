"""The critic loop: a dark take is rejected with a named defect, the Director revises its request, the best is kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelgraph.agents.critic import TakeReview
from reelgraph.agents.critic.heuristic import HeuristicCritic
from reelgraph.agents.director.offline import write_script
from reelgraph.media.ffmpeg import encode_frames
from reelgraph.nodes.shot import commit
from reelgraph.run import lifecycle as runner
from reelgraph.schema import Artifact, Shot, Take, Verdict
from reelgraph.state import ReelState

SMALL = {"shot_seconds": 1.5, "width": 320, "height": 180, "fps": 12, "seed": 3}


def _kept(out: Path, shot: int) -> dict:
    return json.loads((out / "shots" / f"shot{shot:02d}" / "kept.json").read_text())


def test_dark_take_is_revised_and_the_better_take_kept(tmp_path: Path) -> None:
    request = runner.parse_request(prompt="A miner and her dog lost in total darkness", shots=3, **SMALL)
    state = runner.generate(request, tmp_path / "run")
    kept = _kept(tmp_path / "run", 2)
    first, second = kept["takes"][0], kept["takes"][1]
    assert "underexposed" in first["verdict"]["defects"] and first["verdict"]["score"] < 7
    assert first["requests"] != second["requests"]
    key1, key2 = (t["requests"][0]["args"] for t in (first, second))
    assert key2["exposure"] > key1["exposure"] and key2["prompt"] != key1["prompt"]
    best = next(t for t in kept["takes"] if t["attempt"] == kept["kept"])
    assert kept["kept"] > 1 and best["verdict"]["score"] >= 7  # a revised take passed and was kept
    assert best["requests"][0]["args"]["exposure"] > key1["exposure"]
    assert state.final is not None


def test_attempts_stop_at_the_limit(tmp_path: Path) -> None:
    request = runner.parse_request(prompt="A miner and her dog lost in total darkness", shots=3, max_attempts=1,
                                   **SMALL)
    runner.generate(request, tmp_path / "run")
    kept = _kept(tmp_path / "run", 2)
    assert len(kept["takes"]) == 1 and kept["takes"][0]["verdict"]["score"] < 7


def test_black_clip_is_underexposed(tmp_path: Path) -> None:
    import numpy as np

    clip = tmp_path / "black.mp4"
    encode_frames((np.zeros((72, 128, 3), np.uint8) for _ in range(12)), clip, fps=12, width=128, height=72)
    shot = Shot(index=1, beat="b", setting="s", action="a")
    verdict = HeuristicCritic().judge(TakeReview(clip=clip, shot=shot, width=128, height=72))
    assert verdict.score < 4 and {"underexposed", "low_contrast", "frozen"} <= set(verdict.defects)
    assert verdict.frames[0] == 0 and verdict.frames[-1] == 11


def test_critic_error_is_an_error(tmp_path: Path) -> None:
    from reelgraph.errors import CriticError

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    with pytest.raises(CriticError):
        HeuristicCritic().judge(TakeReview(clip=broken, shot=Shot(index=1, beat="b", setting="s", action="a"),
                                           width=128, height=72))


def test_commit_keeps_the_best_take_not_the_last(tmp_path: Path) -> None:
    clip = Artifact(id="c", kind="clip", path="c.mp4", sha256="0" * 64)
    takes = [Take(shot=1, attempt=i, clip=clip, verdict=Verdict(score=s, critic="heuristic"))
             for i, s in enumerate([5.0, 8.0, 6.5], start=1)]
    request = runner.parse_request(prompt="p", shots=1)
    state = ReelState(**request.model_dump(), script=write_script(request), takes=takes, shot=1, attempt=3)
    cmd = commit(state, {"configurable": {"out_dir": str(tmp_path), "thread_id": "t"}})
    assert cmd.update["done"][0].kept == 2
