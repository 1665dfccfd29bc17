"""Kill a run anywhere, resume it, and check nothing was lost or redone.

    python tests/soak/kill_resume.py --kills 30 [--seed 1] [--report docs/reliability.md]

Runs a small animatic reel once without interruption (the reference), then again while SIGKILLing it at random moments
(mid-render, mid-ffmpeg, mid-checkpoint write) and resuming after each kill, until it finishes. Checks: the final
reels are identical to the reference (decoded video and audio hashes), no shot committed before a kill is rendered
again, no partial file is left in place of an artifact (every artifact in the final state has its recorded hash).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from reelgraph.media.ffmpeg import ffmpeg_exe

ROOT = Path(__file__).resolve().parents[2]
REQUEST = ["--prompt", "A fox and an owl cross a snowy mountain pass at night", "--shots", "4", "--seconds", "1.5",
           "--width", "320", "--height", "180", "--fps", "12", "--languages", "en,fr", "--seed", "5"]


@dataclass
class SoakResult:
    kills: int = 0
    kill_stages: dict[str, int] = field(default_factory=dict)
    rerendered: list[str] = field(default_factory=list)
    bad_artifacts: list[str] = field(default_factory=list)
    identical: bool = False
    rounds: int = 0
    seconds: float = 0.0


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "reelgraph", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True, text=True)


def _md5(path: Path, selector: str) -> str:
    out = subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-map", selector, "-f", "md5", "-"],
                         capture_output=True, text=True, check=True, timeout=120)
    return out.stdout.strip()


def _fingerprint(out: Path) -> dict[str, str]:
    return {f"{name}:{sel}": _md5(out / name, sel) for name in ("reel_en.mp4", "reel_fr.mp4") for sel in ("0:v", "0:a")}


def _events(out: Path) -> list[dict]:
    log = out / "events.jsonl"
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip().endswith("}")]


def _takes(out: Path, shots: set[int]) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for s in shots for p in sorted((out / "shots" / f"shot{s:02d}").glob("take*")) if p.is_file()}


def _check_artifacts(out: Path) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from reelgraph.run.folder import sha256_file

    bad = []
    for kept in (out / "shots").glob("shot*/kept.json"):
        for take in json.loads(kept.read_text())["takes"]:
            for art in (take["clip"], take.get("keyframe")):
                if art and (not (out / art["path"]).is_file() or sha256_file(out / art["path"]) != art["sha256"]):
                    bad.append(art["path"])
    leftovers = [str(p.relative_to(out)) for p in out.rglob("*.tmp*")]
    return bad + leftovers


def _kill_when_busy(proc: subprocess.Popen, out: Path, rng: random.Random, at_event: int,
                    timeout: float = 300) -> str | None:
    """Wait until the run's log has `at_event` events (at least one new), then a random fraction of a second, then
    SIGKILL it. Returns the stage it was in, or None when it finished first."""
    want = max(at_event, len(_events(out)) + 1)
    deadline = time.time() + timeout
    while len(_events(out)) < want:
        if proc.poll() is not None:
            return None
        if time.time() > deadline:
            raise SystemExit("the run made no progress")
        time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 0.6))
    if proc.poll() is not None:
        return None
    stage = (_events(out) or [{"stage": "start"}])[-1]["stage"]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return stage


def _round(out: Path, rng: random.Random, result: SoakResult, kills: int, events: int) -> None:
    """One run from start to finish, killed at moments spread over the whole run (by the reference run's event
    count), resumed after each kill."""
    args = ["generate", "--out", str(out), *REQUEST]
    committed: dict[str, str] = {}
    budget = min(kills - result.kills, max(1, events // 2))
    moments = sorted(rng.sample(range(1, events), budget)) if budget > 0 else []
    while True:
        proc = _start(args)
        stage = _kill_when_busy(proc, out, rng, moments.pop(0)) if moments else None
        if stage is not None:
            result.kills += 1
            result.kill_stages[stage] = result.kill_stages.get(stage, 0) + 1
            done = {e["shot"] for e in _events(out) if e["stage"] == "commit"}
            now = _takes(out, done)
            result.rerendered += [k for k, v in committed.items() if now.get(k) != v]
            committed = {**now, **committed}
            if (out / "run.json").exists():
                args = ["resume", "--out", str(out)]
            continue
        _, err = proc.communicate(timeout=900)
        if proc.returncode != 0:
            if "already holds a run" in err:
                args = ["resume", "--out", str(out)]
                continue
            raise SystemExit(f"run failed after {result.kills} kills: {err[-2000:]}")
        break
    done = {e["shot"] for e in _events(out) if e["stage"] == "commit"}
    final = _takes(out, done)
    result.rerendered += [k for k, v in committed.items() if final.get(k) != v]
    result.bad_artifacts += _check_artifacts(out)


def soak(kills: int, seed: int, workdir: Path) -> SoakResult:
    """Kill runs `kills` times in all (over as many runs as that takes); every finished reel must equal the
    uninterrupted reference."""
    rng = random.Random(seed)
    reference = workdir / "reference"
    proc = subprocess.run([sys.executable, "-m", "reelgraph", "generate", "--out", str(reference), *REQUEST],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    if proc.returncode:
        raise SystemExit(f"reference run failed: {proc.stderr[-2000:]}")
    expected = _fingerprint(reference)
    events = len(_events(reference))
    result = SoakResult(identical=True)
    t0 = time.time()
    rounds = 0
    while result.kills < kills or rounds == 0:
        rounds += 1
        out = workdir / f"killed{rounds}"
        _round(out, rng, result, kills, events)
        result.identical = result.identical and _fingerprint(out) == expected
    result.rounds = rounds
    result.seconds = round(time.time() - t0, 1)
    return result


OTHER_FAULTS = [
    ("corrupted checkpoint database", "test_broken_stores.py", "one error naming `checkpoints.sqlite`"),
    ("another run's checkpoint database", "test_broken_stores.py", "refused, naming the file; nothing re-rendered"),
    ("kept take deleted or truncated", "test_broken_stores.py",
     "`resume` names the file; `resume --repair` re-renders that shot only"),
    ("final reel deleted", "test_broken_stores.py", "named; `--repair` composes again, no shot re-rendered"),
    ("disk full (a small tmpfs)", "test_broken_stores.py", "one error (no space left), then `resume` finishes"),
    ("a second writer on the same run folder", "test_run_lock.py",
     "refused while the first runs; a killed holder leaves no stale lock"),
    ("hostile prompts and tool arguments (`../`, NUL, quotes, `;`, `$()`, subtitle markup)",
     "test_hostile_input.py", "stay text: no file outside the run, subtitles verbatim"),
    ("a 1 MB prompt", "test_hostile_input.py", "refused before any Director call (exit 2)"),
]


def report(result: SoakResult, kills: int, path: Path) -> None:
    rows = "\n".join(f"| SIGKILL during `{stage}` | {n} | reel completed | nothing |"
                     for stage, n in sorted(result.kill_stages.items()))
    other = "\n".join(f"| {fault} | `tests/{test}` | {what} | nothing |" for fault, test, what in OTHER_FAULTS)
    path.write_text(f"""# Reliability: kill anywhere

Regenerated by `python tests/soak/kill_resume.py --kills {kills} --report {path}`.

| fault injected | times | what survived | what was lost |
|---|---|---|---|
{rows}

- kills: {result.kills} over {result.rounds} run(s); every final reel identical to an uninterrupted run \
(decoded video and audio hashes): {result.identical}
- committed takes rendered again: {len(result.rerendered)} {result.rerendered or ''}
- artifacts missing, changed or left partial: {len(result.bad_artifacts)} {result.bad_artifacts or ''}
- wall time with kills and resumes: {result.seconds} s


## Other faults (each a test that runs in CI)

| fault injected | test | what happens | what is lost |
|---|---|---|---|
{other}
""", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reel-soak-") as tmp:
        result = soak(args.kills, args.seed, Path(tmp))
    print(json.dumps(result.__dict__, indent=2))
    if args.report:
        report(result, args.kills, args.report)
    ok = result.identical and not result.rerendered and not result.bad_artifacts
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
