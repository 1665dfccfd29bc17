"""Model step progress: a backend's `progress.report` reaches the custom stream with its node, shot and attempt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from rich.console import Console
from rich.progress import Progress

from reelgraph import build_graph, progress
from reelgraph.backends.procedural.video import ProceduralVideoBackend
from reelgraph.cli import ProgressView
from studio.studio_helpers import TINY


def test_backend_steps_stream_with_their_shot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    animate = ProceduralVideoBackend.animate

    def stepping(self: Any, keyframe: Path, motion: Any, out: Path) -> Any:
        for i in range(3):
            progress.report(i + 1, 3, "denoise")
        return animate(self, keyframe, motion, out)

    monkeypatch.setattr(ProceduralVideoBackend, "animate", stepping)
    graph = build_graph(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "p", "out_dir": str(tmp_path / "p")}}
    request = {"prompt": "Two foxes race across a desert", "shots": 2, **TINY}
    view = ProgressView(Progress(console=Console(file=open("/dev/null", "w"))), 2)  # noqa: SIM115
    steps = []
    for mode, chunk in graph.stream(request, config, stream_mode=["updates", "custom"]):
        view(mode, chunk)
        if mode == "custom" and chunk["stage"] == "progress":
            steps.append({k: chunk[k] for k in ("node", "shot", "attempt", "tool", "what", "step", "of")})
    assert steps == [{"node": "shot", "shot": s, "attempt": 1, "tool": "animate_keyframe", "what": "denoise",
                      "step": i, "of": 3} for s in (1, 2) for i in (1, 2, 3)]
    assert "progress" not in (tmp_path / "p" / "events.jsonl").read_text(), "steps stay out of the event log"


def test_report_outside_a_run_is_silent() -> None:
    with progress.scope(node="music"):
        progress.report(1, 2, "x")
        assert progress.current() == {"node": "music"}
    assert progress.current() == {}
