"""Break 10: a client of the served graph (what `langgraph dev` serves) cannot choose where files go or what is
imported: run folders stay in the operator's runs folder, profiles are names from the operator's folder, backend
import paths come only from the operator's allow-list. The graph built for the CLI and Python is not confined."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from reelgraph.errors import UsageError
from reelgraph.graph import served_graph as served
from reelgraph.run.served import BACKENDS_ENV, PROFILES_ENV, RUNS_ENV

REQUEST = {"prompt": "A fox runs.", "shots": 1, "shot_seconds": 2.0, "width": 160, "height": 90, "fps": 8,
           "critic": False}


@pytest.fixture
def operator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    runs, profiles, outside = tmp_path / "runs", tmp_path / "profiles", tmp_path / "outside"
    for folder in (runs, profiles, outside):
        folder.mkdir()
    (runs / "link").symlink_to(outside)
    (profiles / "plugin.toml").write_text('[image]\nbackend = "reelgraph_marker_mod:Image"\n', encoding="utf-8")
    (tmp_path / "reelgraph_marker_mod.py").write_text(
        f"open({str(tmp_path / 'imported')!r}, 'w').close()\nclass Image: ...\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(outside)  # an unconfined relative out_dir would land here, where the tests look
    monkeypatch.setenv(RUNS_ENV, str(runs))
    monkeypatch.setenv(PROFILES_ENV, str(profiles))
    monkeypatch.delenv(BACKENDS_ENV, raising=False)
    return {"runs": runs, "outside": outside, "root": tmp_path}


def _run(thread: str, **configurable: Any) -> Any:
    return served.invoke(REQUEST, {"configurable": {"thread_id": thread, **configurable}})


@pytest.mark.parametrize("out_dir", ["ABSOLUTE", "../escape", "link/run"])
def test_a_run_folder_outside_the_runs_folder_is_refused(operator: dict[str, Path], out_dir: str) -> None:
    target = str(operator["outside"] / "run") if out_dir == "ABSOLUTE" else out_dir
    with pytest.raises(UsageError, match=RUNS_ENV):
        _run("t", out_dir=target)
    assert list(operator["outside"].iterdir()) == [] and not (operator["root"] / "escape").exists()


@pytest.mark.parametrize("profile", ["/etc/reelgraph.toml", "../profiles/plugin", {"image": {"backend": "x:Y"}},
                                     "missing"])
def test_a_profile_that_is_no_name_from_the_profiles_folder_is_refused(operator: dict[str, Path],
                                                                       profile: Any) -> None:
    with pytest.raises(UsageError, match="profile"):
        _run("t", out_dir="a", profile=profile)


def test_a_backend_import_path_off_the_allow_list_is_never_imported(operator: dict[str, Path]) -> None:
    with pytest.raises(UsageError, match=BACKENDS_ENV):
        _run("t", out_dir="b", profile="plugin")
    assert "reelgraph_marker_mod" not in sys.modules and not (operator["root"] / "imported").exists()


def test_a_run_inside_the_runs_folder_is_made_there(operator: dict[str, Path]) -> None:
    out = _run("thread-1")
    assert out["final"].path == "reel_final.mp4"
    assert (operator["runs"] / "thread-1" / "reel_final.mp4").is_file()



def test_inside_the_runs_folder_an_absolute_out_dir_is_taken(operator: dict[str, Path]) -> None:
    out = _run("t3", out_dir=str(operator["runs"] / "abs"))
    assert out["final"].path == "reel_final.mp4" and (operator["runs"] / "abs" / "reel_final.mp4").is_file()


def test_without_a_runs_folder_set_runs_land_in_outputs_of_the_servers_folder(
        operator: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RUNS_ENV)
    monkeypatch.chdir(operator["root"])
    with pytest.raises(UsageError, match=RUNS_ENV):
        _run("t", out_dir=str(operator["outside"] / "run"))
    out = _run("t4")
    assert out["final"].path == "reel_final.mp4" and (operator["root"] / "outputs/t4/reel_final.mp4").is_file()
    assert list(operator["outside"].iterdir()) == []


def test_the_server_serves_the_confined_graph_and_python_keeps_its_own(operator: dict[str, Path]) -> None:
    import json

    from reelgraph.graph import graph

    entry = json.loads((Path(__file__).parents[2] / "langgraph.json").read_text())["graphs"]["reelgraph"]
    assert entry == "reelgraph.graph:served_graph"
    out = graph.invoke(REQUEST, {"configurable": {"thread_id": "t5", "out_dir": str(operator["outside"] / "py")}})
    assert out["final"].path == "reel_final.mp4" and (operator["outside"] / "py/reel_final.mp4").is_file()
