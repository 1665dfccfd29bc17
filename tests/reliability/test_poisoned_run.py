"""Break 1: environmental tool failures are not the Director's mistakes; a run they stopped resumes and finishes.

A missing ffmpeg, an ffmpeg killed (as by the OOM killer) on every try, and Ctrl-C reaching the process group while
ffmpeg renders each stop the run with one clear error; nothing is stored as the Director's tool error, so `resume`
retries the step and finishes. A checkpoint poisoned by an earlier version (environmental errors stored as the
Director's) resumes too.
"""

from __future__ import annotations

import json
from pathlib import Path

from langchain_core.messages import AIMessage, ToolMessage

from reelgraph.graph import build_graph
from reelgraph.run.lifecycle import checkpointer, read_run, run_config
from reliability.helpers import SMALL, clean_error, fake_ffmpeg, reel

PROMPT = "A cat and a dog"


def _stored_tool_errors(out: Path) -> list[str]:
    run = read_run(out)
    with checkpointer(out, run) as saver:
        values = build_graph(checkpointer=saver).get_state(run_config(out, run)).values
    return [m.content for m in values.get("messages", []) if isinstance(m, ToolMessage) and m.status == "error"]


def _finishes(out: Path) -> None:
    proc = reel("resume", "--out", str(out), env={"REELGRAPH_FFMPEG": ""})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "reel_final.mp4").is_file()


def test_missing_ffmpeg_then_resume_finishes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = {"REELGRAPH_FFMPEG": "/nonexistent/ffmpeg"}
    clean_error(reel("generate", "--prompt", PROMPT, "--out", str(out), *SMALL, env=env), 1,
                "/nonexistent/ffmpeg", "cannot be started", "reelgraph resume")
    clean_error(reel("resume", "--out", str(out), env=env), 1, "cannot be started")
    assert _stored_tool_errors(out) == []
    _finishes(out)


def test_ffmpeg_killed_on_every_try_then_resume_finishes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = {"REELGRAPH_FFMPEG": str(fake_ffmpeg(tmp_path, "kill -KILL $$"))}
    clean_error(reel("generate", "--prompt", PROMPT, "--out", str(out), *SMALL, env=env), 1, "killed by SIGKILL")
    clean_error(reel("resume", "--out", str(out), env=env), 1, "killed by SIGKILL")  # killed twice
    assert _stored_tool_errors(out) == []
    _finishes(out)


def test_ctrl_c_to_the_process_group_while_ffmpeg_renders(tmp_path: Path) -> None:
    out = tmp_path / "run"
    encoder = fake_ffmpeg(tmp_path, 'case "$*" in *rawvideo*) kill -INT 0; sleep 5;; esac')
    env = {"REELGRAPH_FFMPEG": str(encoder)}
    proc = reel("generate", "--prompt", PROMPT, "--out", str(out), *SMALL, env=env)
    clean_error(proc, 130, "interrupted")
    clean_error(reel("resume", "--out", str(out), env=env), 130, "interrupted")  # interrupted twice
    assert _stored_tool_errors(out) == []
    _finishes(out)


def test_a_checkpoint_poisoned_by_environmental_errors_resumes(tmp_path: Path) -> None:
    """Two environmental failures stored as tool errors (as an earlier version did) no longer stop the shot."""
    out = tmp_path / "run"
    env = {"REELGRAPH_FFMPEG": "/nonexistent/ffmpeg"}
    assert reel("generate", "--prompt", PROMPT, "--out", str(out), *SMALL, env=env).returncode == 1
    run = read_run(out)
    legacy = "Error: {}\n Please fix your mistakes."
    with checkpointer(out, run) as saver:
        graph, config = build_graph(checkpointer=saver), run_config(out, run)
        snapshot = graph.get_state(config)
        assert snapshot.next == ("tools",)
        call = snapshot.values["messages"][-1].tool_calls[0]
        again = {**call, "id": f"{call['id']}-again"}
        graph.update_state(config, {"messages": [
            ToolMessage(legacy.format("FileNotFoundError(2, 'No such file or directory')"), status="error",
                        tool_call_id=call["id"], name=call["name"]),
            AIMessage(content="", tool_calls=[again]),
            ToolMessage(legacy.format("BrokenPipeError(32, 'Broken pipe')"), status="error",
                        tool_call_id=again["id"], name=call["name"])]}, as_node="tools")
    assert len(_stored_tool_errors(out)) == 2
    _finishes(out)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["finished"] is True
