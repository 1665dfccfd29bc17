"""Scale-out on Ray: wall time of a 12-shot animatic reel with the local executor and with 1 and 2 Ray workers.

    python benchmarks/scale.py [--shots 12] [--workers 1,2] [--runs 1]

Each configuration runs as `reelgraph generate` in a fresh process (its own private, loopback-only Ray cluster, whose
start-up is counted in the wall time). Each Ray worker gets one CPU core of its own (`num_cpus = 1`, `pin_cpus`), the
way a model worker gets one GPU: 2 workers have twice the hardware of 1. `local` renders in the driver on every core.
Prints the figures and writes benchmarks/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPT = "A lighthouse keeper befriends a stray robot during a storm"


def run_once(tmp: Path, name: str, shots: int, workers: int | None) -> dict:
    profile = tmp / f"{name}.toml"
    if workers is None:
        profile_arg = "animatic"
    else:
        # worker i = image actor i + video actor i, both pinned to core i (one CPU each in Ray's books)
        profile.write_text(f'[executor]\nkind = "ray"\nworkers = {workers}\nnum_cpus = 1\npin_cpus = true\n'
                           f'cluster_cpus = {2 * workers}\n')
        profile_arg = str(profile)
    out = tmp / name
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "reelgraph", "generate", "--prompt", PROMPT, "--out", str(out),
                           "--shots", str(shots), "--profile", profile_arg], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-2000:]}")
    summary = json.loads((out / "summary.json").read_text())
    events = [json.loads(x) for x in (out / "events.jsonl").read_text().splitlines() if x.strip()]
    t_first = min(e["t"] for e in events)
    shot_start = min(e["t"] for e in events if e["stage"] == "shot")
    cast_start = next(e["t"] for e in events if e["stage"] == "cast")
    script = json.loads((out / "script.json").read_text())
    chains = sum(1 for i, s in enumerate(script["shots"]) if i == 0 or s["transition"] != "continuous")
    return {"config": name, "workers": workers, "wall_s": round(wall, 2), "stage_s": summary["stage_seconds"],
            "shots_s": summary["stage_seconds"].get("shots"), "chains": chains,
            "start_to_cast_s": round(cast_start - t_first, 2),
            "cast_to_first_shot_s": round(shot_start - cast_start, 2)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shots", type=int, default=12)
    p.add_argument("--workers", default="1,2")
    p.add_argument("--runs", type=int, default=1, help="runs per configuration (the best is kept)")
    p.add_argument("--result", type=Path, default=Path(__file__).parent / "results" / "scale.json")
    args = p.parse_args()
    configs: list[tuple[str, int | None]] = [("local", None)]
    configs += [(f"ray-{w}", w) for w in map(int, args.workers.split(","))]
    rows = []
    with tempfile.TemporaryDirectory(prefix="reel-scale-") as tmp:
        for name, workers in configs:
            best = None
            for i in range(args.runs):
                row = run_once(Path(tmp), f"{name}-{i}", args.shots, workers)
                row["config"] = name
                print(f"{name:8s} run {i + 1}: wall {row['wall_s']:6.1f} s, shots stage {row['shots_s']:6.1f} s "
                      f"({row['chains']} chains)", flush=True)
                best = row if best is None or row["wall_s"] < best["wall_s"] else best
            rows.append(best)
    one = next((r for r in rows if r["workers"] == 1), None)
    for r in rows:
        if one and r["workers"]:
            r["speedup_vs_1_worker"] = {"wall": round(one["wall_s"] / r["wall_s"], 2),
                                        "shots": round(one["shots_s"] / r["shots_s"], 2)}
    result = {"benchmark": "scale", "prompt": PROMPT, "shots": args.shots, "profile": "animatic backends",
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "python": platform.python_version()}, "rows": rows}
    args.result.parent.mkdir(parents=True, exist_ok=True)
    args.result.write_text(json.dumps(result, indent=2))
    print("\n| config | wall s | shots stage s | speed-up (wall / shots) vs 1 worker |\n|---|---|---|---|")
    for r in rows:
        sp = r.get("speedup_vs_1_worker")
        speedup = f"{sp['wall']}x / {sp['shots']}x" if sp else ""
        print(f"| {r['config']} | {r['wall_s']} | {r['shots_s']} | {speedup} |")
    print(f"-> {args.result}")


if __name__ == "__main__":
    main()
