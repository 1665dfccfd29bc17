"""LangGraph checkpointers for reels: SQLite in the run folder by default, or PostgreSQL; state types allowed."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reelgraph.errors import ReelgraphError, UsageError
from reelgraph.run.safe_files import sqlite_file

STATE_TYPES = ("Script", "Character", "Shot", "VoiceLine", "MusicBrief", "Artifact", "Verdict", "Take", "ShotResult")
LEGACY_MODULE = "reelgraph.state"
URL_ENV = "REELGRAPH_CHECKPOINT_URL"
POSTGRES_SCHEMES = ("postgres://", "postgresql://")


def serializer() -> Any:
    """LangGraph's serializer, allowed to restore the reel's own pydantic types (and nothing else unknown)."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    import reelgraph.schema as schema

    current = [(getattr(schema, name).__module__, name) for name in STATE_TYPES]
    legacy = [(LEGACY_MODULE, name) for name in STATE_TYPES]  # checkpoints written before reelgraph.schema existed
    return JsonPlusSerializer(allowed_msgpack_modules=current + legacy)


def checkpoint_url(url: str | None = None) -> str | None:
    """The PostgreSQL URL to use: the one given, else $REELGRAPH_CHECKPOINT_URL, else None (SQLite)."""
    url = url or os.environ.get(URL_ENV) or None
    if url is not None and not url.startswith(POSTGRES_SCHEMES):
        raise UsageError(f"--checkpoint {redact(url)!r}: expected a postgres:// or postgresql:// URL")
    return url


def redact(url: str) -> str:
    """The URL without its password (for logs and run.json)."""
    url = re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)
    return re.sub(r"(?i)([?&]password=)[^&]*", r"\1***", url)


@contextmanager
def sqlite_checkpointer(path: Path) -> Iterator[Any]:
    """LangGraph's SQLite checkpointer on `path`; a damaged or foreign database is a clear error."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = sqlite_file(path.parent, path)  # no link at its name or at the files SQLite makes beside it
    conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        saver = SqliteSaver(conn, serde=serializer())
        saver.setup()
        yield saver
    except sqlite3.OperationalError as e:
        if any(word in str(e) for word in ("full", "readonly", "read-only", "disk I/O")):
            raise  # the file system's refusal, not damage: named by the caller (reelgraph.run.disk)
        raise ReelgraphError(f"checkpoint database {path} is unreadable: {e}") from e
    except sqlite3.DatabaseError as e:
        raise ReelgraphError(f"checkpoint database {path} is unreadable: {e}") from e
    finally:
        conn.close()


@contextmanager
def postgres_checkpointer(url: str) -> Iterator[Any]:
    """LangGraph's PostgreSQL checkpointer on `url` (tables created on first use); unreachable is a clear error."""
    try:
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
    except ImportError as e:
        raise UsageError(f"PostgreSQL checkpoints need the studio extra: pip install 'reelgraph[studio]' ({e})") from e
    try:
        conn = psycopg.connect(url, autocommit=True, prepare_threshold=0, row_factory=dict_row, connect_timeout=10)
    except psycopg.Error as e:
        raise ReelgraphError(f"checkpoint database {redact(url)} is unreachable: {e}".strip()) from e
    with conn:
        saver = PostgresSaver(conn, serde=serializer())
        saver.setup()
        yield saver
