"""A thread's run folder, read-only and confined: which files the page may list and how one is opened.

A file is named by a path relative to the run folder, made of plain parts (no `..`, no `.`, no empty part, no
absolute path, no backslash, no control character). It is opened one folder at a time from the run folder with
`O_NOFOLLOW`, so a symbolic link anywhere on the way (planted in the folder, pointing in or out) is refused, not
followed, and nothing can be swapped in between a check and the open. Only the kinds a page shows are served.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MEDIA_TYPES: dict[str, str] = {
    ".mp4": "video/mp4",
    ".png": "image/png",
    ".wav": "audio/wav",
    ".json": "application/json",
    ".srt": "application/x-subrip",
}
MAX_DEPTH = 4
MAX_FILES = 5000
_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


class FileRefused(Exception):
    """A file the page may not have; `status` is the HTTP status to answer with (400, 403 or 404)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class OpenFile:
    """An open, regular file of the run folder: its descriptor (the caller closes it), size and media type."""

    fd: int
    size: int
    mtime: float
    media_type: str


def check_path(rel: str) -> list[str]:
    """The parts of a relative file path the page may ask for; FileRefused (400/403) otherwise."""
    if not rel or rel.startswith("/"):
        raise FileRefused(400, "file path must be relative to the run folder")
    parts = rel.split("/")
    if len(parts) > MAX_DEPTH or "\\" in rel or any(p in ("", ".", "..") or not _PART.match(p) for p in parts):
        raise FileRefused(400, f"file path {rel!r} is not a plain path inside the run folder")
    if os.path.splitext(parts[-1])[1].lower() not in MEDIA_TYPES:
        raise FileRefused(403, f"only {', '.join(sorted(MEDIA_TYPES))} files are served")
    return parts


def _open_step(name: str, flags: int, dir_fd: int, rel: str) -> int:
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENOTDIR):
            raise FileRefused(403, f"{rel!r} goes through a symbolic link or a non-folder: refused") from None
        if e.errno == errno.ENOENT:
            raise FileRefused(404, f"{rel!r} is not in the run folder") from None
        raise FileRefused(403, f"{rel!r} cannot be read") from None


def open_file(root: Path, rel: str) -> OpenFile:
    """Open `rel` under the run folder `root` for reading, never through a link; FileRefused otherwise."""
    parts = check_path(rel)
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        raise FileRefused(404, "the thread's run folder does not exist (yet)") from None
    try:
        for part in parts[:-1]:
            sub = _open_step(part, _DIR_FLAGS, fd, rel)
            os.close(fd)
            fd = sub
        file_fd = _open_step(parts[-1], _FILE_FLAGS, fd, rel)
    finally:
        os.close(fd)
    info = os.fstat(file_fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(file_fd)
        raise FileRefused(403, f"{rel!r} is not a plain file")
    media_type = MEDIA_TYPES[os.path.splitext(parts[-1])[1].lower()]
    return OpenFile(file_fd, info.st_size, info.st_mtime, media_type)


def list_files(root: Path) -> list[dict[str, Any]]:
    """Every servable file under the run folder (no links followed, no hidden or scratch files), sorted by path."""
    found: list[dict[str, Any]] = []
    if not root.is_dir():
        return found
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        depth = len(here.relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if _PART.match(d) and depth + 1 < MAX_DEPTH
                         and not (here / d).is_symlink())
        for name in sorted(names):
            path = here / name
            rel = path.relative_to(root).as_posix()
            try:
                check_path(rel)
                info = path.lstat()
            except (FileRefused, OSError):
                continue
            if stat.S_ISREG(info.st_mode):
                found.append({"path": rel, "size": info.st_size, "type": MEDIA_TYPES[path.suffix.lower()]})
            if len(found) >= MAX_FILES:
                return sorted(found, key=lambda f: f["path"])
    return sorted(found, key=lambda f: f["path"])
