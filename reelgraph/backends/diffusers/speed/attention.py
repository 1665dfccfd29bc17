"""The ``attention`` switch: the denoisers' attention layers routed to a kernel through diffusers' attention dispatch.

"default" is torch's SDPA (cuDNN on an H100), the exact reference; "sage_triton" (SageAttention 1.x) goes on the
self-attention layers, "flash4" (FlashAttention-4) and diffusers' own backends on every attention layer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from reelgraph.backends.diffusers.speed.flash4 import register_flash4
from reelgraph.backends.diffusers.speed.options import check_attention
from reelgraph.backends.diffusers.speed.sage_triton import register_sage_triton
from reelgraph.errors import BackendError, UsageError


def attention_modules(model: Any) -> Iterator[tuple[str, Any]]:
    """The attention layers of `model` whose processor goes through diffusers' dispatch, with their names."""
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
            for _, mod in attention_modules(m):
                mod.processor._attention_backend = None
        return {"attention": "default"}
    if name.endswith("_hub"):
        raise UsageError(f"attention {name!r} downloads kernels at run time; not supported")
    if name == "sage_triton":
        backend = register_sage_triton()
        count = 0
        for m in models:
            for mod_name, mod in attention_modules(m):
                self_attn = mod_name.rsplit(".", 1)[-1] == "attn1"
                mod.processor._attention_backend = backend if self_attn else None
                count += self_attn
        return {"attention": "sage_triton", "layers": count}
    if name == "flash4":
        backend = register_flash4()
        count = 0
        for m in models:
            for _, mod in attention_modules(m):
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
        for _, mod in attention_modules(m):
            mod.processor._attention_backend = backend
            count += 1
    return {"attention": name, "layers": count}
