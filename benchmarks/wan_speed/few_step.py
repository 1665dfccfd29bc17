"""The few-step preset: a random rank-64 step-distillation LoRA loaded and fused through the backend's loader,
timed without CFG."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks import visual_gpu as VG
from benchmarks.gpu_random_backends import random_lora
from benchmarks.wan_speed.bench import SpeedBench, attention_suffix
from benchmarks.wan_speed.measure import compile_experts, run, set_attention
from benchmarks.wan_speed.settings import FEW_STEPS, LORA_RANK
from reelgraph.backends.diffusers.speed.lora import load_step_lora

log = VG.log


def few_step_part(b: SpeedBench, attention: str) -> None:
    """A random rank-64 LoRA (every Linear of the blocks, the shape of a Wan2.2 Lightning LoRA) saved as
    high/low-noise files, loaded and fused through the backend's loader, then timed without CFG."""
    from safetensors.torch import save_file

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wan-lora-") as tmp:
        for name, file in (("transformer", "high_noise_model.safetensors"),
                           ("transformer_2", "low_noise_model.safetensors")):
            state = random_lora(getattr(b.pipe, name), rank=LORA_RANK, std=0.01, seed=11)
            save_file(state, str(Path(tmp) / file))
            lora_bytes = sum(t.numel() * t.element_size() for t in state.values())
            del state
        make_s = time.perf_counter() - t0
        info = load_step_lora(b.pipe, tmp)
    b.pristine = False
    b.sync()
    b.results["few_step_lora"] = {**info, "rank": LORA_RANK, "make_s": round(make_s, 2),
                                  "bytes_per_expert": lora_bytes}
    b.save()
    log(f"few-step LoRA loaded and fused in {info['load_s']} s")
    compile_experts(b)
    if attention != "default":
        set_attention(b, attention)
    for size in b.args.sizes:
        label = f"few-step preset ({FEW_STEPS} steps, no CFG, LoRA fused, compile{attention_suffix(attention)})"
        # 3 steps (high, low, low): one steady forward past each expert's first
        b.step(f"few-step {size}", b.est(size, 3, mode="compile", warmup=20),
               lambda size=size, label=label: run(b, label, size, steps=3, mode="compile", guidance=1.0,
                                                  guidance_2=1.0, clip_steps=FEW_STEPS, cfg=False))
    set_attention(b, "default")
