"""Where backends run: in this process (the backend registry) or as resident Ray actors (reelgraph.executors.ray).

The profile's `[executor]` decides; the backends and their registry know nothing of Ray.
"""

from __future__ import annotations

import threading
from typing import Any

from reelgraph.backends.registry import Kind, clear_local_backends, local_backend
from reelgraph.config import Profile

_proxies: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def get_backend(kind: Kind, profile: Profile) -> Any:
    """The backend for `kind` under `profile`: built here once, or a proxy to resident Ray actors."""
    if profile.executor.kind != "ray":
        return local_backend(kind, getattr(profile, kind))
    cfg = getattr(profile, kind)
    key = (kind, cfg.model_dump_json() + profile.executor.model_dump_json())
    with _lock:
        if key not in _proxies:
            from reelgraph.executors.ray.backends import RayBackend

            _proxies[key] = RayBackend(kind, cfg, profile.executor)
        return _proxies[key]


def clear_backends() -> None:
    """Forget every built backend and actor proxy (tests; freeing models between runs)."""
    clear_local_backends()
    with _lock:
        _proxies.clear()
