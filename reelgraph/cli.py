"""`reelgraph generate | resume | approve | redo-shot | history | eval | serve`: the studio from the command line."""

from __future__ import annotations

import shlex
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from reelgraph import __version__
from reelgraph.errors import ReelgraphError, UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="A multi-agent film studio: prompt in, film out.")
# user and model text is printed as it is (no markup, emoji codes or highlighting); log lines carry no source file
console = Console(stderr=True, markup=False, emoji=False, highlight=False, log_path=False)
Checkpoint = Annotated[str | None, typer.Option(
    "--checkpoint", help="PostgreSQL URL (postgres://...) for the checkpoints; default: $REELGRAPH_CHECKPOINT_URL, "
                         "else SQLite in the run folder")]
RUN_RECORD = "run.json"  # reelgraph.run.lifecycle.RUN_FILE, not imported here: a Ctrl-C may interrupt that import
SIGINT_SEEN = threading.Event()
"""Set by Ctrl-C: an error that follows it (an ffmpeg the same signal killed) is reported as the interruption."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"reelgraph {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                   help="print the version and exit")] = False) -> None:
    """A multi-agent film studio: prompt in, film out."""


def run_folder(value: str) -> Path:
    """The --out value as a path; an empty one is refused (it would mean the current folder)."""
    if not value.strip():
        raise typer.BadParameter("an empty path is no run folder: name one, e.g. --out outputs/demo")
    return Path(value)


def OutOption(help: str) -> Any:  # noqa: N802 (an option factory, used like a type)
    """The --out option, parsed by `run_folder`."""
    return typer.Option(help=help, parser=run_folder, metavar="PATH")


class Count(ProgressColumn):
    """`completed/total`, or nothing while the total is unknown."""

    def render(self, task: Task) -> Text:
        """The count of one bar."""
        return Text("" if task.total is None else f"{int(task.completed)}/{int(task.total)}")


class ProgressView:
    """Rich progress bars fed by the graph's custom stream events: the shots committed, and the stage at work (its
    own row and clock, with a count where the stage has one: characters, model steps, languages, compose steps)."""

    def __init__(self, progress: Progress, shots: int, languages: int = 1, done: Iterable[int] = (),
                 script: Path | None = None):
        self.progress, self.languages, self.script = progress, languages, script
        self.done = set(done)
        self.shots = progress.add_task("shots", total=shots, completed=len(self.done))
        self.stage = progress.add_task("starting", total=None)
        self.key, self.count = "", 0
        self.cast_size: int | None = None

    def __call__(self, mode: str, chunk: Any) -> None:
        """One item of the graph's stream: a custom event moves the bars (other modes are ignored)."""
        if mode != "custom" or not isinstance(chunk, dict) or not isinstance(chunk.get("stage"), str):
            return
        handler = getattr(self, f"on_{chunk['stage']}", None)
        if callable(handler):
            handler(chunk)
            self.progress.refresh()  # every event is drawn, however short the step

    def show(self, key: str, description: str, total: int | None = None, completed: int = 0) -> None:
        """The stage at work: a new row (its own clock) when `key` changes, else the same row updated."""
        if key != self.key:
            self.progress.remove_task(self.stage)
            self.stage = self.progress.add_task(description, total=total, completed=completed)
            self.key, self.count = key, 0
        else:
            self.progress.update(self.stage, description=description, total=total, completed=completed)

    def on_plan(self, chunk: dict[str, Any]) -> None:
        """The Director writes the script."""
        self.show("plan", "plan")

    def on_approve(self, chunk: dict[str, Any]) -> None:
        """The script was approved."""
        self.show("approve", "approved")

    def on_cast(self, chunk: dict[str, Any]) -> None:
        """A character's master drawn (counted against the script's cast)."""
        if chunk.get("status") == "start":
            self.cast_size = self._cast_size()
            self.show("cast", "cast", self.cast_size)
        elif "character" in chunk:
            self.count += 1
            self.show("cast", f"cast {chunk['character']}", self.cast_size, self.count)

    def _cast_size(self) -> int | None:
        """The number of characters in the script (None when script.json cannot be read)."""
        from reelgraph.run.reading import read_json

        try:
            return len(read_json(self.script, what="script")["characters"]) if self.script else None
        except (ReelgraphError, KeyError, TypeError):
            return None

    def on_shot(self, chunk: dict[str, Any]) -> None:
        """A take starts."""
        self.show(f"shot {chunk['shot']}.{chunk['attempt']}", f"shot {chunk['shot']}/{chunk['of']} "
                                                               f"take {chunk['attempt']}")

    def on_tool(self, chunk: dict[str, Any]) -> None:
        """A tool call of the take is done."""
        self.show(f"shot {chunk['shot']}.{chunk['attempt']}",
                  f"shot {chunk['shot']} take {chunk['attempt']}: {chunk['tool']} done")

    def on_progress(self, chunk: dict[str, Any]) -> None:
        """A model step (i of n) inside a node or a tool call."""
        if "shot" in chunk:
            key = f"shot {chunk['shot']}.{chunk.get('attempt')}"
            where = f"shot {chunk['shot']} take {chunk.get('attempt')}: {chunk.get('tool') or ''}"
        else:
            key = where = " ".join(str(chunk[k]) for k in ("node", "character", "language") if chunk.get(k))
        self.show(key, f"{where} {chunk.get('what', '')}".strip(), int(chunk["of"]), int(chunk["step"]))

    def on_critic(self, chunk: dict[str, Any]) -> None:
        """A take's verdict: one log line."""
        defects = ", ".join(chunk.get("defects") or []) or "no defects"
        self.progress.console.log(f"shot {chunk['shot']} take {chunk['attempt']}: {chunk['score']:.1f}/10 "
                                  f"({defects})")

    def on_commit(self, chunk: dict[str, Any]) -> None:
        """A shot committed (counted once, however often a resume commits it)."""
        self.done.add(chunk["shot"])
        self.progress.update(self.shots, completed=min(len(self.done), self.total(self.shots) or 0))

    def on_redo(self, chunk: dict[str, Any]) -> None:
        """A redo put the kept shots back: every shot is there."""
        if chunk.get("status") == "kept":
            self.progress.update(self.shots, completed=self.total(self.shots) or 0)

    def on_music(self, chunk: dict[str, Any]) -> None:
        """The score."""
        self.show("music", "music")

    def on_voice(self, chunk: dict[str, Any]) -> None:
        """A language's voice-over starts (or one of its lines was shortened to fit its shot)."""
        if "shortened" in chunk:
            self.progress.update(self.stage, description=f"voice {chunk['language']}: line of shot "
                                                         f"{chunk['shot']} shortened")
            return
        done = self.count + 1 if self.key == "voice" else 0
        self.show("voice", f"voice {chunk.get('language', '')}".strip(), self.languages, done)
        self.count = done

    def on_compose(self, chunk: dict[str, Any]) -> None:
        """The reels: cut the picture, then mix and mux each language (steps i of n); the lip-sync verdict (a log
        line)."""
        status = chunk.get("status")
        if status == "start":
            self.show("compose", "compose")
        elif status == "step":
            self.show("compose", f"compose: {chunk.get('what', '')}", int(chunk["of"]), int(chunk["step"]) - 1)
        elif status == "lip_sync":
            found = "; ".join(chunk.get("reasons") or []) or "mouths move only while their own lines play"
            self.progress.console.log(f"lip-sync: {chunk['score']:.1f}/10 ({found})")
        elif status == "lips":
            self.progress.console.log(f"lip-sync: {chunk.get('skipped')} is {chunk.get('reason')}: "
                                      "no mouth moves by it")
        elif status == "done" and self.total(self.stage) is not None:
            self.show("compose", "compose: done", self.total(self.stage), self.total(self.stage) or 0)

    def total(self, task: Any) -> int | None:
        """The total of a bar (None: unknown)."""
        found = next(t.total for t in self.progress.tasks if t.id == task)
        return None if found is None else int(found)


def _with_progress(work: Callable[[Any], Any], out: Path, request: dict[str, Any], done: Iterable[int] = ()) -> Any:
    """Run `work(on_event)` under the progress bars of a run of `request` (`done`: the shots already committed)."""
    columns = [SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(), Count(),
               TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        view = ProgressView(progress, request["shots"], len(request.get("languages") or [1]), done,
                            out / "script.json")
        return work(view)


def committed_shots(out: Path) -> set[int]:
    """The shots the run folder holds a kept take of (the shots bar starts there on a resume)."""
    found = set()
    for kept in (out / "shots").glob("shot*/kept.json"):
        number = kept.parent.name.removeprefix("shot")
        if number.isdigit():
            found.add(int(number))
    return found


def _summary_table(out: Path, since: float, label: str) -> None:
    from reelgraph.run.reading import read_json

    try:
        summary = read_json(out / "summary.json", what="summary", error=ReelgraphError)
        _print_summary(out, summary)
    except (ReelgraphError, KeyError, TypeError, ValueError) as e:
        _styled("error:", "bold red", f"cannot show the summary: {e}")
        raise typer.Exit(1) from None
    _print_stage_times(out, since, label)


def _print_summary(out: Path, summary: dict[str, Any]) -> None:
    if summary.get("waiting") == "approve_script":
        _styled("waiting for approval:", "bold yellow", f"the script is {out / 'script.json'}\napprove it: reelgraph "
                f"approve --out {shlex.quote(str(out))}   (or edit it and add --edit {out / 'script.json'})")
        return
    table = Table(title=f"{summary.get('title') or 'reel'}: {out}")
    for col in ("shot", "kept take", "attempts", "scores", "defects of kept"):
        table.add_column(col)
    for s in summary["shots"]:
        scores = ", ".join("-" if x is None else f"{x:.1f}" for x in s["scores"])
        table.add_row(str(s["shot"]), str(s["kept"]), str(s["attempts"]), scores, ", ".join(s["defects"]) or "-")
    console.print(table)
    if summary.get("final"):
        _styled("reel:", "bold green", f"{out / summary['final']}  ({', '.join(summary['reels'].values())})")


def _print_stage_times(out: Path, since: float, label: str) -> None:
    """Seconds per stage of this command's run only (a resume or a redo is not added to the runs before it)."""
    from reelgraph.run.lifecycle import stage_times

    times = stage_times(out, since=since)
    if times:
        console.print(f"time per stage ({label}): " + ", ".join(f"{k} {v:.1f}s" for k, v in times.items()),
                      soft_wrap=True)


def resume_command(out: Path, checkpoint: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The command line that continues the run in `out`, with the environment this command's options set (a
    password in --checkpoint shown as ***)."""
    from reelgraph.run.checkpoints import redact

    args = [f"{k}={v}" for k, v in (env or {}).items()] + ["reelgraph", "resume", "--out", str(out)]
    if checkpoint:
        args += ["--checkpoint", redact(checkpoint)]
    return shlex.join(args)


def _interrupted(out: Path | None, checkpoint: str | None, env: Mapping[str, str] | None) -> None:
    """Ctrl-C (or SIGINT to the process group): say what is kept and the command that goes on; exit 130."""
    if out is None:
        said = ""
    elif (out / RUN_RECORD).is_file():
        said = f"what was made is kept; continue with: {resume_command(out, checkpoint, env)}"
    else:
        said = "the run had not started; nothing to resume"
    _styled("interrupted:" if said else "interrupted", "bold yellow", said)
    raise typer.Exit(130)


def _styled(label: str, style: str, text: str) -> None:
    """One line: a styled label, then `text` exactly as it is (no markup, no emoji codes, never wrapped)."""
    console.print(Text.assemble((label, style), " ", text), soft_wrap=True)


def _fail(e: Exception, out: Path | None = None, checkpoint: str | None = None,
          env: Mapping[str, str] | None = None) -> None:
    if isinstance(e, UsageError):
        _styled("error:", "bold red", str(e))
        raise typer.Exit(2)
    hint = f"\nwhat was made is kept; continue with: {resume_command(out, checkpoint, env)}" if out else ""
    _styled("error:", "bold red", f"{e}{hint}")
    raise typer.Exit(1)


@contextmanager
def front_door(out: Path | None, checkpoint: str | None = None,
               env: Mapping[str, str] | None = None) -> Iterator[None]:
    """One message and one exit code for whatever ends a command early: a usage error (2), a studio error (1, with
    the resume command when `out` holds a run), Ctrl-C (130, with the resume command). `env`: what the command's
    options put in the environment, which the resume needs too."""
    try:
        yield
    except KeyboardInterrupt:
        _interrupted(out, checkpoint, env)
    except ReelgraphError as e:
        if SIGINT_SEEN.is_set():
            _interrupted(out, checkpoint, env)
        _fail(e, out if out is not None and (out / RUN_RECORD).is_file() else None, checkpoint, env)


def _require_extras(profile: str, postgres: bool) -> None:
    """Every optional package the profile needs is installed (else one line naming the extra), before any write."""
    from reelgraph.config import load_profile
    from reelgraph.extras import require_for

    require_for(load_profile(profile), postgres)


@app.command()
def generate(
    prompt: Annotated[str, typer.Option(help="the story, in a sentence or a page")],
    out: Annotated[Path, OutOption("run folder (created)")],
    shots: Annotated[int, typer.Option(help="number of shots (1-24)")] = 6,
    languages: Annotated[str, typer.Option(help="comma-separated voice-over languages, e.g. en,fr,zh")] = "en",
    seconds: Annotated[float, typer.Option(help="seconds per shot")] = 5.0,
    width: Annotated[int, typer.Option()] = 854,
    height: Annotated[int, typer.Option()] = 480,
    fps: Annotated[int, typer.Option()] = 24,
    critic: Annotated[bool, typer.Option("--critic/--no-critic", help="score takes and retry weak ones")] = True,
    threshold: Annotated[float, typer.Option(help="critic score a take must reach (0-10)")] = 7.0,
    max_attempts: Annotated[int, typer.Option(help="takes per shot at most")] = 3,
    seed: Annotated[int, typer.Option()] = 0,
    profile: Annotated[str, typer.Option(help="'animatic' (offline, no weights) or a profile TOML file")] = "animatic",
    approve: Annotated[bool, typer.Option("--approve", help="pause after planning until the script is approved "
                                                            "(reelgraph approve)")] = False,
    checkpoint: Checkpoint = None,
    director_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server of an LLM Director "
                                                          "(sets REELGRAPH_DIRECTOR_URL)")] = None,
    critic_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server of a VLM critic "
                                                        "(sets REELGRAPH_CRITIC_URL)")] = None,
) -> None:
    """Turn a prompt into a finished film: OUT/reel_final.mp4 and OUT/reel_<lang>.mp4."""
    import os

    since = time.time()
    urls = {env: url for env, url in (("REELGRAPH_DIRECTOR_URL", director_url),
                                      ("REELGRAPH_CRITIC_URL", critic_url)) if url}
    os.environ.update(urls)
    with front_door(out, checkpoint, urls):
        from reelgraph.run import lifecycle as runner
        from reelgraph.run.checkpoints import checkpoint_url

        request = runner.parse_request(
            prompt=prompt, shots=shots, languages=[x for x in languages.split(",") if x.strip()] or [""],
            shot_seconds=seconds, width=width, height=height, fps=fps, critic=critic, critic_threshold=threshold,
            max_attempts=max_attempts, seed=seed, approve_script=approve)
        _require_extras(profile, postgres=checkpoint_url(checkpoint) is not None)
        with runner.started_run(request, out, profile, checkpoint) as run:  # the folder stays claimed to the end
            console.print(f"run {run['run_id']} in {out} ({profile} profile)")
            _with_progress(lambda on_event: runner.execute(out, run, request.model_dump(), on_event,
                                                           checkpoint=checkpoint), out, run["request"])
        _summary_table(out, since, "this run")


def _read_run(out: Path) -> dict[str, Any]:
    """The run's run.json, after checking that the optional packages its profile needs are installed."""
    from reelgraph.run import lifecycle as runner

    run = runner.read_run(out)
    _require_extras(run["profile"], postgres=(run.get("checkpoint") or {}).get("kind") == "postgres")
    return run


@app.command()
def resume(out: Annotated[Path, OutOption("run folder of the run to continue")],
           checkpoint: Checkpoint = None,
           repair: Annotated[bool, typer.Option(help="render again what is missing or damaged in the run folder")]
           = False) -> None:
    """Continue a stopped run where it stopped; a finished run is left as it is. Damaged artifacts are named, and
    rendered again with --repair."""
    since = time.time()
    with front_door(out, checkpoint):
        from reelgraph.run import lifecycle as runner

        run = _read_run(out)
        _, worked = _with_progress(
            lambda on_event: runner.resume(out, on_event, checkpoint=checkpoint, repair=repair), out,
            run["request"], committed_shots(out))
        if not worked:
            console.print("the run is already finished: nothing to do")
        _summary_table(out, since, "this resume")


@app.command()
def approve(
    out: Annotated[Path, OutOption("run folder of a run waiting for its script to be approved")],
    edit: Annotated[Path | None, typer.Option(help="an edited script.json to use instead of the planned one")] = None,
    checkpoint: Checkpoint = None,
) -> None:
    """Approve the planned script (or an edit of it) and continue the run; a wrong edit is refused (exit 2)."""
    since = time.time()
    with front_door(out, checkpoint):
        from reelgraph.hitl import api as review

        run = _read_run(out)
        data = review.read_edit(edit) if edit is not None else None
        _with_progress(lambda on_event: review.approve(out, data, on_event, checkpoint=checkpoint), out,
                       run["request"], committed_shots(out))
        _summary_table(out, since, "since the approval")


@app.command("redo-shot")
def redo_shot(
    out: Annotated[Path, OutOption("run folder of a finished run")],
    shot: Annotated[int, typer.Option(help="the shot to render again (1-based)")],
    note: Annotated[str | None, typer.Option(help="a note for the Director about this shot")] = None,
    checkpoint: Checkpoint = None,
) -> None:
    """Render one shot again with a note (and the continuous shots after it); keep the others; compose a new reel.

    The previous reels stay as reel_<x>.v<k>.mp4; the fork is in events.jsonl and `reelgraph history`.
    """
    since = time.time()
    with front_door(out, checkpoint):
        from reelgraph.hitl import api as review

        run = _read_run(out)
        _with_progress(lambda on_event: review.redo_shot(out, shot, note, on_event, checkpoint=checkpoint), out,
                       run["request"], committed_shots(out) - {shot})
        _summary_table(out, since, f"this redo of shot {shot}")


def history_rows(out: Path, checkpoint: str | None = None) -> list[dict[str, Any]]:
    """The run's checkpoints, newest first; `shot` and `attempt` only where a shot of the run is at work or next
    (after the last shot the state's counter runs one past the end)."""
    from reelgraph.hitl import api as review
    from reelgraph.run import lifecycle as runner

    shots = runner.read_run(out)["request"]["shots"]
    rows = review.history(out, checkpoint=checkpoint)
    for row in rows:
        if not isinstance(row["shot"], int) or not 1 <= row["shot"] <= shots:
            row["shot"] = row["attempt"] = None
    return rows


@app.command()
def history(out: Annotated[Path, OutOption("run folder")], checkpoint: Checkpoint = None,
            as_json: Annotated[bool, typer.Option("--json", help="print JSON lines")] = False) -> None:
    """The run's checkpoints, newest first, with the forks made by redo-shot."""
    import json

    with front_door(None):
        rows = history_rows(out, checkpoint)
    if as_json:
        for row in rows:
            print(json.dumps(row))
        return
    table = Table(title=f"checkpoints of {out}")
    for col in ("checkpoint", "parent", "step", "source", "next", "shot", "take", "fork"):
        table.add_column(col)
    for r in rows:
        fork = f"redo shot {r['redo']['shot']}: {r['redo'].get('note') or ''}" if r["redo"] else ""
        table.add_row(r["id"][-8:], (r["parent"] or "")[-8:], str(r["step"]), r["source"] or "",
                      ",".join(r["next"]), str(r["shot"] or ""), str(r["attempt"] or ""), fork)
    Console(markup=False, emoji=False, highlight=False).print(table)


def _register_tools() -> None:
    from reelgraph.evals.cli import eval_command
    from reelgraph.serving.cli import serve

    app.command("serve")(serve)
    app.command("eval")(eval_command)


_register_tools()


def _on_sigint(signum: int, frame: Any) -> None:
    """Ctrl-C: remember it, then interrupt as Python does (KeyboardInterrupt in the main thread)."""
    SIGINT_SEEN.set()
    signal.default_int_handler(signum, frame)


def main() -> None:
    """The `reelgraph` command."""
    signal.signal(signal.SIGINT, _on_sigint)
    app()


if __name__ == "__main__":
    main()
