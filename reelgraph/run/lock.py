"""One run folder, one writer: the run that holds a folder, from any door, in any process.

A run claims its folder (`run_lock`) for as long as it runs. Across processes the claim is an advisory `flock` that
the operating system drops when its holder dies, so a crashed run never leaves a folder stuck. Within one process (a
LangGraph server runs every thread in one) the claim belongs to the run that made it, not to the process: the block
that made it and the graph threads started from it go on under it (reelgraph.run.hold); any other run is refused
with a message naming the holder, or waits a while for a cancelled one to end what it had in flight.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from reelgraph.errors import ReelgraphError, UsageError
from reelgraph.run.hold import CURRENT, HELD, REGISTRY, RunHold
from reelgraph.run.safe_files import open_lock

LOCK_FILE = ".lock"
RELEASE_WAIT_S = 60.0
"""How long a new run waits for a cancelled run of the same folder to end what it had in flight."""
BUSY_WAIT_S = 5.0
"""How long a new run tries again for the lock of another process before it is refused (a run just killed or just
ended may not have let go of it yet)."""


def _refused(out: Path, holder: str) -> UsageError:
    return UsageError(f"{str(out)!r} is in use by another reelgraph run ({holder}); "
                      "wait for it to finish or stop it, then resume")


def _flock(fd: int) -> None:
    """Take the lock; while another process holds it, try again for a moment (`BUSY_WAIT_S`): a run that has just
    been killed or has just ended may not have let go of it yet. BlockingIOError when it stays held."""
    deadline = time.monotonic() + BUSY_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def claim(out: Path, owner: str) -> RunHold:
    """Claim `out` for a new run (`owner` names it in messages); refused while another run holds it.

    A run of this process that was cancelled and is still ending what it had in flight is waited for (at most
    `RELEASE_WAIT_S`).
    """
    key = out.resolve()
    with REGISTRY:
        deadline = time.monotonic() + RELEASE_WAIT_S
        while (other := HELD.get(key)) is not None:
            waited = other.cancelled.is_set() and REGISTRY.wait(max(0.0, deadline - time.monotonic()))
            if not waited and HELD.get(key) is other:
                raise _refused(out, f"{other.owner}, in this process"
                               + (": cancelled, still ending its work" if other.cancelled.is_set() else ""))
        out.mkdir(parents=True, exist_ok=True)
        fd = open_lock(out, out / LOCK_FILE)
        try:
            _flock(fd)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise _refused(out, f"pid {holder}") from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        hold = HELD[key] = RunHold(key, fd, owner)
        return hold


def enter(out: Path, owner: str) -> RunHold:
    """The current run's hold on `out` when it holds it already (entered once more), else a new claim."""
    hold = CURRENT.get()
    if hold is not None and hold.folder == out.resolve() and not hold.released:
        hold.reenter()
        return hold
    return claim(out, owner)


def leave(hold: RunHold, *, failed: bool) -> None:
    """Leave a hold entered with `enter`; the last leave after a failure cancels what the run still has in flight.

    The folder is given back once nothing is in flight (waited for up to `RELEASE_WAIT_S`, later by whatever ends
    last).
    """
    if failed and hold.depth == 1:
        hold.cancel()
        hold.drain(RELEASE_WAIT_S)
    hold.leave_once()


@contextlib.contextmanager
def run_lock(out: Path, owner: str | None = None) -> Iterator[RunHold]:
    """Hold the run folder for the block (and the graph threads started in it); refuse clearly if another run does.

    Entered again by the same run (a repair that redoes shots inside a resume), it is the same hold.
    """
    hold = enter(out, owner or f"pid {os.getpid()}")
    token = CURRENT.set(hold)
    failed = True
    try:
        yield hold
        failed = False
    finally:
        with contextlib.suppress(ValueError):  # a generator closed from another context
            CURRENT.reset(token)
        leave(hold, failed=failed)


THREAD_FILE = "thread.json"
"""The thread a served or Python run folder belongs to: another thread's run is refused it, paused or finished."""


def own_folder(out: Path, thread_id: str) -> None:
    """Record that `out` belongs to `thread_id`, or refuse when it belongs to another thread (call it holding `out`)."""
    from reelgraph.run.folder import RunFolder
    from reelgraph.run.reading import read_json

    path = out / THREAD_FILE
    if path.exists() or path.is_symlink():
        owner = read_json(path, what="the run folder's thread record", limit=4096, error=ReelgraphError)
        theirs = owner.get("thread_id") if isinstance(owner, dict) else None
        if theirs != thread_id:
            raise UsageError(f"{str(out)!r} belongs to thread {str(theirs)[:80]!r} (its run paused or done there); "
                             "give this thread another out_dir, or continue that thread")
        return
    RunFolder(out).write_json(THREAD_FILE, {"thread_id": thread_id, "since": round(time.time(), 3)})
