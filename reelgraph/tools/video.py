"""Video tools: image→video from the take's keyframe, and first-last-frame bridges for continuous shots.

When the keyframe says where the characters' mouths are and the clip says which part of the keyframe each frame
shows (the animatic's backends do), the take's face track is kept beside it (`takeK_faces.json`, its path and hash
in the clip's metadata as `faces`): the reel's lip-sync draws the mouths there once the lines are spoken.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.tools import ToolException, tool
from langgraph.prebuilt import ToolRuntime
from PIL import Image

from reelgraph.backends.base import MediaInfo, MotionSpec
from reelgraph.context import RunContext
from reelgraph.media.ffmpeg import decode_last_frame
from reelgraph.media.mouths import face_track
from reelgraph.run.folder import sha256_file
from reelgraph.state import ReelState
from reelgraph.tools.args import MotionArgs
from reelgraph.tools.common import as_state, current_shot, take_artifacts, take_path


def _keyframe_of_take(st: ReelState, ctx: RunContext) -> Path:
    key = take_artifacts(st).get("keyframe")
    if key is None:
        raise ToolException("this take has no keyframe yet: call render_keyframe first")
    return ctx.folder.path(key.path)


def _motion(st: ReelState, prompt: str, camera: str, seed: int, chunk_prompts: list[str] | None) -> MotionSpec:
    shot = current_shot(st)
    return MotionSpec(prompt=prompt, camera=camera, seconds=shot.duration, fps=st.fps, width=st.width,
                      height=st.height, seed=seed, chunk_prompts=tuple(chunk_prompts or ()))


def _faces(st: ReelState, ctx: RunContext, views: Any, rows: Any) -> dict[str, str] | None:
    """The take's face track written beside it (path and sha256), when its keyframe and clip say where mouths are."""
    key = take_artifacts(st).get("keyframe")
    faces = key.meta.get("faces") if key is not None else None
    if not faces or not isinstance(views, list):
        return None
    track = face_track(faces, views, fps=st.fps, width=st.width, height=st.height,
                       picture_height=int(rows) if isinstance(rows, int) and 0 < rows <= st.height else None)
    rel = take_path(st.shot, st.attempt, "_faces.json")
    return {"path": rel, "sha256": sha256_file(ctx.folder.write_json(rel, track.to_json()))}


def _record_clip(st: ReelState, ctx: RunContext, rel: str, info: MediaInfo,
                 extra: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    shot = current_shot(st)
    meta = {"shot": shot.index, "attempt": st.attempt, **info.meta, **extra}
    faces = _faces(st, ctx, meta.pop("keyframe_views", None), meta.get("picture_height"))
    if faces is not None:
        meta["faces"] = faces
    art = ctx.folder.record(rel, "clip", meta, id=f"shot{shot.index:02d}.take{st.attempt}.clip")
    ctx.emit("tool", tool=extra["tool"], shot=shot.index, attempt=st.attempt)
    text = f"clip of shot {shot.index} take {st.attempt} rendered: {rel} ({meta.get('frames')} frames)"
    return text, art.model_dump()


@tool(args_schema=MotionArgs, response_format="content_and_artifact")
def animate_keyframe(prompt: str, camera: str = "static", chunk_prompts: list[str] | None = None, seed: int = 0,
                     *, runtime: ToolRuntime[RunContext, ReelState]) -> tuple[str, dict[str, Any]]:
    """Image→video: animate the take's keyframe into the shot's clip with the given camera move."""
    st, ctx = as_state(runtime.state), RunContext.of(runtime)
    keyframe = _keyframe_of_take(st, ctx)
    rel = take_path(st.shot, st.attempt, ".mp4")
    with ctx.folder.writing(rel) as tmp:
        info = ctx.backend("video").animate(keyframe, _motion(st, prompt, camera, seed, chunk_prompts), tmp)
    return _record_clip(st, ctx, rel, info, {"tool": "animate_keyframe", "camera": camera, "seed": seed})


@tool(args_schema=MotionArgs, response_format="content_and_artifact")
def bridge_from_previous(prompt: str, camera: str = "static", chunk_prompts: list[str] | None = None, seed: int = 0,
                         *, runtime: ToolRuntime[RunContext, ReelState]) -> tuple[str, dict[str, Any]]:
    """First-last-frame video: from the previous shot's last frame to this take's keyframe (continuous shots)."""
    st, ctx = as_state(runtime.state), RunContext.of(runtime)
    if not st.done or st.done[-1].shot != st.shot - 1:
        raise ToolException("no previous shot to continue from: use animate_keyframe")
    keyframe = _keyframe_of_take(st, ctx)
    prev = st.done[-1].best.clip
    first_rel = take_path(st.shot, st.attempt, "_first.png")
    frame = decode_last_frame(ctx.folder.path(prev.path))
    with ctx.folder.writing(first_rel) as tmp:
        Image.fromarray(np.ascontiguousarray(frame)).save(tmp, format="PNG")
    rel = take_path(st.shot, st.attempt, ".mp4")
    with ctx.folder.writing(rel) as tmp:
        info = ctx.backend("video").bridge(ctx.folder.path(first_rel), keyframe,
                                              _motion(st, prompt, camera, seed, chunk_prompts), tmp)
    return _record_clip(st, ctx, rel, info, {"tool": "bridge_from_previous", "camera": camera, "seed": seed,
                                                "from": prev.path})
