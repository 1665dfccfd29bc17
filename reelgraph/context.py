"""The run context: what every node and tool reads from `Runtime[RunContext]` (folder, profile, backends, progress).

`RunContext` is the graph's context schema: Studio's context form, `context=` from Python and the SDK. It is resolved
once, when a run starts (`RunContext.for_run`): the folder defaults to outputs/<thread_id>, a served run is confined
(reelgraph.run.served), and callers that still pass the same keys in LangGraph's `configurable` are read there, the
one place that reads it. The profile is parsed on first use and kept for the run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_config
from langgraph.prebuilt import ToolRuntime
from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, WithJsonSchema

from reelgraph.config import ENV_OVERRIDES, Profile, Settings, load_profile
from reelgraph.run.folder import RunFolder
from reelgraph.run.served import check_backends, confine, is_served

OPTION_KEYS = ("out_dir", "profile")
"""The keys a caller gives in `context` (or, for existing callers, in `configurable`)."""


class RunOptions(BaseModel):
    """How a run is made, as a caller gives it: Studio's context form."""

    model_config = ConfigDict(extra="ignore")

    out_dir: str = Field(default="", description="run folder; default outputs/<thread_id>")
    profile: Annotated[str | dict[str, Any], WithJsonSchema({"type": "string"})] = Field(
        default="animatic", description="'animatic' (offline, no weights) or a profile TOML path (a served run: a "
                                        "profile name from the server's profiles folder)")


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


def _given(context: Any) -> dict[str, Any]:
    """The options a caller gave in `context` (a mapping or a model; None gives none)."""
    if isinstance(context, RunOptions):
        return {k: getattr(context, k) for k in OPTION_KEYS if k in context.model_fields_set}
    if isinstance(context, Mapping):
        return {k: context[k] for k in OPTION_KEYS if k in context}
    return {}


class RunContext(RunOptions):
    """The run's context, resolved once per run and shared by every node and tool of it (`runtime.context`)."""

    _served: bool = PrivateAttr(default=False)
    _resolved: bool = PrivateAttr(default=False)

    @classmethod
    def for_run(cls, context: Any, config: RunnableConfig | Mapping[str, Any] | None) -> RunContext:
        """The context of a run started with `context` (a mapping, a `RunOptions`, or None) under `config`.

        The one place that reads `configurable`: its `out_dir` and `profile` are a fallback for callers that pass them
        there (what `context` gives wins), its `thread_id` names the default folder. A served run is confined.
        """
        config = dict(config or {})
        if isinstance(context, RunContext) and context._resolved and (context._served or not is_served(config)):
            return context  # resolved already (a served run's context is never taken unconfined)
        conf = dict(config.get("configurable") or {})
        options = {**{k: conf[k] for k in OPTION_KEYS if k in conf}, **_given(context)}
        settings = Settings.from_runnable_config({"configurable": {**conf, **options}})
        settings = confine(settings, {**config, "configurable": {**conf, "out_dir": options.get("out_dir") or ""}})
        ctx = cls(out_dir=settings.out_dir, profile=settings.profile)
        ctx._served, ctx._resolved = is_served(config), True
        return ctx

    @classmethod
    def of(cls, runtime: Runtime[RunContext] | ToolRuntime[RunContext, Any] | RunnableConfig) -> RunContext:
        """The context of the run a node's `runtime` (or a tool's) belongs to.

        The reel graph resolves it when the run starts; a node or tool run elsewhere (a graph of its own, or called
        with a config) gets it resolved here from its config.
        """
        if isinstance(runtime, Runtime | ToolRuntime):
            if isinstance(runtime.context, RunContext) and runtime.context._resolved:
                return runtime.context
            config = runtime.config if isinstance(runtime, ToolRuntime) else get_config()
            return cls.for_run(runtime.context, config)
        return cls.for_run(None, runtime)  # a node called directly with a config (a script, a test)

    @cached_property
    def folder(self) -> RunFolder:
        """The run folder (every artifact lives inside it)."""
        return RunFolder(self.out_dir)

    @cached_property
    def resolved_profile(self) -> Profile:
        """The profile, parsed on first use: which Director, Critic and backends make the reel."""
        profile = resolve_profile(self.profile)
        return check_backends(profile) if self._served else profile

    def backend(self, kind: str) -> Any:
        """The backend of `kind` (image, video, music, speech) under the profile, built once per process."""
        from reelgraph.executors import get_backend

        return get_backend(kind, self.resolved_profile)  # type: ignore[arg-type]

    def emit(self, stage: str, **fields: Any) -> None:
        """A progress event: to LangGraph's custom stream (CLI bars, Studio) and to the run's events.jsonl."""
        event = {"t": round(time.time(), 3), "stage": stage, **fields}
        self.folder.log_event(event)
        try:
            from langgraph.config import get_stream_writer

            get_stream_writer()(event)
        except (RuntimeError, KeyError):
            pass  # outside a graph run (a tool called directly)
