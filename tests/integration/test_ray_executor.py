"""The Ray executor: backends on resident actors, chains of shots in parallel, the same reel as the local one.

A private Ray cluster (loopback only) is started once in this process for these tests and shut down after them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from reel_helpers import EXAMPLE_PROMPT, ROOT, cli, file_states, stream_md5

from reelgraph.nodes.chains import shot_chains
from reelgraph.run.lifecycle import generate, parse_request
from reelgraph.schema import Script
from reelgraph.state import ReelState

LANGS = "en,fr"


def _profile(tmp: Path, name: str, retries: int = 2, **video: Any) -> Path:
    lines = ["[executor]", 'kind = "ray"', "workers = 2", f"max_restarts = {retries}", f"max_task_retries = {retries}"]
    if video:
        lines += ["[video]", f'backend = "{video["backend"]}"', "[video.options]",
                  *(f'{k} = "{v}"' for k, v in video["options"].items())]
    path = tmp / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _events(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines() if line.strip()]


def _request() -> Any:
    return parse_request(prompt=EXAMPLE_PROMPT, critic=True, languages=LANGS.split(","))


@pytest.fixture(scope="module")
def ray_cluster() -> Any:
    """Ray started by the first run in this process; every actor and the cluster gone afterwards."""
    import ray
    yield ray
    from reelgraph.executors import clear_backends

    clear_backends()
    ray.shutdown()


def _workers(state: ReelState) -> set[str]:
    """Where each clip was rendered (host:pid of its actor)."""
    return {t.clip.meta["worker"] for r in state.done for t in r.takes}


@pytest.fixture(scope="module")
def ray_reel(ray_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReelState]:
    tmp = tmp_path_factory.mktemp("ray")
    out = tmp / "reel"
    return out, generate(_request(), out, str(_profile(tmp, "ray")))


@pytest.fixture(scope="module")
def ray_run(ray_reel: tuple[Path, ReelState]) -> Path:
    return ray_reel[0]


def test_same_reel_as_local_with_cut_chains_in_parallel(ray_reel: tuple[Path, ReelState], example_run: Path) -> None:
    ray_run, state = ray_reel
    for name in ("reel_final.mp4", "reel_fr.mp4"):
        assert stream_md5(ray_run / name, "0:v") == stream_md5(example_run / name, "0:v")
    assert file_states(ray_run, "shots/*/take*.mp4").keys() == file_states(example_run, "shots/*/take*.mp4").keys()
    for rel, (_, sha) in file_states(example_run, "shots/*/take*").items():
        assert file_states(ray_run, rel)[rel][1] == sha, f"{rel} differs from the local run"

    script = Script.model_validate_json((ray_run / "script.json").read_text())
    chains = shot_chains(script)
    assert len(chains) >= 2
    events = _events(ray_run)
    start = {e["shot"]: e["t"] for e in events if e["stage"] == "shot"}
    end = {e["shot"]: e["t"] for e in events if e["stage"] == "commit"}
    spans = [(start[a], end[b]) for a, b in chains]
    overlapping = [(i, j) for i in range(len(spans)) for j in range(i + 1, len(spans))
                   if spans[i][0] < spans[j][1] and spans[j][0] < spans[i][1]]
    assert overlapping, f"no two chains overlapped in time: {spans}"
    music_start = next(e["t"] for e in events if e["stage"] == "music" and e.get("status") == "start")
    assert music_start < max(end.values()), "the score waited for the chains: it needs only the script"

    assert len(_workers(state)) == 2, f"clips were not spread over both video workers: {_workers(state)}"


def test_ray_listens_on_loopback_only(ray_run: Path) -> None:
    procs = psutil.Process().children(recursive=True)
    assert procs, "no Ray processes were started"
    listening = [(p.name(), c.laddr) for p in procs for c in p.net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN]
    assert listening, "Ray's processes listen nowhere: the check would pass vacuously"
    exposed = [(name, addr) for name, addr in listening if addr.ip not in ("127.0.0.1", "::1", "::ffff:127.0.0.1")]
    assert not exposed, f"Ray listens beyond loopback: {exposed}"


def test_worker_killed_mid_shot_is_retried(ray_run: Path, tmp_path: Path) -> None:
    marker = tmp_path / "died"
    profile = _profile(tmp_path, "dying", backend="ray_faults:DyingVideoBackend", options={"die_marker": marker})
    out = tmp_path / "reel"
    state = generate(_request(), out, str(profile))
    assert marker.exists(), "the worker never died: the test proved nothing"
    dead_pid = int(marker.read_text())
    assert not psutil.pid_exists(dead_pid)
    assert stream_md5(out / "reel_final.mp4", "0:v") == stream_md5(ray_run / "reel_final.mp4", "0:v")
    reference = [len(json.loads((ray_run / "shots" / f"shot{r.shot:02d}" / "kept.json").read_text())["takes"])
                 for r in state.done]
    assert [len(r.takes) for r in state.done] == reference, "a retried call must not count as a new take"
    assert all(not w.endswith(f":{dead_pid}") for w in _workers(state))


def test_killed_driver_resumes_only_unfinished_shots(ray_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "reel"
    profile = _profile(tmp_path, "ray")
    proc = subprocess.Popen([sys.executable, "-m", "reelgraph", "generate", "--prompt", EXAMPLE_PROMPT, "--out",
                             str(out), "--critic", "--languages", LANGS, "--profile", str(profile)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (out / "events.jsonl").exists() or len([e for e in _events(out) if e["stage"] == "commit"]) < 2:
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.time() < deadline, "no two shots were ever committed"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # the driver alone: its private cluster goes with it
    proc.wait()
    assert not (out / "reel_final.mp4").exists()
    committed = sorted({e["shot"] for e in _events(out) if e["stage"] == "commit"})
    before = {k: v for k, v in file_states(out, "shots/*/take*").items()
              if int(k.split("/")[1][4:]) in committed}

    resumed = cli("resume", "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    after = file_states(out, "shots/*/take*")
    assert {k: after[k] for k in before} == before, "a shot committed before the kill was rendered again"
    assert stream_md5(out / "reel_final.mp4", "0:v") == stream_md5(ray_run / "reel_final.mp4", "0:v")
    assert stream_md5(out / "reel_fr.mp4", "0:v") == stream_md5(ray_run / "reel_fr.mp4", "0:v")


def test_workers_that_cannot_fit_are_refused_at_once(ray_run: Path) -> None:
    from reelgraph.config import BackendConfig, ExecutorConfig
    from reelgraph.errors import BackendError
    from reelgraph.executors.ray.backends import RayBackend

    t0 = time.monotonic()
    with pytest.raises(BackendError, match="do not fit the private Ray cluster"):
        RayBackend("video", BackendConfig(), ExecutorConfig(kind="ray", workers=64, num_cpus=1))
    assert time.monotonic() - t0 < 30


def test_redo_of_a_parallel_run_renders_only_its_chain(ray_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "reel"
    shutil.copytree(ray_run, out)
    script = Script.model_validate_json((out / "script.json").read_text())
    first, last = next(c for c in shot_chains(script) if c[0] > 1)
    others = {k: v for k, v in file_states(out, "shots/*/take*").items()
              if not first <= int(k.split("/")[1][4:]) <= last}
    redo = cli("redo-shot", "--out", str(out), "--shot", str(first), "--note", "closer on the keeper")
    assert redo.returncode == 0, redo.stderr[-3000:]
    after = file_states(out, "shots/*/take*")
    assert {k: after[k] for k in others} == others, "a shot outside the redone chain was rendered again"
    assert all(f"shots/shot{s:02d}/take2.mp4" in after for s in range(first, last + 1))
    assert (out / "reel_final.v1.mp4").exists() and (out / "reel_final.mp4").exists()


def test_a_gpu_share_is_what_the_memory_plan_budgets_for() -> None:
    from reelgraph.backends.diffusers.memory_plan import budget_bytes
    from reelgraph.config import BackendConfig
    from reelgraph.executors.ray.backends import share_config

    cfg = BackendConfig(backend="diffusers", model="/models/wan", options={"vllm_fraction": 0.1})
    half = share_config(cfg, 0.5)
    assert half.options["vllm_fraction"] == 0.5 and cfg.options["vllm_fraction"] == 0.1
    assert budget_bytes(80, half.options["vllm_fraction"]) < budget_bytes(80, 0.1)
    assert share_config(cfg, 0.95).options["vllm_fraction"] == 0.1  # a vLLM share already larger stays
    assert share_config(cfg, 1.0) is cfg and share_config(cfg, 0.0) is cfg
    assert share_config(BackendConfig(), 0.5) == BackendConfig()  # procedural: no plan


def test_a_worker_that_keeps_dying_fails_the_run_clearly_after_its_retries(ray_run: Path, tmp_path: Path) -> None:
    from reelgraph.errors import ReelgraphError

    profile = _profile(tmp_path, "doomed", retries=1, backend="ray_faults:DyingVideoBackend",
                       options={"die_marker": tmp_path / "unused", "die_always": "yes"})
    out = tmp_path / "reel"
    with pytest.raises(ReelgraphError, match=r"video worker died and was not recovered after 1 retries \(The actor "
                       r"died unexpectedly before finishing this task\.\)"):
        generate(_request(), out, str(profile))  # the Director is told once (a repair), then the shot fails
    assert not (out / "reel_final.mp4").exists()
    assert (out / "checkpoints.sqlite").exists() and (out / "masters").is_dir(), "what was made is kept"
