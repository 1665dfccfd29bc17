"""Break 2: a symbolic link planted at any name the studio writes in a run folder is refused; nothing is written
through it (to a file outside the folder, or to a new file where a dangling link points)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reelgraph.errors import ArtifactError
from reelgraph.run.checkpoints import sqlite_checkpointer
from reelgraph.run.folder import RunFolder
from reelgraph.run.lock import run_lock
from reelgraph.run.names import scratch_path
from reelgraph.run.safe_files import create_empty
from reliability.helpers import SMALL, clean_error, reel

WRITTEN = ["run.json", "summary.json", "script.json", "shots/shot01/kept.json", "shots/shot01/take1.mp4",
           "shots/shot01/take1_verdict.json", "masters/cat.png", "audio/music.wav", "audio/voice/en/shot01.wav",
           "subtitles/en.srt", "reel_final.mp4", "reel_final.v1.mp4"]
PID = os.getpid()
SCRATCH = [f".kept.{PID}.tmp.json", f".run.{PID}.tmp.json", f".reel_en.{PID}.tmp.mp4"]


class Outside:
    """A folder outside the run: a victim file a link points at, and a name a dangling link points at."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir()
        self.victim = root / "victim.txt"
        self.victim.write_bytes(b"the user's file")

    def plant(self, at: Path, dangling: bool) -> None:
        at.parent.mkdir(parents=True, exist_ok=True)
        at.symlink_to(self.root / f"new-{at.name}" if dangling else self.victim)

    def untouched(self) -> bool:
        names = [p.name for p in self.root.iterdir()]
        return self.victim.read_bytes() == b"the user's file" and names == ["victim.txt"]


@pytest.fixture
def outside(tmp_path: Path) -> Outside:
    return Outside(tmp_path / "outside")


@pytest.mark.parametrize("dangling", [False, True])
@pytest.mark.parametrize("rel", WRITTEN)
def test_a_link_at_a_written_name_is_refused(tmp_path: Path, outside: Outside, rel: str, dangling: bool) -> None:
    folder = RunFolder(tmp_path / "run")
    outside.plant(folder.root / rel, dangling)
    with pytest.raises(ArtifactError, match=r"link|outside the run folder|leaves the run folder"):
        folder.write_json(rel, {"x": 1})
    assert outside.untouched()


@pytest.mark.parametrize("name", SCRATCH)
def test_a_link_at_a_scratch_name_is_refused(tmp_path: Path, outside: Outside, name: str) -> None:
    folder = RunFolder(tmp_path / "run")
    final = {".kept": "shots/shot01/kept.json", ".run.": "run.json", ".reel_en": "reel_en.mp4"}
    rel = next(v for k, v in final.items() if name.startswith(k))
    outside.plant(folder.path(rel).with_name(name), dangling=False)
    with pytest.raises(ArtifactError, match="symbolic link"):
        folder.write_json(rel, {"x": 1})
    assert outside.untouched()
    assert not folder.path(rel).exists()


@pytest.mark.parametrize("tag", ["level-", "fit-"])
def test_a_link_at_a_media_helper_scratch_is_refused(tmp_path: Path, outside: Outside, tag: str) -> None:
    out = tmp_path / "run" / f".reel_en.{PID}.tmp.mp4"
    helper = scratch_path(out, tag, ".wav")
    outside.plant(helper, dangling=True)
    with pytest.raises(ArtifactError, match="symbolic link"):
        create_empty(out.parent, helper)
    assert outside.untouched()


def test_a_link_at_the_event_log_is_refused(tmp_path: Path, outside: Outside) -> None:
    folder = RunFolder(tmp_path / "run")
    outside.plant(folder.root / "events.jsonl", dangling=False)
    with pytest.raises(ArtifactError, match="symbolic link"):
        folder.log_event({"stage": "plan"})
    assert outside.untouched()


def test_a_link_at_the_lock_is_refused(tmp_path: Path, outside: Outside) -> None:
    out = tmp_path / "run"
    outside.plant(out / ".lock", dangling=True)
    with pytest.raises(ArtifactError, match="symbolic link"), run_lock(out):
        pass
    assert outside.untouched()


@pytest.mark.parametrize("side", ["", "-journal", "-wal", "-shm"])
def test_a_link_at_the_checkpoint_database_or_its_side_files_is_refused(tmp_path: Path, outside: Outside,
                                                                       side: str) -> None:
    db = tmp_path / "run" / "checkpoints.sqlite"
    outside.plant(db.with_name(db.name + side), dangling=side != "")
    with pytest.raises(ArtifactError, match="symbolic link"), sqlite_checkpointer(db):
        pass
    assert outside.untouched()


@pytest.mark.parametrize("name", [".lock", "events.jsonl", "checkpoints.sqlite-wal"])
def test_generate_refuses_a_planted_link_with_one_error(tmp_path: Path, outside: Outside, name: str) -> None:
    out = tmp_path / "run"
    outside.plant(out / name, dangling=name != "events.jsonl")
    proc = reel("generate", "--prompt", "A cat and a dog", "--out", str(out), *SMALL)
    clean_error(proc, 1, "symbolic link", name)
    assert outside.untouched()
