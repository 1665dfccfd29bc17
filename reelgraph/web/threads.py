"""What the page needs to know about a thread, asked of the server it runs in (langgraph-sdk's in-process client):
its run folder, the context its runs were given, and the plan of a redo made from its history."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from anyio import to_thread
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from pydantic import BaseModel, ValidationError

from reelgraph.config import Settings
from reelgraph.context import RunOptions
from reelgraph.errors import UsageError
from reelgraph.hitl.fork import base_checkpoint, continuous_chain
from reelgraph.run.served import run_folder
from reelgraph.state import ReelState

GRAPH_ID = "reelgraph"
HISTORY_PAGE = 1000  # the most the server's history route returns at once
HISTORY_PAGES = 50
MAX_NOTE = 2000
_client: LangGraphClient | None = None


class ThreadError(Exception):
    """A thread the page cannot show or act on; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class ThreadRun:
    """A thread's run folder (resolved), the context to give its next run, and the assistant that runs it."""

    thread_id: str
    folder: Path
    context: dict[str, str]
    assistant_id: str


def client() -> LangGraphClient:
    """The in-process client of the server this app is mounted in (no network, no key)."""
    global _client
    if _client is None:
        _client = get_client(url=None, api_key=None)
    return _client


def check_thread_id(thread_id: str) -> str:
    """The thread id in canonical form; 400 unless it is a UUID (as the server's own routes require)."""
    try:
        return str(uuid.UUID(thread_id))
    except ValueError:
        raise ThreadError(400, "thread id must be a UUID") from None


async def _ask(call: Any) -> Any:
    try:
        return await call
    except httpx.HTTPStatusError as e:
        status = e.response.status_code
        if status == 404:
            raise ThreadError(404, "no such thread") from None
        raise ThreadError(502, f"the server answered {status}") from None


def _options(source: dict[str, Any]) -> dict[str, str]:
    return {k: v for k in RunOptions.model_fields if isinstance(v := source.get(k), str) and v}


async def thread_run(thread_id: str) -> ThreadRun:
    """The thread's run folder and run context: from its newest checkpoint's metadata (what the graph was given),
    else its newest run's context; the folder defaults as the graph's does (outputs/<thread_id>)."""
    tid = check_thread_id(thread_id)
    state = await _ask(client().threads.get_state(tid))
    meta = state.get("metadata") or {}
    options = _options(meta)
    assistant = meta.get("assistant_id")
    if not options:
        runs = await _ask(client().runs.list(tid, limit=1))
        if runs:
            kwargs = runs[0].get("kwargs") or {}
            configurable = (kwargs.get("config") or {}).get("configurable") or {}
            options = _options({**configurable, **(kwargs.get("context") or {})})
            assistant = assistant or runs[0].get("assistant_id")
    settings = Settings.from_runnable_config({"configurable": {**options, "thread_id": tid}})
    try:  # where the served run put it (inside the server's runs folder when one is set), off the event loop
        where = await to_thread.run_sync(run_folder, options.get("out_dir", ""), tid)
    except UsageError as e:
        raise ThreadError(409, str(e)) from None
    folder = await to_thread.run_sync(Path(where or settings.out_dir).resolve)
    return ThreadRun(tid, folder, options, str(assistant or GRAPH_ID))


def _snapshots(history: list[dict[str, Any]]) -> Any:
    """The server's history shaped as `graph.get_state_history` snapshots (what `base_checkpoint` reads)."""
    snaps = [SimpleNamespace(next=tuple(h.get("next") or ()), values=h.get("values") or {},
                             metadata=h.get("metadata") or {}, checkpoint=h.get("checkpoint") or {}) for h in history]
    return SimpleNamespace(get_state_history=lambda _config: snaps)


def _dump(models: Iterable[BaseModel]) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json") for m in models]


async def _history(thread_id: str) -> list[dict[str, Any]]:
    """Every checkpoint of the thread, newest first, page by page."""
    entries: list[dict[str, Any]] = []
    for _ in range(HISTORY_PAGES):
        before = entries[-1]["checkpoint"] if entries else None
        page = await _ask(client().threads.get_history(thread_id, limit=HISTORY_PAGE, before=before))
        entries += page
        if len(page) < HISTORY_PAGE:
            break
    return entries


async def redo_plan(thread_id: str, shot: int, note: str | None) -> dict[str, Any]:
    """How to redo `shot` of a finished thread through the server's API, as `reelgraph redo-shot` forks a run: the
    checkpoint before the shot, and the update that renders it (and the continuous shots after it) again with the
    note, keeping the other shots, the score and the voices. The caller posts `values` to the thread's state at
    `checkpoint_id` as `as_node`, then starts a run with no input."""
    tid = check_thread_id(thread_id)
    if note is not None and len(note) > MAX_NOTE:
        raise ThreadError(400, f"note: at most {MAX_NOTE} characters")
    head = await _ask(client().threads.get_state(tid))
    if not head.get("values"):
        raise ThreadError(409, "the thread has not started: nothing to redo")
    try:
        state = ReelState.model_validate(head["values"])
    except ValidationError:
        raise ThreadError(409, "the thread's state is not a reel") from None
    if head.get("next") or state.final is None or state.script is None:
        raise ThreadError(409, "the thread has not finished: redo a shot of a finished reel")
    if not 1 <= shot <= len(state.script.shots):
        raise ThreadError(400, f"shot: the script has shots 1..{len(state.script.shots)}")
    history = await _history(tid)
    base = base_checkpoint(_snapshots(history), {}, shot)
    if base is None:
        raise ThreadError(409, f"no checkpoint before shot {shot} in the thread's history")
    chain = continuous_chain(state.script, shot)
    notes = {str(k): v for k, v in state.notes.items()}
    if note:
        notes[str(shot)] = note
    values = {
        "done": {"__overwrite__": _dump(r for r in state.done if r.shot < shot)}, "shot": shot, "attempt": 1,
        "takes": [], "notes": notes, "redo_chain": chain[1:],
        "redo_keep": _dump(r for r in state.done if r.shot > chain[-1]),
        "script": state.script.model_dump(mode="json"), "music": _dump([state.music])[0] if state.music else None,
        "voices": dict(zip(state.voices, _dump(state.voices.values()), strict=True)),
        "subtitles": dict(zip(state.subtitles, _dump(state.subtitles.values()), strict=True)),
    }
    return {"shot": shot, "note": notes.get(str(shot)), "chain": chain,
            "kept": [r.shot for r in state.done if r.shot not in chain],
            "checkpoint_id": base.checkpoint.get("checkpoint_id"), "as_node": "tools", "values": values}
