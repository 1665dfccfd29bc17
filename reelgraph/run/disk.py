"""What the file system refuses, named: a full disk and a run folder that cannot be written are one clear error
that says how to go on, never a traceback (whichever library met them: Python, SQLite, libsndfile, ffmpeg)."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from reelgraph.errors import ReelgraphError, UsageError

FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)
READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)
NEARLY_FULL_BYTES = 1 << 20


def space_left(folder: Path) -> int | None:
    """Bytes free to this user on the file system of `folder` (None when it cannot be asked)."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def _full(out: Path, what: str) -> ReelgraphError:
    return ReelgraphError(f"no space left on the run folder's disk ({what}): free some space, then "
                          f"`reelgraph resume --out {out}`")


def _read_only(out: Path, what: str) -> ReelgraphError:
    return ReelgraphError(f"the run folder {str(out)!r} is read-only or not writable by this user ({what}): make "
                          f"it writable, then `reelgraph resume --out {out}`")


@contextlib.contextmanager
def disk_errors(out: Path) -> Iterator[None]:
    """Turn a full disk or a read-only run folder met inside the block into one clear error."""
    try:
        yield
    except UsageError:
        raise
    except OSError as e:
        where = f"writing {e.filename}" if e.filename else (e.strerror or str(e))
        if e.errno in FULL:
            raise _full(out, where) from e
        if e.errno in READ_ONLY:
            raise _read_only(out, where) from e
        raise ReelgraphError(f"{e.strerror or e}" + (f": {e.filename}" if e.filename else "")) from e
    except sqlite3.OperationalError as e:
        text = str(e)
        if "readonly" in text or "read-only" in text:
            raise _read_only(out, f"checkpoint database: {text}") from e
        if "full" in text or "disk I/O" in text:
            raise _full(out, f"checkpoint database: {text}") from e
        raise
    except Exception as e:  # a library that names no errno (libsndfile: "System error"; ffmpeg's last words)
        left = space_left(out)
        if "No space left" in str(e) or (left is not None and left < NEARLY_FULL_BYTES):
            raise _full(out, str(e) or type(e).__name__) from e
        if not os.access(out, os.W_OK):
            raise _read_only(out, str(e) or type(e).__name__) from e
        raise
