"""The one checked way files are created in a run folder: never through a symbolic link, never outside the folder.

A file's folder is resolved and must be the run folder or inside it; the file itself is opened relative to that
folder (`dir_fd`) with `O_NOFOLLOW`, so a link planted at the name is refused, not followed. SQLite cannot be opened
that way from Python and makes its own `-journal`, `-wal` and `-shm` files: their names are checked before it opens.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from reelgraph.errors import ArtifactError
from reelgraph.run.hold import check_not_cancelled

SQLITE_SIDE_FILES = ("", "-journal", "-wal", "-shm")
_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC


def _link_refused(path: Path) -> ArtifactError:
    return ArtifactError(f"{path} is a symbolic link: the studio writes no file through a link (remove it)")


def inside(root: Path, path: Path) -> Path:
    """`path` with its folder resolved; refused when that folder is outside `root` or the name is not a plain file."""
    base = Path(root).resolve()
    parent = Path(path).parent.resolve()
    if parent != base and base not in parent.parents:
        raise ArtifactError(f"{path} is outside the run folder {base} (a link on the way?)")
    full = parent / Path(path).name
    try:
        mode = os.lstat(full).st_mode
    except FileNotFoundError:
        return full
    if stat.S_ISLNK(mode):
        raise _link_refused(full)
    if not stat.S_ISREG(mode):
        raise ArtifactError(f"{full} is not a plain file")
    return full


def _open(full: Path, flags: int, mode: int) -> int:
    folder = os.open(full.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return os.open(full.name, flags | _NOFOLLOW, mode, dir_fd=folder)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise _link_refused(full) from None
        raise type(e)(e.errno, e.strerror, str(full)) from None  # named by its full path, not the name in its folder
    finally:
        os.close(folder)


@contextlib.contextmanager
def open_fd(root: Path, path: Path, flags: int, mode: int = 0o644) -> Iterator[int]:
    """An fd for `path` under `root` opened with `flags`, never through a link; closed when the block ends.

    A cancelled run opens nothing (RunCancelled)."""
    check_not_cancelled()
    fd = _open(inside(root, path), flags, mode)
    try:
        yield fd
    finally:
        os.close(fd)


def create_empty(root: Path, path: Path) -> Path:
    """Create `path` as a new empty file for a writer that opens it by name (a stale plain file is replaced)."""
    full = inside(root, path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(full)  # a plain file left by a dead writer of the same pid (inside() refused anything else)
    with open_fd(root, full, os.O_WRONLY | os.O_CREAT | os.O_EXCL):
        pass
    return full


def append_text(root: Path, path: Path, text: str) -> None:
    """Append `text` to `path` (created when missing), never through a link."""
    with open_fd(root, path, os.O_WRONLY | os.O_APPEND | os.O_CREAT) as fd:
        data = text.encode("utf-8")
        while data:
            data = data[os.write(fd, data):]


def open_lock(root: Path, path: Path) -> int:
    """An fd for the lock file `path` (read-write, created when missing), never through a link; the caller closes it."""
    return _open(inside(root, path), os.O_RDWR | os.O_CREAT, 0o644)


def sqlite_file(root: Path, path: Path) -> Path:
    """`path` checked for SQLite: its folder inside `root`; it and its -journal, -wal, -shm files are no links."""
    full = inside(root, path)
    for side in SQLITE_SIDE_FILES[1:]:
        inside(root, full.with_name(full.name + side))
    return full
