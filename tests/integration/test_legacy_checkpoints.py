"""Runs checkpointed before the film's models moved to reelgraph.schema still load (and so still resume)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

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
