"""A `langgraph dev` killed in the middle of a run, with PostgreSQL checkpoints: what the restarted server still knows,
and the documented recovery (re-create the thread under its id, recorded in the run folder's `thread.json`, and
continue it: the shots committed before the kill are kept, not made again)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

from langgraph_sdk import get_client
from langgraph_sdk.errors import NotFoundError
from reel_helpers import run_async
from studio.conftest import launch_dev_server, stop_dev_server

from front_doors.conftest import TINY

REQUEST = {"prompt": "A lighthouse keeper rows out to a stranded seal pup at dawn", "shots": 3, **TINY}


async def _start(url: str, out: Path) -> tuple[str, float]:
    client = get_client(url=url)
    (assistant,) = await client.assistants.search(graph_id="reelgraph")
    thread = (await client.threads.create())["thread_id"]
    await client.runs.create(thread, assistant["assistant_id"], input=REQUEST, context={"out_dir": str(out)})
    kept = out / "shots" / "shot01" / "kept.json"
    for _ in range(1800):
        if kept.exists() and (out / "shots" / "shot02").exists():
            return thread, kept.stat().st_mtime
        await asyncio.sleep(0.05)
    raise AssertionError("the run never committed its first shot")


async def _recover(url: str, out: Path, thread: str) -> dict[str, Any]:
    client = get_client(url=url)
    (assistant,) = await client.assistants.search(graph_id="reelgraph")
    try:
        await client.threads.get(thread)
        found = True
    except NotFoundError:
        found = False
    assert json.loads((out / "thread.json").read_text())["thread_id"] == thread
    if not found:
        await client.threads.create(thread_id=thread, metadata={"graph_id": "reelgraph"})
    before = (await client.threads.get_state(thread))["values"]
    assert [d["shot"] for d in before["done"]][:1] == [1], "the checkpoints outlived the server"
    await client.runs.wait(thread, assistant["assistant_id"], input=None, context={"out_dir": str(out)})
    after = (await client.threads.get_state(thread))["values"]
    return {"found": found, "before": before, "after": after}


def test_a_killed_server_is_recovered_from_its_postgres_checkpoints(postgres_url: str, tmp_path: Path) -> None:
    home, out = tmp_path / "server", tmp_path / "runs" / "keeper"
    home.mkdir()
    env = {"REELGRAPH_CHECKPOINT_URL": postgres_url, "REELGRAPH_SERVER_RUNS": str(tmp_path / "runs")}
    proc, url = launch_dev_server(home, env)
    try:
        thread, first_kept = run_async(_start(url, out))
        os.killpg(proc.pid, signal.SIGKILL)  # the whole server, in the middle of the run
        proc.wait()
    finally:
        stop_dev_server(proc)
    proc, url = launch_dev_server(home, env)
    try:
        seen = run_async(_recover(url, out, thread))
    finally:
        stop_dev_server(proc)
    print("thread record after the kill:", "kept" if seen["found"] else "lost")
    assert [d["shot"] for d in seen["after"]["done"]] == [1, 2, 3]
    assert (out / seen["after"]["final"]["path"]).stat().st_size > 0
    assert (out / "shots" / "shot01" / "kept.json").stat().st_mtime == first_kept, "shot 1 was made again"
