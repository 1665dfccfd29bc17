"""Replay a prompt set through the studio: one worker process per case, then metrics.json, report.html, the gate.

Layout of an eval: `<out>/<stamp>/metrics.json`, `report.html` and `cases/<id>/` per case, which holds the run
folder `run/` and the harness's own files (job.json, result.json, worker.log, contact.png, profile.toml). Workers run
with `cases/<id>/` as their working directory, so anything a run writes outside `run/` is caught there.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelgraph.errors import UsageError
from reelgraph.evals import fidelity
from reelgraph.evals.cases import Case, load_cases, request_problem, select
from reelgraph.evals.checks import check_case, files_under, snapshot_absent
from reelgraph.evals.worker import CONTACT, RESULT

FORMAT = "reelgraph-eval/1"
HARNESS_FILES = {"job.json", RESULT, f".{RESULT}.tmp", "worker.log", CONTACT, "profile.toml"}


@dataclass
class EvalOptions:
    """What to replay and how."""

    prompts: list[Path] | None = None
    cases: str | None = None
    profile: str = "animatic"
    jobs: int = 1
    out: Path = Path("evals/runs")
    seed: int | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    record: bool = False
    replay: bool = False
    recordings: Path = Path("evals/recordings")
    baseline: Path | None = None
    write_baseline: Path | None = None
    timeout: float | None = None
    stamp: str | None = None
    report: bool = True


def new_stamp_dir(out: Path, stamp: str | None) -> Path:
    """A fresh `<out>/<stamp>` folder (the time, made unique)."""
    base = stamp or time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        path = out / (base if n == 0 else f"{base}-{n}")
        try:
            path.mkdir(parents=True)
            return path.resolve()
        except FileExistsError:
            continue
    raise UsageError(f"cannot make a fresh eval folder under {out}")


def _profile_ref(profile: str) -> str:
    if profile == "animatic":
        return profile
    path = Path(profile)
    if not path.is_file():
        raise UsageError(f"profile {profile!r} is not a file (or 'animatic')")
    return str(path.resolve())


_LIVE: set[subprocess.Popen] = set()
_LIVE_LOCK = threading.Lock()


def _kill(proc: subprocess.Popen) -> None:
    """Kill a worker and everything it started (its own process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_worker(home: Path, timeout: float) -> dict[str, Any]:
    """Run the case's worker process; kill its whole process group past `timeout`."""
    start = time.perf_counter()
    with open(home / "worker.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "reelgraph.evals.worker", "job.json"], cwd=home, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        with _LIVE_LOCK:
            _LIVE.add(proc)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(proc)
            proc.wait()
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(proc)
    return {"returncode": proc.returncode, "timed_out": timed_out, "process_s": round(time.perf_counter() - start, 3)}


def kill_workers() -> None:
    """Stop every worker still running (on an interrupt: they run in their own sessions, so no signal reaches them)."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for proc in live:
        _kill(proc)


def _log_tail(home: Path, chars: int = 2000) -> str:
    path = home / "worker.log"
    return path.read_text(encoding="utf-8", errors="replace")[-chars:] if path.exists() else ""


def _result(home: Path, proc: dict[str, Any], timeout: float) -> dict[str, Any]:
    """The worker's result, or what happened to a worker that left none."""
    if proc["timed_out"]:
        return {"status": "timeout", "error": f"killed after {timeout:.0f} s", "log": _log_tail(home)}
    try:
        return json.loads((home / RESULT).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        return {"status": "crashed", "error": f"worker exited with code {proc['returncode']} and no result ({e})",
                "log": _log_tail(home)}


def run_case(case: Case, home: Path, job: dict[str, Any], timeout: float) -> dict[str, Any]:
    """One case end to end: its worker, its result (or the crash), and its expectations checked."""
    before = files_under(home)
    absent = snapshot_absent(case.expect.absent)
    proc = run_worker(home, timeout)
    result = _result(home, proc, timeout)
    checks = check_case(case, result, home, before, absent, HARNESS_FILES)
    ok = all(c["ok"] for c in checks.values())
    status = "passed" if ok else ("failed" if result["status"] in ("finished", "refused") else result["status"])
    root = home.parents[1]
    prompt = job["request"]["prompt"]
    row = {"id": case.id, "tags": case.tags, "note": case.note, "source": case.source, "status": status,
          "run_status": result["status"], "error": result.get("error"), "traceback": result.get("traceback"),
          "log": result.get("log"), "checks": checks, "director": result.get("director"),
          "request": {k: v for k, v in job["request"].items() if k != "prompt"},
          "prompt_chars": len(prompt), "prompt_head": prompt[:200],
          "home": home.relative_to(root).as_posix(), "run_dir": Path(job["run_dir"]).relative_to(root).as_posix(),
          "process": proc, **{k: result.get(k) for k in ("metrics", "shots", "characters", "languages", "title",
                                                         "planned_s")},
          "stage_seconds": (result.get("metrics") or {}).get("stage_seconds") or result.get("stage_seconds")}
    row["fidelity"] = _fidelity(case, Path(job["run_dir"]), prompt, result)
    if row.get("metrics"):
        row["metrics"].update({k: row["fidelity"].get(k) for k in fidelity.CASE_METRICS})
    return row


def _fidelity(case: Case, run: Path, prompt: str, result: dict[str, Any]) -> dict[str, Any]:
    """The case's fidelity figures from its run folder (see reelgraph.evals.fidelity); a measuring error is noted."""
    lang = case.prompt_language
    if result["status"] != "finished":
        return fidelity.unmeasured(case.fidelity, lang)
    try:
        return fidelity.measure(run, prompt, case.fidelity, lang)
    except Exception as e:  # a broken run folder is a finding, not a crash of the eval
        return {**fidelity.unmeasured(case.fidelity, lang), "error": f"{type(e).__name__}: {e}"}


def _job(case: Case, opts: EvalOptions, home: Path, profile: str) -> dict[str, Any]:
    job: dict[str, Any] = {"id": case.id, "request": case.request_fields(opts.overrides, opts.seed),
                           "profile": profile, "run_dir": str((home / "run").resolve()), "replay": None}
    if opts.replay:
        job["replay"] = str((opts.recordings / f"{case.id}.json").resolve())
    return job


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by status and the headline numbers over every shot of every finished case."""
    shots = [s for r in rows for s in (r.get("shots") or [])]
    scores = [s["score"] for s in shots if s["score"] is not None]
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    return {"cases": len(rows), "by_status": by_status, "passed": by_status.get("passed", 0),
            "shots": len(shots), "score_mean": round(sum(scores) / len(scores), 3) if scores else None,
            "first_pass_rate": round(sum(s["first_pass"] for s in shots) / len(shots), 3) if shots else None,
            "attempts_mean": round(sum(s["attempts"] for s in shots) / len(shots), 3) if shots else None}


def run_eval(opts: EvalOptions) -> tuple[dict[str, Any], Path, int]:
    """Run the selected cases; write metrics.json (and report.html); return the document, its folder, exit code."""
    from reelgraph.evals import gate

    cases = select(load_cases(opts.prompts), opts.cases)
    if opts.overrides or opts.seed is not None:  # the stored requests are valid: so must they be as changed here
        for case in cases:
            problem = request_problem(case.request_fields(opts.overrides, opts.seed), case.expect.refused)
            if problem:
                raise UsageError(f"case {case.id} with --set/--seed: {problem}")
    baseline = gate.load_baseline(opts.baseline) if opts.baseline else None
    profile = _profile_ref(opts.profile)
    missing = [c.id for c in cases if opts.replay and not (opts.recordings / f"{c.id}.json").is_file()]
    if missing:
        raise UsageError(f"no recording for {', '.join(missing)} in {opts.recordings} (make them with --record)")
    stamp_dir = new_stamp_dir(opts.out, opts.stamp)
    jobs = []
    for case in cases:
        home = stamp_dir / "cases" / case.id
        home.mkdir(parents=True)
        job = _job(case, opts, home, profile)
        (home / "job.json").write_text(json.dumps(job, indent=1, ensure_ascii=False), encoding="utf-8")
        jobs.append((case, home, job, opts.timeout or case.timeout_s))
    start = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=max(1, opts.jobs))
    try:
        rows = list(pool.map(lambda j: run_case(*j), jobs))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        kill_workers()
        raise
    pool.shutdown()
    stray = sorted(str(p) for p in files_under(stamp_dir) if not p.startswith("cases/"))
    if opts.record:
        from reelgraph.agents.director.replay import write_recording

        for row, (case, home, _, _) in zip(rows, jobs, strict=True):
            if row["run_status"] == "finished":
                row["recording"] = str(write_recording(home / "run", opts.recordings / f"{case.id}.json"))
    doc: dict[str, Any] = {
        "format": FORMAT, "stamp": stamp_dir.name, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "profile": opts.profile if opts.profile == "animatic" else Path(opts.profile).stem, "profile_ref": profile,
        "replay": opts.replay, "jobs": opts.jobs, "seed": opts.seed, "overrides": opts.overrides,
        "wall_s": round(time.perf_counter() - start, 3), "python": sys.version.split()[0], "cpus": os.cpu_count(),
        "summary": summarize(rows), "fidelity": fidelity.overall(rows), "stray_files": stray, "cases": rows}
    if baseline is not None:
        doc["gate"] = {"baseline": str(opts.baseline), **gate.check(doc, baseline)}
    if opts.write_baseline:
        opts.write_baseline.parent.mkdir(parents=True, exist_ok=True)
        opts.write_baseline.write_text(json.dumps(gate.make_baseline(doc), indent=1) + "\n", encoding="utf-8")
    (stamp_dir / "metrics.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=str),
                                            encoding="utf-8")
    if opts.report:
        from reelgraph.evals.report import write_report

        write_report(doc, stamp_dir)
    failed = doc["summary"]["passed"] != len(rows) or stray or not doc.get("gate", {}).get("passed", True)
    return doc, stamp_dir, 1 if failed else 0
