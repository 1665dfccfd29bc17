"""The per-shot loop: the Director's tool calls, the critic's verdict, and the commit of the best take."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any, Literal

from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import ToolException
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.runtime import Runtime
from langgraph.types import Command
from pydantic import ValidationError

from reelgraph import progress
from reelgraph.agents import director as directors
from reelgraph.agents.critic import TakeReview, make_critic
from reelgraph.agents.director.brief import ShotBrief
from reelgraph.context import RunContext
from reelgraph.errors import ReelgraphError
from reelgraph.hitl.fork import ForkState, free_attempt
from reelgraph.media.ffmpeg import decode_last_frame
from reelgraph.nodes.common import CLEAR, END
from reelgraph.schema import ShotResult, Take
from reelgraph.state import ReelState
from reelgraph.tools.common import script_of, take_artifacts, take_requests

MAX_STEPS_PER_TAKE = 6
TOOL_ERROR = "Error: {error!r}\n Please fix your mistakes."
_NOT_THE_DIRECTORS = re.compile(r"^Error: (?!ToolException\(|ToolInvocationError\()[A-Z]\w*\(")


def directors_mistake(e: Exception) -> str:
    """The error message a Director gets back for a tool call it can correct (bad arguments, a step out of order).

    Anything else (a tool process killed or interrupted, a missing binary, a timeout, a full disk) is not the
    Director's mistake: it is raised again, fails the step without being stored, and a later resume runs it again.
    """
    if not isinstance(e, (ToolException, ValidationError)):
        raise e
    return TOOL_ERROR.format(error=e)


def _counts_against_director(m: Any) -> bool:
    """A stored tool error the Director made; one naming another exception predates `directors_mistake`."""
    return isinstance(m, ToolMessage) and m.status == "error" and not _NOT_THE_DIRECTORS.match(str(m.content))


def direct(state: ReelState, runtime: Runtime[RunContext]) -> Command[Literal["tools", "critic", "music"]]:
    """The Director's next step on the current take: tool calls, or 'ready' for the critic."""
    script = script_of(state)
    if state.shot > len(script.shots):
        return Command(goto="music")
    errors = [m for m in state.messages if _counts_against_director(m)]
    if len(errors) > 1:
        raise ReelgraphError(
            f"shot {state.shot}: the Director's tool calls failed after a repair: {errors[-1].content}")
    steps = sum(isinstance(m, AIMessage) for m in state.messages)
    if steps >= MAX_STEPS_PER_TAKE:
        raise ReelgraphError(f"shot {state.shot}: the Director took {steps} steps without finishing a take")
    ctx = RunContext.of(runtime)
    update: dict[str, Any] = {}
    if not state.messages:
        attempt = free_attempt(ctx.folder, state.shot, state.attempt)  # a fork never overwrites earlier takes
        if attempt != state.attempt:
            state = state.model_copy(update={"attempt": attempt})
            update["attempt"] = attempt
        ctx.emit("shot", shot=state.shot, attempt=state.attempt, of=len(script.shots))
    message = directors.make_director(ctx.resolved_profile).direct(ShotBrief.from_state(state))
    goto: Literal["tools", "critic"] = "tools" if message.tool_calls else "critic"
    return Command(goto=goto, update={**update, "messages": [message]})


ToolResult = ToolMessage | Command[Any]
"""What a tool call gives the ToolNode back."""


def _tool_scope(request: ToolCallRequest) -> AbstractContextManager[None]:
    st = request.state

    def get(key: str) -> Any:
        return st.get(key) if isinstance(st, dict) else getattr(st, key, None)

    return progress.scope(node="shot", shot=get("shot"), attempt=get("attempt"), tool=request.tool_call["name"])


def scoped_tool_call(request: ToolCallRequest, execute: Callable[[ToolCallRequest], ToolResult]) -> ToolResult:
    """Run one tool call inside a progress scope naming its shot, attempt and tool (the ToolNode's wrapper)."""
    with _tool_scope(request):
        return execute(request)


async def ascoped_tool_call(request: ToolCallRequest,
                            execute: Callable[[ToolCallRequest], Awaitable[ToolResult]]) -> ToolResult:
    """The async form of `scoped_tool_call`."""
    with _tool_scope(request):
        return await execute(request)


def critic(state: ReelState, runtime: Runtime[RunContext]) -> Command[Literal["direct", "commit"]]:
    """Score the take; below the threshold with attempts left, the critique goes back to the Director."""
    ctx = RunContext.of(runtime)
    made = take_artifacts(state)
    if "clip" not in made:
        raise ReelgraphError(f"shot {state.shot} take {state.attempt}: the Director finished without a clip")
    take = Take(shot=state.shot, attempt=state.attempt, requests=take_requests(state), keyframe=made.get("keyframe"),
                clip=made["clip"])
    if state.critic:
        shot = script_of(state).shots[state.shot - 1]
        prev = None
        if shot.transition == "continuous" and state.done:
            prev = decode_last_frame(ctx.folder.path(state.done[-1].best.clip.path))
        review = TakeReview(
            clip=ctx.folder.path(take.clip.path), shot=shot, width=state.width, height=state.height,
            keyframe=ctx.folder.path(take.keyframe.path) if take.keyframe else None,
            masters={slug: ctx.folder.path(a.path) for slug, a in state.masters.items()},
            previous_last_frame=prev, names={c.slug: c.name for c in script_of(state).characters},
            kinds={c.slug: c.kind for c in script_of(state).characters})
        take.verdict = make_critic(ctx.resolved_profile).judge(review)
        ctx.folder.write_json(f"shots/shot{state.shot:02d}/take{state.attempt}_verdict.json",
                                 take.verdict.model_dump())
        ctx.emit("critic", shot=state.shot, attempt=state.attempt, score=take.verdict.score,
                    defects=take.verdict.defects)
    takes = [*state.takes, take]
    passed = take.verdict is None or take.verdict.score >= state.critic_threshold
    if passed or len(takes) >= state.max_attempts:
        return Command(goto="commit", update={"takes": takes})
    return Command(goto="direct", update={"takes": takes, "attempt": state.attempt + 1, "messages": CLEAR})


def commit(state: ForkState | ReelState,
           runtime: Runtime[RunContext]) -> Command[Literal["direct", "music", "__end__"]]:
    """Keep the best take of the shot (the highest score; the earliest on a tie). A checkpoint boundary.

    In a redo fork, the next shot of the continuous chain comes next; after the chain, the kept shots are put back.
    """
    ctx = RunContext.of(runtime)
    best = max(state.takes, key=lambda t: (t.verdict.score if t.verdict else 0.0, -t.attempt))
    result = ShotResult(shot=state.shot, kept=best.attempt, takes=state.takes)
    ctx.folder.write_json(f"shots/shot{state.shot:02d}/kept.json", result.model_dump())
    done = [r for r in state.done if r.shot != state.shot] + [result]
    done.sort(key=lambda r: r.shot)
    ctx.emit("commit", shot=state.shot, kept=best.attempt, attempts=len(state.takes),
                score=best.verdict.score if best.verdict else None)
    nxt, last = state.shot + 1, len(script_of(state).shots)
    update: dict[str, Any] = {"done": done, "shot": nxt, "attempt": 1, "takes": [], "messages": CLEAR}
    chain, keep = getattr(state, "redo_chain", []), getattr(state, "redo_keep", [])
    if chain:
        update["redo_chain"] = [s for s in chain if s != nxt]
    elif keep:
        done = sorted([*done, *(r for r in keep if r.shot > state.shot)], key=lambda r: r.shot)
        update |= {"done": done, "shot": last + 1, "redo_keep": []}
        ctx.emit("redo", status="kept", shots=[r.shot for r in keep])
        return Command(goto="music", update=update)
    if state.chain_end is not None:  # one chain of parallel chains: it ends after its last shot
        return Command(goto="direct" if nxt <= state.chain_end else END, update=update)
    return Command(goto="direct" if nxt <= last else "music", update=update)
