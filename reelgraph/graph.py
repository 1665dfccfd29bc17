"""The reel as a LangGraph state machine: wiring only (the node bodies are in reelgraph.nodes).

plan → [approve: interrupt] → cast → ┌ direct ⇄ tools ┐ → critic ─(score < threshold, attempts left)→ direct
                                     └────────────────┘          └→ commit (best take; a checkpoint) → next shot
                                                                     | music → voice → compose
With the Ray executor, cast fans the shots out instead: each chain (a cut and the continuous shots after it) runs
the same direct ⇄ tools → critic → commit loop as a subgraph (`Send`, one task per chain, in parallel), the score
is made beside them; the chains join into `done` in shot order before music (which finds the score made). A redo
forks the run before a shot (reelgraph.hitl.fork): commit then re-renders the continuous chain and puts back the kept
shots.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode
from langgraph.types import Checkpointer

from reelgraph.context import RunOptions
from reelgraph.hitl.fork import ForkState
from reelgraph.nodes.cast import cast
from reelgraph.nodes.chains import chain_node
from reelgraph.nodes.finish import compose, music, score, voice
from reelgraph.nodes.plan import approve, plan
from reelgraph.nodes.shot import ascoped_tool_call, commit, critic, direct, directors_mistake, scoped_tool_call
from reelgraph.run.served import SERVED_TAG
from reelgraph.schema import ReelRequest
from reelgraph.state import ReelState
from reelgraph.tools import SHOT_TOOLS


def _add_shot_loop(builder: StateGraph[ReelState, Any, Any, Any], *, chain_only: bool = False) -> None:
    """The per-shot loop's nodes; `chain_only`: as a chain's subgraph (commit ends it; no music node there)."""
    ends: dict[str, Any] = {"destinations": ("tools", "critic")} if chain_only else {}
    builder.add_node("direct", direct, **ends)
    builder.add_node("tools", ToolNode(SHOT_TOOLS, handle_tool_errors=directors_mistake,
                                       wrap_tool_call=scoped_tool_call, awrap_tool_call=ascoped_tool_call))
    builder.add_node("critic", critic)
    builder.add_node("commit", commit, input_schema=ForkState, destinations=("direct", END) if chain_only else None)
    builder.add_edge("tools", "direct")


def chain_loop() -> CompiledStateGraph[ReelState, None, ReelState, ReelState]:
    """The per-shot loop alone, for one chain of parallel chains (it uses the parent run's checkpointer)."""
    builder = StateGraph(ReelState)
    _add_shot_loop(builder, chain_only=True)
    builder.add_edge(START, "direct")
    return builder.compile(name="chain")


CHAIN_LOOP = chain_loop()


def build_graph(*,
                checkpointer: Checkpointer = None) -> CompiledStateGraph[ReelState, RunOptions, ReelRequest, ReelState]:
    """The compiled reel graph (with `checkpointer`, or none for a LangGraph server, which brings its own)."""
    builder = StateGraph(ReelState, input_schema=ReelRequest, output_schema=ReelState, context_schema=RunOptions)
    builder.add_node("plan", plan)
    builder.add_node("approve", approve)
    builder.add_node("cast", cast)
    _add_shot_loop(builder)
    builder.add_node("chain", chain_node(CHAIN_LOOP), input_schema=ReelState)
    builder.add_node("score", score, input_schema=ReelState)
    builder.add_node("music", music)
    builder.add_node("voice", voice)
    builder.add_node("compose", compose)
    builder.add_edge(START, "plan")
    builder.add_edge("chain", "music")
    builder.add_edge("score", "music")
    return builder.compile(checkpointer=checkpointer, name="reelgraph")


graph = build_graph().with_config(tags=[SERVED_TAG])  # a served run: confined (reelgraph.run.served)
"""The compiled graph without a checkpointer (LangGraph Studio / `langgraph dev` brings its own)."""

__all__ = ["RunOptions", "build_graph", "graph"]
