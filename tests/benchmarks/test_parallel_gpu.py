"""benchmarks/parallel_gpu.py at tiny size on the CPU: one clip in one process and split over two, compared."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import parallel_gpu  # noqa: E402


def test_tiny_clip_split_over_two_processes_equals_one(tmp_path: Path) -> None:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert parallel_gpu.main(["--tiny", "--compare", "--work", str(tmp_path / "w"),
                                  "--out", str(tmp_path / "r.json")]) == 0
    finally:
        torch.set_num_threads(before)
    res = json.loads((tmp_path / "r.json").read_text())
    assert res["equal_frames"] is True and res["max_abs_diff"] == 0
    one, split = res["rows"]
    assert one["parallel"] is None and split["parallel"] == {"ulysses": 2}
    assert split["clips"][0]["other_ranks_peak_gib"]["rank1"] > 0 and not one["clips"][0]["other_ranks_peak_gib"]
    assert split["speed"]["parallel"]["world"] == 2 and res["speedup"] > 0
