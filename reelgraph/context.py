"""What every node and tool needs from the run: the run folder, the profile, its backends, and progress events."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from langchain_core.runnables import RunnableConfig

from reelgraph.config import Profile, Settings, load_profile
from reelgraph.run.folder import RunFolder


@dataclass
class Studio:
    """The run's context, rebuilt cheaply from LangGraph's config in every node and tool."""

    settings: Settings

    @classmethod
    def from_config(cls, config: RunnableConfig | None) -> Studio:
        return cls(Settings.from_runnable_config(config))

    @cached_property
    def folder(self) -> RunFolder:
        return RunFolder(self.settings.out_dir)

    @cached_property
    def profile(self) -> Profile:
        return load_profile(self.settings.profile)

    def backend(self, kind: str) -> Any:
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
