"""A run's hold on its folder: what the run has in flight (writes, child processes), and its cancellation.

The hold of the run some code runs in is a context variable: the block that claimed the folder
(`reelgraph.run.lock.run_lock`) and the graph threads started from it (they inherit its context) see it. A cancelled
run (`RunHold.cancel`) writes nothing more: its child processes are ended, a new file or child is refused
(`RunCancelled`), and the folder is given back only when what it had in flight has ended.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from reelgraph.errors import ReelgraphError

TERMINATE_GRACE_S = 5.0
"""How long a cancelled run's child process has to exit after SIGTERM before it is killed."""


class RunCancelled(ReelgraphError):
    """The run was cancelled: it starts no new file or process (continue the thread, or resume, to go on)."""


class RunHold:
    """One run's claim on its folder: the lock, and what the run has in flight (writes, child processes)."""

    def __init__(self, folder: Path, fd: int, owner: str) -> None:
        self.folder, self.owner = folder, owner
        self._fd: int | None = fd
        self._depth = 1
        self._busy = 0
        self._children: set[subprocess.Popen[bytes]] = set()
        self._cond = threading.Condition()
        self.cancelled = threading.Event()

    def check(self) -> None:
        """Raise RunCancelled when the run was cancelled."""
        if self.cancelled.is_set():
            raise RunCancelled(f"the run in {str(self.folder)!r} was cancelled: nothing more is written")

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """A write (or any work on the folder) in flight: the folder is not released before it ends."""
        with self._cond:
            self.check()
            self._busy += 1
        try:
            yield
        finally:
            with self._cond:
                self._busy -= 1
                self._cond.notify_all()
            self._release_if_done()

    @contextlib.contextmanager
    def child(self, proc: subprocess.Popen[bytes]) -> Iterator[None]:
        """A child process of the run: ended when the run is cancelled (one started after that is ended at once)."""
        with self._cond:
            self._children.add(proc)
            self._busy += 1
        try:
            if self.cancelled.is_set():
                _end(proc)
            yield
        finally:
            with self._cond:
                self._children.discard(proc)
                self._busy -= 1
                self._cond.notify_all()
            self._release_if_done()

    def cancel(self) -> None:
        """Start nothing more; end the child processes in flight (SIGTERM, then SIGKILL after a grace period)."""
        self.cancelled.set()
        with self._cond:
            children = list(self._children)
        for proc in children:
            _end(proc)

    def drain(self, timeout: float) -> bool:
        """Wait until nothing is in flight (at most `timeout` s); True when nothing is."""
        with self._cond:
            return self._cond.wait_for(lambda: self._busy == 0, timeout)

    @property
    def released(self) -> bool:
        """True once the folder's lock is given back."""
        return self._fd is None

    def _release_if_done(self) -> None:
        with REGISTRY:
            if self._depth > 0 or self._busy > 0 or self._fd is None:
                return
            fd, self._fd = self._fd, None
            if HELD.get(self.folder) is self:
                del HELD[self.folder]
            REGISTRY.notify_all()
        os.close(fd)

    @property
    def depth(self) -> int:
        """How many blocks of the run hold the folder now."""
        return self._depth

    def reenter(self) -> None:
        """One more block of the same run holds the folder."""
        with REGISTRY:
            self._depth += 1

    def leave_once(self) -> None:
        """One block of the run is done; the folder is given back after the last, once nothing is in flight."""
        with REGISTRY:
            self._depth -= 1
        self._release_if_done()


def _end(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM now, SIGKILL after `TERMINATE_GRACE_S` if it is still there (without blocking the caller)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(OSError):
        proc.terminate()

    def kill_late() -> None:
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            proc.wait(TERMINATE_GRACE_S)
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()

    threading.Thread(target=kill_late, name="reelgraph-end-child", daemon=True).start()


REGISTRY = threading.Condition()
"""Guards `HELD` and every hold's depth; notified when a folder is given back."""
HELD: dict[Path, RunHold] = {}
"""The folders this process holds, by resolved path."""
CURRENT: ContextVar[RunHold | None] = ContextVar("reelgraph_run_hold", default=None)
"""The hold of the run the code runs in."""


def current_hold() -> RunHold | None:
    """The hold of the run this code runs in (None outside a run that holds a folder)."""
    return CURRENT.get()


def check_not_cancelled() -> None:
    """Raise RunCancelled when the run this code runs in was cancelled."""
    hold = CURRENT.get()
    if hold is not None:
        hold.check()


@contextlib.contextmanager
def in_flight() -> Iterator[None]:
    """Mark a write of the current run as in flight (nothing outside a run)."""
    hold = CURRENT.get()
    if hold is None:
        yield
        return
    with hold.busy():
        yield


