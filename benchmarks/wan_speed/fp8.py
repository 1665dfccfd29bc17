"""fp8 linear layers (experts quantised once, compiled) and "together" (fp8 + compile + attention + guidance-1
skip + fixed-ratio cache) on the same experts, largest size first; fp8 alone."""

from __future__ import annotations

import gc
from typing import Any

from benchmarks import visual_gpu as VG
from benchmarks.wan_speed.bench import SpeedBench, attention_suffix, pixels
from benchmarks.wan_speed.fixed_block_cache import FixedBlockCache
from benchmarks.wan_speed.measure import compile_experts, run, set_attention
from benchmarks.wan_speed.models import build_experts, fingerprint
from benchmarks.wan_speed.settings import FP8_COMPILE_GUESS_S
from reelgraph.backends.diffusers.speed.fp8 import quantize_fp8
from reelgraph.backends.diffusers.speed.options import LoopSwitches

log = VG.log


def fp8_part(b: SpeedBench, attention: str) -> None:
    """Float8-quantised experts (the built ones when untouched, else rebuilt with the same seed: the exact weights
    again), compiled once; then per size, largest first: fp8 alone, and "together" on the same compiled experts."""
    torch = b.torch
    rebuilt, same = not b.pristine, None
    if rebuilt:
        for m in (b.pipe.transformer, b.pipe.transformer_2):
            m.to("meta")  # frees the GPU copies even if something still holds the modules
        b.pipe.transformer = b.pipe.transformer_2 = None
        gc.collect()
        torch._dynamo.reset()
        b.compiled = False
        b.free()
        experts = build_experts(b)
        same = fingerprint(experts) == b.fingerprint
        b.pipe.transformer, b.pipe.transformer_2 = experts["transformer"], experts["transformer_2"]
        del experts
    experts = [b.pipe.transformer, b.pipe.transformer_2]
    if b.device.type == "cuda":
        info = quantize_fp8(experts, b.device)
        b.fp8 = True
        b.results["fp8"] = {**info, "rebuilt": rebuilt, "rebuilt_weights_identical": same}
        log(f"fp8: {info['layers']} layers quantised in {info['quantize_s']} s, saved {info['saved_gib']} GiB")
    else:  # --tiny on the CPU: torchao float8 needs CUDA; the rest of the fp8 and together logic runs unquantised
        b.results["fp8"] = {"fp8_linear": None, "why": "not quantised: torchao float8 needs a CUDA GPU (--tiny)"}
        log("fp8: not quantised on the CPU (--tiny checks the logic only)")
    del experts
    b.free()
    b.save()
    compile_experts(b, fullgraph=False)
    if attention != "default":
        set_attention(b, attention)
    label = f"fp8 linear + compile{attention_suffix(attention)}"
    together_ratio = b.args.together_cache_ratio
    together = (f"together: fp8 + compile{attention_suffix(attention)} + g2=1 skip + "
                f"{together_ratio:.0%} cache skips".replace("%", " %"))

    def fp8_run(size: str, steps: int) -> dict[str, Any]:
        ref = f"exact:{size}" if f"exact:{size}" in b.latents else None
        return run(b, label, size, steps=steps, mode="compile", ref=ref)

    def together_run(size: str) -> None:
        models = [b.pipe.transformer, b.pipe.transformer_2]
        skip = FixedBlockCache(models)
        try:
            ref = f"g2=1:{size}" if f"g2=1:{size}" in b.latents else None
            run(b, together, size, steps=3, mode="compile", guidance_2=1.0, ref=ref, skip=skip,
                switches=LoopSwitches(skip_unit_guidance=True, cache_fixed_ratio=together_ratio),
                cache="FixedBlockCache (first-block cache around the compiled blocks)")
        finally:
            skip.close()

    for size in sorted(b.args.sizes, key=lambda s: -pixels(b, s)):
        compiled_here = False
        if b.wants("fp8"):
            # 3 steps where there is an exact reference (the error), else 1: the compile, then a steady forward
            steps = 3 if f"exact:{size}" in b.latents else 1
            warm = fp8_warmup_guess(b, size)
            compiled_here = b.step(f"fp8 {size}", b.est(size, 2 * steps, mode="compile", warmup=warm),
                                   lambda size=size, steps=steps: fp8_run(size, steps), key="fp8") is not None
        # 3 steps: each expert runs, one of the first expert's steps is skipped by the cache (two forwards)
        warm = 0.0 if compiled_here else fp8_warmup_guess(b, size)
        b.step(f"together {size}", b.est(size, 3, mode="compile", warmup=warm),
               lambda size=size: together_run(size), key="together")
    if attention != "default":
        set_attention(b, "default")
        size = b.args.sizes[0]
        b.step("fp8 alone", b.est(size, 6, mode="compile", warmup=30), lambda: run(
            b, "fp8 linear + compile", size, steps=3, mode="compile",
            ref=f"exact:{size}" if f"exact:{size}" in b.latents else None), key="fp8")


def fp8_warmup_guess(b: SpeedBench, size: str) -> float:
    """Seconds the first fp8 forward of a size compiles: measured (this run or merged), else the H100 guess."""
    if b.args.tiny:
        return 0.0
    seen = [r["warmup_s"] for r in b.results["runs"] if r["size"] == size and r.get("fp8")
            and r["mode"] == "compile" and r.get("warmup_s")]
    if seen:
        return max(seen)
    return 1.15 * FP8_COMPILE_GUESS_S.get(size, max(FP8_COMPILE_GUESS_S.values()))  # a margin: compiles vary
