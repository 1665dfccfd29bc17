"""The models and inputs every run shares: both experts and the VAE built seeded with random weights, the
scheduler of a size, the conditioning frame and prompt embeddings, the relative error of two latents."""

from __future__ import annotations

import time
from typing import Any

from benchmarks import visual_gpu as VG
from benchmarks.wan_speed.bench import SpeedBench
from benchmarks.wan_speed.settings import CLIP_STEPS, GUIDANCE
from reelgraph.backends.diffusers.speed.fp8 import real_module_bytes
from reelgraph.backends.diffusers.wan_loop import expert_names

GiB = VG.GiB


def build_experts(b: SpeedBench) -> dict[str, Any]:
    """Both experts, seeded (a rebuild gives the same weights)."""
    from diffusers import WanTransformer3DModel

    experts = {}
    for i, name in enumerate(("transformer", "transformer_2")):
        b.torch.manual_seed(1000 + i)
        experts[name] = b.build(WanTransformer3DModel, b.cfg)
    return experts


def fingerprint(experts: dict[str, Any]) -> list[float]:
    """A few weight sums: equal lists mean the same random weights."""
    out = []
    for m in experts.values():
        params = list(m.parameters())
        for p in (params[0], params[len(params) // 2], params[-1]):
            out.append(round(float(p.float().sum()), 3))
    return out


def build_pipe(b: SpeedBench) -> None:
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanImageToVideoPipeline

    t = time.perf_counter()
    experts = build_experts(b)
    b.torch.manual_seed(7)
    vae = b.build(AutoencoderKLWan, VG.TINY_WAN_VAE if b.args.tiny else VG.WAN_VAE)
    b.pipe = WanImageToVideoPipeline(
        tokenizer=None, text_encoder=None, vae=vae, transformer=experts["transformer"],
        transformer_2=experts["transformer_2"], boundary_ratio=VG.BOUNDARY,
        scheduler=UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0))
    b.pipe.set_progress_bar_config(disable=True)
    b.fingerprint = fingerprint(experts)
    params = sum(p.numel() for p in experts["transformer"].parameters())
    b.results["model"] = {
        "params_per_expert_b": round(params / 1e9, 3), "boundary_ratio": VG.BOUNDARY, "frames": b.frames,
        "build_s": round(time.perf_counter() - t, 2), "guidance": GUIDANCE,
        "weights_gib": round(sum(real_module_bytes(m) for m in (*experts.values(), vae)) / GiB, 2),
    }
    for size in b.args.sizes:
        set_scheduler(b, size)
        b.results["experts_30_steps"][size] = expert_names(b.pipe, CLIP_STEPS)
    b.save()


def set_scheduler(b: SpeedBench, size: str) -> None:
    from diffusers import UniPCMultistepScheduler

    b.pipe.scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True,
                                               flow_shift=VG.FLOW_SHIFT[size])


_INPUTS: dict[str, Any] = {}


def inputs(b: SpeedBench, size: str) -> dict[str, Any]:
    """The same conditioning frame and prompt embeddings for every run of a size."""
    if size not in _INPUTS:
        import numpy as np
        from PIL import Image

        torch = b.torch
        w, h = b.sizes[size]
        gen = torch.Generator("cpu").manual_seed(1)
        shape = (1, VG.TEXT_LEN, b.cfg["text_dim"])
        _INPUTS[size] = {
            "image": Image.fromarray(np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)),
            "prompt_embeds": torch.randn(shape, generator=gen).to(b.device, b.dtype),
            "negative_prompt_embeds": torch.randn(shape, generator=gen).to(b.device, b.dtype),
        }
    return _INPUTS[size]


def rel_err(a: Any, ref: Any) -> float:
    a, ref = a.float(), ref.float()
    return round(float((a - ref).norm() / ref.norm()), 6)
