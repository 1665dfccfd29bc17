"""Break 9 (files): every file the studio reads that a person or a crash can damage gives one clear error.

Script edits (`approve --edit`): nested 200 000 deep, /dev/zero, a FIFO, more than the bound; the planned
script.json corrupted before a plain `approve`; run.json `[]`, without `run_id`, not JSON; a line of events.jsonl
torn by a kill. Exit 2 for what the user gives, 1 for damage; never a traceback, never a hang.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from reelgraph.errors import ReelgraphError, UsageError
from reelgraph.run.lifecycle import read_run
from reelgraph.run.reading import MAX_JSON_BYTES
from reliability.helpers import SMALL, clean_error, reel


@pytest.fixture(scope="module")
def paused(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("paused") / "run"
    proc = reel("generate", "--prompt", "A cat and a dog", "--out", str(out), *SMALL, "--approve")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.fixture
def run(paused: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(paused, copy)
    return copy


def _edit_file(tmp_path: Path, kind: str) -> str:
    path = tmp_path / "edit.json"
    if kind == "deep":
        path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "big":
        with open(path, "wb") as f:
            f.truncate(MAX_JSON_BYTES + 1)
    else:
        return "/dev/zero"
    return str(path)


@pytest.mark.parametrize(("kind", "needle"), [("deep", "nests its JSON too deep"), ("zero", "not a plain file"),
                                              ("fifo", "not a plain file"), ("big", "bytes allowed")])
def test_a_hostile_edit_is_refused_and_the_run_stays_paused(run: Path, tmp_path: Path, kind: str,
                                                            needle: str) -> None:
    proc = reel("approve", "--out", str(run), "--edit", _edit_file(tmp_path, kind), timeout=60)
    clean_error(proc, 2, "--edit", needle)
    assert json.loads((run / "summary.json").read_text(encoding="utf-8"))["waiting"] == "approve_script"


def test_a_corrupt_planned_script_is_named_on_approve(run: Path) -> None:
    (run / "script.json").write_text('{"title": "half a scr', encoding="utf-8")
    clean_error(reel("approve", "--out", str(run)), 2, "script.json", "is not JSON")


def test_a_damaged_run_file_is_one_error_on_resume(run: Path) -> None:
    (run / "run.json").write_text("[]", encoding="utf-8")
    clean_error(reel("resume", "--out", str(run)), 1, "run.json", "is damaged")


@pytest.mark.parametrize(("content", "needle"), [('{"profile": "animatic"}', "run_id"), ("{not json", "is not JSON"),
                                                 ('{"run_id": "../x", "profile": "a", "request": {}}', "run_id"),
                                                 ('{"run_id": "r", "profile": "a", "request": []}', "request")])
def test_a_damaged_run_file_is_named(tmp_path: Path, content: str, needle: str) -> None:
    (tmp_path / "run.json").write_text(content, encoding="utf-8")
    with pytest.raises(ReelgraphError, match=needle) as err:
        read_run(tmp_path)
    assert "run.json" in str(err.value) and not isinstance(err.value, UsageError)


def test_a_torn_event_line_neither_fails_the_run_nor_leaves_a_stale_summary(run: Path) -> None:
    with open(run / "events.jsonl", "a", encoding="utf-8") as f:
        f.write('{"t": 17.5, "stage": "cas')  # a kill in the middle of an append
    proc = reel("approve", "--out", str(run))
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert summary["finished"] is True and summary["waiting"] is None
    assert summary["stage_seconds"]
    resumed = reel("resume", "--out", str(run))
    assert resumed.returncode == 0 and "already finished" in resumed.stderr, resumed.stderr[-3000:]
