"""The run context: what every node and tool needs from the run (folder, profile, backends, progress events).

`RunOptions` is the graph's declared context (Studio's form: the run folder and the profile); callers pass the same
keys in LangGraph's `configurable` today, read here in one place (`RunContext.from_config`). The profile is parsed
once per source (file contents and environment overrides), not on every node and tool call.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, Field

from reelgraph.config import ENV_OVERRIDES, Profile, Settings, load_profile
from reelgraph.run.folder import RunFolder
from reelgraph.run.served import check_backends, confine, is_served


class RunOptions(BaseModel):
    """How a run is made: the graph's context schema (mirrored into `configurable`, read as `Settings`)."""

    out_dir: str = Field(default="", description="run folder; default outputs/<thread_id>")
    profile: str = Field(default="animatic", description="'animatic' (offline, no weights) or a profile TOML path")


@lru_cache(maxsize=32)
def _profile(source: str, stamp: tuple[Any, ...]) -> Profile:
    return load_profile(None if source == "animatic" else Path(source))


def resolve_profile(source: str | dict[str, Any]) -> Profile:
    """The profile named by `source`, parsed once per file version and environment (a dict is parsed each time)."""
    if isinstance(source, dict):
        return load_profile(source)
    path = Path(source)
    mtime = path.stat().st_mtime_ns if source != "animatic" and path.is_file() else None
    env = tuple(os.environ.get(k) for k in ENV_OVERRIDES)
    return _profile(source, (mtime, env))


@dataclass
class RunContext:
    """The run's context, rebuilt cheaply from LangGraph's config in every node and tool."""

    settings: Settings
    served: bool = False

    @classmethod
    def from_config(cls, config: RunnableConfig | None) -> RunContext:
        """The context of the run that `config` belongs to (a served run's confined: reelgraph.run.served)."""
        return cls(confine(Settings.from_runnable_config(config), config), served=is_served(config))

    @cached_property
    def folder(self) -> RunFolder:
        """The run folder (every artifact lives inside it)."""
        return RunFolder(self.settings.out_dir)

    @cached_property
    def profile(self) -> Profile:
        """The profile: which Director, Critic and backends make the reel."""
        profile = resolve_profile(self.settings.profile)
        return check_backends(profile) if self.served else profile

    def backend(self, kind: str) -> Any:
        """The backend of `kind` (image, video, music, speech) under the profile, built once per process."""
        from reelgraph.executors import get_backend

        return get_backend(kind, self.profile)  # type: ignore[arg-type]

    def emit(self, stage: str, **fields: Any) -> None:
        """A progress event: to LangGraph's custom stream (CLI bars, Studio) and to the run's events.jsonl."""
        event = {"t": round(time.time(), 3), "stage": stage, **fields}
        self.folder.log_event(event)
        try:
            from langgraph.config import get_stream_writer

            get_stream_writer()(event)
        except (RuntimeError, KeyError):
            pass  # outside a graph run (a tool called directly)
