"""benchmarks/studio_gpu.py with its random-weight backends at tiny size on the CPU: the real graph to a reel, stopped
after a shot and continued from the checkpoint in a second run (the GPU benchmark's path when a reel outlasts one
run), with the figures it reports."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import studio_gpu  # noqa: E402


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread, and the CI machine's cores are shared."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_tiny_studio_through_the_graph_stopped_and_resumed(tmp_path: Path, one_torch_thread: None) -> None:
    from reelgraph.executors import clear_backends

    work, out = tmp_path / "work", tmp_path / "studio.json"
    clear_backends()
    try:
        assert studio_gpu.main(["--tiny", "--work", str(work), "--out", str(out), "--max-shots", "1"]) == 0
        first = json.loads(out.read_text())
        run = first["runs"][0]
        assert run["mode"] == "new" and "--max-shots 1" in run["stopped"] and not run["error"]
        assert set(run["build"]) == {"image", "video", "music", "speech"}
        assert run["plans"]["video"]["speed"]["few_step"]["steps"] == 4  # the preset's LoRA was loaded and fused
        assert first["reel"]["complete"] is False and first["reel"]["shots_committed"] == 1
        assert str(work) not in out.read_text()  # the work folder is written as <work>

        clear_backends()  # a second process builds its own models
        assert studio_gpu.main(["--tiny", "--work", str(work), "--out", str(out), "--resume"]) == 0
    finally:
        clear_backends()
    res = json.loads(out.read_text())
    reel = res["reel"]
    runs = res["runs"]
    assert [r["mode"] for r in runs] == ["new", "resume"] and runs[1]["stopped"] is None
    assert reel["complete"] and reel["reels"] == ["en", "fr"]
    assert (work / "reel" / "reel_final.mp4").is_file()
    assert reel["final"]["frames"] == 24 and reel["final"]["width"] == 128  # 3 shots x 1 s x 8 fps
    shots = reel["shots"]
    assert [s["shot"] for s in shots] == [1, 2, 3] and [s["run"] for s in shots] == [1, 2, 2]
    assert [s["clip"]["mode"] for s in shots] == ["i2v", "i2v", "flf2v"]  # shot 3 is continuous
    for s in shots:  # one attempt each, judged by the critic; time and memory per part
        assert s["attempts"] == 1 and s["score"] is not None
        assert s["keyframe_s"] > 0 and s["clip_s"] > 0 and s["critic_s"] > 0 and s["wall_s"] >= s["clip_s"]
        assert s["clip"]["steps"] == 4 and s["clip"]["guidance"] == 1.0 and s["clip"]["forwards"]
        assert s["clip"]["memory_plan"]["mode"] == "resident" and s["keyframe"]["steps"] == 4
    assert {"plan", "cast", "shots", "resume", "music", "voice", "compose"} <= set(reel["stages_s"])
    assert set(reel["masters"]) == {"keeper", "robot"}
    assert reel["render_s_sum"] == pytest.approx(sum(r["render_s"] for r in runs), abs=0.05)
    assert runs[1]["build"].keys() == {"image", "video", "music", "speech"}  # shots were left: every model


def test_tiny_studio_with_each_clip_split_over_two_processes_and_ace_step(tmp_path: Path,
                                                                        one_torch_thread: None) -> None:
    from reelgraph.executors import clear_backends

    work, out = tmp_path / "work", tmp_path / "studio.json"
    clear_backends()
    try:
        assert studio_gpu.main(["--tiny", "--work", str(work), "--out", str(out), "--shots", "2",
                                "--music", "acestep", "--parallel", "ulysses=2"]) == 0
    finally:
        clear_backends()
    res = json.loads(out.read_text())
    assert res["parallel"] == {"ulysses": 2} and "over 2 processes" in res["configuration"]
    assert res["reel"]["complete"] and res["runs"][0]["build"]["music"]["params_b"] >= 0
    for shot in res["reel"]["shots"]:
        clip = shot["clip"]
        assert clip["speed"]["parallel"]["world"] == 2 and clip["speed"]["parallel"]["comm"] == "gloo"
        assert clip["other_ranks_peak_gib"]["rank1"] > 0
    assert res["reel"]["music"]["seconds"] == 2.0


def test_the_budget_guess_for_music_follows_the_model() -> None:
    args = studio_gpu.parse(["--work", "w", "--music", "acestep"])
    assert studio_gpu.MUSIC_GUESS_S[args.music] < studio_gpu.GUESS_S["full"]["music"] / 10
    with pytest.raises(SystemExit):
        studio_gpu.parse(["--work", "w", "--parallel", "tensor=2"])
    assert studio_gpu.parse(["--work", "w", "--parallel", "ulysses=2,ring=2"]).parallel == {"ulysses": 2, "ring": 2}


def _bench(committed: int, elapsed: float, *, max_shots: int = 0, done_here: int = 0) -> studio_gpu.Bench:
    b = object.__new__(studio_gpu.Bench)
    b.args = argparse.Namespace(max_shots=max_shots, budget_s=500.0)
    b.guess = dict(studio_gpu.GUESS_S["full"])
    b.shots_total, b.committed, b.committed_here = 6, committed, done_here
    b.run = {"nodes": [{"node": "tools", "shot": 1, "s": 70.0}, {"node": "commit", "shot": 1, "s": 0.1}]}
    b.elapsed = lambda: elapsed  # type: ignore[method-assign]
    return b


def test_the_budget_stops_only_at_stage_boundaries() -> None:
    _bench(1, 400.0).check_budget("commit")  # a 70 s shot still fits
    with pytest.raises(studio_gpu.Stop, match="a shot"):
        _bench(1, 440.0).check_budget("commit")  # the measured shot time (+5 %) would pass 500 s
    with pytest.raises(studio_gpu.Stop, match="music"):
        _bench(6, 400.0).check_budget("commit")  # every shot done: music is next
    with pytest.raises(studio_gpu.Stop, match="max-shots"):
        _bench(2, 0.0, max_shots=2, done_here=2).check_budget("commit")
    _bench(2, 499.0).check_budget("direct")  # never inside a shot
    _bench(6, 499.0).check_budget("compose")


def test_tool_names_of_a_tools_update() -> None:
    msg = SimpleNamespace(type="tool", name="bridge_from_previous")
    assert studio_gpu.tool_names({"messages": [msg]}) == ["bridge_from_previous"]
    assert studio_gpu.tool_names([SimpleNamespace(update={"messages": [msg]})]) == ["bridge_from_previous"]
