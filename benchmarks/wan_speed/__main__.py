"""Run the benchmark: ``python3 -m benchmarks.wan_speed`` (from the repository root) or
``python3 benchmarks/wan_speed``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)  # run as a folder: its modules import as benchmarks.wan_speed.*, never by their bare names
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.wan_speed.cli import main  # noqa: E402

if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
