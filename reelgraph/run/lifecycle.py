"""Start, resume and summarise runs: the graph with LangGraph's SQLite checkpointer in the run folder (or PostgreSQL).

Checkpoints are written synchronously (durability="sync") so a run killed at any moment resumes at the last finished
step; `thread_id` is the run id stored in run.json. A run started with a PostgreSQL URL (`checkpoint`, or
$REELGRAPH_CHECKPOINT_URL) keeps its checkpoints there; run.json records that (without the password).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from pydantic import ValidationError

from reelgraph.config import load_profile
from reelgraph.errors import ReelgraphError, UsageError, first_error
from reelgraph.hitl.fork import fork
from reelgraph.hitl.interrupts import pending_approval
from reelgraph.media.ffmpeg import limited_to
from reelgraph.run.checkpoints import checkpoint_url, postgres_checkpointer, redact, sqlite_checkpointer
from reelgraph.run.disk import disk_errors
from reelgraph.run.folder import EVENTS_FILE, RunFolder
from reelgraph.run.integrity import Broken, broken_artifacts, sweep_partials
from reelgraph.run.lock import run_lock
from reelgraph.run.pause import pause_point
from reelgraph.run.reading import read_events, read_json, read_run_record
from reelgraph.run.safe_files import open_fd
from reelgraph.schema import ReelRequest
from reelgraph.state import ReelState

RUN_FILE = "run.json"
_HOLDS_A_RUN = "{where} already holds a run: `reelgraph resume --out {out}` or choose another --out"
EventSink = Callable[[str, Any], None]


def parse_request(**fields: Any) -> ReelRequest:
    """A validated request from CLI fields; a usage error naming the first bad field."""
    try:
        return ReelRequest.model_validate(fields)
    except ValidationError as e:
        raise UsageError(first_error(e)) from None


def make_out_dir(out: Path) -> None:
    """Create --out and prove it writable; refuse a file, or a folder that cannot be written (removing what we made)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a file, not a folder")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"--out {str(out)!r}: {str(existing)!r} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        with open_fd(out, probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL):
            pass
        probe.unlink()
    except OSError as e:
        made = out
        while made != existing and made.exists():
            with contextlib.suppress(OSError):
                made.rmdir()
            made = made.parent
        raise UsageError(f"--out {str(out)!r}: folder {str(existing)!r} is not writable ({e.strerror})") from None


def checkpointer(out: Path, run: dict[str, Any] | None = None, url: str | None = None) -> Any:
    """The run's checkpointer: SQLite in the run folder, or PostgreSQL for a run started with a URL.

    The URL comes from `url`, else $REELGRAPH_CHECKPOINT_URL, else run.json when it holds no password.
    """
    where = (run or {}).get("checkpoint") or {}
    if where.get("kind") == "postgres":
        url = checkpoint_url(url) or (where["url"] if "***" not in where.get("url", "***") else None)
        if url is None:
            raise UsageError(f"this run's checkpoints are in PostgreSQL ({where.get('url')}): pass --checkpoint "
                             "postgres://... or set REELGRAPH_CHECKPOINT_URL")
        return postgres_checkpointer(url)
    if url:
        raise UsageError(f"this run keeps its checkpoints in {out / RunFolder.CHECKPOINTS}: drop --checkpoint")
    return sqlite_checkpointer(out / RunFolder.CHECKPOINTS)


def run_config(out: Path, run: dict[str, Any]) -> RunnableConfig:
    """The graph config of a run folder's run (its thread, folder and profile)."""
    return {"configurable": {"thread_id": run["run_id"], "out_dir": str(out), "profile": run["profile"]},
            "recursion_limit": 10_000}


def read_run(out: Path) -> dict[str, Any]:
    """The run's run.json, validated (a folder without one is a usage error; a damaged one is named)."""
    path = out / RUN_FILE
    if not path.exists() and not path.is_symlink():
        raise UsageError(f"{str(out)!r} holds no run (no {RUN_FILE}); start one with `reelgraph generate`")
    return read_run_record(path)


@contextlib.contextmanager
def started_run(request: ReelRequest, out: Path, profile: str = "animatic",
                checkpoint: str | None = None) -> Iterator[dict[str, Any]]:
    """Validate everything, create the run folder and claim it; the block runs holding the folder's lock.

    Under the lock a folder that already holds a run is refused, then run.json is written: two runs started on one
    new folder at once leave exactly one, and nobody rewrites its run.json before it has started.
    """
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a file, not a folder")
    prof = load_profile(profile)
    if (out / RUN_FILE).exists():
        raise UsageError(_HOLDS_A_RUN.format(where=repr(str(out)), out=out))
    from reelgraph.backends.registry import backend_class
    from reelgraph.executors import get_backend

    for kind in ("image", "video", "music", "speech"):  # every backend resolves before the folder is made
        backend_class(kind, getattr(prof, kind).backend)
    speech = get_backend("speech", prof)
    silent = [lang for lang in request.languages if not speech.voices(lang)]
    if silent:
        raise UsageError(f"no voice for {silent} in the {prof.speech.backend!r} speech backend")
    url = checkpoint_url(checkpoint)
    make_out_dir(out)
    profile_ref = str(Path(profile).resolve()) if profile != "animatic" else "animatic"
    run = {"run_id": f"reel-{uuid.uuid4().hex[:12]}", "created": time.time(), "profile": profile_ref,
           "request": request.model_dump(),
           "checkpoint": {"kind": "postgres", "url": redact(url)} if url else {"kind": "sqlite"}}
    with run_lock(out):  # another live writer holds the folder: refused before anything is written
        if (out / RUN_FILE).exists() or (out / RUN_FILE).is_symlink():
            raise UsageError(_HOLDS_A_RUN.format(where=repr(str(out)), out=out))
        pause_point("new-run")
        RunFolder(out).write_json(RUN_FILE, run)
        yield run


def new_run(request: ReelRequest, out: Path, profile: str = "animatic",
            checkpoint: str | None = None) -> dict[str, Any]:
    """Validate everything, then create the run folder and run.json. Refuses a folder that already holds a run."""
    with started_run(request, out, profile, checkpoint) as run:
        return run


def execute(out: Path, run: dict[str, Any], graph_input: Any, on_event: EventSink | None = None, *,
            checkpoint: str | None = None, fork: dict[str, Any] | None = None) -> ReelState:
    """Stream the graph to its end (or the next interrupt), checkpointing every step synchronously.

    `graph_input` is a request, None (continue) or a Command(resume=...); `fork` is a fork's config (its checkpoint).
    """
    from reelgraph.graph import build_graph

    profile = load_profile(run["profile"])
    with disk_errors(out), run_lock(out), checkpointer(out, run, checkpoint) as saver, \
            limited_to(profile.ffmpeg_timeout):  # every ffmpeg call of the run, in every graph thread
        sweep_partials(RunFolder(out))
        executor = profile.executor
        if executor.kind == "ray":  # joined from this thread, before the graph's worker threads need it
            from reelgraph.executors.ray.cluster import ensure_cluster

            ensure_cluster(executor)
        graph = build_graph(checkpointer=saver)
        config = run_config(out, run)
        start: RunnableConfig = {**config,
                                 "configurable": {**config["configurable"], **(fork or {}).get("configurable", {})}}
        for mode, chunk in graph.stream(graph_input, start, stream_mode=["updates", "custom"], durability="sync"):
            if on_event:
                on_event(mode, chunk)
            if mode == "updates" and isinstance(chunk, dict):
                for node in chunk:
                    pause_point(f"after:{node}")
        snapshot = graph.get_state(config)
        state = ReelState.model_validate(snapshot.values)
        write_summary(out, state, waiting=pending_approval(snapshot.interrupts))
    return state


def generate(request: ReelRequest, out: Path, profile: str = "animatic", on_event: EventSink | None = None, *,
             checkpoint: str | None = None) -> ReelState:
    """A new run from a request, to a finished reel (or to the script approval, when asked for)."""
    with started_run(request, out, profile, checkpoint) as run:
        return execute(out, run, request.model_dump(), on_event, checkpoint=checkpoint)


def snapshot_of(out: Path, run: dict[str, Any], checkpoint: str | None = None) -> Any:
    """The run's latest state snapshot (values, next nodes, interrupts)."""
    from reelgraph.graph import build_graph

    with checkpointer(out, run, checkpoint) as saver:
        return build_graph(checkpointer=saver).get_state(run_config(out, run))


def redo(out: Path, run: dict[str, Any], shot: int, note: str | None, on_event: EventSink | None, *,
         checkpoint: str | None = None) -> tuple[ReelState, dict[str, Any]]:
    """Fork the run before `shot` and render it again with `note` (and the continuous shots after it)."""
    from reelgraph.graph import build_graph

    with disk_errors(out), checkpointer(out, run, checkpoint) as saver:
        forked, plan = fork(build_graph(checkpointer=saver), run_config(out, run), shot, note)
        RunFolder(out).log_event({"stage": "redo", "status": "fork", **plan})
    return execute(out, run, None, on_event, checkpoint=checkpoint, fork=forked), plan


def _repair(out: Path, run: dict[str, Any], state: ReelState, broken: list[Broken], on_event: EventSink | None,
            checkpoint: str | None) -> ReelState:
    """Render again what is broken: shots by a redo (continuous followers included), the rest by composing again."""
    from langgraph.types import Command

    script = state.script
    shots = sorted({b.shot for b in broken if b.shot is not None})
    redone: set[int] = set()
    with run_lock(out):
        for shot in shots:
            if shot in redone:
                continue
            state, plan = redo(out, run, shot, None, on_event, checkpoint=checkpoint)
            redone.update(plan.get("chain") or [shot])
        if not shots:
            state = execute(out, run, Command(goto="music"), on_event, checkpoint=checkpoint)
    left = broken_artifacts(state, RunFolder(out))
    if left or (script and not state.final):
        raise ReelgraphError(f"repair left {len(left)} artifact(s) broken: {', '.join(map(str, left[:5]))}")
    return state


def resume(out: Path, on_event: EventSink | None = None, *, checkpoint: str | None = None,
           repair: bool = False) -> tuple[ReelState, bool]:
    """Continue a run where it stopped. Returns the state and whether anything was left to do.

    Every artifact the state records is checked first (file present, same sha256). A damaged one is an error naming
    it, unless `repair` is set: then what is broken is rendered again.
    """
    run = read_run(out)
    with disk_errors(out), run_lock(out):
        return _resume(out, run, on_event, checkpoint, repair)


def _resume(out: Path, run: dict[str, Any], on_event: EventSink | None, checkpoint: str | None,
            repair: bool) -> tuple[ReelState, bool]:
    snapshot = snapshot_of(out, run, checkpoint)
    if not snapshot.values:
        if list((out / "shots").glob("shot*/kept.json")):
            raise ReelgraphError(
                f"{out / RunFolder.CHECKPOINTS} holds no checkpoint of run {run['run_id']} although shots were "
                "committed: it is another run's database, or was replaced; restore this run's database")
        return execute(out, run, run["request"], on_event, checkpoint=checkpoint), True
    state = ReelState.model_validate(snapshot.values)
    broken = broken_artifacts(state, RunFolder(out))
    if broken:
        if not repair:
            listed = "; ".join(map(str, broken[:6])) + (" …" if len(broken) > 6 else "")
            raise ReelgraphError(f"the run folder is damaged: {listed}. Render it again with "
                                 f"`reelgraph resume --out {out} --repair`")
        return _repair(out, run, state, broken, on_event, checkpoint), True
    if not snapshot.next and not snapshot.tasks:  # tasks: a step whose writes were saved but not its checkpoint
        write_summary(out, state)  # a summary left stale by a stop after the last step is made again
        return state, False
    if pending_approval(snapshot.interrupts):
        raise UsageError(f"the run waits for its script to be approved: reelgraph approve --out {out} "
                         "[--edit script.json]")
    return execute(out, run, None, on_event, checkpoint=checkpoint), True


def stage_times(out: Path, since: float = 0.0) -> dict[str, float]:
    """Seconds per stage from the run's event log (the time after each event is charged to its stage); `since`: only
    the events from that time on (one resume or redo, not the runs before it)."""
    events = [e for e in read_events(out / EVENTS_FILE) if e["t"] >= since]
    times: dict[str, float] = {}
    for ev, nxt in zip(events, events[1:], strict=False):
        if ev.get("waiting") or (nxt["stage"] == "redo" and nxt.get("status") == "fork"):
            continue  # a pause for a person (approval) or before a redo: no stage's time
        stage = {"tool": "shots", "shot": "shots", "critic": "shots", "commit": "shots"}.get(ev["stage"], ev["stage"])
        times[stage] = times.get(stage, 0.0) + max(0.0, nxt["t"] - ev["t"])
    return {k: round(v, 3) for k, v in times.items()}


def write_summary(out: Path, state: ReelState, waiting: dict[str, Any] | None = None) -> dict[str, Any]:
    """summary.json: per shot the kept take, attempts and scores; the reels; the reel's lip-sync verdict (None when
    nobody speaks on screen); time per stage; what the run waits for."""
    summary = {
        "title": state.script.title if state.script else None,
        "finished": state.final is not None,
        "waiting": waiting["kind"] if waiting else None,
        "shots": [{"shot": r.shot, "kept": r.kept, "attempts": len(r.takes),
                   "scores": [t.verdict.score if t.verdict else None for t in r.takes],
                   "defects": r.best.verdict.defects if r.best.verdict else []} for r in state.done],
        "reels": {k: v.path for k, v in state.reels.items()},
        "final": state.final.path if state.final else None,
        "lip_sync": state.final.meta.get("lip_sync") if state.final else None,
        "stage_seconds": stage_times(out),
    }
    try:
        unchanged = read_json(out / "summary.json", what="summary", error=ReelgraphError) == summary
    except ReelgraphError:
        unchanged = False  # missing or damaged: made again
    if not unchanged:  # a finished run resumed again changes no file
        RunFolder(out).write_json("summary.json", summary)
    return summary
