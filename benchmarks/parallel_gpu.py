"""One Wan2.2-I2V-A14B clip (full size, random weights) on one GPU and split over several with the video backend's
`parallel` option: the same frames? how much faster? how much memory per GPU?

    python3 benchmarks/parallel_gpu.py --preset 480p --compare                      # 1 GPU, then 2: equality
    python3 benchmarks/parallel_gpu.py --preset 720p --steps 30 --guidance 3.5 --guidance-2 1 \\
        --cache-ratio 0.5 --fp8 --compile --only-parallel                           # a 30-step clip, 2 GPUs
    python3 benchmarks/parallel_gpu.py --tiny --compare                             # tiny, on the CPU (the path)

Each configuration renders the same image->video clip (5 s at 16 fps, the preset's size; `--clips` of them, the
first one's time holding any compile warm-up) through `RandomWanBackend` (benchmarks/gpu_random_backends.py), the
studio's own video backend with its weights built on the GPU. Without `--steps` the few-step preset runs (a random
step LoRA fused, 4 steps, no CFG). Reported per configuration: clip wall time and the backend's stage timers, the
median expert forward, peak memory on rank 0 and on the other ranks, and, with `--compare`, whether the split clip's
frames equal the single GPU's (and their largest difference). Writes JSON to --out.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GiB = 1 << 30


def log(msg: str) -> None:
    print(msg, flush=True)


def options(args: argparse.Namespace, work: Path, parallel: dict[str, int] | None) -> dict[str, Any]:
    """The video backend's options for one configuration."""
    opts: dict[str, Any] = {"size": "tiny" if args.tiny else "full", "preset": args.preset}
    if args.tiny:
        opts.update(device="cpu", num_frames=9)
    if args.steps:
        opts.update(steps=args.steps, guidance=args.guidance)
        if args.guidance_2 is not None:
            opts["guidance_2"] = args.guidance_2
    else:
        opts.update(few_step_lora=str(work / "step_lora"), few_step_steps=4)
    if args.cache_ratio:
        opts.update(first_block_cache=0.05, cache_fixed_ratio=args.cache_ratio)
    if args.fp8:
        opts["fp8_linear"] = True
    if args.compile:
        opts["compile"] = True
    if args.attention:
        opts["attention"] = args.attention
    if parallel:
        opts["parallel"] = parallel
    return opts


def render(args: argparse.Namespace, work: Path, parallel: dict[str, int] | None, keyframe: Path,
           name: str) -> tuple[dict[str, Any], list[Path]]:
    """Build the backend, render `--clips` clips; figures and the clips' paths."""
    import torch

    from benchmarks.gpu_random_backends import RandomWanBackend
    from reelgraph.backends.base import MotionSpec
    from reelgraph.config import BackendConfig

    cfg = BackendConfig(backend="benchmarks.gpu_random_backends:RandomWanBackend", model=None,
                        options=options(args, work, parallel))
    t0 = time.perf_counter()
    video = RandomWanBackend(cfg)
    video.pipe  # noqa: B018  (build, place, split)
    row: dict[str, Any] = {"name": name, "parallel": parallel, "options": cfg.options,
                           "build_s": round(time.perf_counter() - t0, 2), "clips": []}
    w, h = (128, 72) if args.tiny else (1280, 720) if args.preset == "720p" else (832, 480)
    seconds = 0.5 if args.tiny else 5.0
    paths = []
    try:
        for k in range(args.clips):
            out = work / f"{name}_{k}.mp4"
            motion = MotionSpec(prompt="a lighthouse keeper waves at a small robot in the rain", seconds=seconds,
                                fps=16, width=w, height=h, seed=k)
            t = time.perf_counter()
            info = video.animate(keyframe, motion, out)
            wall = time.perf_counter() - t
            m = info.meta
            den = m.get("denoise") or {}
            row["clips"].append({
                "wall_s": round(wall, 2), "timings_s": m.get("timings_s"),
                "rank0_peak_gib": round(max((m.get("peak_memory_bytes") or {0: 0}).values()) / GiB, 2),
                "other_ranks_peak_gib": {r: round(b / GiB, 2)
                                         for r, b in (m.get("parallel_peak_memory_bytes") or {}).items()},
                "forwards": den.get("forwards"), "cache_skipped": den.get("cache_skipped"),
                "median_forward_s": den.get("median_forward_s"), "compile_warmup_s": den.get("compile_warmup_s"),
                "generated": m.get("generated")})
            log(f"{name} clip {k + 1}: {wall:.1f} s {m.get('timings_s')}, median forward "
                f"{den.get('median_forward_s')} s, peaks rank0 {row['clips'][-1]['rank0_peak_gib']} GiB "
                f"others {row['clips'][-1]['other_ranks_peak_gib']}")
            paths.append(out)
        row["speed"] = {k: v for k, v in video.speed.items() if k != "few_step"}
        row["memory_plan"] = video.plan.describe() if video.plan else None
    finally:
        video.close()
        del video
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    return row, paths


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", default="/tmp/parallel_gpu")
    p.add_argument("--out", default=None)
    p.add_argument("--tiny", action="store_true")
    p.add_argument("--preset", choices=("480p", "720p"), default="720p")
    p.add_argument("--parallel", default="ulysses=2")
    p.add_argument("--compare", action="store_true", help="also render on one GPU and compare the frames")
    p.add_argument("--only-parallel", action="store_true", help="the split configuration only")
    p.add_argument("--clips", type=int, default=1)
    p.add_argument("--steps", type=int, default=0, help="0: the few-step preset")
    p.add_argument("--guidance", type=float, default=3.5)
    p.add_argument("--guidance-2", type=float, default=None)
    p.add_argument("--cache-ratio", type=float, default=0.0)
    p.add_argument("--fp8", action="store_true")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--attention", default=None)
    args = p.parse_args(argv)
    import numpy as np
    import torch
    from PIL import Image

    from benchmarks import gpu_random_backends as rb
    from benchmarks.studio_gpu import parse_parallel
    from reelgraph.media.ffmpeg import decode_frames

    if not args.tiny and not torch.cuda.is_available():
        print("no CUDA GPU (use --tiny on the CPU)", file=sys.stderr)
        return 2
    parallel = parse_parallel(p, args.parallel)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    size = "tiny" if args.tiny else "full"
    if not args.steps:
        rb.write_step_lora(work / "step_lora", size, "cpu" if args.tiny else "cuda")
    keyframe = work / "keyframe.png"
    w, h = (128, 72) if args.tiny else (1280, 720) if args.preset == "720p" else (832, 480)
    Image.fromarray((np.random.default_rng(0).random((h, w, 3)) * 255).astype(np.uint8)).save(keyframe)
    device = torch.cuda.get_device_name() if torch.cuda.is_available() and not args.tiny else platform.machine()
    res: dict[str, Any] = {"benchmark": "parallel_gpu", "device": device,
                           "gpus": torch.cuda.device_count() if torch.cuda.is_available() else 0,
                           "torch": torch.__version__, "preset": args.preset, "args": vars(args), "rows": []}
    out = Path(args.out or ROOT / "benchmarks" / "results" / f"parallel_gpu_{'cpu_tiny' if args.tiny else 'h200'}"
                                                             f"_{args.preset}.json")

    def save() -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(res, indent=2, default=str), encoding="utf-8")

    runs = ([] if args.only_parallel else [("one", None)]) + [("split", parallel)]
    clips: dict[str, list[Path]] = {}
    for name, par in runs:
        try:
            row, clips[name] = render(args, work, par, keyframe, name)
        except Exception as e:  # kept with the figures so far
            res["rows"].append({"name": name, "parallel": par, "error": f"{type(e).__name__}: {e}"})
            save()
            log(f"{name}: ERROR {type(e).__name__}: {e}")
            continue
        res["rows"].append(row)
        save()
    if args.compare and "one" in clips and "split" in clips:
        a = np.stack(list(decode_frames(clips["one"][0]))).astype(np.int16)
        b = np.stack(list(decode_frames(clips["split"][0]))).astype(np.int16)
        res["equal_frames"] = bool(a.shape == b.shape and np.array_equal(a, b))
        res["max_abs_diff"] = int(np.abs(a - b).max()) if a.shape == b.shape else None
        log(f"split clip equals the single GPU's: {res['equal_frames']} (largest difference {res['max_abs_diff']})")
        one, split = (r for r in res["rows"] if "clips" in r)
        res["speedup"] = round(one["clips"][-1]["wall_s"] / split["clips"][-1]["wall_s"], 3)
        log(f"clip: {one['clips'][-1]['wall_s']} s on one GPU, {split['clips'][-1]['wall_s']} s split: "
            f"{res['speedup']}x")
    save()
    return 0 if all("error" not in r for r in res["rows"]) else 1


if __name__ == "__main__":
    sys.exit(main())
