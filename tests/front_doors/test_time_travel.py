"""Time travel the LangGraph way: `update_state(past_config, values)` and `invoke(None, fork)` re-run from a past
checkpoint without naming a node; an update at the approval interrupt asks again with the edited script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command, PregelTask, StateSnapshot

from front_doors.conftest import TINY
from reelgraph.errors import UsageError
from reelgraph.graph import build_graph
from reelgraph.hitl.travel import continue_update
from reelgraph.run.checkpoints import serializer
from reelgraph.state import ReelState

REQUEST = {"prompt": "Two foxes race across a desert", "shots": 2, **TINY}


def _interrupt(graph: Any, config: dict[str, Any]) -> dict[str, Any]:
    (item,) = graph.get_state(config).interrupts
    return item.value


def test_a_plain_update_of_a_past_checkpoint_runs_again_from_there(tmp_path: Path) -> None:
    graph = build_graph(checkpointer=InMemorySaver(serde=serializer()))
    out = tmp_path / "run"
    config = {"configurable": {"thread_id": "travel"}}
    graph.invoke(REQUEST, config, context={"out_dir": str(out)})
    first = ReelState.model_validate(graph.get_state(config).values)
    base = next(s for s in graph.get_state_history(config)
                if s.next == ("direct",) and s.values["shot"] == 2 and not s.values.get("messages"))

    fork = graph.update_state(base.config, {"notes": {2: "smaller foxes"}})
    assert graph.get_state(fork).next == ("direct",), "the fork goes on where its checkpoint was going"
    graph.invoke(None, fork, context={"out_dir": str(out)})

    again = ReelState.model_validate(graph.get_state(config).values)
    assert [(r.shot, r.kept) for r in again.done] == [(1, 1), (2, 2)]
    assert again.done[0] == first.done[0]
    assert again.done[1].best.requests[0]["args"]["prompt"].endswith("smaller foxes")
    assert (out / "reel_final.v1.mp4").is_file() and again.final is not None


def test_an_update_at_the_approval_asks_again_and_a_form_answer_resumes(tmp_path: Path) -> None:
    graph = build_graph(checkpointer=InMemorySaver(serde=serializer()))
    config = {"configurable": {"thread_id": "approve"}}
    context = {"out_dir": str(tmp_path / "run")}
    graph.invoke(REQUEST | {"approve_script": True}, config, context=context)
    asked = _interrupt(graph, config)
    assert asked["action_request"]["action"] == "approve_script" and asked["config"]["allow_edit"]
    script = asked["action_request"]["args"]["script"] | {"title": "Dune Foxes"}

    graph.update_state(config, {"script": script})
    assert graph.get_state(config).next == ("approve",)
    graph.invoke(None, config, context=context)
    assert _interrupt(graph, config)["script"]["title"] == "Dune Foxes"

    graph.invoke(Command(resume=[{"type": "accept", "args": None}]), config, context=context)
    state = ReelState.model_validate(graph.get_state(config).values)
    assert state.final is not None and state.script is not None and state.script.title == "Dune Foxes"


def test_a_checkpoint_that_sends_chains_out_refuses_a_plain_update() -> None:
    sent = StateSnapshot(values={}, next=("chain", "parallel_music"), config={}, metadata=None, created_at=None,
                         parent_config=None, interrupts=(),
                         tasks=(PregelTask("a", "chain", ("__pregel_push", 0)),
                                PregelTask("b", "parallel_music", ("__pregel_push", 1))))
    with pytest.raises(UsageError, match=r"sends \['chain', 'parallel_music'\]"):
        continue_update(sent, {"notes": {1: "x"}})
    pulled = sent._replace(next=("direct",), tasks=(PregelTask("c", "direct", ("__pregel_pull", "direct")),))
    assert continue_update(pulled, {"shot": 1}) == Command(update={"shot": 1}, goto=["direct"])
    assert continue_update(pulled._replace(next=()), {"shot": 1}) == {"shot": 1}
