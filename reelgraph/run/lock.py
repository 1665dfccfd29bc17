"""One run folder, one writer: an advisory lock that the operating system drops when its holder dies."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from reelgraph.errors import UsageError
from reelgraph.run.safe_files import open_lock

LOCK_FILE = ".lock"
_held: dict[Path, int] = {}


@contextlib.contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """Hold the run folder's lock for the duration; refuse clearly if another live process holds it.

    `flock` locks belong to the open file: a crashed or killed run releases its lock with its process, so a stale
    lock file never blocks a later run.
    """
    key = out.resolve()
    if key in _held:  # this process holds it already (a repair that redoes shots inside a resume)
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    out.mkdir(parents=True, exist_ok=True)
    fd = open_lock(out, out / LOCK_FILE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise UsageError(f"{str(out)!r} is in use by another reelgraph run (pid {holder}); "
                             "wait for it to finish or stop it, then resume") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
    finally:
        os.close(fd)
