"""The run folder: every artifact lives under it, is written atomically and recorded with its sha256."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reelgraph.errors import ArtifactError
from reelgraph.run.hold import check_not_cancelled, in_flight
from reelgraph.run.names import scratch_path
from reelgraph.run.safe_files import append_text, create_empty, inside
from reelgraph.schema import Artifact, ArtifactKind

EVENTS_FILE = "events.jsonl"
_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


def sha256_file(path: Path) -> str:
    """The file's SHA-256 (hex), read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class RunFolder:
    """A run's output folder. Paths given to it are relative, made of safe parts, and cannot leave it."""

    CHECKPOINTS = "checkpoints.sqlite"

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def path(self, rel: str) -> Path:
        """Absolute path of `rel`, refusing anything that would land outside the folder."""
        parts = rel.split("/")
        for part in parts:
            if not _SAFE_PART.match(part) or part in {".", ".."}:
                raise ArtifactError(f"unsafe artifact path part {part!r} in {rel!r}")
        full = (self.root / rel).resolve()
        if self.root not in full.parents:
            raise ArtifactError(f"artifact path {rel!r} leaves the run folder")
        return full

    @contextmanager
    def writing(self, rel: str) -> Iterator[Path]:
        """Yield a temporary path beside `rel`; on success it is renamed into place atomically.

        The write is in flight for the run's hold: a cancelled run's write is not renamed into place, and its folder
        is not given back before the write has ended."""
        final = self.path(rel)
        final.parent.mkdir(parents=True, exist_ok=True)
        inside(self.root, final)  # no link at the final name either
        tmp = scratch_path(final)
        with in_flight():
            try:
                yield create_empty(self.root, tmp)
                if not tmp.exists() or tmp.stat().st_size == 0:
                    raise ArtifactError(f"writing {rel} produced no data")
                check_not_cancelled()
                os.replace(tmp, final)
            finally:
                tmp.unlink(missing_ok=True)

    def record(self, rel: str, kind: ArtifactKind, meta: dict[str, Any] | None = None,
               id: str | None = None) -> Artifact:
        """The artifact record of a finished file."""
        full = self.path(rel)
        ident = id or rel.replace("/", ".").lower()
        return Artifact(id=ident, kind=kind, path=rel, sha256=sha256_file(full), meta=meta or {})

    def verify(self, art: Artifact) -> bool:
        """True when the file exists and still has the recorded hash."""
        full = self.path(art.path)
        return full.is_file() and sha256_file(full) == art.sha256

    def write_json(self, rel: str, data: Any) -> Path:
        """Write `data` as indented JSON at `rel` in the run folder (atomically); returns its path."""
        with self.writing(rel) as tmp:
            tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        return self.path(rel)

    def log_event(self, event: dict[str, Any]) -> None:
        """Append one line to the run's event log (events.jsonl)."""
        self.root.mkdir(parents=True, exist_ok=True)
        append_text(self.root, self.root / EVENTS_FILE, json.dumps(event, ensure_ascii=False, default=str) + "\n")
