"""One eval case in its own process: `python -m reelgraph.evals.worker JOB.json` writes result.json beside JOB.json.

The job names the request, the profile, the run folder and (optionally) a recording to replay. The worker runs the
graph in this process so that its peak memory per stage is the run's own; a crash leaves no result.json, which the
harness reports.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from reelgraph.errors import ReelgraphError, UsageError
from reelgraph.evals.memory import StageMemory
from reelgraph.run import lifecycle as runner

RESULT = "result.json"
CONTACT = "contact.png"


def _profile(job: dict[str, Any], home: Path) -> str:
    """The profile to run with; for a replay, the replay Director of the job's recording."""
    profile = job["profile"]
    if not job.get("replay"):
        return profile
    from reelgraph.evals.profiles import install_replay, replay_kind_supported, replay_profile

    recording = Path(job["replay"])
    if replay_kind_supported():
        return str(replay_profile(profile, recording, home / "profile.toml"))
    install_replay(recording)
    return profile


def _director(job: dict[str, Any], profile: str) -> str:
    from reelgraph.config import load_profile

    return "replay" if job.get("replay") else load_profile(profile).director.kind


def run_job(job: dict[str, Any], home: Path) -> dict[str, Any]:
    """Run one case to its end and measure it; errors are results, not exceptions."""
    try:
        request = runner.parse_request(**job["request"])
        profile = _profile(job, home)
    except UsageError as e:
        return {"status": "refused", "error": str(e), "error_type": type(e).__name__}
    out = Path(job["run_dir"])
    memory = StageMemory()
    start = time.perf_counter()
    try:
        with memory:
            runner.generate(request, out, profile, on_event=memory)
    except Exception as e:  # a failed case is a result: the others go on
        return _failure(e, "", start, out, memory)
    wall = time.perf_counter() - start
    from reelgraph.evals.contact import contact_sheet
    from reelgraph.evals.metrics import run_metrics

    try:
        result = {"status": "finished", "director": _director(job, profile), **run_metrics(out, wall, memory.report())}
        (home / CONTACT).write_bytes(contact_sheet(out))
    except Exception as e:
        return _failure(e, "measuring the run: ", start, out, memory)
    return result


def _failure(e: Exception, what: str, start: float, out: Path, memory: StageMemory) -> dict[str, Any]:
    kind = "failed" if isinstance(e, ReelgraphError) else "crashed"
    return {"status": "error", "error": f"{what}{type(e).__name__}: {e}", "error_type": type(e).__name__,
            "kind": kind, "traceback": traceback.format_exc()[-4000:], "wall_s": round(time.perf_counter() - start, 3),
            "stage_seconds": runner.stage_times(out) if out.is_dir() else {}, **memory.report()}


def main(argv: list[str]) -> int:
    """Run the job file named by argv[0] and write its result.json beside it (atomically)."""
    job_path = Path(argv[0])
    job = json.loads(job_path.read_text(encoding="utf-8"))
    result = run_job(job, job_path.parent)
    tmp = job_path.parent / f".{RESULT}.tmp"
    tmp.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    tmp.replace(job_path.parent / RESULT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
