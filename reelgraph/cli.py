"""`reelgraph generate | resume | approve | redo-shot | history`: the studio from the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from reelgraph.errors import ReelgraphError, UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="A multi-agent film studio: prompt in, film out.")
console = Console(stderr=True, markup=False, emoji=False)  # user and model text is printed as it is, never as markup
Checkpoint = Annotated[str | None, typer.Option(
    "--checkpoint", help="PostgreSQL URL (postgres://...) for the checkpoints; default: $REELGRAPH_CHECKPOINT_URL, "
                         "else SQLite in the run folder")]



def run_folder(value: str) -> Path:
    """The --out value as a path; an empty one is refused (it would mean the current folder)."""
    if not value.strip():
        raise typer.BadParameter("an empty path is no run folder: name one, e.g. --out outputs/demo")
    return Path(value)


def OutOption(help: str) -> Any:  # noqa: N802 (an option factory, used like a type)
    """The --out option, parsed by `run_folder`."""
    return typer.Option(help=help, parser=run_folder, metavar="PATH")


class ProgressView:
    """Rich progress bars fed by the graph's custom stream events."""

    def __init__(self, progress: Progress, shots: int):
        self.progress = progress
        self.shots = progress.add_task("shots", total=shots)
        self.stage = progress.add_task("plan", total=None)

    def __call__(self, mode: str, chunk: Any) -> None:
        if mode != "custom" or not isinstance(chunk, dict):
            return
        stage = chunk.get("stage")
        if stage == "shot":
            self.progress.update(self.stage, description=f"shot {chunk['shot']}/{chunk['of']} take {chunk['attempt']}")
        elif stage == "critic":
            defects = ", ".join(chunk.get("defects") or []) or "no defects"
            self.progress.console.log(f"shot {chunk['shot']} take {chunk['attempt']}: {chunk['score']:.1f}/10 "
                                      f"({defects})")
        elif stage == "commit":
            self.progress.advance(self.shots)
        elif stage == "progress":
            where = f"shot {chunk['shot']} take {chunk['attempt']}" if "shot" in chunk else chunk.get("node", "")
            self.progress.update(self.stage, description=f"{where} {chunk.get('what', '')} "
                                                         f"step {chunk['step']}/{chunk['of']}".strip())
        elif stage == "redo" and chunk.get("status") == "kept":
            self.progress.update(self.shots, completed=self.progress.tasks[self.shots].total)
        elif stage in ("plan", "cast", "music", "voice", "compose", "approve"):
            extra = chunk.get("language") or chunk.get("character") or ""
            self.progress.update(self.stage, description=f"{stage} {extra}".strip())


def _run_with_progress(fn: Any, shots: int, *args: Any) -> Any:
    columns = [SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(),
               TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        return fn(*args, on_event=ProgressView(progress, shots))


def _summary_table(out: Path) -> None:
    from reelgraph.run.reading import read_json

    try:
        summary = read_json(out / "summary.json", what="summary", error=ReelgraphError)
        _print_summary(out, summary)
    except (ReelgraphError, KeyError, TypeError, ValueError) as e:
        _styled("error:", "bold red", f"cannot show the summary: {e}")
        raise typer.Exit(1) from None


def _print_summary(out: Path, summary: dict[str, Any]) -> None:
    if summary.get("waiting") == "approve_script":
        _styled("waiting for approval:", "bold yellow", f"the script is {out / 'script.json'}\napprove it: reelgraph "
                f"approve --out {out}   (or edit it and add --edit {out / 'script.json'})")
        return
    table = Table(title=f"{summary.get('title') or 'reel'}: {out}")
    for col in ("shot", "kept take", "attempts", "scores", "defects of kept"):
        table.add_column(col)
    for s in summary["shots"]:
        scores = ", ".join("-" if x is None else f"{x:.1f}" for x in s["scores"])
        table.add_row(str(s["shot"]), str(s["kept"]), str(s["attempts"]), scores, ", ".join(s["defects"]) or "-")
    console.print(table)
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in summary.get("stage_seconds", {}).items())
    console.print(f"time per stage: {stages}")
    if summary.get("final"):
        _styled("reel:", "bold green", f"{out / summary['final']}  ({', '.join(summary['reels'].values())})")


def _interrupted(out: Path) -> None:
    """Ctrl-C (or SIGINT to the process group): say what is kept and how to go on; exit 130."""
    console.print(f"interrupted: what was made is kept; continue with: reelgraph resume --out {out}")
    raise typer.Exit(130)


def _styled(label: str, style: str, text: str) -> None:
    """One line: a styled label, then `text` exactly as it is (no markup, no emoji codes)."""
    console.print(Text.assemble((label, style), " ", text))


def _fail(e: Exception, out: Path | None = None) -> None:
    if isinstance(e, UsageError):
        _styled("error:", "bold red", str(e))
        raise typer.Exit(2)
    hint = f"\nwhat was made is kept; continue with: reelgraph resume --out {out}" if out else ""
    _styled("error:", "bold red", f"{e}{hint}")
    raise typer.Exit(1)


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

    from reelgraph.run import lifecycle as runner

    for env, url in (("REELGRAPH_DIRECTOR_URL", director_url), ("REELGRAPH_CRITIC_URL", critic_url)):
        if url:
            os.environ[env] = url
    started = False
    try:
        request = runner.parse_request(
            prompt=prompt, shots=shots, languages=[x for x in languages.split(",") if x.strip()] or [""],
            shot_seconds=seconds, width=width, height=height, fps=fps, critic=critic, critic_threshold=threshold,
            max_attempts=max_attempts, seed=seed, approve_script=approve)
        with runner.started_run(request, out, profile, checkpoint) as run:  # the folder stays claimed to the end
            started = True
            console.print(f"run {run['run_id']} in {out} ({profile} profile)")
            _run_with_progress(lambda on_event: runner.execute(out, run, request.model_dump(), on_event,
                                                               checkpoint=checkpoint), request.shots)
    except (UsageError, ReelgraphError) as e:
        _fail(e, out if started else None)
    except KeyboardInterrupt:
        if not started:
            raise typer.Exit(130) from None
        _interrupted(out)
    _summary_table(out)


def _existing_run(out: Path) -> Path | None:
    from reelgraph.run.lifecycle import RUN_FILE

    return out if (out / RUN_FILE).exists() else None


@app.command()
def resume(out: Annotated[Path, OutOption("run folder of the run to continue")],
           checkpoint: Checkpoint = None,
           repair: Annotated[bool, typer.Option(help="render again what is missing or damaged in the run folder")]
           = False) -> None:
    """Continue a stopped run where it stopped; a finished run is left as it is. Damaged artifacts are named, and
    rendered again with --repair."""
    from reelgraph.run import lifecycle as runner

    try:
        run = runner.read_run(out)
        state, worked = _run_with_progress(
            lambda on_event: runner.resume(out, on_event, checkpoint=checkpoint, repair=repair),
            run["request"]["shots"])
    except (UsageError, ReelgraphError) as e:
        _fail(e, _existing_run(out))
    except KeyboardInterrupt:
        _interrupted(out)
    if not worked:
        console.print("the run is already finished: nothing to do")
    _summary_table(out)


@app.command()
def approve(
    out: Annotated[Path, OutOption("run folder of a run waiting for its script to be approved")],
    edit: Annotated[Path | None, typer.Option(help="an edited script.json to use instead of the planned one")] = None,
    checkpoint: Checkpoint = None,
) -> None:
    """Approve the planned script (or an edit of it) and continue the run; a wrong edit is refused (exit 2)."""
    from reelgraph.hitl import api as review
    from reelgraph.run import lifecycle as runner

    try:
        run = runner.read_run(out)
        data = review.read_edit(edit) if edit is not None else None
        _run_with_progress(lambda on_event: review.approve(out, data, on_event, checkpoint=checkpoint),
                           run["request"]["shots"])
    except (UsageError, ReelgraphError) as e:
        _fail(e, _existing_run(out))
    except KeyboardInterrupt:
        _interrupted(out)
    _summary_table(out)


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
    from reelgraph.hitl import api as review
    from reelgraph.run import lifecycle as runner

    try:
        run = runner.read_run(out)
        _run_with_progress(lambda on_event: review.redo_shot(out, shot, note, on_event, checkpoint=checkpoint),
                           run["request"]["shots"])
    except (UsageError, ReelgraphError) as e:
        _fail(e, _existing_run(out))
    except KeyboardInterrupt:
        _interrupted(out)
    _summary_table(out)


@app.command()
def history(out: Annotated[Path, OutOption("run folder")], checkpoint: Checkpoint = None,
            as_json: Annotated[bool, typer.Option("--json", help="print JSON lines")] = False) -> None:
    """The run's checkpoints, newest first, with the forks made by redo-shot."""
    import json

    from reelgraph.hitl import api as review

    try:
        rows = review.history(out, checkpoint=checkpoint)
    except (UsageError, ReelgraphError) as e:
        _fail(e)
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
    Console(markup=False, emoji=False).print(table)


def _register_tools() -> None:
    from reelgraph.evals.cli import eval_command
    from reelgraph.serving.cli import serve

    app.command("serve")(serve)
    app.command("eval")(eval_command)


_register_tools()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted: what was made is kept; continue with `reelgraph resume --out ...`")
        sys.exit(130)


if __name__ == "__main__":
    main()
