"""`reelgraph eval` (also `python -m reelgraph.evals`): replay stored prompts, measure, report, gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from reelgraph.errors import UsageError

console = Console(stderr=True)


def parse_sets(items: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` request overrides; values are read as JSON when they parse (numbers, booleans, lists)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {item!r}: expected KEY=VALUE")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def _print(doc: dict[str, Any], folder: Path) -> None:
    table = Table(title=f"eval {doc['stamp']} ({doc['profile']})")
    for col in ("case", "status", "score", "takes", "1st pass", "wall s", "note"):
        table.add_column(col)
    for row in doc["cases"]:
        m = row.get("metrics") or {}
        bad = [f"{k}: {c['detail']}" for k, c in row["checks"].items() if not c["ok"]]
        colour = "green" if row["status"] == "passed" else "red"
        table.add_row(row["id"], f"[{colour}]{row['status']}[/]", str(m.get("score_mean", "-")),
                      str(m.get("attempts_mean", "-")), str(m.get("first_pass_rate", "-")), str(m.get("wall_s", "-")),
                      "; ".join(bad)[:80])
    console.print(table)
    fid = doc.get("fidelity") or {}
    if fid.get("cases"):
        figs = ", ".join(f"{k} {v}" for k, v in fid["figures"].items())
        console.print(f"fidelity over {fid['measured']}/{fid['cases']} annotated cases: {figs}")
    gate = doc.get("gate")
    if gate:
        word = "[green]passed[/]" if gate["passed"] else "[bold red]FAILED[/]"
        console.print(f"regression gate: {word} ({gate['checked']} values checked)")
        for r in gate["regressions"]:
            console.print(f"  {r['case']}: {r['metric']} {r['baseline']} -> {r['value']} (allowed {r['limit']})")
        for r in gate.get("targets_missed", []):
            console.print(f"  target missed: {r['case']} {r['metric']} {r['value']} (wanted {r['limit']})")
    console.print(f"report: {folder / 'report.html'}\nmetrics: {folder / 'metrics.json'}")


def require_extras(profile: str, replay: bool) -> None:
    """The eval's own packages (plots, loudness) and the profile's are installed: else one line naming the extra,
    before anything is written."""
    from reelgraph.config import load_profile
    from reelgraph.extras import require, require_for

    require("reelgraph eval", ("matplotlib", "pyloudnorm"))
    prof = load_profile(profile)
    if replay:  # the recorded conversations stand in for the Director: no server, no client for one
        prof = prof.model_copy(update={"director": prof.director.model_copy(update={"kind": "replay"})})
    require_for(prof)


def eval_command(
    cases: Annotated[str | None, typer.Option(help="ids, globs or tag:NAME, comma-separated (default: all)")] = None,
    prompts: Annotated[list[Path] | None, typer.Option(help="prompt set .jsonl file or folder (repeatable)")] = None,
    profile: Annotated[str, typer.Option(help="'animatic' or a profile TOML file")] = "animatic",
    jobs: Annotated[int, typer.Option(min=1, help="cases run in parallel worker processes")] = 1,
    out: Annotated[Path, typer.Option(help="evals are written to OUT/<stamp>/")] = Path("evals/runs"),
    seed: Annotated[int | None, typer.Option(help="one seed for every case (default: each case's own)")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="request override KEY=VALUE (repeatable)")] = None,
    record: Annotated[bool, typer.Option(help="store each finished case's Director conversation")] = False,
    replay: Annotated[bool, typer.Option(help="replay stored Director conversations instead of the Director")] = False,
    recordings: Annotated[Path, typer.Option(help="folder of recorded conversations")] = Path("evals/recordings"),
    baseline: Annotated[Path | None, typer.Option(help="gate: fail when a metric is worse than this baseline")] = None,
    write_baseline: Annotated[Path | None, typer.Option(help="write this run's metrics as a baseline")] = None,
    timeout: Annotated[float | None, typer.Option(help="seconds per case (default: each case's own)")] = None,
    list_cases: Annotated[bool, typer.Option("--list", help="list the selected cases and exit")] = False,
) -> None:
    """Replay stored prompts with a profile and fixed seeds; write report.html and metrics.json; gate regressions."""
    from reelgraph.evals.cases import load_cases, select
    from reelgraph.evals.harness import EvalOptions, run_eval

    try:
        if list_cases:
            for case in select(load_cases(prompts or None), cases):
                typer.echo(f"{case.id}\t{','.join(case.tags)}\t{case.request_fields()['prompt'][:70]!r}")
            return
        if record and replay:
            raise UsageError("--record and --replay exclude each other")
        require_extras(profile, replay)
        opts = EvalOptions(prompts=prompts or None, cases=cases, profile=profile, jobs=jobs, out=out, seed=seed,
                           overrides=parse_sets(set_ or []), record=record, replay=replay, recordings=recordings,
                           baseline=baseline, write_baseline=write_baseline, timeout=timeout)
        doc, folder, code = run_eval(opts)
    except UsageError as e:
        console.print(Text.assemble(("error:", "bold red"), f" {e}"), soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        console.print("interrupted: the workers were stopped")
        raise typer.Exit(130) from None
    _print(doc, folder)
    raise typer.Exit(code)
