"""The "flash4" attention kernel: FlashAttention-4 (the flash-attn-4 package: CuTe DSL kernels for Hopper and
Blackwell, bf16/fp16) as a torch custom op, registered in diffusers' attention dispatch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reelgraph.backends.diffusers.speed.dispatch import install_dispatch, plain_attention
from reelgraph.errors import BackendError

# The dispatch slot flash4 fills: diffusers' own FlashAttention-4 slot, whose own backend downloads its kernel from the
# hub at run time (never used here); "_flash_3" only for a diffusers without that slot and without a usable FA3.
FLASH4_SLOTS = ("flash_4_hub", "_flash_3")

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
    return plain_attention("flash4", flash4_op(), query, key, value, attn_mask, is_causal, scale, return_lse,
                           _parallel_config)


def register_flash4() -> Any:
    """Put `_flash4_dispatch` in diffusers' dispatch registry (in its FlashAttention-4 slot; see FLASH4_SLOTS) and
    return the slot's backend name."""
    from diffusers.models import attention_dispatch as ad

    flash4_op()
    names = {b.value for b in ad.AttentionBackendName}
    fa3_in_use = getattr(ad, "_CAN_USE_FLASH_ATTN_3", False)
    usable = [n for n in FLASH4_SLOTS if n in names and not (n == "_flash_3" and fa3_in_use)]
    if not usable:
        raise BackendError(f"attention 'flash4': this diffusers has no free dispatch slot (one of {FLASH4_SLOTS})")
    return install_dispatch(ad.AttentionBackendName(usable[0]), _flash4_dispatch)
