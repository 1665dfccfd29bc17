"""LangGraph checkpointers for reels: SQLite in the run folder by default, with the state's types allowed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reelgraph.errors import ReelgraphError

STATE_TYPES = ("Script", "Character", "Shot", "VoiceLine", "MusicBrief", "Artifact", "Verdict", "Take", "ShotResult")


def serializer() -> Any:
    """LangGraph's serializer, allowed to restore the reel's own pydantic types (and nothing else unknown)."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    return JsonPlusSerializer(allowed_msgpack_modules=[("reelgraph.state", name) for name in STATE_TYPES])


@contextmanager
def sqlite_checkpointer(path: Path) -> Iterator[Any]:
    """LangGraph's SQLite checkpointer on `path`; a damaged or foreign database is a clear error."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        saver = SqliteSaver(conn, serde=serializer())
        saver.setup()
        yield saver
    except sqlite3.DatabaseError as e:
        raise ReelgraphError(f"checkpoint database {path} is unreadable: {e}") from e
    finally:
        conn.close()
