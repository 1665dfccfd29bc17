"""Runs checkpointed before the film's models moved to reelgraph.schema still load (and so still resume)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from reel_helpers import cli

from reelgraph.graph import build_graph
from reelgraph.run.checkpoints import sqlite_checkpointer
from reelgraph.schema import Artifact, Script, ShotResult, Verdict

FIXTURE = Path(__file__).parents[1] / "fixtures" / "pre_move_run"


def test_checkpoint_written_before_the_move_loads_as_the_films_types(tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run)
    thread = json.loads((run / "run.json").read_text())["run_id"]
    raw = (run / "checkpoints.sqlite").read_bytes()
    assert b"reelgraph.state" in raw and b"reelgraph.schema" not in raw  # made by the code before the move
    with sqlite_checkpointer(run / "checkpoints.sqlite") as saver:
        graph = build_graph(checkpointer=saver)
        config = {"configurable": {"thread_id": thread, "out_dir": str(run)}}
        values = graph.get_state(config).values
        history = list(graph.get_state_history(config))
    assert isinstance(values["script"], Script)
    assert values["script"] == Script.model_validate_json((run / "script.json").read_text())
    assert [r.shot for r in values["done"]] == [1, 2]
    assert all(isinstance(r, ShotResult) and isinstance(r.best.verdict, Verdict) for r in values["done"])
    assert isinstance(values["final"], Artifact) and values["final"].path == "reel_final.mp4"
    assert len(history) > 10 and all(isinstance(s.values.get("script"), Script | None) for s in history)


def test_a_run_sent_out_in_chains_before_the_music_node_was_renamed_resumes(tmp_path: Path) -> None:
    """The fixture was checkpointed by the code before `score` became `parallel_music`, right after cast sent out
    two chains and the score (what a Ray run checkpoints); resumed now, the chains run and `music` makes the score."""
    run = tmp_path / "run"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "pre_rename_fanout", run)
    thread = json.loads((run / "run.json").read_text())["run_id"]
    with sqlite3.connect(run / "checkpoints.sqlite") as db:
        sent = [v for c, v in db.execute("SELECT channel, value FROM writes") if c == "__pregel_tasks"]
    assert sum(b"Send\x92\xa5score" in v for v in sent) == 1, "the old code sent the score to `score`"
    with sqlite_checkpointer(run / "checkpoints.sqlite") as saver:
        before = build_graph(checkpointer=saver).get_state({"configurable": {"thread_id": thread}})
    assert before.next == ("chain", "chain") and before.values.get("music") is None  # the unknown task is skipped
    proc = cli("resume", "--out", str(run))
    assert proc.returncode == 0, proc.stderr[-2000:]
    with sqlite_checkpointer(run / "checkpoints.sqlite") as saver:
        after = build_graph(checkpointer=saver).get_state({"configurable": {"thread_id": thread}}).values
    assert [r.shot for r in after["done"]] == [1, 2, 3]
    assert isinstance(after["music"], Artifact) and (run / after["music"].path).is_file()
    assert (run / "reel_final.mp4").stat().st_size > 0
