"""Named pause points: a test stops a run at one to make a race deterministic (unset in normal use: no effect).

`REELGRAPH_PAUSE_AT=<point>` with `REELGRAPH_PAUSE_FILE=<file>` makes the process that reaches `<point>` write its
pid to `<file>.reached`, then wait until `<file>` exists (at most `PAUSE_LIMIT_S`). Points: `new-run` (the folder
checked under its lock, run.json not yet written), `after:<node>` (a node's step checkpointed) and `ffmpeg` (an
ffmpeg process of the run started).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from reelgraph.errors import ReelgraphError

PAUSE_ENV = "REELGRAPH_PAUSE_AT"
RELEASE_ENV = "REELGRAPH_PAUSE_FILE"
PAUSE_LIMIT_S = 120.0


def pause_point(name: str) -> None:
    """Wait here when $REELGRAPH_PAUSE_AT names this point, until its release file appears."""
    release = os.environ.get(RELEASE_ENV)
    if os.environ.get(PAUSE_ENV) != name or not release:
        return
    Path(f"{release}.reached").write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + PAUSE_LIMIT_S
    while not Path(release).exists():
        if time.monotonic() > deadline:
            raise ReelgraphError(f"pause point {name!r}: not released within {PAUSE_LIMIT_S:.0f} s")
        time.sleep(0.02)
