"""The reel as a LangGraph state machine.

plan → [approve: interrupt] → cast → ┌ direct ⇄ tools ┐ → critic ─(score < threshold, attempts left)→ direct
                                     └────────────────┘          └→ commit (best take; a checkpoint) → next shot
                                                                     | music → voice → compose
With the Ray executor, cast fans the shots out instead: each chain (a cut and the continuous shots after it) runs
the same direct ⇄ tools → critic → commit loop as a subgraph (`Send`, one task per chain, in parallel), the score
is made beside them; the chains join into `done` in shot order before music (which finds the score made). A redo
forks the run before a shot (reelgraph.hitl.fork): commit then re-renders the continuous chain and puts back the kept
shots.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage, RemoveMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import ToolException
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import REMOVE_ALL_MESSAGES
from langgraph.prebuilt import ToolNode
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command, Send, interrupt
from pydantic import BaseModel, Field, ValidationError

from reelgraph import progress
from reelgraph.agents.critic import TakeReview, make_critic
from reelgraph.agents.director import make_director
from reelgraph.agents.director.brief import ShotBrief
from reelgraph.config import Settings
from reelgraph.context import Studio
from reelgraph.errors import ReelgraphError, UsageError
from reelgraph.hitl.fork import ForkState, archive_reels, drop_if_unchanged, free_attempt
from reelgraph.hitl.interrupts import approval_request, read_answer
from reelgraph.media.ffmpeg import decode_last_frame
from reelgraph.schema import Artifact, ReelRequest, ShotResult, Take
from reelgraph.state import ReelState
from reelgraph.tools import SHOT_TOOLS, compose_music, compose_reel, render_master
from reelgraph.tools.common import run_tool, script_of, take_artifacts, take_requests
from reelgraph.tools.voiceover import build_voice_track

MAX_STEPS_PER_TAKE = 6
CLEAR = [RemoveMessage(id=REMOVE_ALL_MESSAGES)]


class RunContext(BaseModel):
    """How a run is made (Studio's context form; mirrored into `configurable`, read as reelgraph.config.Settings)."""

    out_dir: str = Field(default="", description="run folder; default outputs/<thread_id>")
    profile: str = Field(default="animatic", description="'animatic' (offline, no weights) or a profile TOML path")


def _request(st: ReelState) -> ReelRequest:
    return ReelRequest.model_validate(st.model_dump(include=set(ReelRequest.model_fields)))


def plan(state: ReelState, config: RunnableConfig) -> Command[Literal["approve", "cast"]]:
    """The Director writes the script (validated); it is saved as script.json."""
    studio = Studio.from_config(config)
    if state.script is not None:
        return Command(goto="cast")
    studio.emit("plan", status="start")
    script = make_director(studio.profile).write_script(_request(state))
    if len(script.shots) != state.shots:
        raise ReelgraphError(f"the Director wrote {len(script.shots)} shots; {state.shots} were asked for")
    if script.languages != state.languages:
        raise ReelgraphError(f"the Director wrote languages {script.languages}; {state.languages} were asked for")
    studio.folder.write_json("script.json", script.model_dump())
    studio.emit("plan", status="done", shots=len(script.shots), title=script.title,
                **({"waiting": "approval"} if state.approve_script else {}))
    return Command(goto="approve" if state.approve_script else "cast",
                   update={"script": script, "shot": 1, "attempt": 1, "takes": [], "messages": CLEAR})


def approve(state: ReelState, config: RunnableConfig) -> Command[Literal["cast"]]:
    """Wait for a person (an interrupt): keep the script or take their edit; a wrong edit asks again, naming why."""
    planned, error = script_of(state), None
    while True:
        try:
            script, edited = read_answer(interrupt(approval_request(planned, error)), _request(state), planned)
            break
        except UsageError as e:
            error = str(e)
    studio = Studio.from_config(config)
    if edited:
        studio.folder.write_json("script.json", script.model_dump())
    studio.emit("approve", status="approved", edited=edited)
    return Command(goto="cast", update={"script": script} if edited else None)


def cast(state: ReelState, config: RunnableConfig) -> Command[Literal["direct", "chain"]]:
    """One master per character, critic-checked; the best of the attempts is kept."""
    studio = Studio.from_config(config)
    script = script_of(state)
    critic = make_critic(studio.profile) if state.critic else None
    masters: dict[str, Artifact] = {}
    studio.emit("cast", status="start")
    for i, character in enumerate(script.characters):
        if character.slug in state.masters and studio.folder.verify(state.masters[character.slug]):
            continue
        best: tuple[float, Artifact] | None = None
        for attempt in range(1, state.max_attempts + 1):
            with progress.scope(node="cast", character=character.slug, attempt=attempt):
                art = Artifact.model_validate(
                    run_tool(render_master, {"character": character.slug, "seed": state.seed + 97 * i + attempt},
                             state, config))
            score = 10.0
            if critic is not None:
                verdict = critic.judge_image(studio.folder.path(art.path))
                studio.folder.write_json(f"masters/{character.slug}_verdict.json", verdict.model_dump())
                score = verdict.score
            if best is None or score > best[0]:
                best = (score, art)
            if score >= state.critic_threshold:
                break
        masters[character.slug] = best[1]
        studio.emit("cast", character=character.slug, score=best[0])
    if studio.profile.executor.kind == "ray":
        state = state.model_copy(update={"masters": {**state.masters, **masters}})
        return Command(goto=fan_out(state) or "music", update={"masters": masters})
    return Command(goto="direct", update={"masters": masters})


def shot_chains(script: Any) -> list[tuple[int, int]]:
    """The script's shots as (first, last) chains: a chain starts at every cut; continuous shots join the one before
    (their first frame is the previous shot's last)."""
    chains: list[tuple[int, int]] = []
    for shot in script.shots:
        if chains and shot.transition == "continuous":
            chains[-1] = (chains[-1][0], shot.index)
        else:
            chains.append((shot.index, shot.index))
    return chains


def fan_out(state: ReelState) -> list[Send]:
    """One `chain` task per chain not yet committed, each starting on its first shot, and the score beside them."""
    done = {r.shot for r in state.done}
    sends = []
    for first, last in shot_chains(script_of(state)):
        if all(s in done for s in range(first, last + 1)):
            continue
        task = state.model_copy(update={"shot": first, "chain_end": last, "attempt": 1, "takes": [], "messages": [],
                                        "done": [r for r in state.done if r.shot < first]})
        sends.append(Send("chain", task.model_dump(exclude={"messages"})))
    if sends and state.music is None:
        sends.append(Send("score", state.model_dump(exclude={"messages"})))
    return sends


def chain(task: dict[str, Any] | ReelState, config: RunnableConfig) -> dict[str, Any]:
    """Make one chain of shots with the per-shot loop (a subgraph, checkpointed in its own namespace: a resumed run
    goes on from the chain's last committed shot) and hand back its committed shots."""
    st = ReelState.model_validate(task)
    out = _chain_graph().invoke(st, config)
    return {"done": [r for r in ReelState.model_validate(out).done if st.shot <= r.shot <= (st.chain_end or r.shot)]}


def direct(state: ReelState, config: RunnableConfig) -> Command[Literal["tools", "critic", "music"]]:
    """The Director's next step on the current take: tool calls, or 'ready' for the critic."""
    script = script_of(state)
    if state.shot > len(script.shots):
        return Command(goto="music")
    errors = [m for m in state.messages if isinstance(m, ToolMessage) and m.status == "error"]
    if len(errors) > 1:
        raise ReelgraphError(
            f"shot {state.shot}: the Director's tool calls failed after a repair: {errors[-1].content}")
    steps = sum(isinstance(m, AIMessage) for m in state.messages)
    if steps >= MAX_STEPS_PER_TAKE:
        raise ReelgraphError(f"shot {state.shot}: the Director took {steps} steps without finishing a take")
    studio = Studio.from_config(config)
    update: dict[str, Any] = {}
    if not state.messages:
        attempt = free_attempt(studio.folder, state.shot, state.attempt)  # a fork never overwrites earlier takes
        if attempt != state.attempt:
            state = state.model_copy(update={"attempt": attempt})
            update["attempt"] = attempt
        studio.emit("shot", shot=state.shot, attempt=state.attempt, of=len(script.shots))
    message = make_director(studio.profile).direct(ShotBrief.from_state(state))
    goto = "tools" if message.tool_calls else "critic"
    return Command(goto=goto, update={**update, "messages": [message]})


def _tool_scope(request: ToolCallRequest) -> Any:
    st = request.state
    get = st.get if isinstance(st, dict) else lambda k: getattr(st, k, None)
    return progress.scope(node="shot", shot=get("shot"), attempt=get("attempt"), tool=request.tool_call["name"])


def _scoped_tool_call(request: ToolCallRequest, execute: Any) -> Any:
    with _tool_scope(request):
        return execute(request)


async def _ascoped_tool_call(request: ToolCallRequest, execute: Any) -> Any:
    with _tool_scope(request):
        return await execute(request)


def critic(state: ReelState, config: RunnableConfig) -> Command[Literal["direct", "commit"]]:
    """Score the take; below the threshold with attempts left, the critique goes back to the Director."""
    studio = Studio.from_config(config)
    made = take_artifacts(state)
    if "clip" not in made:
        raise ReelgraphError(f"shot {state.shot} take {state.attempt}: the Director finished without a clip")
    take = Take(shot=state.shot, attempt=state.attempt, requests=take_requests(state), keyframe=made.get("keyframe"),
                clip=made["clip"])
    if state.critic:
        shot = script_of(state).shots[state.shot - 1]
        prev = None
        if shot.transition == "continuous" and state.done:
            prev = decode_last_frame(studio.folder.path(state.done[-1].best.clip.path))
        review = TakeReview(
            clip=studio.folder.path(take.clip.path), shot=shot, width=state.width, height=state.height,
            keyframe=studio.folder.path(take.keyframe.path) if take.keyframe else None,
            masters={slug: studio.folder.path(a.path) for slug, a in state.masters.items()},
            previous_last_frame=prev)
        take.verdict = make_critic(studio.profile).judge(review)
        studio.folder.write_json(f"shots/shot{state.shot:02d}/take{state.attempt}_verdict.json",
                                 take.verdict.model_dump())
        studio.emit("critic", shot=state.shot, attempt=state.attempt, score=take.verdict.score,
                    defects=take.verdict.defects)
    takes = [*state.takes, take]
    passed = take.verdict is None or take.verdict.score >= state.critic_threshold
    if passed or len(takes) >= state.max_attempts:
        return Command(goto="commit", update={"takes": takes})
    return Command(goto="direct", update={"takes": takes, "attempt": state.attempt + 1, "messages": CLEAR})


def commit(state: ForkState | ReelState, config: RunnableConfig) -> Command[Literal["direct", "music", "__end__"]]:
    """Keep the best take of the shot (the highest score; the earliest on a tie). A checkpoint boundary.

    In a redo fork, the next shot of the continuous chain comes next; after the chain, the kept shots are put back.
    """
    studio = Studio.from_config(config)
    best = max(state.takes, key=lambda t: (t.verdict.score if t.verdict else 0.0, -t.attempt))
    result = ShotResult(shot=state.shot, kept=best.attempt, takes=state.takes)
    studio.folder.write_json(f"shots/shot{state.shot:02d}/kept.json", result.model_dump())
    done = [r for r in state.done if r.shot != state.shot] + [result]
    done.sort(key=lambda r: r.shot)
    studio.emit("commit", shot=state.shot, kept=best.attempt, attempts=len(state.takes),
                score=best.verdict.score if best.verdict else None)
    nxt, last = state.shot + 1, len(script_of(state).shots)
    update: dict[str, Any] = {"done": done, "shot": nxt, "attempt": 1, "takes": [], "messages": CLEAR}
    chain, keep = getattr(state, "redo_chain", []), getattr(state, "redo_keep", [])
    if chain:
        update["redo_chain"] = [s for s in chain if s != nxt]
    elif keep:
        done = sorted([*done, *(r for r in keep if r.shot > state.shot)], key=lambda r: r.shot)
        update |= {"done": done, "shot": last + 1, "redo_keep": []}
        studio.emit("redo", status="kept", shots=[r.shot for r in keep])
        return Command(goto="music", update=update)
    if state.chain_end is not None:  # one chain of parallel chains: it ends after its last shot
        return Command(goto="direct" if nxt <= state.chain_end else END, update=update)
    return Command(goto="direct" if nxt <= last else "music", update=update)


def _score(state: ReelState, config: RunnableConfig) -> Artifact:
    studio = Studio.from_config(config)
    studio.emit("music", status="start")
    with progress.scope(node="music"):
        art = Artifact.model_validate(run_tool(compose_music, {"seed": state.seed}, state, config))
    studio.emit("music", status="done", seconds=art.meta.get("seconds"))
    return art


def music(state: ReelState, config: RunnableConfig) -> Command[Literal["voice"]]:
    """The score, from the script's music brief, the length of the reel."""
    if state.music is not None and Studio.from_config(config).folder.verify(state.music):
        return Command(goto="voice")  # made beside the chains, or kept by a redo: it depends on the script only
    return Command(goto="voice", update={"music": _score(state, config)})


def score(task: dict[str, Any] | ReelState, config: RunnableConfig) -> dict[str, Any]:
    """The score made beside the parallel chains (it needs only the script); `music` then finds it made."""
    return {"music": _score(ReelState.model_validate(task), config)}


def voice(state: ReelState, config: RunnableConfig) -> Command[Literal["compose"]]:
    """One voice track and one subtitle file per language, lines placed at their shots."""
    studio = Studio.from_config(config)
    voices, subs = {}, {}
    for lang in script_of(state).languages:
        kept = [state.voices.get(lang), state.subtitles.get(lang)]
        if all(a is not None and studio.folder.verify(a) for a in kept):
            continue  # kept by a redo
        studio.emit("voice", language=lang)
        with progress.scope(node="voice", language=lang):
            voices[lang], subs[lang], script = build_voice_track(state, lang, config)
        if script != state.script:  # the Director shortened lines to fit their shots
            state = state.model_copy(update={"script": script})
            studio.folder.write_json("script.json", script.model_dump())
    return Command(goto="compose", update={"voices": voices, "subtitles": subs, "script": state.script})


def compose(state: ReelState, config: RunnableConfig) -> Command[Literal["__end__"]]:
    """Cut, mix and mux the reels (earlier reels are kept as reel_<x>.v<k>.mp4)."""
    studio = Studio.from_config(config)
    studio.emit("compose", status="start")
    archived = archive_reels(studio.folder, script_of(state).languages)
    with progress.scope(node="compose"):
        payload = run_tool(compose_reel, {}, state, config)
    reels = {k: Artifact.model_validate(v) for k, v in payload["reels"].items()}
    final = Artifact.model_validate(payload["final"])
    if archived and not drop_if_unchanged(studio.folder, archived, final.sha256):
        studio.emit("compose", status="archived", version=archived[0], files=archived[1])
    studio.emit("compose", status="done", reels=sorted(reels))
    return Command(goto=END, update={"reels": reels, "final": final})


def _add_shot_loop(builder: StateGraph, *, chain_only: bool = False) -> None:
    """The per-shot loop's nodes; `chain_only`: as a chain's subgraph (commit ends it; no music node there)."""
    ends: dict[str, Any] = {"destinations": ("tools", "critic")} if chain_only else {}
    builder.add_node("direct", direct, **ends)
    builder.add_node("tools", ToolNode(SHOT_TOOLS, handle_tool_errors=(ToolException, ValidationError),
                                       wrap_tool_call=_scoped_tool_call, awrap_tool_call=_ascoped_tool_call))
    builder.add_node("critic", critic)
    builder.add_node("commit", commit, input_schema=ForkState,
                     **({"destinations": ("direct", END)} if chain_only else {}))
    builder.add_edge("tools", "direct")


_CHAIN_GRAPH: Any = None


def _chain_graph() -> Any:
    """The per-shot loop alone, for one chain (compiled once; it uses the parent run's checkpointer)."""
    global _CHAIN_GRAPH
    if _CHAIN_GRAPH is None:
        builder = StateGraph(ReelState)
        _add_shot_loop(builder, chain_only=True)
        builder.add_edge(START, "direct")
        _CHAIN_GRAPH = builder.compile(name="chain")
    return _CHAIN_GRAPH


def build_graph(config: dict[str, Any] | None = None, *, checkpointer: Any = None) -> Any:
    """The compiled reel graph. `config` is accepted for symmetry with LangGraph's graph factories (unused)."""
    builder = StateGraph(ReelState, input_schema=ReelRequest, output_schema=ReelState, context_schema=RunContext)
    builder.add_node("plan", plan)
    builder.add_node("approve", approve)
    builder.add_node("cast", cast)
    _add_shot_loop(builder)
    builder.add_node("chain", chain)
    builder.add_node("score", score)
    builder.add_node("music", music)
    builder.add_node("voice", voice)
    builder.add_node("compose", compose)
    builder.add_edge(START, "plan")
    builder.add_edge("chain", "music")
    builder.add_edge("score", "music")
    return builder.compile(checkpointer=checkpointer, name="reelgraph")


graph = build_graph()
"""The compiled graph without a checkpointer (LangGraph Studio / `langgraph dev` brings its own)."""

__all__ = ["RunContext", "Settings", "build_graph", "graph"]
