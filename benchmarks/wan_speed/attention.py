"""Attention kernels alone: one self-attention layer at each size through diffusers' dispatch (time, TFLOP/s,
error against torch SDPA), and the kernel the later steps take."""

from __future__ import annotations

import time

from benchmarks import visual_gpu as VG
from benchmarks.wan_speed.bench import SpeedBench, pixels
from benchmarks.wan_speed.models import rel_err
from benchmarks.wan_speed.settings import FASTER_ATTENTION
from reelgraph.backends.diffusers.speed.flash4 import register_flash4
from reelgraph.backends.diffusers.speed.sage_triton import register_sage_triton

log = VG.log


def attention_part(b: SpeedBench) -> str:
    """One self-attention layer at each size through diffusers' dispatch: time, TFLOP/s, error vs torch SDPA.
    Returns the attention to use from here on (the fastest of "sage_triton" and "flash4" when it is at least 5 %
    faster than SDPA at the largest size with a small error, else "default")."""
    from diffusers.models import attention_dispatch as ad

    torch = b.torch
    heads, dim = b.cfg["num_attention_heads"], b.cfg["attention_head_dim"]
    names = ["default", "_native_cudnn", "_native_flash", "sage_triton", "flash4", "_flash_3", "sage"]
    if b.device.type == "cpu":
        names = ["default", "_native_math", "sage_triton", "flash4"]
    best: dict[str, float] = {}
    for size in b.args.sizes:
        w, h = b.sizes[size]
        tokens = ((b.frames - 1) // 4 + 1) * (h // 16) * (w // 16)
        gen = torch.Generator("cpu").manual_seed(3)
        q, k, v = (torch.randn(1, tokens, heads, dim, generator=gen).to(b.device, b.dtype) for _ in range(3))
        ref = None
        for name in names:
            try:
                if name == "default":
                    backend = ad.AttentionBackendName.NATIVE
                elif name == "sage_triton":
                    backend = register_sage_triton()
                elif name == "flash4":
                    backend = register_flash4()
                else:
                    backend = ad.AttentionBackendName(name)
                    ad._check_attention_backend_requirements(backend)
                t0 = time.perf_counter()
                out = ad.dispatch_attention_fn(q, k, v, backend=backend)
                b.sync()
                first = time.perf_counter() - t0
                reps = 1 if b.args.tiny else 3
                t0 = time.perf_counter()
                for _ in range(reps):
                    out = ad.dispatch_attention_fn(q, k, v, backend=backend)
                b.sync()
                s = (time.perf_counter() - t0) / reps
                if ref is None:
                    ref = out
                row = {"size": size, "tokens": tokens, "attention": name, "s": round(s, 5),
                       "first_call_s": round(first, 3), "tflops": round(4 * tokens * tokens * heads * dim / s / 1e12,
                                                                          1), "rel_err": rel_err(out, ref)}
                if name in ("default", *FASTER_ATTENTION):
                    best[f"{size}:{name}"] = s
                    best[f"{size}:{name}:err"] = row["rel_err"]
            except Exception as e:  # a kernel that is not there or fails: recorded, the run goes on
                row = {"size": size, "tokens": tokens, "attention": name, "error": f"{type(e).__name__}: {e}"[:300]}
            b.results["attention"].append(row)
            b.save()
            log(f"attention {size} {name}: {row.get('s', row.get('error'))}")
        del q, k, v, ref
        b.free()
    size = max(b.args.sizes, key=lambda s: pixels(b, s))
    default = best.get(f"{size}:default")
    good = [(best[f"{size}:{n}"], n) for n in FASTER_ATTENTION if f"{size}:{n}" in best and default
            and best[f"{size}:{n}"] < 0.95 * default and best[f"{size}:{n}:err"] < 0.05]
    choice = min(good)[1] if good else "default"
    if b.args.attention:
        choice = b.args.attention
    b.results["attention_choice"] = choice
    b.save()
    return choice
