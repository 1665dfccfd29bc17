"""Joining or starting the Ray cluster the backends run on.

With no address, a private one-machine cluster is started that listens on loopback only: Ray binds every interface
unless ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` is in its processes' environment *and* was read by this process's
`ray` when imported (its constant is set here too, in case ray was imported first), with ``_node_ip_address``
127.0.0.1.
A cluster of several machines is the user's explicit choice: start it with ``ray start`` and give its address.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from typing import Any

from reelgraph.config import ExecutorConfig
from reelgraph.errors import BackendError, UsageError

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
_lock = threading.Lock()


def ray_module() -> Any:
    """The `ray` package, or a clear error naming how to get it."""
    try:
        import ray
    except ImportError as e:
        raise UsageError("executor 'ray' needs the ray package: pip install 'reelgraph[ray]'") from e
    return ray


def _worker_env() -> dict[str, str]:
    """Environment the workers get: this process's import path (plugins, editable installs) and no usage stats."""
    paths = [*os.environ.get("PYTHONPATH", "").split(os.pathsep), *(p for p in sys.path if os.path.isdir(p or "."))]
    return {"RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": os.pathsep.join(dict.fromkeys(p for p in paths if p))}


def _loopback_only() -> None:
    """Make every Ray listener started from here bind loopback (see the module's docstring)."""
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    from ray._private import ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False


def _init(cfg: ExecutorConfig) -> None:
    import ray

    runtime_env = {"env_vars": _worker_env()}
    if cfg.address is None:
        _loopback_only()
        temp_dir = tempfile.mkdtemp(prefix="reelgraph-ray-")  # short: Ray's socket paths are length-bound
        ray.init(num_cpus=cfg.cluster_cpus or os.cpu_count() or 1, include_dashboard=False,
                 object_store_memory=cfg.object_store_mib << 20, _node_ip_address=LOOPBACK, _temp_dir=temp_dir,
                 runtime_env=runtime_env, log_to_driver=False, configure_logging=False)
        log.info("started a private Ray cluster on %s (%s)", LOOPBACK, temp_dir)
    else:
        ray.init(address=cfg.address, runtime_env=runtime_env, log_to_driver=False, configure_logging=False)
        log.info("joined the Ray cluster at %s", cfg.address)


def _init_in_keeper_thread(cfg: ExecutorConfig) -> None:
    """Start the cluster from a thread that lives as long as the process. A private cluster's processes die with
    the *thread* that started them (Linux parent-death signal), so a graph's worker thread must not start it."""
    result: dict[str, BaseException | None] = {}
    started = threading.Event()

    def keep() -> None:
        try:
            _init(cfg)
            result["error"] = None
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            result["error"] = e
        started.set()
        threading.Event().wait()  # never returns: the thread, and with it the cluster, lives until exit

    threading.Thread(target=keep, name="reelgraph-ray-keeper", daemon=True).start()
    started.wait()
    if result["error"] is not None:
        raise result["error"]


def ensure_cluster(cfg: ExecutorConfig) -> Any:
    """Connect this process to the executor's cluster once (later calls reuse it); returns the `ray` module."""
    ray = ray_module()
    with _lock:
        if ray.is_initialized():
            return ray
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        try:
            if threading.current_thread() is threading.main_thread():
                _init(cfg)
            else:
                _init_in_keeper_thread(cfg)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise BackendError(f"Ray cluster {cfg.address or '(private)'}: {e}") from e
        return ray


def cluster_gpus() -> float:
    """GPUs the connected cluster has in all."""
    return float(ray_module().cluster_resources().get("GPU", 0.0))
