"""Parallel chains (Ray executor): a chain is a cut and the continuous shots after it; each runs the per-shot loop
as a subgraph, in parallel, and the score is made beside them."""

from __future__ import annotations

from typing import Any, Protocol

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Send

from reelgraph.schema import Script
from reelgraph.state import ReelState
from reelgraph.tools.common import script_of


class ChainNode(Protocol):
    """A node that takes one chain's task (its state, as sent or validated) and hands back its committed shots."""

    def __call__(self, state: dict[str, Any] | ReelState, config: RunnableConfig) -> dict[str, Any]:
        """Make the chain that `state` starts and return the update `{"done": [its committed shots]}`."""


def shot_chains(script: Script) -> list[tuple[int, int]]:
    """The script's shots as (first, last) chains: a chain starts at every cut; continuous shots join the one before
    (their first frame is the previous shot's last)."""
    chains: list[tuple[int, int]] = []
    for shot in script.shots:
        if chains and shot.transition == "continuous":
            chains[-1] = (chains[-1][0], shot.index)
        else:
            chains.append((shot.index, shot.index))
    return chains


def fan_out(state: ReelState) -> list[Send]:
    """One `chain` task per chain not yet committed, each starting on its first shot, and the score beside them."""
    done = {r.shot for r in state.done}
    sends: list[Send] = []
    for first, last in shot_chains(script_of(state)):
        if all(s in done for s in range(first, last + 1)):
            continue
        task = state.model_copy(update={"shot": first, "chain_end": last, "attempt": 1, "takes": [], "messages": [],
                                        "done": [r for r in state.done if r.shot < first]})
        sends.append(Send("chain", task.model_dump(exclude={"messages"})))
    if sends and state.music is None:
        sends.append(Send("score", state.model_dump(exclude={"messages"})))
    return sends


def chain_node(loop: CompiledStateGraph[ReelState, None, ReelState, ReelState]) -> ChainNode:
    """The `chain` node around the compiled per-shot `loop` (wired in reelgraph.graph)."""

    def chain(state: dict[str, Any] | ReelState, config: RunnableConfig) -> dict[str, Any]:
        """Make one chain of shots with the per-shot loop (a subgraph, checkpointed in its own namespace: a resumed
        run goes on from the chain's last committed shot) and hand back its committed shots."""
        st = ReelState.model_validate(state)
        out = loop.invoke(st, config)
        return {"done": [r for r in ReelState.model_validate(out).done
                         if st.shot <= r.shot <= (st.chain_end or r.shot)]}

    return chain
