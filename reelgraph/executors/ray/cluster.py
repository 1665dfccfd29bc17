"""Joining or starting the Ray cluster the backends run on.

With no address, a private one-machine cluster is started that listens on loopback only: Ray binds every interface
unless ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` is in its processes' environment *and* was read by this process's
`ray` when imported (its constant is set here too, in case ray was imported first), with ``_node_ip_address``
127.0.0.1.
A cluster of several machines is the user's explicit choice: start it with ``ray start`` and give its address.

Joining one is bounded by ``[executor] start_timeout``: Ray itself retries an address nobody answers at for many
minutes, so a join first checks that something listens there (a TCP connect), then runs ``ray.init`` in a thread
that is waited for until the timeout; either failure is one `BackendError` naming the address and the timeout.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from types import FrameType
from typing import Any

from reelgraph.config import ExecutorConfig
from reelgraph.errors import BackendError, ReelgraphError, UsageError

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
_lock = threading.Lock()
_joining: threading.Thread | None = None
"""The thread of the last join: while it still hangs in `ray.init`, another join is refused at once."""


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


def endpoint(address: str) -> tuple[str, int]:
    """The host and port Ray connects to for a cluster address: `ray://host:port` as it is; `host:port` or `auto`
    as Ray reads them (`auto`: $RAY_ADDRESS, else the latest cluster started here; a loopback host: this node's
    address)."""
    if address.startswith("ray://"):
        target = address.removeprefix("ray://")
    else:
        from ray._private.services import canonicalize_bootstrap_address

        try:
            target = canonicalize_bootstrap_address(address) or ""
        except ValueError:
            target = ""
    host, sep, port = target.rpartition(":")
    if not sep or not host.strip("[]") or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"[executor] address {address!r} is not host:port, ray://host:port or 'auto'")
    return host.strip("[]"), int(port)


def _timed_out(cfg: ExecutorConfig) -> str:
    return f"cannot join the Ray cluster at {cfg.address!r} within [executor] start_timeout = {cfg.start_timeout:g} s"


def _listening(cfg: ExecutorConfig, deadline: float) -> None:
    """Something takes TCP connections at the address (Ray's own connect would retry a closed port for minutes)."""
    host, port = endpoint(cfg.address or "")
    try:
        with socket.create_connection((host, port), timeout=max(0.1, deadline - time.monotonic())):
            pass
    except OSError as e:
        why = "no answer" if isinstance(e, TimeoutError) else (e.strerror or type(e).__name__)
        raise BackendError(f"{_timed_out(cfg)}: nothing listens at {host}:{port} ({why}); start it with "
                           "`ray start --head`, or set another address") from None


class _NotMainThreadWarning(logging.Filter):
    """Drops Ray's warning that a join from a helper thread sets no SIGTERM handler (the caller sets it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every other record."""
        return "SIGTERM handler is not set" not in record.getMessage()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    sys.exit(signum)


def _join(cfg: ExecutorConfig) -> None:
    """Join the cluster at the executor's address within its start_timeout (see the module's docstring)."""
    global _joining
    if _joining is not None and _joining.is_alive():
        raise BackendError(f"{_timed_out(cfg)}: an earlier attempt to join it still hangs")
    deadline = time.monotonic() + cfg.start_timeout
    result: dict[str, BaseException | None] = {}
    done = threading.Event()

    def join() -> None:
        try:
            _listening(cfg, deadline)
            _init(cfg)
            result["error"] = None
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            result["error"] = e
        done.set()

    _joining = threading.Thread(target=join, name="reelgraph-ray-join", daemon=True)
    quiet = _NotMainThreadWarning()
    logging.getLogger("ray._private.worker").addFilter(quiet)
    try:
        _joining.start()
        if not done.wait(max(0.0, deadline - time.monotonic())):
            raise BackendError(f"{_timed_out(cfg)}: it did not answer as a Ray cluster")
    finally:
        logging.getLogger("ray._private.worker").removeFilter(quiet)
    if result["error"] is not None:
        raise result["error"]
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_on_sigterm)  # what ray.init sets when called from the main thread


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
            if cfg.address is not None:
                _join(cfg)
            elif threading.current_thread() is threading.main_thread():
                _init(cfg)
            else:
                _init_in_keeper_thread(cfg)
        except ReelgraphError:
            raise
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise BackendError(f"Ray cluster {cfg.address or '(private)'}: {e}") from e
        return ray


def cluster_gpus() -> float:
    """GPUs the connected cluster has in all."""
    return float(ray_module().cluster_resources().get("GPU", 0.0))
