"""A video backend that dies (SIGKILL of its own process) in the middle of its first clip: a worker lost mid-shot."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from reelgraph.backends.base import MediaInfo, MotionSpec
from reelgraph.backends.procedural.video import ProceduralVideoBackend
from reelgraph.config import BackendConfig


class DyingVideoBackend(ProceduralVideoBackend):
    """Procedural clips, but the first `animate` anywhere (marked by a file) kills the process it runs in; with the
    `die_always` option, every one does."""

    def __init__(self, cfg: BackendConfig | None = None) -> None:
        super().__init__(cfg)
        self.marker = Path(self.cfg.options["die_marker"])

    def animate(self, keyframe: Path, motion: MotionSpec, out: Path) -> MediaInfo:
        if self.cfg.options.get("die_always"):
            os.kill(os.getpid(), signal.SIGKILL)
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return super().animate(keyframe, motion, out)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        out.write_bytes(b"half a clip")  # mid-shot: a partial file, then the process is gone
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")
