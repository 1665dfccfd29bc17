"""Backends by (tool kind, backend name). Each is built once per process per config and then reused."""

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


def get_backend(kind: Kind, profile: Profile) -> Any:
    """The backend instance for `kind` under `profile` (built on first use, then reused: models load once)."""
    cfg: BackendConfig = getattr(profile, kind)
    key = (kind, cfg.model_dump_json())
    with _lock:
        if key not in _cache:
            target = BACKENDS.get((kind, cfg.backend))
            if target is None:
                known = sorted(name for k, name in BACKENDS if k == kind)
                raise UsageError(f"unknown {kind} backend {cfg.backend!r}; known: {', '.join(known)}")
            module, cls = target.split(":")
            _cache[key] = getattr(importlib.import_module(module), cls)(cfg)
        return _cache[key]


def clear_backends() -> None:
    """Forget every built backend (tests; freeing models between runs)."""
    with _lock:
        _cache.clear()
