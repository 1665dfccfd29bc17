"""One clip over several processes (the video option ``parallel``): diffusers' context parallelism over gloo on the
CPU, two processes, the same tiny Wan2.2 pipeline in each; its output against the single process's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from reelgraph.backends.base import MotionSpec
from reelgraph.backends.diffusers.parallel.options import ParallelSpec, check_parallel, split_size
from reelgraph.backends.diffusers.video import DiffusersVideoBackend
from reelgraph.config import BackendConfig
from reelgraph.errors import BackendError, UsageError
from reelgraph.executors import clear_backends
from reelgraph.media.ffmpeg import decode_frames, probe_video

pytestmark = pytest.mark.usefixtures("one_torch_thread")

CHUNK = 9  # frames per chunk (Wan: 4k+1)


def backend(folder: Path, **options: Any) -> DiffusersVideoBackend:
    return DiffusersVideoBackend(BackendConfig(backend="diffusers", model=str(folder),
                                               options={"steps": 2, "num_frames": CHUNK, **options}))


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("frames")
    rng = np.random.default_rng(7)
    paths = []
    for k in range(2):
        p = folder / f"frame{k}.png"
        Image.fromarray((rng.random((48, 64, 3)) * 255).astype(np.uint8)).save(p)
        paths.append(p)
    return paths[0], paths[1]


def clips(video: DiffusersVideoBackend, frames: tuple[Path, Path], out: Path) -> list[Any]:
    """An image->video clip and a three-chunk first-last-frame bridge."""
    out.mkdir(parents=True, exist_ok=True)
    a = video.animate(frames[0], MotionSpec(prompt="Ada waves at the robot", seconds=1.0, fps=8, width=64,
                                            height=48), out / "i2v.mp4")
    b = video.bridge(frames[0], frames[1], MotionSpec(prompt="the robot rolls to the door", seconds=1.5, fps=8,
                                                      width=64, height=48), out / "flf.mp4")
    return [a, b]


def decoded(path: Path) -> np.ndarray:
    return np.stack(list(decode_frames(path)))


def test_ulysses_over_two_processes_makes_the_same_clips(wan_folder: Path, frames: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    one = backend(wan_folder)
    alone = clips(one, frames, tmp_path / "one")
    one.close()
    split = backend(wan_folder, parallel={"ulysses": 2})
    try:
        together = clips(split, frames, tmp_path / "two")
        worker = split._group._procs[0]
        assert worker.is_alive()
    finally:
        split.close()
    worker.join(timeout=30)
    assert not worker.is_alive()  # close() ends the worker
    assert [c.meta["mode"] for c in together] == ["i2v", "flf2v"] and together[1].meta["chunks"] == 3
    for name in ("i2v.mp4", "flf.mp4"):
        assert np.array_equal(decoded(tmp_path / "one" / name), decoded(tmp_path / "two" / name)), name
    meta = together[0].meta
    assert meta["speed"]["parallel"]["world"] == 2 and meta["speed"]["parallel"]["comm"] == "gloo"
    assert meta["speed"]["parallel"]["ranks"][0]["rank"] == 1
    assert meta["parallel_peak_memory_bytes"]["rank1"] > 0
    assert "parallel" not in alone[0].meta["speed"]


def test_tokens_that_do_not_split_evenly_move_the_generation_size(wan_folder: Path, frames: tuple[Path, Path],
                                                                  tmp_path: Path) -> None:
    assert split_size(1280, 720, 16, 2) == (1280, 720) and split_size(832, 480, 16, 4) == (832, 480)
    assert split_size(80, 48, 16, 2) == (96, 48)  # 5 x 3 tokens -> 6 x 3
    assert split_size(80, 48, 16, 4) == (64, 48)
    for w, h, world in ((112, 80, 8), (16, 16, 2), (48, 80, 3)):
        sw, sh = split_size(w, h, 16, world)
        assert (sw // 16) * (sh // 16) % world == 0
    split = backend(wan_folder, parallel={"ulysses": 2})
    try:
        info = split.animate(frames[0], MotionSpec(prompt="rain", seconds=0.5, fps=8, width=80, height=48),
                             tmp_path / "odd.mp4")
    finally:
        split.close()
    assert (info.meta["generated"]["width"], info.meta["generated"]["height"]) == (96, 48)
    p = probe_video(tmp_path / "odd.mp4")
    assert (p["width"], p["height"]) == (80, 48)  # the clip keeps the shot's size


@pytest.mark.parametrize(("value", "words"), [
    ("two", "must be a table"),
    ({"ulysses": 0}, "parallel.ulysses must be a whole number"),
    ({"ulysses": 2.0}, "parallel.ulysses must be a whole number"),
    ({"tensor": 2}, "unknown key(s) tensor"),
    ({"ulysses": 2, "timeout_s": 1}, "timeout_s must be seconds"),
])
def test_bad_parallel_options_are_usage_errors(wan_folder: Path, value: Any, words: str) -> None:
    with pytest.raises(UsageError, match=words.replace("(", r"\(").replace(")", r"\)")):
        backend(wan_folder, parallel=value)


def test_parallel_option_values() -> None:
    assert check_parallel(None) is None and check_parallel({"ulysses": 1}) is None
    assert check_parallel({"ulysses": 2, "ring": 2}) == ParallelSpec(ulysses=2, ring=2)
    assert check_parallel({"ring": 2}).world == 2


def test_switches_that_cannot_be_split_are_refused(wan_folder: Path) -> None:
    with pytest.raises(UsageError, match="first-block cache decides from each rank"):
        backend(wan_folder, parallel={"ulysses": 2}, first_block_cache=0.1)
    with pytest.raises(UsageError, match="has no context-parallel path"):
        backend(wan_folder, parallel={"ulysses": 2}, attention="flash4")
    backend(wan_folder, parallel={"ulysses": 2}, first_block_cache=0.1, cache_fixed_ratio=0.3)  # one schedule


def test_more_ranks_than_gpus_is_refused(wan_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from reelgraph.backends.diffusers.parallel.group import check_devices

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(UsageError, match="asks for 2 GPUs .* this machine has 1"):
        check_devices(ParallelSpec(ulysses=2), torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    with pytest.raises(UsageError, match="must be GPU 0"):
        check_devices(ParallelSpec(ring=2), torch.device("cuda", 1))


def test_ring_on_the_cpu_is_one_clear_error_and_leaves_no_process(wan_folder: Path, frames: tuple[Path, Path],
                                                                   tmp_path: Path) -> None:
    import torch.distributed as dist

    split = backend(wan_folder, parallel={"ring": 2})
    with pytest.raises(BackendError, match="ring attention needs a GPU attention kernel"):
        split.animate(frames[0], MotionSpec(prompt="rain", seconds=0.5, fps=8, width=64, height=48),
                      tmp_path / "ring.mp4")
    assert split._group is None and not dist.is_initialized()
    assert not (tmp_path / "ring.mp4").exists()


def test_a_worker_that_died_is_named_and_the_next_backend_works(wan_folder: Path, frames: tuple[Path, Path],
                                                                tmp_path: Path) -> None:
    motion = MotionSpec(prompt="rain", seconds=0.5, fps=8, width=64, height=48)
    split = backend(wan_folder, parallel={"ulysses": 2})
    try:
        split.animate(frames[0], motion, tmp_path / "a.mp4")
        worker = split._group._procs[0]
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(timeout=10)
        with pytest.raises(BackendError, match="rank 1 (is gone|ended)"):
            split.animate(frames[0], motion, tmp_path / "b.mp4")
    finally:
        split.close()
    assert not (tmp_path / "b.mp4").exists()
    again = backend(wan_folder, parallel={"ulysses": 2})
    try:
        again.animate(frames[0], motion, tmp_path / "c.mp4")
    finally:
        again.close()
    assert np.array_equal(decoded(tmp_path / "a.mp4"), decoded(tmp_path / "c.mp4"))


KILLED_PARENT = """
import sys, time
from pathlib import Path
from reelgraph.backends.base import MotionSpec
from reelgraph.backends.diffusers.video import DiffusersVideoBackend
from reelgraph.config import BackendConfig

if __name__ == "__main__":
    video = DiffusersVideoBackend(BackendConfig(backend="diffusers", model=sys.argv[1],
                                                options={"steps": 2, "num_frames": 9, "parallel": {"ulysses": 2}}))
    video.animate(Path(sys.argv[2]), MotionSpec(prompt="rain", seconds=0.5, fps=8, width=64, height=48),
                  Path(sys.argv[3]))
    print("worker", video._group._procs[0].pid, flush=True)
    time.sleep(600)
"""


def test_workers_end_when_the_studio_process_is_killed(wan_folder: Path, frames: tuple[Path, Path],
                                                       tmp_path: Path) -> None:
    script = tmp_path / "studio.py"
    script.write_text(KILLED_PARENT)
    proc = subprocess.Popen([sys.executable, str(script), str(wan_folder), str(frames[0]), str(tmp_path / "k.mp4")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("worker "), line
        pid = int(line.split()[1])
        os.kill(pid, 0)  # alive
        proc.kill()
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the worker outlived the studio's process by 15 s")
    finally:
        proc.kill()


def test_the_graph_makes_a_reel_with_a_split_video_backend(wan_folder: Path, tmp_path: Path) -> None:
    from reelgraph import build_graph
    from reelgraph.state import ReelState

    clear_backends()
    profile = {"name": "tiny-split", "video": {"backend": "diffusers", "model": str(wan_folder),
                                               "options": {"steps": 2, "num_frames": CHUNK,
                                                           "parallel": {"ulysses": 2}}}}
    out = tmp_path / "run"
    config = {"configurable": {"thread_id": "split", "out_dir": str(out), "profile": profile}}
    request = {"prompt": "A lighthouse keeper befriends a stray robot", "shots": 2, "shot_seconds": 1.0,
               "width": 96, "height": 64, "fps": 8, "critic": True, "max_attempts": 1}
    try:
        state = ReelState.model_validate(build_graph().invoke(request, config))
    finally:
        clear_backends()  # closes the backend: its worker ends
    clips_ = [r.best.clip for r in state.done]
    assert all(c.meta["speed"]["parallel"]["world"] == 2 and c.meta["model_loads"] == 1 for c in clips_)
    final = probe_video(out / state.final.path)
    assert (final["width"], final["height"]) == (96, 64) and final["frames"] >= 16
