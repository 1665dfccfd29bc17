"""Visual model speed with full-size random weights: a FLUX.1 keyframe and Wan2.2-I2V-A14B clips on one GPU.

    python3 benchmarks/visual_gpu.py            # H100: FLUX 1024^2, Wan2.2-A14B 81 frames at 480p and 720p (~7 min)
    python3 benchmarks/visual_gpu.py --quick    # fewer steps, compiled Wan at 480p only (~4 min)
    python3 benchmarks/visual_gpu.py --tiny     # tiny configs on the CPU: checks this script's logic in seconds

The models are the real architectures (FLUX.1-dev transformer 11.9 B + its VAE; Wan2.2-A14B: two 14.3 B experts
switched at boundary_ratio 0.9 + the Wan VAE) built directly on the GPU in bf16 with random weights: the same FLOPs
and memory as the checkpoints, noise for pictures. Text encoders are not built: the pipelines get random prompt
embeddings of the real shapes (T5-XXL / UMT5-XXL encode once per call, a small share of a clip).

Measured per configuration and speed switch (eager, first-block cache, regional torch.compile of the repeated
blocks): seconds per transformer forward (each timed between forward hooks, the first forward of each expert left
out as warm-up/compilation), seconds per denoising step (Wan: two forwards, classifier-free guidance), VAE decode
(untiled and tiled), peak GPU memory per stage, achieved TFLOP/s (FLOPs counted exactly on the meta device), and a
clip extrapolated to 30 steps. With random weights the first-block cache's skip rate is not the real one; its row
shows the mechanism's cost and the time of a skipped forward, not the real speed-up.

Writes benchmarks/results/visual_gpu_<gpu>.json after every measurement (a cut-off run keeps what it measured) and
prints a table. Needs torch and diffusers (no ffmpeg, no studio stack); stops starting new measurements once
`--budget-s` would be passed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GiB = 1 << 30
T0 = time.perf_counter()

# Real configurations (FLUX.1-dev; Wan2.2-I2V-A14B experts and the Wan VAE)
FLUX = dict(patch_size=1, in_channels=64, num_layers=19, num_single_layers=38, attention_head_dim=128,
            num_attention_heads=24, joint_attention_dim=4096, pooled_projection_dim=768, guidance_embeds=True,
            axes_dims_rope=(16, 56, 56))
FLUX_VAE = dict(in_channels=3, out_channels=3, down_block_types=["DownEncoderBlock2D"] * 4,
                up_block_types=["UpDecoderBlock2D"] * 4, block_out_channels=(128, 256, 512, 512), layers_per_block=2,
                latent_channels=16, norm_num_groups=32, sample_size=1024, scaling_factor=0.3611, shift_factor=0.1159,
                use_quant_conv=False, use_post_quant_conv=False)
WAN = dict(patch_size=(1, 2, 2), num_attention_heads=40, attention_head_dim=128, in_channels=36, out_channels=16,
           text_dim=4096, freq_dim=256, ffn_dim=13824, num_layers=40, cross_attn_norm=True,
           qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=1024)
WAN_VAE = dict(base_dim=96, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, temperal_downsample=[False, True, True])
TEXT_LEN, TEXT_DIM, POOLED_DIM = 512, 4096, 768
SIZES = {"480p": (832, 480), "720p": (1280, 720)}
FLOW_SHIFT = {"480p": 3.0, "720p": 5.0}
FRAMES = 81
BOUNDARY = 0.9

# Tiny configurations for --tiny (the same code paths, on the CPU in seconds)
TINY_FLUX = dict(FLUX, num_layers=1, num_single_layers=1, attention_head_dim=16, num_attention_heads=2,
                 joint_attention_dim=32, pooled_projection_dim=32, axes_dims_rope=(4, 4, 8))
TINY_FLUX_VAE = dict(FLUX_VAE, block_out_channels=(4, 8, 8, 8), layers_per_block=1, norm_num_groups=4)
TINY_WAN = dict(WAN, num_attention_heads=2, attention_head_dim=12, text_dim=32, ffn_dim=32, num_layers=2,
                rope_max_seq_len=32)
TINY_WAN_VAE = dict(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                    temperal_downsample=[False, True, True])
TINY_SIZES = {"480p": (80, 48), "720p": (128, 64)}

# Reference figures measured earlier on an H100 (bf16, one forward)
REFERENCE = {"wan_480p_forward_s": {"eager": 3.28, "compile": 2.83},
             "wan_720p_forward_s": {"eager": 12.4, "compile": 11.3},
             "flux_1024_forward_s": {"eager": 0.18, "compile": 0.13},
             "wan_vae_decode_480p_s": {"untiled": 2.07, "tiled": 4.71},
             "published_studio_clip_1280x704x81_30_steps_s": 624}


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", flush=True)


class Bench:
    """The run: device, options, results (saved after each measurement) and the time budget."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.setup(args, "visual_gpu", {"reference_h100": REFERENCE, "runs": [], "decode": [], "errors": []})

    def setup(self, args: argparse.Namespace, name: str, extra: dict[str, Any]) -> None:
        """Device and dtype (CPU for --tiny), the results file benchmarks/results/<name>_<gpu>.json, and the results'
        header (device, card, versions, args) followed by `extra`."""
        import diffusers
        import torch

        self.args = args
        self.torch = torch
        self.device = torch.device("cpu" if args.tiny or not torch.cuda.is_available() else "cuda")
        self.dtype = torch.float32 if self.device.type == "cpu" else torch.bfloat16
        gpu = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else "cpu"
        self.slug = "cpu_tiny" if args.tiny else re.sub(r"[^a-z0-9]+", "_", gpu.lower()).strip("_")
        self.out = Path(args.out or ROOT / "benchmarks" / "results" / f"{name}_{self.slug}.json")
        self.card_gib = (torch.cuda.get_device_properties(self.device).total_memory / GiB
                         if self.device.type == "cuda" else None)
        self.results: dict[str, Any] = {
            "complete": False, "tiny": args.tiny, "device": gpu, "card_gib": self.card_gib,
            "torch": torch.__version__, "diffusers": diffusers.__version__, "python": platform.python_version(),
            "args": vars(args), **extra,
        }

    # --- bookkeeping ---
    def elapsed(self) -> float:
        return time.perf_counter() - T0

    def fits_budget(self, estimate_s: float, what: str) -> bool:
        if self.elapsed() + estimate_s <= self.args.budget_s:
            return True
        log(f"skip {what}: ~{estimate_s:.0f} s would pass the {self.args.budget_s:.0f} s budget")
        self.results.setdefault("skipped", []).append({"what": what, "estimate_s": round(estimate_s, 1)})
        self.save()
        return False

    def save(self) -> None:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.out.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.results, indent=2, default=str))
        os.replace(tmp, self.out)

    def guard(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run one part; an error is recorded (and the memory freed), the run goes on."""
        try:
            return fn()
        except Exception as e:  # one try on the machine: record and carry on
            log(f"ERROR in {what}: {type(e).__name__}: {e}")
            self.results["errors"].append({"what": what, "error": f"{type(e).__name__}: {e}",
                                           "trace": traceback.format_exc()[-3000:]})
            self.save()
            self.free()
            return None

    def sync(self) -> None:
        if self.device.type == "cuda":
            self.torch.cuda.synchronize(self.device)

    def free(self) -> None:
        gc.collect()
        if self.device.type == "cuda":
            self.torch.cuda.empty_cache()

    def reset_peak(self) -> None:
        if self.device.type == "cuda":
            self.sync()
            self.torch.cuda.reset_peak_memory_stats(self.device)

    def peak_gib(self) -> float:
        if self.device.type == "cuda":
            self.sync()
            return round(self.torch.cuda.max_memory_allocated(self.device) / GiB, 2)
        import resource

        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1 << 20), 2)

    # --- building models directly on the device, in the run dtype ---
    def build(self, cls: Any, config: dict[str, Any]) -> Any:
        torch = self.torch
        before = torch.get_default_dtype()
        torch.set_default_dtype(self.dtype)
        try:
            with torch.device(self.device):
                model = cls(**config)
        finally:
            torch.set_default_dtype(before)
        keep = getattr(model, "_keep_in_fp32_modules", None) or []
        for name, module in model.named_modules():  # as from_pretrained(torch_dtype=bf16) keeps them
            if keep and any(k in name.split(".") for k in keep):
                module.float()
        return model.eval().requires_grad_(False)


# --- FLOPs, counted on the meta device (per layer, then scaled: exact and cheap) -------------------------------

def count_flops(make: Callable[..., Any], run: Callable[[Any], None], layers: dict[str, int]) -> int:
    """FLOPs of one forward of a model with `layers` blocks (by kind), from one- and two-block meta models."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    def flops(counts: dict[str, int]) -> int:
        before = torch.get_default_dtype()
        torch.set_default_dtype(torch.bfloat16)
        try:
            with torch.device("meta"):
                model = make(**counts)
                with FlopCounterMode(display=False) as fc:
                    run(model)
        finally:
            torch.set_default_dtype(before)
        return fc.get_total_flops()

    ones = {k: 1 for k in layers}
    base = flops(ones)
    total = base
    for kind, n in layers.items():
        total += (flops({**ones, kind: 2}) - base) * (n - 1)
    return total


def flux_flops(config: dict[str, Any], width: int, height: int) -> int:
    import torch
    from diffusers import FluxTransformer2DModel

    tokens = (width // 16) * (height // 16)

    def make(num_layers: int, num_single_layers: int) -> Any:
        return FluxTransformer2DModel(**dict(config, num_layers=num_layers, num_single_layers=num_single_layers))

    def run(m: Any) -> None:
        bf = torch.bfloat16
        m(hidden_states=torch.randn(1, tokens, 64, dtype=bf),
          encoder_hidden_states=torch.randn(1, TEXT_LEN, config["joint_attention_dim"], dtype=bf),
          pooled_projections=torch.randn(1, config["pooled_projection_dim"], dtype=bf),
          timestep=torch.ones(1, dtype=bf), guidance=torch.ones(1, dtype=bf), img_ids=torch.zeros(tokens, 3),
          txt_ids=torch.zeros(TEXT_LEN, 3), return_dict=False)

    return count_flops(make, run, {"num_layers": config["num_layers"],
                                   "num_single_layers": config["num_single_layers"]})


def wan_flops(config: dict[str, Any], width: int, height: int, frames: int) -> int:
    import torch
    from diffusers import WanTransformer3DModel

    def make(num_layers: int) -> Any:
        return WanTransformer3DModel(**dict(config, num_layers=num_layers))

    def run(m: Any) -> None:
        bf = torch.bfloat16
        lat = torch.randn(1, config["in_channels"], (frames - 1) // 4 + 1, height // 8, width // 8, dtype=bf)
        m(hidden_states=lat, timestep=torch.ones(1),
          encoder_hidden_states=torch.randn(1, TEXT_LEN, config["text_dim"], dtype=bf), return_dict=False)

    return count_flops(make, run, {"num_layers": config["num_layers"]})


# --- timing forwards ---------------------------------------------------------------------------------------------

class ForwardTimer:
    """Times every forward of the given modules (synchronised at both ends) and notes the denoising step."""

    def __init__(self, bench: Bench, modules: dict[str, Any]) -> None:
        self.bench = bench
        self.records: list[dict[str, Any]] = []
        self.step = 0
        self._t: dict[str, float] = {}
        self.handles = []
        for name, m in modules.items():
            self.handles.append(m.register_forward_pre_hook(self._pre(name)))
            self.handles.append(m.register_forward_hook(self._post(name)))

    def _pre(self, name: str) -> Callable[..., None]:
        def hook(module: Any, args: Any) -> None:
            self.bench.sync()
            self._t[name] = time.perf_counter()
        return hook

    def _post(self, name: str) -> Callable[..., None]:
        def hook(module: Any, args: Any, out: Any) -> None:
            self.bench.sync()
            self.records.append({"expert": name, "step": self.step, "s": time.perf_counter() - self._t[name]})
        return hook

    def on_step_end(self, pipe: Any, i: int, t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        self.step = i + 1
        return {}

    def close(self) -> None:
        for h in self.handles:
            h.remove()

    def summary(self, forwards_per_step: int) -> dict[str, Any]:
        """Median steady-state forward (each expert's first forward left out), per step, and all forwards."""
        seen: set[str] = set()
        steady = []
        for r in self.records:
            if r["expert"] in seen:
                steady.append(r["s"])
            seen.add(r["expert"])
        pool = steady or [r["s"] for r in self.records]
        fwd = statistics.median(pool) if pool else float("nan")
        return {"s_per_forward": round(fwd, 4), "s_per_step": round(fwd * forwards_per_step, 4),
                "first_forward_s": {e: round(next(r["s"] for r in self.records if r["expert"] == e), 3)
                                    for e in dict.fromkeys(r["expert"] for r in self.records)},
                "forwards": [{**r, "s": round(r["s"], 4)} for r in self.records]}


# --- FLUX ----------------------------------------------------------------------------------------------------------

def flux_part(b: Bench) -> None:
    import torch
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel

    cfg, vae_cfg = (TINY_FLUX, TINY_FLUX_VAE) if b.args.tiny else (FLUX, FLUX_VAE)
    size = 64 if b.args.tiny else b.args.flux_size
    steps = b.args.flux_steps
    log(f"FLUX: counting FLOPs at {size}x{size}")
    flops = flux_flops(cfg, size, size)
    log(f"FLUX: {flops / 1e12:.1f} TFLOP per forward; building on {b.device}")
    t = time.perf_counter()
    transformer = b.build(FluxTransformer2DModel, cfg)
    vae = b.build(AutoencoderKL, vae_cfg)
    sched = FlowMatchEulerDiscreteScheduler(base_image_seq_len=256, base_shift=0.5, max_image_seq_len=4096,
                                            max_shift=1.15, use_dynamic_shifting=True)
    pipe = FluxPipeline(scheduler=sched, vae=vae, text_encoder=None, tokenizer=None, text_encoder_2=None,
                        tokenizer_2=None, transformer=transformer)
    pipe.set_progress_bar_config(disable=True)
    params = sum(p.numel() for p in transformer.parameters())
    b.results["flux"] = {"params_b": round(params / 1e9, 3), "build_s": round(time.perf_counter() - t, 1),
                         "size": size, "flops_per_forward": flops, "steps_measured": steps}
    b.save()
    embeds = torch.randn(1, TEXT_LEN, cfg["joint_attention_dim"], device=b.device, dtype=b.dtype)
    pooled = torch.randn(1, cfg["pooled_projection_dim"], device=b.device, dtype=b.dtype)

    def keyframe(variant: str) -> None:
        timer = ForwardTimer(b, {"transformer": transformer})
        b.reset_peak()
        t0 = time.perf_counter()
        latents = pipe(prompt_embeds=embeds, pooled_prompt_embeds=pooled, width=size, height=size,
                       num_inference_steps=steps, guidance_scale=3.5, output_type="latent",
                       generator=torch.Generator("cpu").manual_seed(0),
                       callback_on_step_end=timer.on_step_end).images
        b.sync()
        wall = time.perf_counter() - t0
        timer.close()
        s = timer.summary(1)
        row = {"model": "flux", "size": f"{size}x{size}", "variant": variant, **s, "call_s": round(wall, 3),
               "peak_denoise_gib": b.peak_gib(), "tflops": round(flops / s["s_per_forward"] / 1e12, 3)}
        if variant == "eager":
            for tiled in (False, True):
                (vae.enable_tiling if tiled else vae.disable_tiling)()
                b.reset_peak()
                t1 = time.perf_counter()
                with torch.no_grad():
                    lat = pipe._unpack_latents(latents, size, size, pipe.vae_scale_factor)
                    lat = lat / vae.config.scaling_factor + vae.config.shift_factor
                    vae.decode(lat.to(vae.dtype), return_dict=False)
                b.sync()
                b.results["decode"].append({"model": "flux", "size": f"{size}x{size}", "tiled": tiled,
                                            "s": round(time.perf_counter() - t1, 3), "peak_gib": b.peak_gib()})
            vae.disable_tiling()
        dec = [d["s"] for d in b.results["decode"] if d["model"] == "flux" and not d["tiled"]]
        row["decode_s"] = dec[0] if dec else None
        row["image_30_steps_s"] = round(30 * row["s_per_step"] + (row["decode_s"] or 0.0), 2)
        b.results["runs"].append(row)
        b.save()
        log(f"FLUX {variant}: {row['s_per_forward']:.3f} s/forward, {row['tflops']} TFLOP/s, "
            f"peak {row['peak_denoise_gib']} GiB")

    est = 0.5 if b.args.tiny else 20
    if "eager" in b.args.switches and b.fits_budget(est, "flux eager"):
        b.guard("flux eager", lambda: keyframe("eager"))
    if "fbc" in b.args.switches and b.fits_budget(est, "flux fbc"):
        def fbc() -> None:
            from diffusers import FirstBlockCacheConfig

            transformer.enable_cache(FirstBlockCacheConfig(threshold=b.args.fbc_threshold))
            try:
                keyframe(f"fbc{b.args.fbc_threshold:g}")
            finally:
                transformer.disable_cache()
        b.guard("flux fbc", fbc)
    if "compile" in b.args.switches and b.fits_budget(est + (10 if b.args.tiny else 60), "flux compile"):
        def compiled() -> None:
            transformer.compile_repeated_blocks(fullgraph=True, backend=b.args.compile_backend)
            keyframe("compile")
        b.guard("flux compile", compiled)
    pipe = transformer = vae = None  # drop the closures' references too
    b.free()


# --- Wan2.2-A14B ------------------------------------------------------------------------------------------------

def wan_decode(pipe: Any, latents: Any) -> Any:
    """The pipeline's own latent -> frames step (what output_type='np' does), timed apart."""
    import torch

    vae = pipe.vae
    z = vae.config.z_dim
    latents = latents.to(vae.dtype)
    mean = torch.tensor(vae.config.latents_mean).view(1, z, 1, 1, 1).to(latents)
    std = torch.tensor(vae.config.latents_std).view(1, z, 1, 1, 1).to(latents)
    with torch.no_grad():
        return vae.decode(latents * std + mean, return_dict=False)[0]


def wan_part(b: Bench) -> None:
    import numpy as np
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanImageToVideoPipeline, WanTransformer3DModel
    from PIL import Image

    cfg, vae_cfg = (TINY_WAN, TINY_WAN_VAE) if b.args.tiny else (WAN, WAN_VAE)
    sizes = TINY_SIZES if b.args.tiny else SIZES
    frames = 17 if b.args.tiny else FRAMES
    steps = b.args.steps
    flops = {}
    for name in b.args.sizes:
        w, h = sizes[name]
        log(f"Wan: counting FLOPs at {w}x{h}x{frames}")
        flops[name] = wan_flops(cfg, w, h, frames)
        log(f"Wan {name}: {flops[name] / 1e15:.3f} PFLOP per forward")
    log(f"Wan: building two experts + VAE on {b.device}")
    t = time.perf_counter()
    experts = {"transformer": b.build(WanTransformer3DModel, cfg), "transformer_2": b.build(WanTransformer3DModel, cfg)}
    vae = b.build(AutoencoderKLWan, vae_cfg)
    pipe = WanImageToVideoPipeline(tokenizer=None, text_encoder=None, vae=vae,
                                   scheduler=UniPCMultistepScheduler(prediction_type="flow_prediction",
                                                                     use_flow_sigmas=True, flow_shift=3.0),
                                   transformer=experts["transformer"], transformer_2=experts["transformer_2"],
                                   boundary_ratio=BOUNDARY)
    pipe.set_progress_bar_config(disable=True)
    params = sum(p.numel() for p in experts["transformer"].parameters())
    b.results["wan"] = {"params_per_expert_b": round(params / 1e9, 3), "experts": 2, "boundary_ratio": BOUNDARY,
                        "build_s": round(time.perf_counter() - t, 1), "frames": frames,
                        "flops_per_forward": flops, "steps_measured": steps,
                        "weights_gib": round(sum(p.numel() * p.element_size() for m in (*experts.values(), vae)
                                                 for p in m.parameters()) / GiB, 2)}
    b.save()
    embeds = torch.randn(1, TEXT_LEN, cfg["text_dim"], device=b.device, dtype=b.dtype)
    negative = torch.randn(1, TEXT_LEN, cfg["text_dim"], device=b.device, dtype=b.dtype)
    last_forward: dict[str, float] = {}

    def clip(name: str, variant: str, decode: bool, n_steps: int = steps) -> None:
        w, h = sizes[name]
        pipe.scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True,
                                                 flow_shift=FLOW_SHIFT[name])
        image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8))
        timer = ForwardTimer(b, experts)
        b.reset_peak()
        t0 = time.perf_counter()
        latents = pipe(image=image, prompt_embeds=embeds, negative_prompt_embeds=negative, height=h, width=w,
                       num_frames=frames, num_inference_steps=n_steps, guidance_scale=3.5, output_type="latent",
                       generator=torch.Generator("cpu").manual_seed(0), callback_on_step_end=timer.on_step_end).frames
        b.sync()
        wall = time.perf_counter() - t0
        timer.close()
        s = timer.summary(2)
        last_forward[name] = s["s_per_forward"]
        row = {"model": "wan2.2-a14b", "size": f"{w}x{h}x{frames}", "preset": name, "variant": variant, **s,
               "call_s": round(wall, 3), "peak_denoise_gib": b.peak_gib(),
               "tflops": round(flops[name] / s["s_per_forward"] / 1e12, 3),
               "steps": n_steps, "experts_run": sorted({r["expert"] for r in s["forwards"]})}
        if decode:
            for tiled in (False, True):
                (vae.enable_tiling if tiled else vae.disable_tiling)()
                b.reset_peak()
                t1 = time.perf_counter()
                wan_decode(pipe, latents)
                b.sync()
                b.results["decode"].append({"model": "wan", "size": f"{w}x{h}x{frames}", "tiled": tiled,
                                            "s": round(time.perf_counter() - t1, 3), "peak_gib": b.peak_gib()})
                b.save()
            vae.disable_tiling()
        dec = [d["s"] for d in b.results["decode"] if d["model"] == "wan" and d["size"] == row["size"]
               and not d["tiled"]]
        row["decode_s"] = dec[0] if dec else None
        row["clip_30_steps_s"] = round(30 * row["s_per_step"] + (row["decode_s"] or 0.0), 1)
        b.results["runs"].append(row)
        b.save()
        log(f"Wan {name} {variant}: {row['s_per_forward']:.3f} s/forward, {row['s_per_step']:.2f} s/step, "
            f"{row['tflops']} TFLOP/s, peak {row['peak_denoise_gib']} GiB, 30-step clip ~{row['clip_30_steps_s']} s")

    ref = {"480p": 3.3, "720p": 12.5}

    def estimate(name: str, extra: float = 0.0, n_steps: int = steps) -> float:
        fwd = 0.01 if b.args.tiny else last_forward.get(name, ref[name])
        return 2 * n_steps * fwd * 1.15 + extra + (0 if b.args.tiny else 5)

    if "eager" in b.args.switches:
        for name in b.args.sizes:
            dec = 0.1 if b.args.tiny else (8 if name == "480p" else 20)
            if b.fits_budget(estimate(name, dec), f"wan {name} eager"):
                b.guard(f"wan {name} eager", lambda name=name: clip(name, "eager", decode=True))
    if "fbc" in b.args.switches:
        name = b.args.sizes[0]
        fbc_steps = max(steps, 3)  # the cache can only skip an expert's second and later steps
        if b.fits_budget(estimate(name, n_steps=fbc_steps), f"wan {name} fbc"):
            def fbc() -> None:
                from diffusers import FirstBlockCacheConfig

                for m in experts.values():
                    m.enable_cache(FirstBlockCacheConfig(threshold=b.args.fbc_threshold))
                try:
                    clip(name, f"fbc{b.args.fbc_threshold:g}", decode=False, n_steps=fbc_steps)
                finally:
                    for m in experts.values():
                        m.disable_cache()
            b.guard(f"wan {name} fbc", fbc)
    if "compile" in b.args.switches:
        compiled = False
        for name in b.args.compile_sizes or b.args.sizes:
            if name not in sizes:
                continue
            cs = b.args.compile_steps
            if not b.fits_budget(estimate(name, 3 if b.args.tiny else 90, cs), f"wan {name} compile"):
                continue

            def run(name: str = name, cs: int = cs) -> None:
                nonlocal compiled
                if not compiled:
                    for m in experts.values():
                        m.compile_repeated_blocks(fullgraph=True, backend=b.args.compile_backend)
                    compiled = True
                clip(name, "compile", decode=False, n_steps=cs)
            b.guard(f"wan {name} compile", run)
    experts.clear()
    pipe = vae = None  # drop the closures' references too
    torch._dynamo.reset()
    b.free()


# --- the memory plan for this card ---------------------------------------------------------------------------

def plan_part(b: Bench) -> None:
    from reelgraph.backends.diffusers import memory_plan as mp

    rows = mp.documented_plans()
    here = None
    if b.card_gib:
        here = {share: {n: p.describe() for n, p in mp.plan_memory(
            [mp.flux_dev(), mp.wan22_a14b()], card_gib=b.card_gib, vllm_fraction=share).items()}
            for share in (0.0, 0.3)}
    b.results["memory_plan"] = {"documented": rows, "this_card": here}
    b.save()


def table(b: Bench) -> str:
    lines = [f"{'model':<12} {'size':<15} {'variant':<9} {'s/fwd':>8} {'s/step':>8} {'TFLOP/s':>8} "
             f"{'peak GiB':>9} {'decode s':>9} {'30 steps s':>11}"]
    for r in b.results["runs"]:
        lines.append(f"{r['model']:<12} {r['size']:<15} {r['variant']:<9} {r['s_per_forward']:>8.3f} "
                     f"{r['s_per_step']:>8.3f} {r['tflops']:>8.1f} {r['peak_denoise_gib']:>9.2f} "
                     f"{(r.get('decode_s') or 0):>9.2f} "
                     f"{r.get('clip_30_steps_s', r.get('image_30_steps_s', 0)):>11.1f}")
    for d in b.results["decode"]:
        lines.append(f"VAE decode {d['model']:<6} {d['size']:<15} tiled={str(d['tiled']):<5} {d['s']:>7.2f} s "
                     f"peak {d['peak_gib']:.2f} GiB")
    for e in b.results["errors"]:
        lines.append(f"ERROR {e['what']}: {e['error']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tiny", action="store_true", help="tiny configs on the CPU (checks the logic)")
    p.add_argument("--quick", action="store_true", help="2 Wan steps; compiled Wan at 480p only")
    p.add_argument("--steps", type=int, default=None, help="Wan steps measured (default 3; --quick 2)")
    p.add_argument("--flux-steps", type=int, default=6)
    p.add_argument("--flux-size", type=int, default=1024)
    p.add_argument("--sizes", default="480p,720p")
    p.add_argument("--compile-sizes", default=None, help="sizes to run compiled (default: --sizes; --quick 480p)")
    p.add_argument("--compile-steps", type=int, default=2, help="Wan steps measured compiled (each expert's "
                   "first forward compiles; 2 steps leave one steady forward per expert)")
    p.add_argument("--switches", default="eager,fbc,compile")
    p.add_argument("--fbc-threshold", type=float, default=0.05)
    p.add_argument("--compile-backend", default=None, help="torch.compile backend (default inductor; --tiny eager)")
    p.add_argument("--budget-s", type=float, default=500.0, help="start nothing that would end past this")
    p.add_argument("--skip", default="", help="parts to skip: flux, wan")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    args.steps = args.steps or (2 if args.quick else 3)
    args.sizes = [s for s in args.sizes.split(",") if s]
    args.switches = [s for s in args.switches.split(",") if s]
    args.compile_sizes = (args.compile_sizes.split(",") if args.compile_sizes else (["480p"] if args.quick else None))
    args.compile_backend = args.compile_backend or ("eager" if args.tiny else "inductor")
    if args.tiny:
        args.flux_steps = min(args.flux_steps, 3)
    bad = [s for s in args.sizes if s not in SIZES]
    if bad:
        p.error(f"unknown sizes {bad}; known: {', '.join(SIZES)}")

    b = Bench(args)
    if b.device.type == "cpu" and not args.tiny:
        p.error("no CUDA GPU: full-size models need one (use --tiny to check the script on the CPU)")
    if b.device.type == "cuda":
        b.torch.backends.cuda.matmul.allow_tf32 = True
    import torch._dynamo

    torch._dynamo.config.automatic_dynamic_shapes = False  # one static graph per size, as a run of one size gets
    torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, 16)
    log(f"{b.results['device']} ({b.card_gib or 0:.1f} GiB), torch {b.results['torch']}, "
        f"diffusers {b.results['diffusers']}; results -> {b.out}")
    b.guard("memory plan", lambda: plan_part(b))
    if "wan" not in args.skip:
        b.guard("wan", lambda: wan_part(b))
    if "flux" not in args.skip:
        b.guard("flux", lambda: flux_part(b))
    b.results["complete"] = True
    b.results["total_s"] = round(b.elapsed(), 1)
    b.save()
    print(table(b), flush=True)
    log(f"done; wrote {b.out}")
    return 0 if not b.results["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
