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
