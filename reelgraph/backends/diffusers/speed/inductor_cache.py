"""The ``inductor_cache_dir`` switch: compiled kernels cached in a folder across runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def set_inductor_cache(folder: Any) -> str:
    """Cache compiled kernels in `folder` across runs (TORCHINDUCTOR_CACHE_DIR; Triton's cache goes under it)."""
    path = Path(str(folder)).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(path)
    os.environ.setdefault("TORCHINDUCTOR_FX_GRAPH_CACHE", "1")
    os.environ.setdefault("TORCHINDUCTOR_AUTOGRAD_CACHE", "1")
    return str(path)
