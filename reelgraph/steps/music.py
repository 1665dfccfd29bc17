"""The score: music for the reel's length from the script's music brief."""

from __future__ import annotations

from reelgraph.context import RunContext
from reelgraph.schema import Artifact
from reelgraph.state import ReelState
from reelgraph.tools.common import script_of


def compose_score(st: ReelState, ctx: RunContext, seed: int = 0) -> Artifact:
    """Score the whole reel from the script's music brief (exactly the reel's length, fading out at the end)."""
    script = script_of(st)
    backend = ctx.backend("music")
    rel = "audio/music.wav"
    with ctx.folder.writing(rel) as tmp:
        info = backend.compose(script.music, seconds=script.duration, seed=seed, out=tmp)
    return ctx.folder.record(rel, "music", {**info.meta, "seed": seed}, id="music")
