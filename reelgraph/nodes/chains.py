"""Parallel chains (Ray executor): a chain is a cut and the continuous shots after it; each runs the per-shot loop
(the `chain` subgraph, wired in reelgraph.graph), in parallel, and the score is made beside them
(`parallel_music`)."""

from __future__ import annotations

from langgraph.types import Send

from reelgraph.schema import Script
from reelgraph.state import ReelState
from reelgraph.tools.common import script_of


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
        sends.append(Send("parallel_music", state.model_dump(exclude={"messages"})))
    return sends
