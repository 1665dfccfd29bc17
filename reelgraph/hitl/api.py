"""A person's hand on a run: approve (or edit) the script, redo a shot with a note, read the run's history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from langgraph.types import Command

from reelgraph.errors import UsageError
from reelgraph.hitl.interrupts import pending_approval, validate_script
from reelgraph.run.lifecycle import EventSink, checkpointer, execute, read_run, redo, run_config, snapshot_of
from reelgraph.schema import ReelRequest, Script
from reelgraph.state import ReelState


def read_edit(path: Path) -> Any:
    """The JSON of an edited script file (a usage error when it cannot be read)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"--edit {str(path)!r}: {e.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"--edit {str(path)!r} is not JSON: {e}") from None


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
        if on_disk.is_file() and json.loads(on_disk.read_text(encoding="utf-8")) != planned.model_dump(mode="json"):
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
    with checkpointer(out, run, checkpoint) as saver:
        snaps = list(build_graph(checkpointer=saver).get_state_history(run_config(out, run)))
    return [{"id": s.config["configurable"]["checkpoint_id"],
             "parent": (s.parent_config or {}).get("configurable", {}).get("checkpoint_id"),
             "step": s.metadata.get("step"), "source": s.metadata.get("source"), "next": list(s.next),
             "shot": s.values.get("shot"), "attempt": s.values.get("attempt"),
             "redo": {k.removeprefix("redo_"): v for k, v in s.metadata.items() if k.startswith("redo_")} or None}
            for s in snaps]
