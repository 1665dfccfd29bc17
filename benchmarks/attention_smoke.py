"""FlashAttention-4 against torch SDPA on one Wan2.2-A14B self-attention layer (720p: B=1, 75600 tokens, 40 heads,
head dim 128, bf16), on one GPU.

    python3 benchmarks/attention_smoke.py                      # flash-attn-4 installed in this Python
    python3 benchmarks/attention_smoke.py --site DIR           # wheels installed with `pip install --target DIR`

Times torch SDPA (its own choice, cuDNN on an H100), SDPA forced to cuDNN, and FlashAttention-4
(`flash_attn.cute.flash_attn_func`), each warmed up (the first call, where FA4 compiles its kernel, is reported
apart), then CUDA-event timed: ms per call and TFLOP/s = 4 * B * H * S_q * S_kv * D / t. Errors: relative
(Frobenius) error of each output against SDPA's, and against an fp32 reference on the first --ref-rows query rows.
Also checks a cross-attention shape (the same queries, --cross key/value tokens: the text length). Prints the
figures and the JSON; writes benchmarks/results/attention_smoke_<gpu>.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import site
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_SITE = os.environ.get("ATTENTION_SMOKE_SITE")


def add_site(folder: str | None) -> None:
    """Put a `pip install --target` folder on the path with its .pth files (nvidia-cutlass-dsl puts its
    `dsl_packages` folder on the path through one)."""
    if folder and Path(folder).is_dir():
        folder = str(Path(folder).resolve())
        site.addsitedir(folder)
        if folder in sys.path:
            sys.path.remove(folder)
        sys.path.insert(0, folder)  # ahead of the system's site-packages


def import_fa4() -> Any:
    """`flash_attn.cute.flash_attn_func`; when the .pth of nvidia-cutlass-dsl was not processed (a folder on
    PYTHONPATH), its `dsl_packages` folder is put on the path here."""
    import importlib.util

    try:
        import cutlass  # noqa: F401
    except ImportError:
        spec = importlib.util.find_spec("nvidia_cutlass_dsl")
        if spec is not None and spec.submodule_search_locations:
            sys.path.insert(0, str(Path(list(spec.submodule_search_locations)[0]) / "dsl_packages"))
    from flash_attn.cute import flash_attn_func

    return flash_attn_func


def versions() -> dict[str, str | None]:
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name in ("flash-attn-4", "nvidia-cutlass-dsl", "nvidia-cutlass-dsl-libs-cu13", "nvidia-cutlass-dsl-libs-cu12",
                 "quack-kernels", "apache-tvm-ffi", "torch-c-dlpack-ext"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def rel(a: Any, ref: Any) -> float:
    a, ref = a.float(), ref.float()
    return float((a - ref).norm() / ref.norm())


def fp32_rows(q: Any, k: Any, v: Any, rows: int, scale: float) -> Any:
    """Exact attention (fp32) for the first `rows` query rows, head by head, in (B, rows, H, D)."""
    import torch

    out = torch.empty(q.shape[0], rows, q.shape[2], v.shape[3], dtype=torch.float32, device=q.device)
    for h in range(q.shape[2]):
        s = torch.einsum("bqd,bkd->bqk", q[:, :rows, h].float(), k[:, :, h].float()) * scale
        out[:, :, h] = torch.einsum("bqk,bkd->bqd", s.softmax(-1), v[:, :, h].float())
        del s
    return out


def timed(fn: Any, warmup: int, reps: int) -> tuple[Any, float, float]:
    """(output, first call s, median ms of `reps` CUDA-event-timed calls after `warmup` more)."""
    import torch

    t0 = time.perf_counter()
    out = fn()
    torch.cuda.synchronize()
    first = time.perf_counter() - t0
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return out, first, times[len(times) // 2]


def run_shape(args: argparse.Namespace, fa4: Any, kv_tokens: int, label: str) -> list[dict[str, Any]]:
    import torch
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel

    b, s, h, d = args.batch, args.seq, args.heads, args.dim
    gen = torch.Generator("cuda").manual_seed(3)
    q = torch.randn(b, s, h, d, device="cuda", dtype=torch.bfloat16, generator=gen)
    k, v = (torch.randn(b, kv_tokens, h, d, device="cuda", dtype=torch.bfloat16, generator=gen) for _ in range(2))
    scale = d ** -0.5
    flops = 4 * b * h * s * kv_tokens * d
    exact = fp32_rows(q, k, v, min(args.ref_rows, s), scale) if args.ref_rows else None

    def sdpa() -> Any:
        return F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                                              scale=scale).transpose(1, 2)

    def sdpa_cudnn() -> Any:
        with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
            return sdpa()

    def flash4() -> Any:
        out = fa4(q, k, v, softmax_scale=scale, causal=False)
        return out[0] if isinstance(out, tuple) else out

    kernels = [("sdpa", sdpa), ("sdpa_cudnn", sdpa_cudnn)]
    if fa4 is not None:
        kernels.append(("flash4", flash4))
    rows: list[dict[str, Any]] = []
    ref = None
    with torch.no_grad():
        for name, fn in kernels:
            row: dict[str, Any] = {"shape": label, "kernel": name, "batch": b, "seq_q": s, "seq_kv": kv_tokens,
                                   "heads": h, "dim": d}
            try:
                out, first, ms = timed(fn, args.warmup, args.reps)
                if ref is None:
                    ref = out
                row.update(ms=round(ms, 3), tflops=round(flops / (ms / 1e3) / 1e12, 1), first_call_s=round(first, 2),
                           rel_err_vs_sdpa=rel(out, ref), out_shape=list(out.shape))
                if exact is not None:
                    row["rel_err_vs_fp32_rows"] = rel(out[:, :exact.shape[1]], exact)
                del out
            except Exception as e:  # a kernel that fails here is recorded, the others still run
                row["error"] = f"{type(e).__name__}: {e}"[:500]
            rows.append(row)
            torch.cuda.empty_cache()
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--seq", type=int, default=75600, help="query (and self-attention key) tokens; 480p: 32760")
    p.add_argument("--heads", type=int, default=40)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--cross", type=int, default=512, help="key/value tokens of the cross-attention check (0: none)")
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--ref-rows", type=int, default=256, help="query rows checked against fp32 (0: none)")
    p.add_argument("--site", default=DEFAULT_SITE, help="a `pip install --target` folder holding flash-attn-4")
    p.add_argument("--out", default=None, help="results JSON (default benchmarks/results/attention_smoke_<gpu>.json)")
    args = p.parse_args(argv)

    add_site(args.site)
    import torch

    if not torch.cuda.is_available():
        print("attention_smoke: needs a CUDA GPU", file=sys.stderr)
        return 2
    gpu = torch.cuda.get_device_name()
    result: dict[str, Any] = {
        "device": gpu, "capability": list(torch.cuda.get_device_capability()), "torch": torch.__version__,
        "cuda": torch.version.cuda, "python": platform.python_version(), "packages": versions(),
        "flops": "4 * B * H * S_q * S_kv * D per call", "rows": [],
    }
    fa4 = None
    try:
        t0 = time.perf_counter()
        fa4 = import_fa4()
        result["fa4_import_s"] = round(time.perf_counter() - t0, 2)
        result["fa4"] = "flash_attn.cute.flash_attn_func"
    except Exception as e:
        result["fa4_error"] = f"{type(e).__name__}: {e}"[:500]
    result["rows"] += run_shape(args, fa4, args.seq, "self")
    torch.cuda.empty_cache()
    if args.cross:
        result["rows"] += run_shape(args, fa4, args.cross, "cross")
    by = {(r["shape"], r["kernel"]): r for r in result["rows"]}
    fa, base = by.get(("self", "flash4"), {}), by.get(("self", "sdpa"), {})
    if fa.get("ms") and base.get("ms"):
        result["flash4_speedup_vs_sdpa"] = round(base["ms"] / fa["ms"], 3)

    for r in result["rows"]:
        if "error" in r:
            print(f"{r['shape']:5} {r['kernel']:10} not available: {r['error'][:160]}")
        else:
            print(f"{r['shape']:5} {r['kernel']:10} {r['ms']:9.3f} ms {r['tflops']:7.1f} TFLOP/s  first "
                  f"{r['first_call_s']:6.2f} s  err vs SDPA {r['rel_err_vs_sdpa']:.2e}  vs fp32 rows "
                  f"{r.get('rel_err_vs_fp32_rows', float('nan')):.2e}")
    if "fa4_error" in result:
        print(f"flash4 not importable: {result['fa4_error']}")
    slug = re.sub(r"[^a-z0-9]+", "_", gpu.lower()).strip("_")
    out = Path(args.out) if args.out else None
    if out is None and (HERE / "results").is_dir():
        out = HERE / "results" / f"attention_smoke_{slug}.json"
    text = json.dumps(result, indent=1)
    print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
