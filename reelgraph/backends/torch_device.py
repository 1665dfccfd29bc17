"""Where a model backend runs: the torch device and dtype from its options (torch imported only when asked)."""

from __future__ import annotations

from typing import Any

from reelgraph.errors import UsageError

DTYPES = {"float32": "float32", "fp32": "float32", "float16": "float16", "fp16": "float16", "half": "float16",
          "bfloat16": "bfloat16", "bf16": "bfloat16"}


def resolve_device(option: Any) -> Any:
    """`options.device`: 'auto' (the CUDA GPU when there is one, else the CPU), 'cpu', 'cuda', 'cuda:1'..."""
    import torch

    name = str(option or "auto")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise UsageError(f"unknown device {name!r}: {e}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"device {name!r} asked for, but torch sees no CUDA GPU")
    return device


def resolve_dtype(option: Any, device: Any, *, cuda_default: str = "bfloat16") -> Any:
    """`options.dtype`: 'auto' (float32 on the CPU, `cuda_default` on a GPU), 'float32', 'float16', 'bfloat16'."""
    import torch

    name = str(option or "auto").lower()
    if name == "auto":
        name = cuda_default if device.type == "cuda" else "float32"
    if name not in DTYPES:
        raise UsageError(f"dtype {name!r} is not one of: auto, float32, float16, bfloat16")
    return getattr(torch, DTYPES[name])
