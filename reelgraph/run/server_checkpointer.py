"""The checkpointer `langgraph dev` gives the reel graph (langgraph.json "checkpointer"; the graph brings none).

PostgreSQL when $REELGRAPH_CHECKPOINT_URL is set, else SQLite at $REELGRAPH_STUDIO_DB (default
.langgraph_api/reelgraph.sqlite beside the server's own state); both with the reel's serializer.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from reelgraph.run.checkpoints import checkpoint_url, serializer

DB_ENV = "REELGRAPH_STUDIO_DB"
DEFAULT_DB = Path(".langgraph_api") / "reelgraph.sqlite"


@asynccontextmanager
async def create_checkpointer() -> AsyncIterator[Any]:
    """An async LangGraph checkpointer, set up and open for the server's lifetime."""
    url = checkpoint_url()
    if url:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg import AsyncConnection
        from psycopg.rows import dict_row

        async with await AsyncConnection.connect(url, autocommit=True, prepare_threshold=0,
                                                 row_factory=dict_row) as conn:
            saver = AsyncPostgresSaver(conn, serde=serializer())
            await saver.setup()
            yield saver
        return
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = Path(os.environ.get(DB_ENV) or DEFAULT_DB)
    path.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(str(path)) as conn:
        lite = AsyncSqliteSaver(conn, serde=serializer())
        await lite.setup()
        yield lite
