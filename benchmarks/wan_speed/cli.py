"""The command line: options checked, the run set up, every step run, the table written and printed."""

from __future__ import annotations

import argparse
from pathlib import Path

import benchmarks.wan_speed as package
from benchmarks import visual_gpu as VG
from benchmarks.wan_speed.bench import SpeedBench
from benchmarks.wan_speed.report import markdown
from benchmarks.wan_speed.settings import FASTER_ATTENTION, STEP_NAMES, TOGETHER_CACHE_RATIO
from benchmarks.wan_speed.steps import wan
from benchmarks.wan_speed.table import table_rows
from reelgraph.backends.diffusers.speed.inductor_cache import set_inductor_cache

log = VG.log


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m benchmarks.wan_speed",
                                description=package.__doc__.split("\n\n")[0])
    p.add_argument("--tiny", action="store_true", help="tiny configs on the CPU (checks the logic)")
    p.add_argument("--sizes", default="480p,720p")
    p.add_argument("--budget-s", type=float, default=450.0, help="start nothing that would end past this")
    p.add_argument("--compile-backend", default=None, help="torch.compile backend (default inductor; --tiny eager)")
    p.add_argument("--inductor-cache-dir", default=None, help="compiled-kernel cache (TORCHINDUCTOR_CACHE_DIR)")
    p.add_argument("--eager-720p", action="store_true", help="also time exact eager at 720p (else the earlier "
                   "visual_gpu figure is used)")
    p.add_argument("--only", default=None, metavar="NAMES", help="run only these steps, comma-separated: "
                   f"{', '.join(STEP_NAMES)} (plus the setup they share)")
    p.add_argument("--merge", default=None, metavar="PATH", help="an earlier results JSON: its rows stay, the "
                   "new measurements replace those of the same configuration and size")
    p.add_argument("--together-cache-ratio", type=float, default=TOGETHER_CACHE_RATIO,
                   help="share of forwards the together run's first-block cache skips (fixed schedule)")
    p.add_argument("--attention", default=None, choices=("default", *FASTER_ATTENTION),
                   help="attention for the later steps (default: the fastest measured, else SDPA)")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    args.sizes = [s for s in args.sizes.split(",") if s]
    bad = [s for s in args.sizes if s not in VG.SIZES]
    if bad:
        p.error(f"unknown sizes {bad}; known: {', '.join(VG.SIZES)}")
    args.only = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    bad = [n for n in args.only or () if n not in STEP_NAMES]
    if bad or args.only == []:
        p.error(f"unknown --only steps {bad}; known: {', '.join(STEP_NAMES)}")
    if args.merge and not Path(args.merge).is_file():
        p.error(f"--merge: no file {args.merge}")
    args.compile_backend = args.compile_backend or ("eager" if args.tiny else "inductor")
    if args.inductor_cache_dir:
        set_inductor_cache(args.inductor_cache_dir)
    b = SpeedBench(args)
    if b.device.type == "cpu" and not args.tiny:
        p.error("no CUDA GPU: full-size models need one (use --tiny to check the script on the CPU)")
    torch = b.torch
    if b.device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
    import torch._dynamo

    torch._dynamo.config.automatic_dynamic_shapes = False  # one static graph per size, as a run of one size gets
    torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, 64)
    log(f"{b.results['device']} ({b.card_gib or 0:.1f} GiB), torch {b.results['torch']}, diffusers "
        f"{b.results['diffusers']}, packages {b.results['packages']}; results -> {b.out}")
    b.guard("wan", lambda: wan(b))
    b.results["table"] = table_rows(b)
    b.results["complete"] = True
    b.results["total_s"] = round(b.elapsed(), 1)
    b.save()
    print(markdown(b), flush=True)
    log(f"done; wrote {b.out} and {b.out.with_suffix('.md').name}")
    return 0 if not b.results["errors"] else 1
