"""The keyframe tool: the image a take starts from."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import ToolException, tool
from langgraph.prebuilt import ToolRuntime

from reelgraph.backends.base import KeyframeSpec
from reelgraph.context import RunContext
from reelgraph.state import ReelState
from reelgraph.tools.args import KeyframeArgs
from reelgraph.tools.common import as_state, current_shot, script_of, take_path


@tool(args_schema=KeyframeArgs, response_format="content_and_artifact")
def render_keyframe(prompt: str, setting: str, characters: list[str] | None = None, lighting: str = "day",
                    framing: str = "medium", exposure: float = 0.0, composition: int = 0, seed: int = 0,
                    *, runtime: ToolRuntime[RunContext, ReelState]) -> tuple[str, dict[str, Any]]:
    """Draw the keyframe of the current take of the current shot (the image the clip starts from)."""
    st, ctx = as_state(runtime.state), RunContext.of(runtime)
    script, shot = script_of(st), current_shot(st)
    characters = characters or []
    unknown = [c for c in characters if c not in {x.slug for x in script.characters}]
    if unknown:
        raise ToolException(f"unknown characters {unknown}; the bible has {[c.slug for c in script.characters]}")
    spec = KeyframeSpec(
        prompt=prompt, setting=setting, characters=[script.character(c) for c in characters], lighting=lighting,
        framing=framing, exposure=exposure, seed=seed,
        masters={slug: ctx.folder.path(st.masters[slug].path) for slug in characters if slug in st.masters},
        place=shot.place, interior=shot.interior, time_of_day=shot.time_of_day, weather=shot.weather,
        season=shot.season, crowd=shot.crowd, caption=shot.action, composition=composition,
    )
    backend = ctx.backend("image")
    rel = take_path(shot.index, st.attempt, "_key.png")
    image = backend.keyframe(spec, width=st.width, height=st.height)
    with ctx.folder.writing(rel) as tmp:
        image.save(tmp, format="PNG")
    made = getattr(backend, "last_meta", None) or image.info.get("reelgraph") or {}  # a Ray worker's: in the image
    meta = {**made, "shot": shot.index, "attempt": st.attempt, "width": st.width,
            "height": st.height, "seed": seed, "backend": backend.name}
    art = ctx.folder.record(rel, "keyframe", meta, id=f"shot{shot.index:02d}.take{st.attempt}.key")
    ctx.emit("tool", tool="render_keyframe", shot=shot.index, attempt=st.attempt)
    return f"keyframe of shot {shot.index} take {st.attempt} drawn: {rel}", art.model_dump()
