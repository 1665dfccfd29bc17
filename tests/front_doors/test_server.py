"""The front doors through a real `langgraph dev` and langgraph-sdk (what Studio calls): the context form reaches the
run, the run checkpoints synchronously, project errors reach the client with their type and message, a plain state
update of a past checkpoint runs again from there, and the schemas and the drawn graph are Studio's forms."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from langgraph_sdk import get_client
from reel_helpers import run_async

from front_doors.conftest import TINY
from reelgraph.languages import LANGUAGES

REQUEST = {"prompt": "Two foxes race across a desert", "shots": 2, **TINY}


async def _assistant(client: Any) -> str:
    (assistant,) = await client.assistants.search(graph_id="reelgraph")
    return str(assistant["assistant_id"])


async def _run(client: Any, thread: str, aid: str, context: dict[str, Any], **kw: Any) -> list[Any]:
    return [c async for c in client.runs.stream(thread, aid, stream_mode=["updates", "custom"], context=context,
                                                **kw)]


async def _schemas_and_graph(url: str) -> None:
    client = get_client(url=url)
    aid = await _assistant(client)
    schemas = await client.assistants.get_schemas(aid)
    fields = schemas["input_schema"]["properties"]
    assert [k for k, v in fields.items() if not v.get("description")] == []
    assert fields["languages"]["items"]["enum"] == list(LANGUAGES)
    assert set(schemas["output_schema"]["properties"]) == {"prompt", "done", "reels", "final"}
    assert set(schemas["context_schema"]["properties"]) == {"out_dir", "profile"}
    drawn = await client.assistants.get_graph(aid, xray=True)
    nodes = {n["id"] for n in drawn["nodes"]}
    assert {"parallel_music", "chain:direct", "chain:commit"} <= nodes
    assert {n for n in nodes if n != "__start__"} <= {e["target"] for e in drawn["edges"]}


def test_schemas_and_the_drawn_graph(dev_server: tuple[str, Path]) -> None:
    run_async(_schemas_and_graph(dev_server[0]))


async def _errors(url: str, tmp: Path) -> None:
    client = get_client(url=url)
    aid = await _assistant(client)
    thread = (await client.threads.create())["thread_id"]
    chunks = await _run(client, thread, aid, {"out_dir": str(tmp / "a"), "profile": "missing"}, input=REQUEST)
    (error,) = [c.data for c in chunks if c.event == "error"]
    assert error["error"] == "UsageError" and error["message"].startswith("profile 'missing': this server takes")

    linked = tmp / "linked"
    linked.mkdir()
    (linked / "events.jsonl").symlink_to(tmp / "elsewhere.jsonl")
    thread = (await client.threads.create())["thread_id"]
    chunks = await _run(client, thread, aid, {"out_dir": str(linked)}, input=REQUEST)
    (error,) = [c.data for c in chunks if c.event == "error"]
    assert error["error"] == "ArtifactError" and "events.jsonl" in error["message"]
    assert not (tmp / "elsewhere.jsonl").exists()


def test_project_errors_reach_the_client_with_their_type_and_message(dev_server: tuple[str, Path],
                                                                      tmp_path: Path) -> None:
    run_async(_errors(dev_server[0], tmp_path))


async def _run_and_travel(url: str, out: Path) -> None:
    client = get_client(url=url)
    aid = await _assistant(client)
    thread = (await client.threads.create())["thread_id"]
    chunks = await _run(client, thread, aid, {"out_dir": str(out)}, input=REQUEST)
    assert not [c.data for c in chunks if c.event == "error"]
    assert (out / "reel_final.mp4").stat().st_size > 0, "the context form's out_dir reached the run"
    (run,) = await client.runs.list(thread)
    assert run["kwargs"]["durability"] == "async", "what the server asks for when the client names none"
    history = await client.threads.get_history(thread, limit=200)
    assert {h["metadata"]["durability"] for h in history} == {"sync"}

    values = history[0]["values"]
    base = next(h for h in history if h["next"] == ["direct"] and h["values"]["shot"] == 2
                and not h["values"].get("messages"))
    await client.threads.update_state(thread, {"notes": {"2": "smaller foxes"}},
                                      checkpoint_id=base["checkpoint"]["checkpoint_id"])
    assert (await client.threads.get_state(thread))["next"] == ["direct"]
    await _run(client, thread, aid, {"out_dir": str(out)}, input=None)
    redone = (await client.threads.get_state(thread))["values"]
    assert [(r["shot"], r["kept"]) for r in redone["done"]] == [(1, 1), (2, 2)]
    assert redone["done"][0] == values["done"][0]
    assert redone["done"][1]["takes"][0]["requests"][0]["args"]["prompt"].endswith("smaller foxes")
    assert (out / "reel_final.v1.mp4").is_file()


def test_context_durability_and_time_travel_from_the_sdk(dev_server: tuple[str, Path], tmp_path: Path) -> None:
    run_async(_run_and_travel(dev_server[0], tmp_path / "reel"))


async def _wait_for(path: Path, limit: float = 90.0) -> None:
    for _ in range(int(limit / 0.05)):
        if path.exists():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


async def _isolation(url: str, tmp: Path) -> None:
    client = get_client(url=url)
    aid = await _assistant(client)
    longer = REQUEST | {"shots": 3}
    shared = tmp / "shared"
    first, second = [(await client.threads.create())["thread_id"] for _ in range(2)]
    running = await client.runs.create(first, aid, input=longer, context={"out_dir": str(shared)})
    await _wait_for(shared / "thread.json")  # the first thread's run holds the folder
    chunks = await _run(client, second, aid, {"out_dir": str(shared)}, input=REQUEST)
    (error,) = [c.data for c in chunks if c.event == "error"]
    assert error["error"] == "UsageError" and first in error["message"], error  # in use by it, or its folder
    await client.runs.join(first, running["run_id"])
    assert (shared / "reel_final.mp4").stat().st_size > 0

    out = tmp / "cancelled"
    thread = (await client.threads.create())["thread_id"]
    running = await client.runs.create(thread, aid, input=longer, context={"out_dir": str(out)})
    await _wait_for(out / "shots" / "shot01")
    await client.runs.cancel(thread, running["run_id"], wait=True)
    chunks = await _run(client, thread, aid, {"out_dir": str(out)}, input=None)
    assert not [c.data for c in chunks if c.event == "error"]
    values = (await client.threads.get_state(thread))["values"]
    assert [d["shot"] for d in values["done"]] == [1, 2, 3] and (out / values["final"]["path"]).stat().st_size > 0


def test_two_threads_on_one_folder_and_cancel_then_continue(dev_server: tuple[str, Path], tmp_path: Path) -> None:
    run_async(_isolation(dev_server[0], tmp_path))
