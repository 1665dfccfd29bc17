"""The reel graph served by a real `langgraph dev` process, driven with langgraph-sdk as Studio drives it: approve an
edited script, stream to the end, read the state and the checkpoints, fork before a shot and render it again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from langgraph_sdk import get_client
from reel_helpers import run_async

from studio.studio_helpers import TINY

REQUEST = {"prompt": "Two foxes race across a desert", "shots": 2, "languages": ["en"], "approve_script": True,
           **TINY}


async def _stream(client: Any, thread: str, assistant: str, context: dict[str, str], **kw: Any) -> list[Any]:
    return [chunk async for chunk in client.runs.stream(thread, assistant, stream_mode=["updates", "custom"],
                                                        context=context, **kw)]


def _interrupts(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [i["value"] for task in state["tasks"] for i in task.get("interrupts", [])]


async def _session(url: str, out: Path) -> None:
    client = get_client(url=url)
    (assistant,) = await client.assistants.search(graph_id="reelgraph")
    aid = assistant["assistant_id"]

    schemas = await client.assistants.get_schemas(aid)
    fields = schemas["input_schema"]["properties"]
    assert {"prompt", "shots", "languages", "critic_threshold", "approve_script"} <= set(fields)
    assert fields["shots"]["maximum"] == 24
    assert {"profile", "out_dir"} <= set(schemas["context_schema"]["properties"])
    assert {"script", "done", "final", "notes"} <= set(schemas["state_schema"]["properties"])

    thread = (await client.threads.create())["thread_id"]
    context = {"out_dir": str(out)}
    first = await _stream(client, thread, aid, context, input=REQUEST)
    assert any(c.event == "updates" and "__interrupt__" in c.data for c in first)
    state = await client.threads.get_state(thread)
    assert state["next"] == ["approve"]
    (asked,) = _interrupts(state)
    assert asked["kind"] == "approve_script" and asked["error"] is None
    script = asked["script"]

    wrong = json.loads(json.dumps(script))
    wrong["shots"][0]["camera"] = "zoom"
    await _stream(client, thread, aid, context, command={"resume": {"script": wrong}})
    state = await client.threads.get_state(thread)
    assert state["next"] == ["approve"], "a wrong edit must leave the run paused"
    assert _interrupts(state)[0]["error"].startswith("script.shots.0.camera")
    assert not (out / "shots").exists()

    script["title"] = "Dune Foxes"
    chunks = await _stream(client, thread, aid, context, command={"resume": {"script": script}})
    assert not [c.data for c in chunks if c.event == "error"], "the run failed on the server"
    stages = [c.data["stage"] for c in chunks if c.event == "custom"]
    nodes = [next(iter(c.data)) for c in chunks if c.event == "updates"]
    assert stages[0] == "approve" and stages.count("commit") == 2 and stages[-1] == "compose"
    assert nodes[:2] == ["approve", "cast"] and nodes[-1] == "compose"

    final = await client.threads.get_state(thread)
    assert final["next"] == [] and final["values"]["script"]["title"] == "Dune Foxes"
    assert final["values"]["final"]["path"] == "reel_final.mp4" and (out / "reel_final.mp4").stat().st_size > 0
    assert [r["shot"] for r in final["values"]["done"]] == [1, 2]

    history = await client.threads.get_history(thread, limit=200)
    assert len(history) >= 20
    nexts = [h["next"] for h in history]
    assert nexts[0] == [] and ["approve"] in nexts and ["commit"] in nexts
    steps = [h["metadata"]["step"] for h in history]
    assert steps == sorted(steps, reverse=True)

    # time travel from the API: fork before shot 1 with a note, keep shot 2, render shot 1 again
    values = final["values"]
    base = next(h for h in history if h["next"] == ["direct"] and h["values"]["shot"] == 1
                and not h["values"].get("messages"))
    await client.threads.update_state(
        thread, {"notes": {"1": "smaller foxes"}, "redo_keep": [values["done"][1]], "music": values["music"],
                 "voices": values["voices"], "subtitles": values["subtitles"]},
        as_node="tools", checkpoint_id=base["checkpoint"]["checkpoint_id"])
    await _stream(client, thread, aid, context, input=None)
    redone = (await client.threads.get_state(thread))["values"]
    assert [(r["shot"], r["kept"]) for r in redone["done"]] == [(1, 2), (2, 1)]
    assert redone["done"][1] == values["done"][1]
    assert redone["done"][0]["takes"][0]["requests"][0]["args"]["prompt"].endswith("smaller foxes")
    assert (out / "reel_final.v1.mp4").read_bytes() != (out / "reel_final.mp4").read_bytes()


def test_studio_api_approve_edit_stream_history(dev_server: tuple[str, Path], tmp_path: Path) -> None:
    url, home = dev_server
    run_async(_session(url, tmp_path / "reel"))
    assert (home / "checkpoints.sqlite").stat().st_size > 0, "the server used reelgraph's checkpointer"
