"""Redo a shot by time travel: fork the run at the checkpoint before the shot, with a note for the Director.

Shot N is rendered again with `notes[N]`, and so is each following shot that continues it (transition "continuous":
it starts on the previous shot's last frame), down the chain. The other committed shots are kept (`redo_keep`, put
back into `done` once the chain is committed), and so are the script as it is now, the score and the voice tracks
(they depend on the script only); the reel is composed again. The previous reels stay on disk as
`reel_<x>.v<k>.mp4` (`archive_reels`), and new takes continue the shot's attempt numbering (`free_attempt`), so no
file of the earlier version is overwritten.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command, Overwrite
from pydantic import Field

from reelgraph.errors import UsageError
from reelgraph.run.folder import RunFolder, sha256_file
from reelgraph.schema import Script, ShotResult
from reelgraph.state import ReelState
from reelgraph.tools.common import script_of

_TAKE_FILE = re.compile(r"^take(\d+)[._]")
_VERSION = re.compile(r"^reel_final\.v(\d+)\.mp4$")


class ForkState(ReelState):
    """The state as the commit node sees it: with the private channels of a redo (not graph input or output)."""

    redo_chain: list[int] = Field(default_factory=list, description="shots still to render again after this one")
    redo_keep: list[ShotResult] = Field(default_factory=list, description="committed shots a redo keeps")


def continuous_chain(script: Script, shot: int) -> list[int]:
    """`shot` and every following shot that continues the one before it, in order."""
    chain = [shot]
    while chain[-1] < len(script.shots) and script.shots[chain[-1]].transition == "continuous":
        chain.append(chain[-1] + 1)
    return chain


def free_attempt(folder: RunFolder, shot: int, attempt: int) -> int:
    """`attempt`, or the next number after every take of the shot on disk when `attempt` already has files."""
    shot_dir = folder.root / "shots" / f"shot{shot:02d}"
    taken = {int(m.group(1)) for p in shot_dir.glob("take*") if (m := _TAKE_FILE.match(p.name))} \
        if shot_dir.is_dir() else set()
    return max(taken) + 1 if attempt in taken else attempt


def archive_reels(folder: RunFolder, languages: list[str]) -> tuple[int, list[str]] | None:
    """Keep the current reels as reel_<x>.v<k>.mp4 (k = next free version) before new ones are composed."""
    if not (folder.root / "reel_final.mp4").is_file():
        return None
    versions = [int(m.group(1)) for p in folder.root.glob("reel_final.v*.mp4") if (m := _VERSION.match(p.name))]
    version = max(versions, default=0) + 1
    kept = []
    for name in ["final", *languages]:
        src = folder.root / f"reel_{name}.mp4"
        if src.is_file():
            dst = folder.root / f"reel_{name}.v{version}.mp4"
            try:
                os.link(src, dst)  # compose replaces reels atomically: the link keeps the old bytes
            except OSError:
                with folder.writing(dst.name) as tmp:  # the checked path: never through a link at dst
                    shutil.copyfile(src, tmp)
            kept.append(dst.name)
    return version, kept


def _same_file(a: Path, b: Path) -> bool:
    """True when `a` and `b` are the same file (a hard link) or have the same bytes."""
    if not a.is_file() or not b.is_file():
        return False
    return os.path.samefile(a, b) or (a.stat().st_size == b.stat().st_size and sha256_file(a) == sha256_file(b))


def drop_if_unchanged(folder: RunFolder, archived: tuple[int, list[str]], final_sha: str) -> bool:
    """Remove an archived version identical to the new reel, or to the version before it (compose ran again after a
    stop: the stopped one archived the same reel already); True if removed."""
    version, names = archived
    old = folder.root / f"reel_final.v{version}.mp4"
    if not old.is_file():
        return False
    if sha256_file(old) != final_sha and not _same_file(old, folder.root / f"reel_final.v{version - 1}.mp4"):
        return False
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            (folder.root / name).unlink()
    return True


def base_checkpoint(graph: Any, config: RunnableConfig, shot: int) -> Any:
    """The newest checkpoint in the run's history where `shot` is about to start (no take of it yet); for a run made
    in parallel chains, the checkpoint where the chains were sent out (the redo then renders its chain in order)."""
    fan_out = None
    for snap in graph.get_state_history(config):
        values = snap.values
        if (snap.next == ("direct",) and values.get("shot") == shot and not values.get("takes")
                and not values.get("messages") and snap.metadata.get("source") == "loop"):
            return snap
        if fan_out is None and "chain" in snap.next and set(snap.next) <= {"chain", "parallel_music", "score"} \
                and snap.metadata.get("source") == "loop":
            fan_out = snap  # a run whose chains were made in parallel (Ray): fork where they were sent out
    return fan_out


def fork_metadata(plan: dict[str, Any]) -> dict[str, str | int]:
    """The fork checkpoint's metadata (checkpointers keep flat strings and numbers only)."""
    return {"redo_shot": plan["shot"], "redo_note": plan["note"] or "", "redo_chain": ",".join(map(str, plan["chain"])),
            "redo_from": plan["from_checkpoint"]}


def fork(graph: Any, config: RunnableConfig, shot: int, note: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fork a finished run at the checkpoint before `shot`; returns the fork's config and what the redo does."""
    head = graph.get_state(config)
    if not head.values:
        raise UsageError("the run has not started: nothing to redo")
    state = ReelState.model_validate(head.values)
    if head.next or state.final is None:
        raise UsageError("the run is not finished: finish it first with `reelgraph resume`")
    script = script_of(state)
    if not 1 <= shot <= len(script.shots):
        raise UsageError(f"--shot {shot}: the script has shots 1..{len(script.shots)}")
    base = base_checkpoint(graph, config, shot)
    if base is None:
        raise UsageError(f"no checkpoint before shot {shot} in the run's history")
    chain = continuous_chain(script, shot)
    notes = dict(state.notes)
    if note:
        notes[shot] = note
    plan = {"shot": shot, "note": notes.get(shot), "chain": chain,
            "kept": [r.shot for r in state.done if r.shot not in chain],
            "from_checkpoint": base.config["configurable"]["checkpoint_id"],
            "head_checkpoint": head.config["configurable"]["checkpoint_id"], "t": round(time.time(), 3)}
    update = {
        "done": Overwrite([r for r in state.done if r.shot < shot]), "shot": shot, "attempt": 1, "takes": [],
        "notes": notes,
        "redo_chain": chain[1:], "redo_keep": [r for r in state.done if r.shot > chain[-1]],
        "script": script, "music": state.music, "voices": state.voices, "subtitles": state.subtitles,
    }
    fork_config = graph.update_state({**base.config, "metadata": fork_metadata(plan)},
                                     Command(goto="direct", update=update), as_node="commit")
    plan["fork_checkpoint"] = fork_config["configurable"]["checkpoint_id"]
    return fork_config, plan
