"""A person's hand on a run: approve (or edit) the script, redo a shot with a note, read the run's history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import CheckpointMetadata
from langgraph.types import Command

from reelgraph.errors import UsageError
from reelgraph.hitl.interrupts import pending_approval, validate_script
from reelgraph.run.lifecycle import EventSink, checkpointer, execute, read_run, redo, run_config, snapshot_of
from reelgraph.run.reading import read_json
from reelgraph.schema import ReelRequest, Script
from reelgraph.state import ReelState


def read_edit(path: Path) -> Any:
    """The JSON of an edited script file, read bounded (a usage error when it cannot be read or is not JSON)."""
    return read_json(path, what="--edit")


def approve(out: Path, edit: Any = None, on_event: EventSink | None = None, *,
            checkpoint: str | None = None) -> ReelState:
    """Resume a run paused for script approval, with the planned script or `edit` (validated first: a wrong edit is
    a UsageError naming the field, and the run stays paused)."""
    run = read_run(out)
    snapshot = snapshot_of(out, run, checkpoint)
    waiting = pending_approval(snapshot.interrupts)
    if waiting is None:
        raise UsageError(f"{str(out)!r} does not wait for a script approval")
    answer: dict[str, Any] = {"approved": True}
    if edit is not None:
        script = validate_script(edit, ReelRequest.model_validate(run["request"]))
        answer["script"] = script.model_dump(mode="json")
    else:
        on_disk = out / "script.json"
        planned = Script.model_validate(waiting["script"])
        if on_disk.is_file() and read_json(on_disk, what="the planned script") != planned.model_dump(mode="json"):
            raise UsageError(f"{on_disk} was changed: pass --edit {on_disk} to use it, or undo the change")
    return execute(out, run, Command(resume=answer), on_event, checkpoint=checkpoint)


def redo_shot(out: Path, shot: int, note: str | None = None, on_event: EventSink | None = None, *,
              checkpoint: str | None = None) -> tuple[ReelState, dict[str, Any]]:
    """Fork a finished run before `shot` and render it again with `note` (and the continuous shots after it)."""
    return redo(out, read_run(out), shot, note, on_event, checkpoint=checkpoint)


def history(out: Path, *, checkpoint: str | None = None) -> list[dict[str, Any]]:
    """Every checkpoint of the run, newest first: id, parent, step, source, next nodes, shot, and redo forks."""
    from reelgraph.graph import build_graph

    run = read_run(out)
    config = run_config(out, run)
    with checkpointer(out, run, checkpoint) as saver:
        snaps = list(build_graph(checkpointer=saver).get_state_history(config))
    entries: list[dict[str, Any]] = []
    for s in snaps:
        meta: CheckpointMetadata = s.metadata or {}  # a stored checkpoint always has its metadata
        entries.append({
            "id": s.config["configurable"]["checkpoint_id"],
            "parent": (s.parent_config or {}).get("configurable", {}).get("checkpoint_id"),
            "step": meta.get("step"), "source": meta.get("source"), "next": list(s.next),
            "shot": s.values.get("shot"), "attempt": s.values.get("attempt"),
            "redo": {k.removeprefix("redo_"): v for k, v in meta.items() if k.startswith("redo_")} or None})
    return entries
