"""Planning: the Director writes the script; a person may approve or edit it (an interrupt)."""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from reelgraph.agents import director as directors
from reelgraph.context import RunContext
from reelgraph.errors import ReelgraphError, UsageError
from reelgraph.hitl.interrupts import approval_request, read_answer
from reelgraph.nodes.common import CLEAR, request_of
from reelgraph.state import ReelState
from reelgraph.tools.common import script_of


def plan(state: ReelState, runtime: Runtime[RunContext]) -> Command[Literal["approve", "cast"]]:
    """The Director writes the script (validated); it is saved as script.json."""
    ctx = RunContext.of(runtime)
    if state.script is not None:
        return Command(goto="cast")
    ctx.emit("plan", status="start")
    script = directors.make_director(ctx.resolved_profile).write_script(request_of(state))
    if len(script.shots) != state.shots:
        raise ReelgraphError(f"the Director wrote {len(script.shots)} shots; {state.shots} were asked for")
    if script.languages != state.languages:
        raise ReelgraphError(f"the Director wrote languages {script.languages}; {state.languages} were asked for")
    ctx.folder.write_json("script.json", script.model_dump())
    ctx.emit("plan", status="done", shots=len(script.shots), title=script.title,
                **({"waiting": "approval"} if state.approve_script else {}))
    return Command(goto="approve" if state.approve_script else "cast",
                   update={"script": script, "shot": 1, "attempt": 1, "takes": [], "messages": CLEAR})


def approve(state: ReelState, runtime: Runtime[RunContext]) -> Command[Literal["cast"]]:
    """Wait for a person (an interrupt): keep the script or take their edit; a wrong edit asks again, naming why."""
    planned, error = script_of(state), None
    ctx = RunContext.of(runtime)
    while True:
        try:
            asked = approval_request(planned, error, str(ctx.folder.root))
            script, edited = read_answer(interrupt(asked), request_of(state), planned)
            break
        except UsageError as e:
            error = str(e)
    if edited:
        ctx.folder.write_json("script.json", script.model_dump())
    ctx.emit("approve", status="approved", edited=edited)
    return Command(goto="cast", update={"script": script} if edited else None)
