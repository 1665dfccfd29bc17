"""The graph's state: the request plus everything made so far (script, masters, takes, kept shots, reels).

The state holds artifact *records* (paths relative to the run folder and their sha256), never bytes, so a checkpoint
stays small and can be read by any worker. It is the one place that needs LangChain's message types.
"""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from pydantic import BaseModel, ConfigDict, Field

# Checkpoints written before the schema package existed name the film's types reelgraph.state.<Name>: they are all
# importable from here so those runs still resume (the serializer allows both paths).
from reelgraph.schema import (  # noqa: F401
    Artifact,
    Character,
    MusicBrief,
    ReelRequest,
    Script,
    Shot,
    ShotResult,
    Take,
    Verdict,
    VoiceLine,
)


def _merge(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    return {**(old or {}), **(new or {})}


def _merge_done(old: list[Any] | None, new: list[Any] | None) -> list[ShotResult]:
    """Committed shots merged by shot number (a newer result replaces an older one), kept in shot order: parallel
    chains of shots each add theirs. `langgraph.types.Overwrite` replaces the list (a redo drops later shots)."""
    by_shot = {r.shot: r for r in map(ShotResult.model_validate, old or [])}
    by_shot.update({r.shot: r for r in map(ShotResult.model_validate, new or [])})
    return [by_shot[k] for k in sorted(by_shot)]


class ReelState(ReelRequest):
    """The graph's state: the request plus everything made so far."""

    model_config = ConfigDict(extra="ignore")

    script: Script | None = None
    masters: Annotated[dict[str, Artifact], _merge] = Field(default_factory=dict)
    shot: int = Field(default=1, description="shot being made (1-based)")
    attempt: int = 0
    takes: list[Take] = Field(default_factory=list, description="takes of the current shot")
    done: Annotated[list[ShotResult], _merge_done] = Field(default_factory=list,
                                                           description="committed shots, in order")
    chain_end: int | None = Field(default=None, description="last shot of the chain being made (parallel chains)")
    messages: Annotated[list[AnyMessage], add_messages] = Field(default_factory=list)
    music: Artifact | None = None
    voices: Annotated[dict[str, Artifact], _merge] = Field(default_factory=dict)
    subtitles: Annotated[dict[str, Artifact], _merge] = Field(default_factory=dict)
    reels: Annotated[dict[str, Artifact], _merge] = Field(default_factory=dict)
    final: Artifact | None = None
    notes: dict[int, str] = Field(default_factory=dict, description="a person's notes per shot, given to the Director")


class ReelOutput(BaseModel):
    """What a run gives back (the graph's output schema): the reels and the committed shots, not the working state."""

    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(description="the story the reel tells, as asked for")
    done: list[ShotResult] = Field(default_factory=list,
                                   description="committed shots, in order: each one's takes, scores and kept take")
    reels: dict[str, Artifact] = Field(default_factory=dict, description="one reel per language")
    final: Artifact | None = Field(default=None, description="reel_final.mp4, the reel in the first language")


class ChainOutput(BaseModel):
    """What one chain of parallel chains hands back to the reel: its committed shots."""

    model_config = ConfigDict(extra="ignore")

    done: list[ShotResult] = Field(default_factory=list)
