"""Argument schemas of the studio's tools: what a Director (template or LLM) may ask for, bounded and validated.

No argument names a file: tools derive every path from the run state (their `ToolRuntime`), so a tool call cannot
reach outside the run.
"""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.tools import InjectedToolArg
from pydantic import BaseModel, ConfigDict, Field, field_validator

from reelgraph.schema import SLUG, Camera, Framing, Lighting, clean_text

Seed = Annotated[int, Field(default=0, ge=0, le=2**31 - 1, description="random seed")]
Prompt = Annotated[str, Field(min_length=1, max_length=600, description="what the picture shows, in words")]


class ToolArgs(BaseModel):
    """Base of every tool's arguments; `runtime` (the run's state and context: LangGraph's `ToolRuntime`) is
    injected by the graph and never visible to the model."""

    model_config = ConfigDict(extra="forbid")

    runtime: Annotated[Any, InjectedToolArg] = None

    @field_validator("prompt", "setting", mode="before", check_fields=False)
    @classmethod
    def _text(cls, v: Any) -> Any:
        return clean_text(v) if isinstance(v, str) else v


class KeyframeArgs(ToolArgs):
    """Draw the keyframe of the current shot's take."""

    prompt: Prompt
    setting: str = Field(min_length=1, max_length=200, description="where the shot happens")
    characters: list[Annotated[str, Field(pattern=SLUG)]] = Field(
        default_factory=list, max_length=6, description="slugs of characters in frame")
    lighting: Lighting = "day"
    framing: Framing = "medium"
    exposure: float = Field(default=0.0, ge=-3.0, le=3.0, description="exposure change in EV stops")
    composition: int = Field(default=0, ge=0, le=7, description="arrangement of the figures in frame; another "
                             "number gives another composition (e.g. when a face was covered)")
    seed: Seed


class MotionArgs(ToolArgs):
    """Animate the current take: from its keyframe (image→video) or from the previous shot's last frame."""

    prompt: Prompt
    camera: Camera = "static"
    chunk_prompts: list[Prompt] = Field(
        default_factory=list, max_length=8,
        description="shots longer than one generated clip continue chunk by chunk: the prompt of each next chunk")
    seed: Seed
