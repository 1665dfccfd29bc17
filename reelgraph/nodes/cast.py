"""Casting: one master (reference portrait) per character, critic-checked; then the shots, in order or in chains."""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from reelgraph import progress
from reelgraph.agents.critic import make_critic
from reelgraph.context import RunContext
from reelgraph.nodes.chains import fan_out
from reelgraph.schema import Artifact
from reelgraph.state import ReelState
from reelgraph.steps.masters import draw_master
from reelgraph.tools.common import script_of

Next = Literal["direct", "chain", "parallel_music", "music"]


def cast(state: ReelState, runtime: Runtime[RunContext]) -> Command[Next]:
    """One master per character, critic-checked; the best of the attempts is kept. Then the first shot, or (Ray
    executor) the chains of shots and the score (`parallel_music`), sent out in parallel."""
    ctx = RunContext.of(runtime)
    script = script_of(state)
    critic = make_critic(ctx.resolved_profile) if state.critic else None
    masters: dict[str, Artifact] = {}
    ctx.emit("cast", status="start")
    for i, character in enumerate(script.characters):
        if character.slug in state.masters and ctx.folder.verify(state.masters[character.slug]):
            continue
        best: tuple[float, Artifact] | None = None
        for attempt in range(1, state.max_attempts + 1):
            with progress.scope(node="cast", character=character.slug, attempt=attempt):
                art = draw_master(state, ctx, character.slug, seed=state.seed + 97 * i + attempt)
            score = 10.0
            if critic is not None:
                verdict = critic.judge_image(ctx.folder.path(art.path))
                ctx.folder.write_json(f"masters/{character.slug}_verdict.json", verdict.model_dump())
                score = verdict.score
            if best is None or score > best[0]:
                best = (score, art)
            if score >= state.critic_threshold:
                break
        assert best is not None  # max_attempts >= 1: at least one master was drawn
        masters[character.slug] = best[1]
        ctx.emit("cast", character=character.slug, score=best[0])
    if ctx.resolved_profile.executor.kind == "ray":
        state = state.model_copy(update={"masters": {**state.masters, **masters}})
        return Command(goto=fan_out(state) or "music", update={"masters": masters})
    return Command(goto="direct", update={"masters": masters})
