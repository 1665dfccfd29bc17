"""The "sage_triton" attention kernel: SageAttention 1.x's Triton kernel (INT8 QK with per-block scales, K smoothed,
FP16 PV) as a torch custom op, registered in diffusers' attention dispatch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reelgraph.backends.diffusers.speed.dispatch import install_dispatch, plain_attention
from reelgraph.errors import BackendError

SAGE_TRITON_SLOT = "_sage_qk_int8_pv_fp16_triton"  # the dispatch slot sage_triton fills when diffusers' own can't

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


def _sage_dispatch(query: Any, key: Any, value: Any, attn_mask: Any = None, is_causal: bool = False,
                   scale: float | None = None, return_lse: bool = False, _parallel_config: Any = None) -> Any:
    """A diffusers attention-dispatch function running SageAttention 1.x's Triton kernel."""
    return plain_attention("sage_triton", sage_triton_op(), query, key, value, attn_mask, is_causal, scale,
                           return_lse, _parallel_config)


def register_sage_triton() -> Any:
    """Put `_sage_dispatch` in diffusers' dispatch registry (in the INT8-QK/FP16-PV Triton slot, unless diffusers'
    own SageAttention 2 support is usable there) and return the slot's backend name."""
    from diffusers.models import attention_dispatch as ad

    sage_triton_op()
    slot = ad.AttentionBackendName(SAGE_TRITON_SLOT)
    if getattr(ad, "_CAN_USE_SAGE_ATTN", False):
        return slot  # diffusers' own kernel of the same kind
    return install_dispatch(slot, _sage_dispatch)
