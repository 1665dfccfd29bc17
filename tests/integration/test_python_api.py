"""The graph from Python: build_graph, invoke and stream, with and without a checkpointer."""

from __future__ import annotations

from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver

from reelgraph import build_graph
from reelgraph.graph import graph
from reelgraph.state import ReelState

REQUEST = {"prompt": "Two foxes race across a desert", "shots": 2, "shot_seconds": 1.0, "width": 160, "height": 90,
           "fps": 8, "critic": False}


def test_invoke_and_stream(tmp_path: Path) -> None:
    g = build_graph(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "api", "out_dir": str(tmp_path / "api")}}
    stages = [chunk["stage"] for mode, chunk in g.stream(REQUEST, config, stream_mode=["updates", "custom"])
              if mode == "custom"]
    assert stages[0] == "plan" and "commit" in stages and stages[-1] == "compose"
    state = ReelState.model_validate(g.get_state(config).values)
    assert state.final is not None and (tmp_path / "api" / state.final.path).is_file()
    assert [r.shot for r in state.done] == [1, 2]


def test_module_graph_has_the_designed_nodes(tmp_path: Path) -> None:
    nodes = set(graph.get_graph().nodes)
    assert {"plan", "cast", "direct", "tools", "critic", "commit", "music", "voice", "compose"} <= nodes
    out = graph.invoke(REQUEST | {"shots": 1}, {"configurable": {"thread_id": "m", "out_dir": str(tmp_path / "m")}})
    assert out["final"].path == "reel_final.mp4"
