"""The process group of one split clip: rank 0 is the caller's process, ranks 1..N-1 are worker processes.

Each worker builds the same backend class from the same profile section (on its own GPU), joins the group, loads
the pipeline (which switches context parallelism on) and then runs the calls rank 0 sends it over a pipe, answering
each with its peak memory. The workers end when rank 0 shuts the group down, when its process ends (the pipe
closes), or when it is killed (each worker watches its parent).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from datetime import timedelta
from typing import Any

from reelgraph.backends.diffusers.parallel.options import ParallelSpec
from reelgraph.errors import BackendError, UsageError

log = logging.getLogger(__name__)

CALLS = ("denoise",)  # what rank 0 may ask a worker to run
_WORKER_RANK: int | None = None  # set in a worker process
_ACTIVE: list[RankGroup] = []


def worker_rank() -> int | None:
    """This process's rank when it is a worker of a group (None in the studio's own process)."""
    return _WORKER_RANK


def comm_backend(device: Any) -> str:
    """NCCL between GPUs, gloo on the CPU."""
    return "nccl" if device.type == "cuda" else "gloo"


def check_devices(spec: ParallelSpec, device: Any) -> None:
    """Refuse a group the machine cannot hold: rank 0 must be GPU 0 and there must be a GPU per rank."""
    if device.type == "cuda":
        import torch

        count = torch.cuda.device_count()
        if spec.world > count:
            raise UsageError(f"video option parallel asks for {spec.world} GPUs (ulysses {spec.ulysses} x ring "
                             f"{spec.ring}); this machine has {count}")
        if device.index not in (None, 0):
            raise UsageError(f"video option parallel: rank r runs on GPU r, so the backend's device must be GPU 0, "
                             f"got {device} (choose the GPUs with CUDA_VISIBLE_DEVICES)")
    elif device.type != "cpu":
        raise UsageError(f"video option parallel runs on CUDA GPUs (or the CPU, for tests), not {device.type}")


def _init_group(rank: int, spec: ParallelSpec, device: Any, init_file: str) -> None:
    import torch
    import torch.distributed as dist

    if dist.is_initialized():
        raise BackendError("video parallel: this process is already in a torch.distributed group")
    if device.type == "cuda":
        torch.cuda.set_device(device.index or 0)
    elif sys.platform.startswith("linux"):
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # every rank is on this machine: no hostname lookup
    dist.init_process_group(comm_backend(device), init_method=f"file://{init_file}", rank=rank,
                            world_size=spec.world, timeout=timedelta(seconds=spec.timeout_s))


class RankGroup:
    """Rank 0's side: starts the workers, joins the group with them, sends calls, collects their answers."""

    def __init__(self, backend_path: str, config: dict[str, Any], spec: ParallelSpec, device: Any) -> None:
        import torch.multiprocessing as mp

        check_devices(spec, device)
        self.spec = spec
        self.device = device
        self._dir = tempfile.mkdtemp(prefix="reelgraph-group-")
        init_file = os.path.join(self._dir, "rendezvous")
        ctx = mp.get_context("spawn")
        self._conns: list[Any] = []
        self._procs: list[Any] = []
        for rank in range(1, spec.world):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker_main, name=f"reelgraph-rank{rank}", daemon=True,
                               args=(rank, spec, str(device.type), init_file, backend_path, config, child,
                                     os.getpid()))
            proc.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(proc)
        self.peaks: list[int] = [0] * (spec.world - 1)
        _ACTIVE.append(self)
        try:
            _init_group(0, spec, device, init_file)
        except Exception as e:
            self.shutdown()
            raise BackendError(f"video parallel: the group of {spec.world} processes did not form ({e})") from e

    def _answer(self, rank: int, what: str) -> Any:
        """The next answer of worker `rank`; its error, or its death, as a BackendError."""
        conn, proc = self._conns[rank - 1], self._procs[rank - 1]
        deadline = time.monotonic() + self.spec.timeout_s
        while not conn.poll(1.0):
            if not proc.is_alive():
                raise BackendError(f"video parallel: rank {rank} ended (exit code {proc.exitcode}) during {what}")
            if time.monotonic() > deadline:
                raise BackendError(f"video parallel: rank {rank} did not answer within "
                                   f"{self.spec.timeout_s:.0f} s during {what}")
        try:
            kind, value = conn.recv()
        except (EOFError, OSError) as e:
            raise BackendError(f"video parallel: rank {rank} closed its pipe during {what} ({e})") from e
        if kind == "error":
            raise BackendError(f"video parallel: rank {rank} failed during {what}:\n{value}")
        return value

    def ready(self) -> list[dict[str, Any]]:
        """Wait until every worker has loaded its pipeline; what each reports."""
        return [self._answer(r, "loading") for r in range(1, self.spec.world)]

    def send(self, call: str, kwargs: dict[str, Any]) -> None:
        """Ask every worker to run `call` with `kwargs` (they wait for rank 0 at the first collective)."""
        if call not in CALLS:
            raise BackendError(f"video parallel: unknown call {call!r}")
        for rank, conn in enumerate(self._conns, start=1):
            try:
                conn.send((call, kwargs))
            except (BrokenPipeError, OSError) as e:
                raise BackendError(f"video parallel: rank {rank} is gone ({e})") from e

    def collect(self, call: str) -> None:
        """Wait for every worker to finish `call`; keeps their peak memory."""
        for rank in range(1, self.spec.world):
            answer = self._answer(rank, call)
            self.peaks[rank - 1] = max(self.peaks[rank - 1], int(answer.get("peak_bytes", 0)))

    def shutdown(self) -> None:
        """Stop the workers and leave the group (idempotent)."""
        for conn in self._conns:
            with contextlib.suppress(BrokenPipeError, OSError):
                conn.send(("stop", {}))
        for proc in self._procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
        for conn in self._conns:
            conn.close()
        self._conns, self._procs = [], []
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
        shutil.rmtree(self._dir, ignore_errors=True)
        if self in _ACTIVE:
            _ACTIVE.remove(self)


@atexit.register
def _shutdown_all() -> None:
    for group in list(_ACTIVE):
        group.shutdown()


def _watch_parent(parent_pid: int) -> None:
    """End this worker when the studio's process is gone (killed: no pipe message would come)."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            os._exit(3)


def _worker_main(rank: int, spec: ParallelSpec, device_type: str, init_file: str, backend_path: str,
                 config: dict[str, Any], conn: Any, parent_pid: int) -> None:
    global _WORKER_RANK
    _WORKER_RANK = rank
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="parent-watch").start()
    try:
        import torch

        from reelgraph.backends.diffusers.loader import read_peak, reset_peak
        from reelgraph.config import BackendConfig

        device = torch.device("cuda", rank) if device_type == "cuda" else torch.device("cpu")
        _init_group(rank, spec, device, init_file)
        module, _, name = backend_path.partition(":")
        cls = getattr(importlib.import_module(module), name)
        options = {**config.get("options", {}), "device": str(device), "vllm_fraction": 0.0}
        backend = cls(BackendConfig.model_validate({**config, "options": options}))
        backend.pipe  # noqa: B018  (loads, places and splits the pipeline)
        conn.send(("ready", {"rank": rank, "device": str(device), "load_s": round(backend.load_seconds, 3)}))
        while True:
            call, kwargs = conn.recv()
            if call == "stop":
                break
            reset_peak(device)
            backend.run_rank_call(call, kwargs)
            conn.send(("done", {"peak_bytes": read_peak(device)}))
    except (EOFError, KeyboardInterrupt):
        pass
    except BaseException:
        try:
            conn.send(("error", traceback.format_exc()[-4000:]))
        finally:
            os._exit(1)  # the others' collectives fail fast on gloo instead of waiting out the timeout
    finally:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
