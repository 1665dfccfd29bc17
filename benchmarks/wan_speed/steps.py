"""Every measurement step in order, most useful first (each skipped when it would pass the budget)."""

from __future__ import annotations

from benchmarks import visual_gpu as VG
from benchmarks.wan_speed.attention import attention_part
from benchmarks.wan_speed.bench import SpeedBench
from benchmarks.wan_speed.exact_compile import exact_and_compile
from benchmarks.wan_speed.few_step import few_step_part
from benchmarks.wan_speed.fp8 import fp8_part
from benchmarks.wan_speed.loop_switches import loop_switches
from benchmarks.wan_speed.models import build_pipe

log = VG.log


def wan(b: SpeedBench) -> None:
    """Build the models, then run every step this run asks for (--only), in order."""
    log(f"building two experts + VAE on {b.device}")
    build_pipe(b)
    attention = b.step("attention kernels", 5 if b.args.tiny else 40, lambda: attention_part(b), key="attention")
    attention = attention or b.args.attention or b.results.get("attention_choice") or "default"  # else merged
    exact_and_compile(b, attention)
    loop_switches(b)
    b.step("few-step preset", 10 if b.args.tiny else 35, lambda: few_step_part(b, attention), key="few-step")
    if b.wants("fp8") or b.wants("together"):
        if b.device.type == "cuda" or b.args.tiny:
            b.step("fp8", 10 if b.args.tiny else 5, lambda: fp8_part(b, attention))
        else:
            b.results["skipped"].append({"what": "fp8", "why": "torchao float8 needs a CUDA GPU (compute 8.9+)",
                                         "step": "fp8"})
