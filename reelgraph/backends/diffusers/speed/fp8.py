"""fp8 linear layers: torchao float8 weights and dynamic float8 activations (per row) in the denoisers' repeated
blocks, quantised once at load; and the bytes a quantised module really holds."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from reelgraph.errors import BackendError


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
