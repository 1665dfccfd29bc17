"""Reading what the studio did not just write (run.json, events.jsonl, script edits): bounded and validated.

Every read opens the file without blocking (a FIFO gives no hang), takes only a plain file (no device, no folder),
at most a set number of bytes, and a JSON nesting within the parser's depth: anything else is one error naming the
file (a `UsageError` for a file the user gives, a `ReelgraphError` for damage in the run folder).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reelgraph.errors import ReelgraphError, UsageError, first_error
from reelgraph.schema import ReelRequest

MAX_JSON_BYTES = 4 << 20
MAX_LOG_BYTES = 64 << 20


def read_bytes(path: Path, *, what: str, limit: int, error: type[ReelgraphError] = UsageError) -> bytes:
    """The bytes of a plain file, at most `limit` of them; anything else is `error` naming `what` and the path."""
    where = f"{what} {str(path)!r}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise error(f"{where}: {e.strerror or e}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{where} is not a plain file")
        if info.st_size > limit:
            raise error(f"{where} is {info.st_size} bytes, more than the {limit} bytes allowed")
        try:
            data = f.read(limit + 1)
        except OSError as e:
            raise error(f"{where}: {e.strerror or e}") from None
    if len(data) > limit:
        raise error(f"{where} is more than the {limit} bytes allowed")
    return data


def parse_json(data: bytes, where: str, error: type[ReelgraphError] = UsageError) -> Any:
    """JSON from bytes; not UTF-8, not JSON or nested too deep is `error` naming `where`."""
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise error(f"{where} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise error(f"{where} is not JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    except RecursionError:
        raise error(f"{where} nests its JSON too deep") from None


def read_json(path: Path, *, what: str, limit: int = MAX_JSON_BYTES,
              error: type[ReelgraphError] = UsageError) -> Any:
    """A JSON file, read bounded (see `read_bytes`) and parsed (see `parse_json`)."""
    return parse_json(read_bytes(path, what=what, limit=limit, error=error), f"{what} {str(path)!r}", error)


class RunRecord(BaseModel):
    """What run.json must hold: the run id (the checkpoints' thread), the profile, the request, where checkpoints
    are kept."""

    model_config = ConfigDict(extra="allow")

    run_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    profile: str = Field(min_length=1, max_length=4096)
    request: ReelRequest
    checkpoint: dict[str, str] = Field(default_factory=lambda: {"kind": "sqlite"})


def read_run_record(path: Path) -> dict[str, Any]:
    """run.json, validated: damage (not JSON, a wrong shape, a missing run id) is one error naming the file."""
    data = read_json(path, what="run file", error=ReelgraphError)
    try:
        record = RunRecord.model_validate(data)
    except ValidationError as e:
        raise ReelgraphError(f"run file {str(path)!r} is damaged: {first_error(e)}") from None
    return {**data, **record.model_dump(include={"run_id", "profile", "checkpoint"}),
            "request": record.request.model_dump()}


def read_events(path: Path) -> list[dict[str, Any]]:
    """The event log's events with a time and a stage; a line torn by a kill (or any unreadable line) is skipped."""
    if not path.exists():
        return []
    data = read_bytes(path, what="event log", limit=MAX_LOG_BYTES, error=ReelgraphError)
    events = []
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            event = json.loads(line) if line.strip() else None
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(event, dict) and isinstance(event.get("stage"), str) \
                and isinstance(event.get("t"), int | float) and not isinstance(event.get("t"), bool):
            events.append(event)
    return events
