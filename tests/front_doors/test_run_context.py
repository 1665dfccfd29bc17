"""One run context: `context=` from Python reaches every node and tool; `configurable` still works as a fallback; the
profile is resolved once per run; a served run's context is confined."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from front_doors.conftest import TINY
from reelgraph.context import RunContext, _profile
from reelgraph.errors import UsageError
from reelgraph.graph import build_graph
from reelgraph.graph import served_graph as served
from reelgraph.run.checkpoints import serializer
from reelgraph.run.served import RUNS_ENV

REQUEST = {"prompt": "Two foxes race across a desert", "shots": 2, **TINY}


def _stages(out: Path) -> list[str]:
    return [json.loads(line)["stage"] for line in (out / "events.jsonl").read_text().splitlines()]


def test_context_from_python_reaches_every_node_and_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a context that was ignored would write to outputs/<thread_id> here
    graph = build_graph(checkpointer=InMemorySaver(serde=serializer()))
    config = {"configurable": {"thread_id": "ctx", "out_dir": str(tmp_path / "from-configurable")}}
    before = _profile.cache_info()
    custom = [chunk for mode, chunk in graph.stream(REQUEST, config, context={"out_dir": str(tmp_path / "ctx")},
                                                    stream_mode=["updates", "custom"]) if mode == "custom"]
    after = _profile.cache_info()
    out = tmp_path / "ctx"
    assert (out / "reel_final.mp4").stat().st_size > 0 and (out / "shots/shot02/take1.mp4").is_file()
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "from-configurable").exists()
    assert {"plan", "cast", "tool", "commit", "music", "voice", "compose"} <= set(_stages(out))
    assert [c["stage"] for c in custom] == _stages(out)
    assert (after.hits + after.misses) - (before.hits + before.misses) == 1, "the profile is resolved once per run"


def test_configurable_is_the_fallback_of_existing_callers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    graph = build_graph(checkpointer=InMemorySaver(serde=serializer()))
    out = graph.invoke(REQUEST | {"shots": 1}, {"configurable": {"thread_id": "old"}})
    assert out["final"].path == "reel_final.mp4" and (tmp_path / "outputs/old/reel_final.mp4").is_file()
    ctx = RunContext.for_run({"profile": "animatic"}, {"configurable": {"thread_id": "t", "out_dir": "a",
                                                                          "profile": "other.toml"}})
    assert (ctx.out_dir, ctx.profile) == ("a", "animatic")


def test_a_served_runs_context_is_confined(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(RUNS_ENV, str(runs))
    with pytest.raises(UsageError, match=RUNS_ENV):
        served.invoke(REQUEST, {"configurable": {"thread_id": "t"}}, context={"out_dir": "../escape"})
    with pytest.raises(UsageError, match="profile"):
        served.invoke(REQUEST, {"configurable": {"thread_id": "t"}}, context={"out_dir": "a", "profile": "/etc/x"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"] and list(runs.iterdir()) == []


def test_a_context_resolved_for_another_run_is_not_taken_unconfined(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RUNS_ENV, str(tmp_path / "runs"))
    loose = RunContext.for_run({"out_dir": str(tmp_path / "outside")}, {"configurable": {"thread_id": "t"}})
    assert loose.out_dir == str(tmp_path / "outside")
    with pytest.raises(UsageError, match=RUNS_ENV):
        served.invoke(REQUEST, {"configurable": {"thread_id": "t"}}, context=loose)
    assert not (tmp_path / "outside").exists()
