"""Model step progress: a backend reports "step i of n"; the event carries the node, shot and attempt it runs for.

The graph opens a `scope` around each tool call and stage (node, shot, attempt, character, language); a backend only
calls `report(i, n, what)` (or hands `diffusers_callback(n, what)` to a pipeline as `callback_on_step_end`). Events go
to LangGraph's custom stream (CLI bars, Studio), not to events.jsonl: they are many and carry no state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from reelgraph.run.hold import check_not_cancelled

_scope: ContextVar[dict[str, Any] | None] = ContextVar("reelgraph_progress_scope", default=None)


@contextmanager
def scope(**fields: Any) -> Iterator[None]:
    """Fields added to every progress event reported inside the block (nested scopes add to outer ones)."""
    token = _scope.set({**(_scope.get() or {}), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _scope.reset(token)


def current() -> dict[str, Any]:
    """The fields of the innermost scope."""
    return dict(_scope.get() or {})


def report(step: int, total: int, what: str = "") -> None:
    """One model step done: {"stage": "progress", node, shot, attempt, what, step, of} on the custom stream.

    In a cancelled run it raises RunCancelled: a model stops at its next step."""
    check_not_cancelled()
    event = {"t": round(time.time(), 3), "stage": "progress", **current(), "what": what, "step": step, "of": total}
    try:
        from langgraph.config import get_stream_writer

        get_stream_writer()(event)
    except (ImportError, RuntimeError, KeyError):
        pass  # outside a graph run (or no LangGraph installed: a backend used on its own)


def diffusers_callback(total: int, what: str) -> Callable[..., dict[str, Any]]:
    """A diffusers `callback_on_step_end` that reports each denoising step."""

    def on_step_end(pipe: Any, step: int, timestep: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        report(step + 1, total, what)
        return kwargs

    return on_step_end
