"""Character masters: one reference portrait per character of the bible; later shots keep its look."""

from __future__ import annotations

from reelgraph.context import RunContext
from reelgraph.errors import BackendError
from reelgraph.schema import Artifact
from reelgraph.state import ReelState
from reelgraph.tools.common import script_of

MASTER_SIDE = 512


def draw_master(st: ReelState, ctx: RunContext, character: str, seed: int = 0) -> Artifact:
    """Draw the reference portrait ("master") of a character."""
    script = script_of(st)
    if character not in {c.slug for c in script.characters}:
        raise BackendError(f"unknown character {character!r}; the bible has {[c.slug for c in script.characters]}")
    backend = ctx.backend("image")
    rel = f"masters/{character}.png"
    image = backend.master(script.character(character), width=MASTER_SIDE, height=MASTER_SIDE, seed=seed)
    with ctx.folder.writing(rel) as tmp:
        image.save(tmp, format="PNG")
    meta = {**getattr(backend, "last_meta", {}), "width": MASTER_SIDE, "height": MASTER_SIDE, "seed": seed,
            "character": character, "backend": backend.name}
    return ctx.folder.record(rel, "master", meta, id=f"master.{character}")
