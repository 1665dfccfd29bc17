"""Backends by (tool kind, backend name). Each is built once per process per config and then reused.

A backend name may also be an import target, ``package.module:Class`` (a backend of your own). With the Ray
executor, `get_backend` hands out a proxy whose calls run on resident Ray actors (reelgraph.serving.ray_backends).
"""

from __future__ import annotations

import importlib
import threading
from typing import Any, Literal

from reelgraph.config import BackendConfig, Profile
from reelgraph.errors import UsageError

Kind = Literal["image", "video", "music", "speech"]

BACKENDS: dict[tuple[str, str], str] = {
    ("image", "procedural"): "reelgraph.tools.backends.procedural_image:ProceduralImageBackend",
    ("video", "procedural"): "reelgraph.tools.backends.procedural_video:ProceduralVideoBackend",
    ("music", "procedural"): "reelgraph.tools.backends.procedural_music:ProceduralMusicBackend",
    ("speech", "offline"): "reelgraph.tools.backends.speech_offline:OfflineSpeechBackend",
    ("image", "diffusers"): "reelgraph.tools.backends.diffusers_image:DiffusersImageBackend",
    ("video", "diffusers"): "reelgraph.tools.backends.diffusers_video:DiffusersVideoBackend",
    ("music", "musicgen"): "reelgraph.tools.backends.music_musicgen:MusicgenBackend",
    ("speech", "vits"): "reelgraph.tools.backends.speech_vits:VitsSpeechBackend",
}

_cache: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def backend_class(kind: str, name: str) -> Any:
    """The class of backend `name` for tool `kind` (a known name, or an importable ``module:Class``)."""
    target = BACKENDS.get((kind, name)) or (name if ":" in name else None)
    if target is None:
        known = sorted(n for k, n in BACKENDS if k == kind)
        raise UsageError(f"unknown {kind} backend {name!r}; known: {', '.join(known)} (or module:Class)")
    module, _, cls = target.partition(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as e:
        raise UsageError(f"{kind} backend {name!r} cannot be imported: {e}") from e


def get_backend(kind: Kind, profile: Profile) -> Any:
    """The backend instance for `kind` under `profile` (built on first use, then reused: models load once)."""
    cfg: BackendConfig = getattr(profile, kind)
    key = (kind, cfg.model_dump_json() + profile.executor.model_dump_json())
    with _lock:
        if key not in _cache:
            if profile.executor.kind == "ray":
                from reelgraph.serving.ray_backends import RayBackend

                _cache[key] = RayBackend(kind, cfg, profile.executor)
            else:
                _cache[key] = backend_class(kind, cfg.backend)(cfg)
        return _cache[key]


def clear_backends() -> None:
    """Forget every built backend (tests; freeing models between runs)."""
    with _lock:
        _cache.clear()
