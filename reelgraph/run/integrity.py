"""Checks that what a run's state records is still on disk as it was made (path + sha256), and sweeps partials."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reelgraph.run.folder import RunFolder, sha256_file
from reelgraph.run.names import is_studio_scratch, owned_folders
from reelgraph.schema import Artifact
from reelgraph.state import ReelState


@dataclass(frozen=True)
class Broken:
    """An artifact the state records whose file is missing or no longer has its hash."""

    path: str
    reason: str
    shot: int | None = None

    def __str__(self) -> str:
        return f"{self.path} ({self.reason})"


def _check(folder: RunFolder, art: Artifact | None, shot: int | None = None) -> Broken | None:
    if art is None:
        return None
    full = folder.path(art.path)
    if not full.is_file():
        return Broken(art.path, "missing", shot)
    if not folder.verify(art):
        return Broken(art.path, "changed since it was made (sha256 differs)", shot)
    return None


def _check_side(folder: RunFolder, ref: Any, shot: int | None = None) -> Broken | None:
    """A side file an artifact's metadata names as {"path", "sha256"} (a take's face track, a voice's lip track)."""
    if not isinstance(ref, Mapping) or not isinstance(ref.get("path"), str):
        return None
    full = folder.path(ref["path"])
    if not full.is_file():
        return Broken(ref["path"], "missing", shot)
    if sha256_file(full) != ref.get("sha256"):
        return Broken(ref["path"], "changed since it was made (sha256 differs)", shot)
    return None


def broken_artifacts(state: ReelState, folder: RunFolder) -> list[Broken]:
    """Every recorded artifact a later step or the user relies on that is missing or changed, side files included
    (a kept take's face track: the shot is made again; a voice's lip track: the voice and the reels are)."""
    found = [_check(folder, r.best.clip, r.shot) for r in state.done]
    found += [_check_side(folder, r.best.clip.meta.get("faces"), r.shot) for r in state.done]
    found += [_check_side(folder, a.meta.get("lips")) for a in state.voices.values()]
    found += [_check(folder, r.best.keyframe, r.shot) for r in state.done]
    found += [_check(folder, a) for a in state.masters.values()]
    found += [_check(folder, state.music)]
    found += [_check(folder, a) for a in (*state.voices.values(), *state.subtitles.values(), *state.reels.values())]
    found += [_check(folder, state.final)]
    return [b for b in found if b is not None]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_partials(folder: RunFolder) -> list[str]:
    """Delete scratch files left by the studio's writers that died mid-write (never taken as finished).

    Only the studio's own scratch names, in the folders it makes, are touched: whatever else a folder given as
    `--out` holds is the user's. Returns the paths removed.
    """
    removed: list[str] = []
    if not folder.root.is_dir():
        return removed
    for where in owned_folders(folder.root):
        for path in where.iterdir():
            scratch = is_studio_scratch(folder.root, path)
            if scratch is None or not stat.S_ISREG(path.lstat().st_mode) or _alive(scratch.pid):
                continue
            path.unlink(missing_ok=True)
            removed.append(path.relative_to(folder.root).as_posix())
    return removed
