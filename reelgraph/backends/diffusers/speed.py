"""Speed switches for the Wan2.2 clips (and, where generic, any diffusers denoiser), each a `[video].options` key.

- a denoising loop of our own (``denoise``) that mirrors ``WanImageToVideoPipeline.__call__`` exactly, plus:
  ``skip_unit_guidance`` (no unconditional forward where an expert's guidance is 1: diffusers runs it and throws it
  away), ``batch_cfg`` (conditional + unconditional as one batch-2 forward), ``cache_fixed_ratio`` (the first-block
  cache skips a fixed share of forwards, for benchmarking: random weights do not give real residual statistics);
- ``first_block_cache`` hooks on both experts, with the skip decisions counted;
- ``attention``: an attention kernel through diffusers' attention dispatch ("default" is torch's SDPA, which picks
  cuDNN on an H100 and is the exact reference); "sage_triton" is SageAttention 1.x's Triton kernel (INT8 QK, FP16 PV)
  on the self-attention layers; "flash4" (alias "fa4") is FlashAttention-4 (the flash-attn-4 package: CuTe DSL
  kernels for Hopper and Blackwell, bf16/fp16) on every attention layer;
- ``fp8_linear``: torchao float8 weights and dynamic float8 activations (per row) in the denoisers' repeated blocks,
  quantised once at load;
- ``inductor_cache_dir``: where compiled kernels are cached across runs (TORCHINDUCTOR_CACHE_DIR);
- the few-step preset: a step-distillation LoRA from a local folder (``few_step_lora``), fused at load, run for
  ``few_step_steps`` steps without classifier-free guidance;
- ``TextCache``: prompt embeddings computed once per prompt.

torch and diffusers are imported inside functions only.
"""

from __future__ import annotations

import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelgraph import progress
from reelgraph.errors import BackendError, UsageError

log = logging.getLogger(__name__)

# Options of the video backend (defaults). Generic switches (attention, fp8_linear, inductor_cache_dir) live in
# diffusers_common.COMMON_OPTIONS.
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
SAGE_TRITON_SLOT = "_sage_qk_int8_pv_fp16_triton"  # the dispatch slot sage_triton fills when diffusers' own can't
# The dispatch slot flash4 fills: diffusers' own FlashAttention-4 slot, whose own backend downloads its kernel from the
# hub at run time (never used here); "_flash_3" only for a diffusers without that slot and without a usable FA3.
FLASH4_SLOTS = ("flash_4_hub", "_flash_3")


# --- options ------------------------------------------------------------------------------------------------------

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


# --- the few-step preset: a step-distillation LoRA ------------------------------------------------------------------

def lora_files(folder: Any) -> dict[str, Path]:
    """The LoRA files of a few-step folder: {"transformer": high-noise file, "transformer_2": low-noise file}.

    A folder with one *.safetensors file uses it for both experts; with two or more, the file named *high* goes to the
    high-noise expert and *low* to the low-noise one (the Wan2.2 Lightning layout)."""
    root = Path(str(folder)).expanduser()
    if not root.is_dir():
        raise UsageError(f"few_step_lora {root}: not a folder")
    files = sorted(root.glob("*.safetensors"))
    if len(files) == 1:
        return {"transformer": files[0], "transformer_2": files[0]}
    high = [f for f in files if "high" in f.name.lower()]
    low = [f for f in files if "low" in f.name.lower()]
    if len(high) == 1 and len(low) == 1:
        return {"transformer": high[0], "transformer_2": low[0]}
    raise UsageError(f"few_step_lora {root}: expected one *.safetensors file, or one named *high* and one *low*; "
                     f"found {[f.name for f in files] or 'none'}")


def load_step_lora(pipe: Any, folder: Any, scale: float = 1.0, *, fuse: bool = True,
                   unload: bool = True) -> dict[str, Any]:
    """Load a step-distillation LoRA into the experts (`load_lora_weights`), fuse it into the weights and drop the
    adapters (so the denoisers run at their plain speed and compile as before). Returns what was done."""
    from safetensors.torch import load_file

    t0 = time.perf_counter()
    files = lora_files(folder)
    names = [n for n in ("transformer", "transformer_2") if getattr(pipe, n, None) is not None]
    try:
        for name in names:
            state = load_file(str(files[name]))
            pipe.load_lora_weights(state, adapter_name=f"step_{name}",
                                   **({"load_into_transformer_2": True} if name == "transformer_2" else {}))
        if fuse:
            pipe.fuse_lora(components=names, lora_scale=float(scale))
            if unload:
                pipe.unload_lora_weights()
    except (ValueError, KeyError, RuntimeError, OSError) as e:
        raise BackendError(f"few_step_lora {folder}: loading the LoRA failed: {type(e).__name__}: {e}") from e
    return {"lora": str(folder), "files": {n: files[n].name for n in names}, "scale": float(scale),
            "fused": fuse, "load_s": round(time.perf_counter() - t0, 3)}


def random_lora(model: Any, rank: int = 64, *, std: float = 0.02, seed: int = 0, prefix: str = "transformer",
                under: str = "blocks.") -> dict[str, Any]:
    """A random LoRA state dict (diffusers key layout) for every Linear layer of `model` under `under`: the shape a
    step-distillation LoRA has, for timing and tests."""
    import torch

    gen = torch.Generator(device="cpu").manual_seed(seed)
    out: dict[str, Any] = {}
    for name, mod in model.named_modules():
        if not (isinstance(mod, torch.nn.Linear) and name.startswith(under)):
            continue
        r = min(rank, mod.in_features, mod.out_features)
        a = torch.randn(r, mod.in_features, generator=gen) * (1.0 / mod.in_features) ** 0.5
        b = torch.randn(mod.out_features, r, generator=gen) * std
        out[f"{prefix}.{name}.lora_A.weight"] = a.to(mod.weight.dtype).contiguous()
        out[f"{prefix}.{name}.lora_B.weight"] = b.to(mod.weight.dtype).contiguous()
    return out


# --- fp8 linear layers (torchao) ------------------------------------------------------------------------------------

def tensor_bytes(t: Any) -> int:
    """Bytes a tensor really holds (a torchao tensor subclass: the sum of its inner tensors)."""
    flatten = getattr(t, "__tensor_flatten__", None)
    if flatten is not None:
        names, _ = flatten()
        return sum(tensor_bytes(getattr(t, n)) for n in names)
    return int(t.numel() * t.element_size())


def real_module_bytes(module: Any) -> int:
    """Bytes of a module's parameters and buffers, quantised tensors counted as stored."""
    import itertools

    return sum(tensor_bytes(t) for t in itertools.chain(module.parameters(), module.buffers()))


def quantize_fp8(models: Sequence[Any], device: Any) -> dict[str, Any]:
    """Float8 weights + dynamic float8 activations (per row) for the Linear layers in each model's repeated blocks,
    quantised once, block by block on `device` (a block on the CPU moves there and back). Returns bytes saved."""
    import torch

    if getattr(device, "type", str(device)) != "cuda":
        raise BackendError("fp8_linear needs a CUDA GPU (compute capability 8.9 or newer: Ada, Hopper, Blackwell)")
    try:
        from torchao.quantization import Float8DynamicActivationFloat8WeightConfig, PerRow, quantize_
    except ImportError as e:
        raise BackendError(f"fp8_linear needs the torchao package ({e})") from e
    t0 = time.perf_counter()
    before = sum(real_module_bytes(m) for m in models)
    config = Float8DynamicActivationFloat8WeightConfig(granularity=PerRow())
    target = torch.device(device)
    if target.index is None:
        target = torch.device("cuda", torch.cuda.current_device())
    layers = 0
    for model in models:
        blocks = [b for lst in model.children() if isinstance(lst, torch.nn.ModuleList) and len(lst) > 1 for b in lst]
        for block in blocks or [model]:
            home = next(block.parameters()).device
            if home != target:
                block.to(target)
            layers += sum(isinstance(m, torch.nn.Linear) for m in block.modules())
            quantize_(block, config)
            if home != target:
                block.to(home)
    after = sum(real_module_bytes(m) for m in models)
    return {"fp8_linear": "torchao float8 dynamic activation + weight, per row", "layers": layers,
            "bytes_before": before, "bytes_after": after, "saved_gib": round((before - after) / (1 << 30), 2),
            "quantize_s": round(time.perf_counter() - t0, 2)}


# --- attention kernels --------------------------------------------------------------------------------------------

_SAGE_OP: Callable[..., Any] | None = None


def sage_triton_op() -> Callable[..., Any]:
    """SageAttention 1.x (Triton: INT8 QK with per-block scales, K smoothed, FP16 PV) as a torch custom op on
    (batch, seq, heads, dim) tensors, opaque to torch.compile."""
    global _SAGE_OP
    if _SAGE_OP is not None:
        return _SAGE_OP
    import torch

    try:
        import sageattention  # noqa: F401
    except ImportError as e:
        raise BackendError(f"attention 'sage_triton' needs the sageattention package (1.x, Triton) ({e})") from e

    @torch.library.custom_op("reelgraph::sage_attention_triton", mutates_args=(),
                             schema="(Tensor q, Tensor k, Tensor v, float scale) -> Tensor")
    def sage(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
        from sageattention import sageattn

        k = k - k.mean(dim=1, keepdim=True)  # smoothing K (exact for softmax), done here so no input is mutated
        out: torch.Tensor = sageattn(q.contiguous(), k.contiguous(), v.contiguous(), tensor_layout="NHD",
                                     is_causal=False, sm_scale=scale, smooth_k=False)
        return out

    @sage.register_fake
    def _(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
        return torch.empty_like(q)

    _SAGE_OP = sage
    return sage


def _plain_attention(name: str, op: Callable[..., Any], query: Any, key: Any, value: Any, attn_mask: Any,
                     is_causal: bool, scale: float | None, return_lse: bool, parallel_config: Any) -> Any:
    """Run a (q, k, v, scale) kernel for a dispatch call, refusing what it does not do (masks, causal, lse)."""
    if attn_mask is not None or is_causal or return_lse or parallel_config is not None:
        raise BackendError(f"attention {name!r} supports plain non-causal attention only")
    return op(query, key, value, float(scale if scale is not None else query.shape[-1] ** -0.5))


def _install_dispatch(slot: Any, fn: Callable[..., Any]) -> Any:
    """Put `fn` in diffusers' attention-dispatch registry under `slot` (once); returns the slot."""
    import inspect

    from diffusers.models import attention_dispatch as ad

    reg = ad._AttentionBackendRegistry
    if reg._backends.get(slot) is not fn:
        reg._backends[slot] = fn
        reg._constraints[slot] = []
        reg._supported_arg_names[slot] = set(inspect.signature(fn).parameters)
    return slot


def _sage_dispatch(query: Any, key: Any, value: Any, attn_mask: Any = None, is_causal: bool = False,
                   scale: float | None = None, return_lse: bool = False, _parallel_config: Any = None) -> Any:
    """A diffusers attention-dispatch function running SageAttention 1.x's Triton kernel."""
    return _plain_attention("sage_triton", sage_triton_op(), query, key, value, attn_mask, is_causal, scale,
                            return_lse, _parallel_config)


def _register_sage_triton() -> Any:
    """Put `_sage_dispatch` in diffusers' dispatch registry (in the INT8-QK/FP16-PV Triton slot, unless diffusers'
    own SageAttention 2 support is usable there) and return the slot's backend name."""
    from diffusers.models import attention_dispatch as ad

    sage_triton_op()
    slot = ad.AttentionBackendName(SAGE_TRITON_SLOT)
    if getattr(ad, "_CAN_USE_SAGE_ATTN", False):
        return slot  # diffusers' own kernel of the same kind
    return _install_dispatch(slot, _sage_dispatch)


_FLASH4_OP: Callable[..., Any] | None = None


def _flash4_import() -> None:
    """Import FlashAttention-4 (raises BackendError naming the package when it is missing or cannot load)."""
    try:
        import flash_attn.cute  # noqa: F401
    except (ImportError, RuntimeError, OSError) as e:
        raise BackendError("attention 'flash4' needs the flash-attn-4 package (FlashAttention-4's flash_attn.cute, "
                           f"with nvidia-cutlass-dsl) ({type(e).__name__}: {e})") from e


def flash4_op() -> Callable[..., Any]:
    """FlashAttention-4 (`flash_attn.cute.flash_attn_func`, non-causal) as a torch custom op on (batch, seq, heads,
    dim) tensors (key/value may be longer or shorter than the query), opaque to torch.compile."""
    global _FLASH4_OP
    _flash4_import()
    if _FLASH4_OP is not None:
        return _FLASH4_OP
    import torch

    @torch.library.custom_op("reelgraph::flash_attention_4", mutates_args=(),
                             schema="(Tensor q, Tensor k, Tensor v, float scale) -> Tensor")
    def flash4(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
        from flash_attn.cute import flash_attn_func

        out = flash_attn_func(q, k, v, softmax_scale=scale, causal=False)
        # (out, lse); lse is None without grad or return_lse
        result: torch.Tensor = out[0] if isinstance(out, tuple) else out
        return result

    @flash4.register_fake
    def _(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
        return q.new_empty((*q.shape[:-1], v.shape[-1]))

    _FLASH4_OP = flash4
    return flash4


def _flash4_dispatch(query: Any, key: Any, value: Any, attn_mask: Any = None, is_causal: bool = False,
                     scale: float | None = None, return_lse: bool = False, _parallel_config: Any = None) -> Any:
    """A diffusers attention-dispatch function running FlashAttention-4."""
    return _plain_attention("flash4", flash4_op(), query, key, value, attn_mask, is_causal, scale, return_lse,
                            _parallel_config)


def _register_flash4() -> Any:
    """Put `_flash4_dispatch` in diffusers' dispatch registry (in its FlashAttention-4 slot; see FLASH4_SLOTS) and
    return the slot's backend name."""
    from diffusers.models import attention_dispatch as ad

    flash4_op()
    names = {b.value for b in ad.AttentionBackendName}
    fa3_in_use = getattr(ad, "_CAN_USE_FLASH_ATTN_3", False)
    usable = [n for n in FLASH4_SLOTS if n in names and not (n == "_flash_3" and fa3_in_use)]
    if not usable:
        raise BackendError(f"attention 'flash4': this diffusers has no free dispatch slot (one of {FLASH4_SLOTS})")
    return _install_dispatch(ad.AttentionBackendName(usable[0]), _flash4_dispatch)


def _attention_modules(model: Any) -> Iterator[tuple[str, Any]]:
    from diffusers.models.attention import AttentionModuleMixin
    from diffusers.models.attention_processor import Attention

    for name, mod in model.named_modules():
        if isinstance(mod, AttentionModuleMixin | Attention) and hasattr(getattr(mod, "processor", None),
                                                                           "_attention_backend"):
            yield name, mod


def set_attention(models: Sequence[Any], name: str) -> dict[str, Any]:
    """Route the models' attention through a dispatch backend. "default": torch SDPA (exact reference);
    "sage_triton": SageAttention 1.x on self-attention layers (`attn1`), cross-attention stays on SDPA; "flash4":
    FlashAttention-4 on every attention layer (self and cross); any other name: diffusers' backend of that name on
    every attention layer (its package must be installed)."""
    name = check_attention(name)
    if name == "default":
        for m in models:
            for _, mod in _attention_modules(m):
                mod.processor._attention_backend = None
        return {"attention": "default"}
    if name.endswith("_hub"):
        raise UsageError(f"attention {name!r} downloads kernels at run time; not supported")
    if name == "sage_triton":
        backend = _register_sage_triton()
        count = 0
        for m in models:
            for mod_name, mod in _attention_modules(m):
                self_attn = mod_name.rsplit(".", 1)[-1] == "attn1"
                mod.processor._attention_backend = backend if self_attn else None
                count += self_attn
        return {"attention": "sage_triton", "layers": count}
    if name == "flash4":
        backend = _register_flash4()
        count = 0
        for m in models:
            for _, mod in _attention_modules(m):
                mod.processor._attention_backend = backend
                count += 1
        return {"attention": "flash4", "layers": count}
    from diffusers.models import attention_dispatch as ad

    backend = ad.AttentionBackendName(name)
    try:
        ad._check_attention_backend_requirements(backend)
    except (RuntimeError, ImportError) as e:
        raise BackendError(f"attention {name!r} is not usable here: {e}") from e
    count = 0
    for m in models:
        for _, mod in _attention_modules(m):
            mod.processor._attention_backend = backend
            count += 1
    return {"attention": name, "layers": count}


def set_inductor_cache(folder: Any) -> str:
    """Cache compiled kernels in `folder` across runs (TORCHINDUCTOR_CACHE_DIR; Triton's cache goes under it)."""
    path = Path(str(folder)).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(path)
    os.environ.setdefault("TORCHINDUCTOR_FX_GRAPH_CACHE", "1")
    os.environ.setdefault("TORCHINDUCTOR_AUTOGRAD_CACHE", "1")
    return str(path)


# --- first-block cache: skip decisions counted, or forced on a fixed schedule -----------------------------------

def fixed_skip_plan(experts: Sequence[str], ratio: float) -> list[bool]:
    """Which steps the first-block cache skips at a fixed `ratio` of all steps: round(ratio x steps) of them, spread
    evenly over the steps that can be skipped (not an expert's first step: nothing is cached there yet)."""
    n = len(experts)
    eligible = [i for i in range(1, n) if experts[i] == experts[i - 1]]
    want = min(len(eligible), round(ratio * n + 1e-9))
    plan = [False] * n
    for j in range(want):
        plan[eligible[int((j + 0.5) * len(eligible) / want)]] = True
    return plan


class SkipControl:
    """Wraps each denoiser's first-block-cache decision: records every decision, and when `force` is set (True/False)
    overrides it (a forward whose cache is still empty always computes)."""

    def __init__(self, models: Sequence[Any]) -> None:
        self.force: bool | None = None
        self.decisions: list[bool] = []  # True: computed all blocks
        self.hooks = []
        for m in models:
            hook = _fbc_head_hook(m)
            if hook is None:
                continue
            original = hook._should_compute_remaining_blocks
            hook._should_compute_remaining_blocks = self._wrap(hook, original)
            self.hooks.append((hook, original))

    def _wrap(self, hook: Any, original: Callable[[Any], bool]) -> Callable[[Any], bool]:
        import torch

        def decide(residual: Any) -> bool:
            state = hook.state_manager.get_state()
            if self.force is None or state.head_block_residual is None or state.tail_block_residuals is None:
                compute = bool(original(residual))
            else:
                compute = not self.force
            self.decisions.append(compute)
            return compute

        eager: Callable[[Any], bool] = torch.compiler.disable(decide)
        return eager

    @property
    def active(self) -> bool:
        """Whether any denoiser has a first-block cache to control."""
        return bool(self.hooks)

    def close(self) -> None:
        """Put the original decisions back."""
        for hook, original in self.hooks:
            hook._should_compute_remaining_blocks = original
        self.hooks = []


def _fbc_head_hook(model: Any) -> Any:
    import torch

    for child in model.children():
        if isinstance(child, torch.nn.ModuleList) and len(child) and hasattr(child[0], "_diffusers_hook"):
            head: Any = child[0]  # a diffusers block with hooks attached
            return head._diffusers_hook.get_hook("fbc_leader_block_hook")
    return None


# --- text embeddings once per prompt --------------------------------------------------------------------------------

class TextCache:
    """Prompt embeddings by (text, max length), least recently used dropped past `size` entries."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[tuple[str, int], Any] = OrderedDict()

    def embed(self, pipe: Any, text: str, max_len: int, device: Any) -> Any:
        """The prompt embeddings of `text`, encoded by `pipe` on a miss."""
        key = (text, int(max_len))
        if self.size and key in self._items:
            self.hits += 1
            self._items.move_to_end(key)
            return self._items[key]
        self.misses += 1
        embeds, _ = pipe.encode_prompt(prompt=text, negative_prompt=None, do_classifier_free_guidance=False,
                                       num_videos_per_prompt=1, max_sequence_length=int(max_len), device=device)
        if self.size:
            self._items[key] = embeds
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return embeds

    def clear(self) -> None:
        """Drop every cached embedding."""
        self._items.clear()


# --- the denoising loop -----------------------------------------------------------------------------------------------

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

