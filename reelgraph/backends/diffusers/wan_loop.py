"""Our own Wan image->video denoising loop: ``WanImageToVideoPipeline.__call__(output_type="latent")`` step for step
(equal results with every switch off), with the loop switches of ``speed.options.LoopSwitches`` applied.

- ``skip_unit_guidance``: no unconditional forward where an expert's guidance is 1 (diffusers runs it and throws it
  away);
- ``batch_cfg``: conditional + unconditional as one batch-2 forward;
- ``cache_fixed_ratio``: the first-block cache skips a fixed share of forwards (``speed.first_block_cache``), for
  benchmarking: random weights do not give real residual statistics;
- every forward counted (expert, step, branch, batch, skipped) and, with ``timing``, timed (``DenoiseStats``).

torch is imported inside functions only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reelgraph import progress
from reelgraph.backends.diffusers.speed.first_block_cache import SkipControl, fixed_skip_plan
from reelgraph.backends.diffusers.speed.options import LoopSwitches
from reelgraph.errors import BackendError


@dataclass
class DenoiseStats:
    """What one denoising call did: every forward (expert, step, branch, batch, skipped, seconds) and setup time."""

    forwards: list[dict[str, Any]] = field(default_factory=list)
    prepare_s: float = 0.0
    steps: int = 0
    plan: list[bool] = field(default_factory=list)

    def count(self, expert: str | None = None) -> int:
        """The number of forwards run (by `expert`, or by every expert)."""
        return sum(1 for f in self.forwards if expert in (None, f["expert"]))

    def summary(self) -> dict[str, Any]:
        """Counts per expert, forwards skipped by the cache, first and median forward time."""
        import statistics

        out: dict[str, Any] = {"steps": self.steps, "forwards": {}, "skipped": sum(bool(f["skipped"])
                                                                                   for f in self.forwards),
                               "prepare_s": round(self.prepare_s, 4)}
        for f in self.forwards:
            out["forwards"][f["expert"]] = out["forwards"].get(f["expert"], 0) + 1
        timed = [f for f in self.forwards if f.get("s") is not None]
        if timed:
            first: dict[str, float] = {}
            steady = []
            for f in timed:
                if f["expert"] in first:
                    if not f["skipped"]:
                        steady.append(f["s"])
                else:
                    first[f["expert"]] = f["s"]
            out["first_forward_s"] = {k: round(v, 4) for k, v in first.items()}
            if steady:
                out["median_forward_s"] = round(statistics.median(steady), 4)
        return out


def _sync(device: Any) -> None:
    if getattr(device, "type", "") == "cuda":
        import torch

        torch.cuda.synchronize(device)


def expert_names(pipe: Any, steps: int) -> list[str]:
    """Which expert runs each of `steps` steps (Wan2.2: high-noise `transformer` until the boundary timestep)."""
    import copy

    sched = copy.deepcopy(pipe.scheduler)
    sched.set_timesteps(steps, device="cpu")
    ratio = pipe.config.get("boundary_ratio")
    boundary = None if ratio is None else ratio * sched.config.num_train_timesteps
    return ["transformer" if boundary is None or t >= boundary else "transformer_2" for t in sched.timesteps]


def denoise(pipe: Any, **kwargs: Any) -> tuple[Any, DenoiseStats]:
    """Wan image->video latents, as `WanImageToVideoPipeline.__call__(output_type="latent")` computes them (same
    steps, same order of operations: equal results with every switch off), with the loop switches applied.
    Keyword arguments: those of `_denoise`."""
    import torch

    with torch.no_grad():
        return _denoise(pipe, **kwargs)


def _denoise(pipe: Any, *, image: Any, prompt_embeds: Any, negative_prompt_embeds: Any = None, height: int = 480,
            width: int = 832, num_frames: int = 81, num_inference_steps: int = 40, guidance_scale: float = 5.0,
            guidance_scale_2: float | None = None, generator: Any = None, last_image: Any = None,
            image_embeds: Any = None, switches: LoopSwitches | None = None, skip: SkipControl | None = None,
            on_step: Callable[[int], None] | None = None) -> tuple[Any, DenoiseStats]:
    import torch

    sw = switches or LoopSwitches()
    stats = DenoiseStats(steps=num_inference_steps)
    t_prep = time.perf_counter()
    if num_frames % pipe.vae_scale_factor_temporal != 1:
        num_frames = num_frames // pipe.vae_scale_factor_temporal * pipe.vae_scale_factor_temporal + 1
    num_frames = max(num_frames, 1)
    first = pipe.transformer if pipe.transformer is not None else pipe.transformer_2
    patch = first.config.patch_size
    height = height // (pipe.vae_scale_factor_spatial * patch[1]) * (pipe.vae_scale_factor_spatial * patch[1])
    width = width // (pipe.vae_scale_factor_spatial * patch[2]) * (pipe.vae_scale_factor_spatial * patch[2])
    if pipe.config.boundary_ratio is not None and guidance_scale_2 is None:
        guidance_scale_2 = guidance_scale
    do_cfg = guidance_scale > 1
    if do_cfg and negative_prompt_embeds is None:
        raise BackendError("denoise: classifier-free guidance needs negative prompt embeddings")
    device = pipe._execution_device
    dtype = first.dtype
    prompt_embeds = prompt_embeds.to(dtype)
    if negative_prompt_embeds is not None:
        negative_prompt_embeds = negative_prompt_embeds.to(dtype)
    if pipe.transformer is not None and pipe.transformer.config.image_dim is not None:
        if image_embeds is None:
            image_embeds = pipe.encode_image(image if last_image is None else [image, last_image], device)
        image_embeds = image_embeds.to(dtype)
    pipe.scheduler.set_timesteps(num_inference_steps, device=device)
    timesteps = pipe.scheduler.timesteps
    image_t = pipe.video_processor.preprocess(image, height=height, width=width).to(device, dtype=torch.float32)
    last_t = None
    if last_image is not None:
        last_t = pipe.video_processor.preprocess(last_image, height=height, width=width).to(device,
                                                                                          dtype=torch.float32)
    out = pipe.prepare_latents(image_t, 1, pipe.vae.config.z_dim, height, width, num_frames, torch.float32, device,
                               generator, None, last_t)
    if pipe.config.expand_timesteps:
        latents, condition, first_frame_mask = out
    else:
        latents, condition = out
        first_frame_mask = None
    boundary = (None if pipe.config.boundary_ratio is None
                else pipe.config.boundary_ratio * pipe.scheduler.config.num_train_timesteps)
    experts = ["transformer" if boundary is None or t >= boundary else "transformer_2" for t in timesteps]
    stats.plan = fixed_skip_plan(experts, sw.cache_fixed_ratio) if sw.cache_fixed_ratio > 0 else [False] * len(
        experts)
    if sw.cache_fixed_ratio > 0 and (skip is None or not skip.active):
        raise BackendError("cache_fixed_ratio needs the first-block cache hooks on the denoisers")
    for name in ("transformer", "transformer_2"):
        m = getattr(pipe, name, None)
        if m is not None and hasattr(m, "_reset_stateful_cache"):
            m._reset_stateful_cache()
    _sync(device)
    stats.prepare_s = time.perf_counter() - t_prep

    def forward(model: Any, name: str, step: int, branch: str, hidden: Any, timestep: Any, text: Any,
                img: Any) -> Any:
        n_before = len(skip.decisions) if skip is not None else 0
        if sw.timing:
            _sync(device)
        t0 = time.perf_counter()
        with model.cache_context(branch):
            result = model(hidden_states=hidden, timestep=timestep, encoder_hidden_states=text,
                           encoder_hidden_states_image=img, attention_kwargs=None, return_dict=False)[0]
        seconds = None
        if sw.timing:
            _sync(device)
            seconds = time.perf_counter() - t0
        skipped = None
        if skip is not None and len(skip.decisions) > n_before:
            skipped = not skip.decisions[-1]
        stats.forwards.append({"expert": name, "step": step, "branch": branch, "batch": int(hidden.shape[0]),
                               "skipped": skipped, "s": seconds})
        return result

    for i, t in enumerate(timesteps):
        progress.report(i + 1, len(timesteps), "denoise")
        name = experts[i]
        model = pipe.transformer if name == "transformer" else pipe.transformer_2
        g = guidance_scale if name == "transformer" else guidance_scale_2
        if skip is not None and sw.cache_fixed_ratio > 0:
            skip.force = stats.plan[i]
        if first_frame_mask is not None:
            model_input = ((1 - first_frame_mask) * condition + first_frame_mask * latents).to(dtype)
            temp_ts = (first_frame_mask[0][0][:, ::2, ::2] * t).flatten()
            timestep = temp_ts.unsqueeze(0).expand(latents.shape[0], -1)
        else:
            model_input = torch.cat([latents, condition], dim=1).to(dtype)
            timestep = t.expand(latents.shape[0])
        uncond = do_cfg and not (sw.skip_unit_guidance and g == 1)
        if uncond and sw.batch_cfg:
            both = forward(model, name, i, "cond_uncond", torch.cat([model_input, model_input]),
                           torch.cat([timestep, timestep]), torch.cat([prompt_embeds, negative_prompt_embeds]),
                           None if image_embeds is None else torch.cat([image_embeds, image_embeds]))
            noise_pred, noise_uncond = both.chunk(2)
            noise_pred = noise_uncond + g * (noise_pred - noise_uncond)
        else:
            noise_pred = forward(model, name, i, "cond", model_input, timestep, prompt_embeds, image_embeds)
            if uncond:
                noise_uncond = forward(model, name, i, "uncond", model_input, timestep, negative_prompt_embeds,
                                       image_embeds)
                noise_pred = noise_uncond + g * (noise_pred - noise_uncond)
        latents = pipe.scheduler.step(noise_pred, t, latents, return_dict=False)[0]
        if on_step is not None:
            on_step(i)
    if skip is not None:
        skip.force = None
    if first_frame_mask is not None:
        latents = (1 - first_frame_mask) * condition + first_frame_mask * latents
    for name in ("transformer", "transformer_2"):
        m = getattr(pipe, name, None)
        if m is not None and hasattr(m, "_reset_stateful_cache"):
            m._reset_stateful_cache()
    return latents, stats

