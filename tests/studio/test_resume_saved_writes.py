"""A run stopped after a step's writes were saved, but before its checkpoint, is not taken for finished."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reelgraph.run import lifecycle as runner
from studio.studio_helpers import TINY


def test_resume_applies_saved_writes_of_the_last_step(tmp_path: Path) -> None:
    out = tmp_path / "run"
    runner.generate(runner.parse_request(prompt="Two foxes race across a desert", shots=1, **TINY), out)
    reel = (out / "reel_final.mp4").read_bytes()
    with sqlite3.connect(out / "checkpoints.sqlite") as db:  # as if killed between compose's writes and checkpoint
        db.execute("DELETE FROM checkpoints WHERE checkpoint_id = (SELECT max(checkpoint_id) FROM checkpoints)")
    (out / "summary.json").unlink()
    state, worked = runner.resume(out)
    assert worked and state.final is not None and (out / "summary.json").exists()
    assert (out / "reel_final.mp4").read_bytes() == reel
    assert runner.resume(out)[1] is False
