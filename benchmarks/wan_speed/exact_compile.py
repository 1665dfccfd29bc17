"""The exact reference (eager bf16, SDPA) and its VAE decode, then regional compile at each size, alone and with
the faster attention kernel."""

from __future__ import annotations

from benchmarks.wan_speed.bench import SpeedBench, attention_suffix
from benchmarks.wan_speed.measure import compile_experts, decode, run, set_attention


def exact_and_compile(b: SpeedBench, attention: str) -> None:
    """Exact eager at the small size (the reference every error is against), then compile at each size."""
    small = b.args.sizes[0]
    # exact reference, then compile (alone and with the faster attention), at each size
    b.step("exact eager", b.est(small, 6, warmup=3), lambda: run(
        b, "exact (eager bf16, SDPA)", small, steps=3, mode="eager", keep=f"exact:{small}"), key="exact")
    b.step(f"decode {small}", 5 if b.args.tiny else 15, lambda: decode(b, small, f"exact:{small}"), key="exact")

    def compiled(size: str, steps: int, att: str) -> None:
        compile_experts(b)
        set_attention(b, att)
        try:
            run(b, f"compile{attention_suffix(att)}", size, steps=steps, mode="compile",
                ref=f"exact:{size}" if steps == 3 else None, keep=f"compile:{size}:{att}")
        finally:
            set_attention(b, "default")

    for size in b.args.sizes:
        steps = 3 if size == small else 2
        for att in ("default", attention) if attention != "default" else ("default",):
            b.step(f"compile {size} {att}", b.est(size, 2 * steps, mode="compile", warmup=25),
                   lambda size=size, steps=steps, att=att: compiled(size, steps, att), key="compile")
        if size != small:
            b.step(f"decode {size}", 10 if b.args.tiny else 25, lambda size=size: decode(b, size,
                                                                                       f"compile:{size}:default"),
                   key="compile")
