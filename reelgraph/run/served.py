"""A run the LangGraph server makes for a client: confined to what the operator allows.

The served graph (`reelgraph.graph:served_graph`, what `langgraph.json` names for `langgraph dev` / `langgraph up`)
carries the tag `SERVED_TAG`; a client can add tags but not remove one. For such a run:

- `REELGRAPH_SERVER_RUNS` (a folder; default `outputs/` in the server's working folder): every run folder is inside
  it; a client's relative `out_dir` is taken under it (default: the thread's id), an absolute one must lie inside it,
  and none may leave it (no `..`, no link out).
- profiles only by name: `animatic`, or `<name>` for `<name>.toml` in `REELGRAPH_SERVER_PROFILES` (a folder); no
  path, no inline table.
- a backend named by import path (`package.module:Class`) only when it is in `REELGRAPH_SERVER_BACKENDS`
  (comma-separated); the built-in backends always. Nothing else is imported.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from reelgraph.config import Profile, Settings
from reelgraph.errors import UsageError

SERVED_TAG = "reelgraph:served"
RUNS_ENV = "REELGRAPH_SERVER_RUNS"
DEFAULT_RUNS = "outputs"
PROFILES_ENV = "REELGRAPH_SERVER_PROFILES"
BACKENDS_ENV = "REELGRAPH_SERVER_BACKENDS"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def is_served(config: Any) -> bool:
    """True for a run of the served graph (its config carries `SERVED_TAG`)."""
    return isinstance(config, dict) and SERVED_TAG in (config.get("tags") or [])


def run_folder(out_dir: str, thread_id: str) -> str:
    """Where a served run with this `out_dir` (empty: the thread's id) lands inside the runs folder
    (`REELGRAPH_SERVER_RUNS`, default `outputs/`); a UsageError when it would leave it."""
    root = Path(os.environ.get(RUNS_ENV) or DEFAULT_RUNS).resolve()
    rel = Path(out_dir or thread_id)
    if ".." in rel.parts or not rel.parts:
        raise UsageError(f"out_dir {out_dir!r}: a run folder is named inside the server's runs folder "
                         f"({RUNS_ENV}: {root}), without '..'")
    full = (rel if rel.is_absolute() else root / rel).resolve()
    if full != root and root not in full.parents:
        raise UsageError(f"out_dir {out_dir!r} is outside the server's runs folder ({RUNS_ENV}: {root})")
    return str(full)


def _profile_path(profile: str | dict[str, Any]) -> str:
    if profile == "animatic":
        return profile
    folder = os.environ.get(PROFILES_ENV)
    if not isinstance(profile, str) or not _NAME.match(profile) or not folder:
        where = f"a name of a profile in {PROFILES_ENV}" if folder else f"'animatic' ({PROFILES_ENV} is not set)"
        raise UsageError(f"profile {str(profile)[:80]!r}: this server takes {where}")
    path = Path(folder) / f"{profile}.toml"
    if not path.is_file():
        raise UsageError(f"profile {profile!r}: no {profile}.toml in the server's profiles folder")
    return str(path)


def confine(settings: Settings, config: Any) -> Settings:
    """`settings` of a served run, checked and confined (a UsageError names what the server does not allow)."""
    if not is_served(config):
        return settings
    conf = (config or {}).get("configurable") or {}
    out = run_folder(str(conf.get("out_dir") or ""), settings.thread_id)
    return settings.model_copy(update={"out_dir": out, "profile": _profile_path(settings.profile)})


def check_backends(profile: Profile) -> Profile:
    """Refuse, before anything is imported, a backend import path that is not on the operator's allow-list."""
    allowed = {x.strip() for x in os.environ.get(BACKENDS_ENV, "").split(",") if x.strip()}
    for kind in ("image", "video", "music", "speech"):
        name = getattr(profile, kind).backend
        if ":" in name and name not in allowed:
            raise UsageError(f"{kind} backend {name!r}: this server imports backends by path only from its "
                             f"allow-list ({BACKENDS_ENV})")
    return profile
