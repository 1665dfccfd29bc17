"""Helpers shared by the tools and steps: reading the injected state, the current shot, naming take files."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, ToolMessage

from reelgraph.errors import BackendError
from reelgraph.schema import Artifact, Script, Shot
from reelgraph.state import ReelState


def as_state(state: Any) -> ReelState:
    """The graph state as a ReelState, whether injected as a model or a dict."""
    if isinstance(state, ReelState):
        return state
    if isinstance(state, dict):
        return ReelState.model_validate(state)
    raise BackendError("this tool runs inside the reel graph (no state was injected)")


def script_of(state: ReelState) -> Script:
    """The state's script (an error before the reel is planned)."""
    if state.script is None:
        raise BackendError("no script yet: plan the reel first")
    return state.script


def current_shot(state: ReelState) -> Shot:
    """The shot being made (an error when the state's shot number is outside the script)."""
    script = script_of(state)
    if not 1 <= state.shot <= len(script.shots):
        raise BackendError(f"no shot {state.shot} in the script")
    return script.shots[state.shot - 1]


def take_artifacts(state: ReelState) -> dict[str, Artifact]:
    """The artifacts (by kind) that tools made for the current take, read from the take's tool messages."""
    found: dict[str, Artifact] = {}
    for msg in state.messages:
        if isinstance(msg, ToolMessage) and msg.status != "error" and isinstance(msg.artifact, dict):
            art = Artifact.model_validate(msg.artifact)
            if art.meta.get("shot") == state.shot and art.meta.get("attempt") == state.attempt:
                found[art.kind] = art
    return found


def take_requests(state: ReelState) -> list[dict[str, Any]]:
    """The tool calls the Director made for the current take (name and arguments)."""
    return [{"name": c["name"], "args": c["args"]} for m in state.messages if isinstance(m, AIMessage)
            for c in m.tool_calls]


def take_path(shot: int, attempt: int, suffix: str) -> str:
    """Relative path of a take's file, e.g. shots/shot03/take2_key.png."""
    return f"shots/shot{shot:02d}/take{attempt}{suffix}"
