"""Backends by (tool kind, backend name). Each is built once per process per config and then reused.

A backend name may also be an import target, ``package.module:Class`` (a backend of your own). Where a backend runs
(here, or on Ray actors) is the executors' business (reelgraph.executors).
"""

from __future__ import annotations

import importlib
import threading
from typing import Any, Literal

from reelgraph.config import BackendConfig
from reelgraph.errors import UsageError

Kind = Literal["image", "video", "music", "speech"]

BACKENDS: dict[tuple[str, str], str] = {
    ("image", "procedural"): "reelgraph.backends.procedural.image:ProceduralImageBackend",
    ("video", "procedural"): "reelgraph.backends.procedural.video:ProceduralVideoBackend",
    ("music", "procedural"): "reelgraph.backends.procedural.music:ProceduralMusicBackend",
    ("speech", "offline"): "reelgraph.backends.audio.offline_speech:OfflineSpeechBackend",
    ("image", "diffusers"): "reelgraph.backends.diffusers.image:DiffusersImageBackend",
    ("video", "diffusers"): "reelgraph.backends.diffusers.video:DiffusersVideoBackend",
    ("video", "ltx2"): "reelgraph.backends.diffusers.dialogue:LTX2DialogueBackend",
    ("music", "musicgen"): "reelgraph.backends.audio.musicgen:MusicgenBackend",
    ("music", "acestep"): "reelgraph.backends.audio.acestep:AceStepMusicBackend",
    ("speech", "vits"): "reelgraph.backends.audio.vits:VitsSpeechBackend",
}

METHODS: dict[str, tuple[str, ...]] = {"image": ("master", "keyframe"), "video": ("animate", "bridge"),
                                       "music": ("compose",), "speech": ("voices", "speak")}
"""What a backend class of each kind must have (the protocols of reelgraph.backends.base)."""

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
        found = getattr(importlib.import_module(module), cls)
    except Exception as e:  # a module of the user's: whatever fails in it is theirs to fix, named
        raise UsageError(f"{kind} backend {name!r} cannot be imported: {type(e).__name__}: {e}") from None
    needs = METHODS.get(kind, ())
    if not isinstance(found, type) or any(not callable(getattr(found, m, None)) for m in needs):
        raise UsageError(f"{kind} backend {name!r} is not a backend class for {kind} (a class with the methods "
                         f"{', '.join(needs)})")
    return found


def local_backend(kind: Kind, cfg: BackendConfig) -> Any:
    """The backend for `kind` built in this process from `cfg` (on first use, then reused: models load once)."""
    key = (kind, cfg.model_dump_json())
    with _lock:
        if key not in _cache:
            _cache[key] = backend_class(kind, cfg.backend)(cfg)
        return _cache[key]


def clear_local_backends() -> None:
    """Forget every backend built in this process, closing those that hold models or processes."""
    with _lock:
        built = list(_cache.values())
        _cache.clear()
    for backend in built:
        close = getattr(backend, "close", None)
        if callable(close):
            close()
