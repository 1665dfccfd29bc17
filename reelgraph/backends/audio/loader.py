"""Shared helpers for the transformers-based audio backends: folders, devices, dtypes, seeded generation.

torch is imported inside the functions so that importing this module stays light.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from reelgraph.errors import BackendError

T = TypeVar("T")

DTYPES = {"float32": "float32", "fp32": "float32", "float16": "float16", "fp16": "float16",
          "bfloat16": "bfloat16", "bf16": "bfloat16"}


def check_folder(folder: str | Path, *, who: str, setting: str) -> Path:
    """The model folder as a Path, or a BackendError naming the folder and the profile setting it came from."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise BackendError(f"{who}: model folder {str(path)!r} ({setting}) does not exist")
    if not (path / "config.json").is_file():
        raise BackendError(f"{who}: model folder {str(path)!r} ({setting}) has no config.json: "
                           "not a transformers model folder")
    return path


def load_component(who: str, component: str, folder: Path, load: Callable[[], T]) -> T:
    """Run `load()`; any failure becomes a BackendError naming the component and the folder."""
    try:
        return load()
    except BackendError:
        raise
    except Exception as e:  # transformers raises OSError, ValueError, KeyError, RuntimeError... for broken folders
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise BackendError(f"{who}: cannot load the {component} from {str(folder)!r}: {first}") from e


def resolve_device(option: Any) -> Any:
    """`options.device`: 'auto' (CUDA when available, else CPU), 'cpu', 'cuda', 'cuda:1'..."""
    import torch

    name = str(option or "auto")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise BackendError(f"unknown device {name!r}: {e}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise BackendError(f"device {name!r} asked for, but CUDA is not available")
    return device


def resolve_dtype(option: Any, device: Any, *, cuda_default: str = "float32") -> Any:
    """`options.dtype`: 'auto' (float32 on CPU, `cuda_default` on CUDA), 'float32', 'float16', 'bfloat16'."""
    import torch

    name = str(option or "auto").lower()
    if name == "auto":
        name = cuda_default if device.type == "cuda" else "float32"
    if name not in DTYPES:
        raise BackendError(f"unknown dtype {name!r}; use one of: auto, float32, float16, bfloat16")
    return getattr(torch, DTYPES[name])


@contextlib.contextmanager
def seeded(seed: int, device: Any) -> Iterator[None]:
    """Seed torch for the block and restore the previous random state afterwards (deterministic sampling)."""
    import torch

    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed) % (2**63))
        yield


def sync(device: Any) -> None:
    """Wait for queued GPU work (honest timings)."""
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)
