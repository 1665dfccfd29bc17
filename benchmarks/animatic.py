"""Wall time of the README example with the offline animatic profile, per stage.

    python benchmarks/animatic.py [--out DIR] [--runs N]

Prints the figures and writes benchmarks/results/animatic.json. Goal: <= 60 s for 6 shots of 5 s at 854x480, 24 fps.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from reelgraph.run import lifecycle as runner

PROMPT = "A lighthouse keeper befriends a stray robot during a storm"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--languages", default="en")
    parser.add_argument("--result", type=Path, default=Path(__file__).parent / "results" / "animatic.json")
    args = parser.parse_args()
    runs = []
    for i in range(args.runs):
        out = Path(tempfile.mkdtemp(prefix="reel-bench-")) / "demo"
        request = runner.parse_request(prompt=PROMPT, languages=args.languages.split(","))
        t0 = time.perf_counter()
        state = runner.generate(request, out)
        wall = time.perf_counter() - t0
        summary = json.loads((out / "summary.json").read_text())
        runs.append({"wall_s": round(wall, 2), "stage_s": summary["stage_seconds"],
                     "attempts": sum(s["attempts"] for s in summary["shots"]), "finished": state.final is not None})
        print(f"run {i + 1}: {wall:.1f} s  " + "  ".join(f"{k} {v:.1f}s" for k, v in summary["stage_seconds"].items()))
        shutil.rmtree(out.parent, ignore_errors=True)
    result = {
        "benchmark": "animatic", "prompt": PROMPT, "shots": 6, "shot_seconds": 5, "size": "854x480", "fps": 24,
        "languages": args.languages.split(","), "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                                             "python": platform.python_version()},
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "runs": runs, "best_wall_s": min(r["wall_s"] for r in runs),
    }
    args.result.parent.mkdir(parents=True, exist_ok=True)
    args.result.write_text(json.dumps(result, indent=2))
    print(f"best {result['best_wall_s']:.1f} s over {len(runs)} run(s); peak RSS {result['peak_rss_mib']} MiB "
          f"-> {args.result}")


if __name__ == "__main__":
    main()
