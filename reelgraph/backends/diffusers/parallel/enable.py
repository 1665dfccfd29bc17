"""diffusers' context parallelism switched on for a pipeline's denoisers, in a process of an initialised group."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from reelgraph.backends.diffusers.parallel.options import ParallelSpec
from reelgraph.errors import BackendError

RING_KERNEL = "_native_cudnn"  # ring attention merges partial results by log-sum-exp: SDPA's default path has none
_SHIM_LOCK = threading.Lock()


@contextmanager
def _one_cpu_device() -> Iterator[None]:
    """diffusers places rank r on accelerator r modulo the accelerator count, which is 0 on a CPU-only machine:
    count the CPU as one device while the parallel config is resolved there (no effect where there is a GPU)."""
    import torch

    if torch.accelerator.device_count() > 0:
        yield
        return
    with _SHIM_LOCK:
        original = torch.accelerator.device_count
        torch.accelerator.device_count = lambda: 1
        try:
            yield
        finally:
            torch.accelerator.device_count = original


def enable_context_parallel(models: Sequence[Any], spec: ParallelSpec, device: Any) -> dict[str, Any]:
    """Split each model's attention over the group's ranks (Ulysses all-to-all and/or ring); returns what was done.
    Ring attention needs a kernel that returns log-sum-exp: with the default attention it uses cuDNN on a GPU and is
    refused on the CPU."""
    import torch.distributed as dist
    from diffusers import ContextParallelConfig

    if not dist.is_initialized() or dist.get_world_size() != spec.world:
        raise BackendError(f"video parallel: {spec.world} processes expected in the group, found "
                           f"{dist.get_world_size() if dist.is_initialized() else 'none'}")
    applied: dict[str, Any] = {**spec.describe(), "comm": dist.get_backend()}
    if spec.ring > 1:
        from reelgraph.backends.diffusers.speed.attention import attention_modules

        if device.type != "cuda":
            raise BackendError("video parallel: ring attention needs a GPU attention kernel that returns "
                               "log-sum-exp (cuDNN or FlashAttention); on the CPU use ulysses only")
        for m in models:
            for _, mod in attention_modules(m):
                if mod.processor._attention_backend is None:
                    mod.processor._attention_backend = RING_KERNEL
                    applied["attention"] = RING_KERNEL
    mesh = None  # one device mesh (and one set of communicators) for all the models
    with _one_cpu_device():
        for m in models:
            config = ContextParallelConfig(ulysses_degree=spec.ulysses, ring_degree=spec.ring, mesh=mesh)
            try:
                m.enable_parallelism(config=config)
                mesh = getattr(config, "_mesh")  # noqa: B009  (set by diffusers when the mesh is built)
            except (ValueError, RuntimeError) as e:
                raise BackendError(f"video parallel: {type(m).__name__} cannot be split over {spec.world} ranks "
                                   f"({e})") from e
    return {"parallel": applied}
