"""Isolation of graph runs in one process (what a LangGraph server is): a run holds its folder against every other
run, a folder belongs to one thread (paused or done), and a cancelled run ends its child processes and writes before
its folder is given back, so that continuing the thread works. The races are made deterministic by pause points."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from reel_helpers import run_async

from front_doors.conftest import TINY
from reelgraph.errors import UsageError
from reelgraph.graph import build_graph
from reelgraph.run.checkpoints import serializer
from reelgraph.run.folder import RunFolder
from reelgraph.run.hold import HELD
from reelgraph.run.pause import PAUSE_ENV, RELEASE_ENV
from reelgraph.schema import Artifact

REQUEST = {"prompt": "Mina the potter shapes a tall blue vase in her studio", "shots": 2, **TINY}


@pytest.fixture
def pause(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Runs of this process wait at their first ffmpeg process until the yielded file exists."""
    release = tmp_path / "release"
    monkeypatch.setenv(PAUSE_ENV, "ffmpeg")
    monkeypatch.setenv(RELEASE_ENV, str(release))
    yield release
    release.touch()  # never leave a paused graph thread behind


def _reached(release: Path, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not Path(f"{release}.reached").exists():
        assert time.monotonic() < deadline, "the run never reached its first ffmpeg"
        time.sleep(0.02)


def _ffmpeg_children() -> set[int]:
    """Pids of this process's ffmpeg children that are alive (not zombies)."""
    found: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"ffmpeg" in cmd and stat.rsplit(")", 1)[1].split()[0] != "Z":
                found.add(int(pid))
    return found


def _config(thread: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}}


def test_a_second_thread_is_refused_the_folder_while_a_run_holds_it_and_after(tmp_path: Path,
                                                                              pause: Path) -> None:
    out = tmp_path / "reel"
    graph = build_graph(checkpointer=InMemorySaver(serde=serializer()))
    done: dict[str, Any] = {}
    first = threading.Thread(target=lambda: done.update(
        out=graph.invoke(REQUEST, _config("alpha"), context={"out_dir": str(out)})))
    first.start()
    _reached(pause)
    with pytest.raises(UsageError, match=r"in use by another reelgraph run \(thread alpha, in this process\)"):
        graph.invoke(REQUEST, _config("beta"), context={"out_dir": str(out)})
    pause.touch()
    first.join(120)
    assert done["out"]["final"].path == "reel_final.mp4"
    kept = (out / "reel_final.mp4").read_bytes()
    with pytest.raises(UsageError, match="belongs to thread 'alpha'"):
        graph.invoke(REQUEST, _config("beta"), context={"out_dir": str(out)})
    assert (out / "reel_final.mp4").read_bytes() == kept and out.resolve() not in HELD


def test_a_thread_paused_at_approval_keeps_its_folder(tmp_path: Path) -> None:
    out = tmp_path / "reel"
    graph = build_graph(checkpointer=InMemorySaver(serde=serializer()))
    paused = graph.invoke(REQUEST | {"approve_script": True}, _config("gamma"), context={"out_dir": str(out)})
    (asked,) = paused["__interrupt__"]
    assert asked.value["folder"] == str(out.resolve())
    assert "no run holds the run folder" in asked.value["description"] and out.resolve() not in HELD
    with pytest.raises(UsageError, match="belongs to thread 'gamma'"):
        graph.invoke(REQUEST, _config("delta"), context={"out_dir": str(out)})
    finished = graph.invoke(Command(resume={"approved": True}), _config("gamma"), context={"out_dir": str(out)})
    assert finished["final"].path == "reel_final.mp4"


async def _cancel_then_continue(out: Path, release: Path) -> None:
    graph = build_graph(checkpointer=InMemorySaver(serde=serializer()))
    context = {"out_dir": str(out)}

    async def run() -> None:
        async for _ in graph.astream(REQUEST, _config("eps"), context=context):
            pass

    task = asyncio.create_task(run())
    await asyncio.to_thread(_reached, release)
    (child,) = _ffmpeg_children()
    task.cancel()
    for _ in range(500):  # the cancelled run ends its ffmpeg while its graph thread is still paused
        if child not in _ffmpeg_children():
            break
        await asyncio.sleep(0.02)
    assert child not in _ffmpeg_children(), "the cancelled run's ffmpeg is still running"
    hold = HELD[out.resolve()]
    assert hold.cancelled.is_set(), "the folder is held until the paused graph thread has ended"
    release.touch()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(500):
        if hold.released:
            break
        await asyncio.sleep(0.02)
    assert hold.released and out.resolve() not in HELD
    assert not list(out.glob("shots/shot01/take*.mp4")), "the cancelled write was not put in place"

    async for _ in graph.astream(None, _config("eps"), context=context):
        pass
    values = (await graph.aget_state(_config("eps"))).values
    final = values["final"]
    assert isinstance(final, Artifact) and RunFolder(out).verify(final)
    assert [d.shot for d in values["done"]] == [1, 2]


def test_a_cancelled_run_ends_its_processes_and_writes_then_its_thread_continues(tmp_path: Path,
                                                                               pause: Path) -> None:
    run_async(_cancel_then_continue(tmp_path / "reel", pause))
