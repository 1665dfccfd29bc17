"""The speed options: their names and defaults, the checks of their values, and the loop switches they give.

Generic switches (``attention``, ``fp8_linear``, ``first_block_cache``, ``compile``, ``inductor_cache_dir``) have
their defaults in ``loader.COMMON_OPTIONS``; the Wan loop's own are ``LOOP_OPTIONS``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reelgraph.backends.diffusers.speed.lora import lora_files
from reelgraph.errors import UsageError

# Options of the video backend (defaults).
LOOP_OPTIONS: dict[str, Any] = {
    "skip_unit_guidance": True,  # no unconditional forward where an expert's guidance is 1 (exact)
    "batch_cfg": False,  # conditional + unconditional in one batch-2 forward where guidance > 1
    "cache_fixed_ratio": 0.0,  # first-block cache skips this share of forwards on a fixed schedule (benchmarking)
    "few_step_lora": None,  # folder with a step-distillation LoRA (Wan2.2 Lightning style): the few-step preset
    "few_step_steps": 4,  # steps of the few-step preset (no classifier-free guidance)
    "few_step_lora_scale": 1.0,
    "text_cache": 8,  # prompt embeddings kept (0: encode every time)
    "overlap_encode": False,  # encode finished chunks to mp4 in a worker while the next chunk denoises
}

# diffusers 0.42 attention backends that run without the hub; "default" = torch SDPA (cuDNN on Hopper), exact.
DIFFUSERS_ATTENTION = (
    "native", "_native_cudnn", "_native_flash", "_native_efficient", "_native_math", "flex", "flash", "flash_varlen",
    "_flash_3", "_flash_varlen_3", "sage", "sage_varlen", "_sage_qk_int8_pv_fp8_cuda", "_sage_qk_int8_pv_fp8_cuda_sm90",
    "_sage_qk_int8_pv_fp16_cuda", "_sage_qk_int8_pv_fp16_triton", "xformers",
)
ATTENTION_ALIASES = {"cudnn": "_native_cudnn", "flash_3": "_flash_3", "fa3": "_flash_3", "fa2": "flash",
                     "fa4": "flash4"}
ATTENTION_CHOICES = ("default", "sage_triton", "flash4", *ATTENTION_ALIASES, *DIFFUSERS_ATTENTION)


def _as_bool(opts: Mapping[str, Any], key: str) -> bool:
    value = opts.get(key)
    if not isinstance(value, bool):
        raise UsageError(f"option {key} must be true or false, got {value!r}")
    return value


def _as_float(opts: Mapping[str, Any], key: str, lo: float, hi: float) -> float:
    value = opts.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= float(value) <= hi:
        raise UsageError(f"option {key} must be a number in [{lo}, {hi}], got {value!r}")
    return float(value)


def check_attention(name: Any) -> str:
    """The attention option checked and resolved to a dispatch name ("default", "sage_triton", "flash4" or
    diffusers')."""
    chosen = "default" if name in (None, "") else str(name).lower()
    if chosen not in ATTENTION_CHOICES:
        raise UsageError(f"attention {chosen!r} is not known; choose one of {', '.join(ATTENTION_CHOICES)}")
    return ATTENTION_ALIASES.get(chosen, chosen)


def check_generic_options(opts: Mapping[str, Any]) -> None:
    """Check the speed options shared by the image and video backends (raises UsageError)."""
    if opts.get("first_block_cache") is not None:
        _as_float(opts, "first_block_cache", 0.0, 1.0)
    check_attention(opts.get("attention"))
    _as_bool(opts, "fp8_linear")
    if opts.get("compile") is not None:
        _as_bool(opts, "compile")
    cache_dir = opts.get("inductor_cache_dir")
    if cache_dir is not None and not isinstance(cache_dir, str | os.PathLike):
        raise UsageError(f"inductor_cache_dir must be a folder path, got {cache_dir!r}")


@dataclass(frozen=True)
class LoopSwitches:
    """What the denoising loop does beyond the pipeline's own loop."""

    skip_unit_guidance: bool = True
    batch_cfg: bool = False
    cache_fixed_ratio: float = 0.0
    timing: bool = False  # time each forward (synchronising the GPU around it)


def check_loop_options(opts: Mapping[str, Any]) -> LoopSwitches:
    """Check the video loop options; returns the loop switches (raises UsageError)."""
    for key in ("skip_unit_guidance", "batch_cfg", "overlap_encode"):
        _as_bool(opts, key)
    ratio = _as_float(opts, "cache_fixed_ratio", 0.0, 0.9)
    steps = opts.get("few_step_steps")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 16:
        raise UsageError(f"few_step_steps must be a whole number from 1 to 16 (4-8 typical), got {steps!r}")
    _as_float(opts, "few_step_lora_scale", 0.0, 10.0)
    cache = opts.get("text_cache")
    if isinstance(cache, bool) or not isinstance(cache, int) or cache < 0:
        raise UsageError(f"text_cache must be a whole number >= 0, got {cache!r}")
    if opts.get("few_step_lora") is not None:
        lora_files(opts["few_step_lora"])
    return LoopSwitches(skip_unit_guidance=bool(opts["skip_unit_guidance"]), batch_cfg=bool(opts["batch_cfg"]),
                        cache_fixed_ratio=ratio, timing=True)
