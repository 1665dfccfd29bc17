"""The reel as a LangGraph state machine: wiring only (the node bodies are in reelgraph.nodes).

plan → [approve: interrupt] → cast → ┌ direct ⇄ tools ┐ → critic ─(score < threshold, attempts left)→ direct
                                     └────────────────┘          └→ commit (best take; a checkpoint) → next shot
                                                                     | music → voice → compose
With the Ray executor, cast fans the shots out instead: each chain (a cut and the continuous shots after it) runs
the same direct ⇄ tools → critic → commit loop as the `chain` subgraph (`Send`, one task per chain, in parallel), the
score is made beside them (`parallel_music`); the chains join into `done` in shot order before music (which finds
the score made). A redo forks the run before a shot (reelgraph.hitl.fork): commit then re-renders the continuous chain
and puts back the kept shots.

Every run reads its `RunContext` from `runtime.context`: `ReelGraph` resolves it once when the run starts, from
`context=` (Studio's context form, the SDK, Python) or, for existing callers, the same keys in `configurable`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import aclosing, suppress
from pathlib import Path
from typing import Any
from typing import cast as typed

from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import merge_configs
from langgraph.constants import CONFIG_KEY_CHECKPOINTER
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode
from langgraph.types import Checkpointer, Durability

from reelgraph.context import RunContext, RunOptions
from reelgraph.hitl.fork import ForkState
from reelgraph.hitl.travel import continue_update
from reelgraph.nodes.cast import cast
from reelgraph.nodes.finish import compose, music, parallel_music, voice
from reelgraph.nodes.plan import approve, plan
from reelgraph.nodes.shot import ascoped_tool_call, commit, critic, direct, directors_mistake, scoped_tool_call
from reelgraph.run.hold import CURRENT, RunHold
from reelgraph.run.lock import enter, leave, own_folder
from reelgraph.run.served import SERVED_TAG
from reelgraph.schema import ReelRequest
from reelgraph.state import ChainOutput, ReelOutput, ReelState
from reelgraph.tools import SHOT_TOOLS

DURABILITY_KEY = "durability"
"""Run metadata (and so every checkpoint's metadata): the durability the run's checkpoints were written with."""


def claim_run_folder(context: RunContext, config: RunnableConfig) -> RunHold:
    """Hold the run's folder for one graph run, as its thread's (refused while another run holds it, or when it
    belongs to another thread)."""
    thread = str((config.get("configurable") or {}).get("thread_id") or "reel")
    out = Path(context.out_dir)
    hold = enter(out, f"thread {thread[:80]}")
    try:
        own_folder(out, thread)
    except BaseException:
        leave(hold, failed=False)
        raise
    return hold


def checkpoint_durability(asked: Durability | None) -> Durability:
    """How a run of the reel checkpoints: synchronously, unless "exit" is asked for.

    LangGraph's default, and what a LangGraph server asks for when its client names none, is "async": a hard kill
    can then lose the last checkpoints, and the resumed run repeats finished shots. "async" is made "sync".
    """
    return "exit" if asked == "exit" else "sync"


class ReelGraph(CompiledStateGraph[ReelState, RunContext, ReelRequest, ReelOutput]):
    """The compiled reel graph: each run gets its `RunContext` (resolved once) and synchronous checkpoints; a state
    update without `as_node` goes on where its checkpoint was going (reelgraph.hitl.travel)."""

    def _run_kwargs(self, config: RunnableConfig | None,
                    kwargs: dict[str, Any]) -> tuple[RunnableConfig, dict[str, Any]]:
        merged = merge_configs(self.config, config)
        kwargs["context"] = RunContext.for_run(kwargs.get("context"), merged)
        saver = (merged.get("configurable") or {}).get(CONFIG_KEY_CHECKPOINTER, self.checkpointer)
        if self.checkpointer is not False and saver not in (None, True, False):
            during = kwargs.pop("checkpoint_during", None)
            durability = checkpoint_durability(kwargs.get("durability") or ("exit" if during is False else None))
            kwargs["durability"] = durability
            config = merge_configs(config, {"metadata": {DURABILITY_KEY: durability}})
        return config or {}, kwargs

    def stream(self, input: Any, config: RunnableConfig | None = None,
               **kwargs: Any) -> Iterator[Any]:
        """LangGraph's `stream`, with the run's context resolved, its folder held and its checkpoints synchronous."""
        config, kwargs = self._run_kwargs(config, kwargs)
        hold = claim_run_folder(kwargs["context"], config)
        token, failed = CURRENT.set(hold), True
        try:
            yield from super().stream(input, config, **kwargs)
            failed = False
        finally:
            with suppress(ValueError):  # closed from another context
                CURRENT.reset(token)
            leave(hold, failed=failed)

    async def astream(self, input: Any, config: RunnableConfig | None = None,
                      **kwargs: Any) -> AsyncIterator[Any]:
        """LangGraph's `astream` (what a LangGraph server runs), as `stream`. What touches the file system (the
        context: the runs folder, the profile; the folder's lock) runs in a worker thread, never on the server's
        event loop. A cancelled run ends its child processes and writes before it ends (reelgraph.run.hold)."""
        run_config, kwargs = await asyncio.to_thread(self._run_kwargs, config, kwargs)
        hold = await asyncio.to_thread(claim_run_folder, kwargs["context"], run_config)
        token, failed = CURRENT.set(hold), True
        try:
            async with aclosing(typed(AsyncGenerator[Any, None],
                                      super().astream(input, run_config, **kwargs))) as chunks:
                async for chunk in chunks:
                    yield chunk
            failed = False
        finally:
            with suppress(ValueError):
                CURRENT.reset(token)
            await asyncio.to_thread(leave, hold, failed=failed)

    def update_state(self, config: RunnableConfig, values: dict[str, Any] | Any | None,
                     as_node: str | None = None, task_id: str | None = None) -> RunnableConfig:
        """LangGraph's `update_state`; without `as_node`, the fork goes on to the checkpoint's next nodes."""
        if as_node is None and not (config.get("configurable") or {}).get("checkpoint_ns"):
            values = continue_update(self.get_state(config), values)
        return super().update_state(config, values, as_node, task_id)

    async def aupdate_state(self, config: RunnableConfig, values: dict[str, Any] | Any,
                            as_node: str | None = None, task_id: str | None = None) -> RunnableConfig:
        """The async form of `update_state` (what a LangGraph server calls)."""
        if as_node is None and not (config.get("configurable") or {}).get("checkpoint_ns"):
            values = continue_update(await self.aget_state(config), values)
        return await super().aupdate_state(config, values, as_node, task_id)


def _add_shot_loop(builder: StateGraph[ReelState, RunContext, Any, Any], *, chain_only: bool = False) -> None:
    """The per-shot loop's nodes; `chain_only`: as a chain's subgraph (commit ends it; no music node there)."""
    ends: dict[str, Any] = {"destinations": ("tools", "critic")} if chain_only else {}
    builder.add_node("direct", direct, **ends)
    builder.add_node("tools", ToolNode(SHOT_TOOLS, handle_tool_errors=directors_mistake,
                                       wrap_tool_call=scoped_tool_call, awrap_tool_call=ascoped_tool_call))
    builder.add_node("critic", critic)
    builder.add_node("commit", commit, input_schema=ForkState, destinations=("direct", END) if chain_only else None)
    builder.add_edge("tools", "direct")


def chain_loop() -> CompiledStateGraph[ReelState, RunContext, ReelState, ChainOutput]:
    """The per-shot loop alone, for one chain of parallel chains: a subgraph of the reel (its checkpoints, under the
    reel's checkpointer, let a resumed run go on from the chain's last committed shot); it hands back `done`."""
    builder = StateGraph(ReelState, output_schema=ChainOutput, context_schema=RunContext)
    _add_shot_loop(builder, chain_only=True)
    builder.add_edge(START, "direct")
    return builder.compile(name="chain")


CHAIN_LOOP = chain_loop()


def build_graph(*, checkpointer: Checkpointer = None) -> ReelGraph:
    """The compiled reel graph (with `checkpointer`, or none for a LangGraph server, which brings its own)."""
    builder = StateGraph(ReelState, input_schema=ReelRequest, output_schema=ReelOutput, context_schema=RunContext)
    builder.add_node("plan", plan)
    builder.add_node("approve", approve)
    builder.add_node("cast", cast)
    _add_shot_loop(builder)
    builder.add_node("chain", CHAIN_LOOP)
    builder.add_node("parallel_music", parallel_music, input_schema=ReelState)
    builder.add_node("music", music)
    builder.add_node("voice", voice)
    builder.add_node("compose", compose)
    builder.add_edge(START, "plan")
    builder.add_edge("chain", "music")
    builder.add_edge("parallel_music", "music")
    compiled = builder.compile(checkpointer=checkpointer, name="reelgraph")
    return ReelGraph(**{k: v for k, v in vars(compiled).items() if k != "__orig_class__"})


graph = build_graph()
"""The compiled graph without a checkpointer, for Python callers (bring a checkpointer with `build_graph` to resume)."""

served_graph = build_graph().with_config(tags=[SERVED_TAG])
"""What `langgraph.json` serves: the same graph, its runs confined to what the operator allows
(reelgraph.run.served)."""

__all__ = ["ReelGraph", "RunContext", "RunOptions", "build_graph", "graph", "served_graph"]
