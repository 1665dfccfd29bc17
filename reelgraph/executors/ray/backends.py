"""Backends as resident Ray actors: each actor builds its backend (loads its model) once and keeps it.

`RayBackend` has the same methods as the backend it stands for (reelgraph.backends.base). A call goes to an
idle actor of its pool; input files travel as bytes with their sha256 (no shared file system needed), the file the
backend writes comes back the same way and lands at the caller's path with its hash checked. A dead actor is
restarted and the call retried (``max_restarts`` / ``max_task_retries``); past that the call fails with a clear error.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import logging
import os
import queue
import socket
import tempfile
from pathlib import Path
from typing import Any

from reelgraph.backends.base import ImageBackend, MediaInfo, MusicBackend, SpeechBackend, VideoBackend
from reelgraph.config import BackendConfig, ExecutorConfig
from reelgraph.errors import BackendError
from reelgraph.executors.ray.cluster import cluster_gpus, ensure_cluster

log = logging.getLogger(__name__)

PROTOCOLS = {"image": ImageBackend, "video": VideoBackend, "music": MusicBackend, "speech": SpeechBackend}
POOLED = ("image", "video")  # kinds called once per shot: `workers` actors; music and speech: one actor each
CPU_BACKENDS = ("procedural", "offline")  # no GPU wanted


@dataclasses.dataclass(frozen=True)
class FileBlob:
    """A file in transit: its name, bytes and sha256."""

    name: str
    data: bytes
    sha256: str

    @classmethod
    def read(cls, path: Path) -> FileBlob:
        """The file at `path`, read for sending."""
        data = Path(path).read_bytes()
        return cls(Path(path).name, data, hashlib.sha256(data).hexdigest())

    def write(self, path: Path) -> Path:
        """Write the bytes to `path` (an error if they no longer match their sha256); returns `path`."""
        if hashlib.sha256(self.data).hexdigest() != self.sha256:
            raise BackendError(f"{self.name}: bytes changed in transit (sha256 mismatch)")
        path.write_bytes(self.data)
        return path


def pack(value: Any) -> Any:
    """`value` with every Path in it (also inside dataclasses, dicts, lists, tuples) replaced by a FileBlob."""
    if isinstance(value, Path):
        return FileBlob.read(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: pack(getattr(value, f.name)) for f in dataclasses.fields(value)
                                             if f.init})
    if isinstance(value, dict):
        return {k: pack(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(pack(v) for v in value)
    return value


def unpack(value: Any, folder: Path) -> Any:
    """The inverse of `pack`: each FileBlob written into `folder` (one subfolder each) and replaced by its path."""
    if isinstance(value, FileBlob):
        sub = Path(tempfile.mkdtemp(dir=folder))
        return value.write(sub / value.name)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: unpack(getattr(value, f.name), folder)
                                             for f in dataclasses.fields(value) if f.init})
    if isinstance(value, dict):
        return {k: unpack(v, folder) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(unpack(v, folder) for v in value)
    return value


def _cpu_share(executor: ExecutorConfig, index: int) -> tuple[int, ...]:
    """The cores actor `index` is pinned to (none unless `pin_cpus`): num_cpus of them, round robin."""
    if not executor.pin_cpus or executor.num_cpus < 1:
        return ()
    n, total = int(executor.num_cpus), os.cpu_count() or 1
    return tuple(sorted({(index * n + k) % total for k in range(n)}))


def share_config(cfg: BackendConfig, gpu_share: float) -> BackendConfig:
    """The backend's config for an actor holding `gpu_share` of a card: a diffusers backend's memory plan budgets for
    that share only (the rest of the card counts as taken, like a vLLM server's share)."""
    if cfg.backend != "diffusers" or not 0 < gpu_share < 1:
        return cfg
    taken = max(float(cfg.options.get("vllm_fraction") or 0.0), 1.0 - gpu_share)
    return cfg.model_copy(update={"options": {**cfg.options, "vllm_fraction": round(taken, 4)}})


class BackendWorker:
    """The actor's body: one backend, built once; calls run with their files in a private temporary folder."""

    def __init__(self, kind: str, config_json: str, cpus: tuple[int, ...] = ()) -> None:
        from reelgraph.backends.registry import backend_class

        if cpus and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, cpus)  # its encoders (child processes) inherit the share
        import ray

        cfg = BackendConfig.model_validate_json(config_json)
        share = float(ray.get_runtime_context().get_assigned_resources().get("GPU", 0.0))
        self.backend = backend_class(kind, cfg.backend)(share_config(cfg, share))
        self.where = f"{socket.gethostname()}:{os.getpid()}"

    def info(self) -> dict[str, Any]:
        """The backend's name and where the actor runs: host:pid, pid and pinned CPUs."""
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        return {"name": self.backend.name, "where": self.where, "pid": os.getpid(), "cpus": cpus}

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any],
             out: str | None) -> tuple[Any, FileBlob | None]:
        """Call the backend's `method` with its files unpacked into a private folder; returns the result and, when
        `out` names a file, that file as a FileBlob for the way back."""
        with tempfile.TemporaryDirectory(prefix="reelgraph-call-") as tmp:
            folder = Path(tmp)
            args, kwargs = unpack(args, folder), unpack(kwargs, folder)
            target = None
            if out is not None:
                target = folder / f"out{Path(out).suffix}"
                kwargs["out"] = target
            result = getattr(self.backend, method)(*args, **kwargs)
            if isinstance(result, MediaInfo):
                result = MediaInfo({**result.meta, "worker": self.where})
            return result, FileBlob.read(target) if target is not None else None


class RayBackend:
    """A backend whose calls run on a pool of resident Ray actors (same methods as the local backend)."""

    def __init__(self, kind: str, cfg: BackendConfig, executor: ExecutorConfig) -> None:
        if kind not in PROTOCOLS:
            raise BackendError(f"no Ray worker for backend kind {kind!r}")
        from reelgraph.backends.registry import backend_class

        backend_class(kind, cfg.backend)  # an unknown or broken backend named here, before any actor starts
        ray = ensure_cluster(executor)
        self.kind, self.cfg, self.executor = kind, cfg, executor
        gpus = executor.num_gpus
        if gpus is None:
            gpus = 1.0 if cfg.backend not in CPU_BACKENDS and cluster_gpus() >= 1 else 0.0
        cpus = executor.num_cpus if kind in POOLED else 0.0  # music and speech run once a reel: no reservation
        count = executor.workers if kind in POOLED else 1
        if executor.address is None:  # a private cluster never grows: what does not fit now never will
            free = ray.available_resources()
            if count * cpus > free.get("CPU", 0.0) + 1e-9 or count * gpus > free.get("GPU", 0.0) + 1e-9:
                raise BackendError(f"{count} {kind} worker(s) x ({cpus} CPU, {gpus} GPU) do not fit the private Ray "
                                   f"cluster's free {free.get('CPU', 0.0):g} CPU, {free.get('GPU', 0.0):g} GPU; "
                                   f"lower executor.workers / num_cpus / num_gpus")
        actor_cls = ray.remote(BackendWorker).options(
            num_cpus=cpus, num_gpus=gpus,
            max_restarts=executor.max_restarts, max_task_retries=executor.max_task_retries, max_concurrency=1)
        self.actors = [actor_cls.remote(kind, cfg.model_dump_json(), _cpu_share(executor, i) if kind in POOLED else ())
                       for i in range(count)]
        self._idle: queue.Queue[Any] = queue.Queue()
        for actor in self.actors:
            self._idle.put(actor)
        from ray.exceptions import GetTimeoutError, RayActorError

        try:
            first = ray.get([a.info.remote() for a in self.actors], timeout=executor.start_timeout)[0]
        except GetTimeoutError:
            raise BackendError(f"{kind} workers not ready after {executor.start_timeout:.0f} s: the cluster lacks the "
                               f"resources asked ({count} x {cpus} CPU, {gpus} GPU) or the model is "
                               f"slow to load") from None
        except RayActorError as e:
            raise BackendError(f"{kind} worker failed to start: {e}") from e
        self.name = first["name"]
        log.info("%s backend %r on %d Ray actor(s), %s GPU each", kind, self.name, count, gpus)

    def workers(self) -> list[dict[str, Any]]:
        """Where each actor runs now (host:pid), for logs and tests."""
        import ray

        return ray.get([a.info.remote() for a in self.actors])

    def __getattr__(self, method: str) -> Any:
        kind = self.__dict__.get("kind")
        spec = getattr(PROTOCOLS[kind], method, None) if kind in PROTOCOLS else None
        if method.startswith("_") or not callable(spec):
            raise AttributeError(method)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._call(method, spec, args, kwargs)

        return call

    def _call(self, method: str, spec: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        import ray
        from ray.exceptions import ActorDiedError, ActorUnavailableError, RayTaskError

        bound = inspect.signature(spec).bind(self, *args, **kwargs).arguments
        bound.pop("self")
        out = bound.pop("out", None)
        actor = self._idle.get()
        try:
            result, blob = ray.get(actor.call.remote(method, (), pack(dict(bound)), str(out) if out else None))
        except RayTaskError as e:
            if isinstance(e.cause, Exception):
                raise e.cause from None
            raise BackendError(f"{self.kind} worker: {e}") from None
        except (ActorDiedError, ActorUnavailableError) as e:
            first = next((line.strip() for line in str(e).splitlines() if line.strip()), type(e).__name__)
            raise BackendError(f"{self.kind} worker died and was not recovered after "
                               f"{self.executor.max_task_retries} retries ({first})") from e
        finally:
            self._idle.put(actor)
        if out is not None:
            if blob is None:
                raise BackendError(f"{self.kind} worker wrote no file for {method}")
            blob.write(Path(out))
            if hashlib.sha256(Path(out).read_bytes()).hexdigest() != blob.sha256:
                raise BackendError(f"{self.kind} worker's file {out} does not match its hash after writing")
        return result
