"""Peak resident memory per stage of a run, sampled in the worker process that runs it."""

from __future__ import annotations

import resource
import sys
import threading
from pathlib import Path
from typing import Any

STAGE_OF_EVENT = {"tool": "shots", "shot": "shots", "critic": "shots", "commit": "shots"}
"""Events folded into one stage, as runner.stage_times does."""


def current_rss_mb() -> float:
    """Resident set size of this process now (Linux /proc), else its peak so far."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak RSS of this process (or of its waited-for children) in MiB."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class StageMemory:
    """Samples RSS every `interval` seconds and charges it to the stage named by the latest graph event.

    Use it as the run's event sink (`on_event`) and as a context manager around the run.
    """

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.stage = "setup"
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self._lock = threading.Lock()

    def _sample(self) -> None:
        rss = current_rss_mb()
        with self._lock:
            self.peaks[self.stage] = max(self.peaks.get(self.stage, 0.0), rss)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __call__(self, mode: str, chunk: Any) -> None:
        """Event sink: sample RSS and switch to the stage a custom `stage` event names."""
        if mode == "custom" and isinstance(chunk, dict) and "stage" in chunk:
            self._sample()
            with self._lock:
                self.stage = STAGE_OF_EVENT.get(chunk["stage"], chunk["stage"])
            self._sample()

    def __enter__(self) -> StageMemory:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def report(self) -> dict[str, Any]:
        """Peak MiB per stage, of the whole worker, and of its largest child (ffmpeg)."""
        return {"stage_peak_rss_mb": {k: round(v, 1) for k, v in self.peaks.items()},
                "peak_rss_mb": round(peak_rss_mb(), 1),
                "children_peak_rss_mb": round(peak_rss_mb(resource.RUSAGE_CHILDREN), 1)}
