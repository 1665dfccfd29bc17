"""Our own attention kernels in diffusers' attention dispatch: a registry slot filled with a function of ours, and
the call it makes to a (q, k, v, scale) kernel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reelgraph.errors import BackendError


def plain_attention(name: str, op: Callable[..., Any], query: Any, key: Any, value: Any, attn_mask: Any,
                    is_causal: bool, scale: float | None, return_lse: bool, parallel_config: Any) -> Any:
    """Run a (q, k, v, scale) kernel for a dispatch call, refusing what it does not do (masks, causal, lse)."""
    if attn_mask is not None or is_causal or return_lse or parallel_config is not None:
        raise BackendError(f"attention {name!r} supports plain non-causal attention only")
    return op(query, key, value, float(scale if scale is not None else query.shape[-1] ** -0.5))


def install_dispatch(slot: Any, fn: Callable[..., Any]) -> Any:
    """Put `fn` in diffusers' attention-dispatch registry under `slot` (once); returns the slot."""
    import inspect

    from diffusers.models import attention_dispatch as ad

    reg = ad._AttentionBackendRegistry
    if reg._backends.get(slot) is not fn:
        reg._backends[slot] = fn
        reg._constraints[slot] = []
        reg._supported_arg_names[slot] = set(inspect.signature(fn).parameters)
    return slot
