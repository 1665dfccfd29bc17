"""The few-step preset's step-distillation LoRA: its files in a folder, loaded into the experts and fused at load."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from reelgraph.errors import BackendError, UsageError


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
