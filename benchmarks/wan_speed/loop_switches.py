"""The loop switches, eager and each alone, at the small size: guidance-1 skip, fixed-ratio first-block cache,
batched CFG; exact eager at 720p when asked."""

from __future__ import annotations

from benchmarks.wan_speed.bench import SpeedBench
from benchmarks.wan_speed.measure import run
from reelgraph.backends.diffusers.speed.first_block_cache import SkipControl
from reelgraph.backends.diffusers.speed.options import LoopSwitches


def loop_switches(b: SpeedBench) -> None:
    """Guidance-1 (reference and skip), fixed-ratio cache, batched CFG; exact eager 720p (--eager-720p)."""
    small = b.args.sizes[0]
    # the loop switches, eager (alone), at the small size
    b.step("guidance-1 reference", b.est(small, 6), lambda: run(
        b, "exact, g2=1 (diffusers: unconditional computed, discarded)", small, steps=3, mode="eager",
        guidance_2=1.0, switches=LoopSwitches(skip_unit_guidance=False), keep=f"g2=1:{small}"), key="guidance-1")
    b.step("guidance-1 skip", b.est(small, 4), lambda: run(
        b, "skip unconditional where guidance is 1 (g2=1)", small, steps=3, mode="eager", guidance_2=1.0,
        switches=LoopSwitches(skip_unit_guidance=True), ref=f"g2=1:{small}"), key="guidance-1")

    def fixed_cache() -> None:
        from diffusers import FirstBlockCacheConfig

        models = [b.pipe.transformer, b.pipe.transformer_2]
        for m in models:
            m.enable_cache(FirstBlockCacheConfig(threshold=0.05))
        skip = SkipControl(models)
        try:
            run(b, "first-block cache, fixed skips", small, steps=3, mode="eager",
                switches=LoopSwitches(cache_fixed_ratio=0.5), skip=skip, ref=f"exact:{small}")
        finally:
            skip.close()
            for m in models:
                m.disable_cache()

    b.step("fixed-ratio cache", b.est(small, 5), fixed_cache, key="cache")
    b.step("batched CFG", b.est(small, 6), lambda: run(
        b, "batched CFG (batch 2)", small, steps=3, mode="eager", switches=LoopSwitches(batch_cfg=True),
        ref=f"exact:{small}"), key="batched")
    if "720p" in b.args.sizes and (b.args.eager_720p or "eager-720p" in (b.args.only or ())):
        b.step("exact eager 720p", b.est("720p", 4), lambda: run(b, "exact (eager bf16, SDPA)", "720p", steps=2,
                                                                  mode="eager"), key="eager-720p")
