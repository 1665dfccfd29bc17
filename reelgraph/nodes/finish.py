"""After the shots: the music score, the voice-over per language, and the reels (cut, mix, mux)."""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from reelgraph import progress
from reelgraph.context import RunContext
from reelgraph.hitl.fork import archive_reels, drop_if_unchanged
from reelgraph.nodes.common import END
from reelgraph.schema import Artifact
from reelgraph.state import ReelState
from reelgraph.steps.compose import compose_reels
from reelgraph.steps.lips import lips_intact
from reelgraph.steps.music import compose_score
from reelgraph.steps.voice import build_voice_track
from reelgraph.tools.common import script_of


def _score(state: ReelState, ctx: RunContext) -> Artifact:
    ctx.emit("music", status="start")
    with progress.scope(node="music"):
        art = compose_score(state, ctx, seed=state.seed)
    ctx.emit("music", status="done", seconds=art.meta.get("seconds"))
    return art


def music(state: ReelState, runtime: Runtime[RunContext]) -> Command[Literal["voice"]]:
    """The score, from the script's music brief, the length of the reel."""
    ctx = RunContext.of(runtime)
    if state.music is not None and ctx.folder.verify(state.music):
        return Command(goto="voice")  # made beside the chains, or kept by a redo: it depends on the script only
    return Command(goto="voice", update={"music": _score(state, ctx)})


def parallel_music(state: dict[str, Any] | ReelState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """The score made beside the parallel chains (it needs only the script); `music` then finds it made.

    Runs checkpointed before this node was named so sent it to `score`: LangGraph skips a task sent to a node the
    graph no longer has, and `music` makes the score then."""
    return {"music": _score(ReelState.model_validate(state), RunContext.of(runtime))}


def voice(state: ReelState, runtime: Runtime[RunContext]) -> Command[Literal["compose"]]:
    """One voice track and one subtitle file per language, lines placed at their shots."""
    ctx = RunContext.of(runtime)
    voices, subs = {}, {}
    for lang in script_of(state).languages:
        voiced, subtitled = state.voices.get(lang), state.subtitles.get(lang)
        if voiced is not None and subtitled is not None and ctx.folder.verify(voiced) \
                and ctx.folder.verify(subtitled) and lips_intact(ctx.folder, voiced):
            continue  # kept by a redo (with its lip track, when characters speak)
        ctx.emit("voice", language=lang)
        with progress.scope(node="voice", language=lang):
            voices[lang], subs[lang], script = build_voice_track(state, lang, ctx)
        if script != state.script:  # the Director shortened lines to fit their shots
            state = state.model_copy(update={"script": script})
            ctx.folder.write_json("script.json", script.model_dump())
    return Command(goto="compose", update={"voices": voices, "subtitles": subs, "script": state.script})


def compose(state: ReelState, runtime: Runtime[RunContext]) -> Command[Literal["__end__"]]:
    """Cut, mix and mux the reels (earlier reels are kept as reel_<x>.v<k>.mp4)."""
    ctx = RunContext.of(runtime)
    ctx.emit("compose", status="start")
    archived = archive_reels(ctx.folder, script_of(state).languages)
    with progress.scope(node="compose"):
        reels, final = compose_reels(state, ctx)
    if archived and not drop_if_unchanged(ctx.folder, archived, final.sha256):
        ctx.emit("compose", status="archived", version=archived[0], files=archived[1])
    ctx.emit("compose", status="done", reels=sorted(reels))
    return Command(goto=END, update={"reels": reels, "final": final})
