"""A real vLLM server (CPU build) with the tiny steered model, started once for the serving tests.

The server runs from vLLM's own environment (see vllm_env.py) on 127.0.0.1 at a free port, through
`reelgraph.serving.vllm_server` — the code `reelgraph serve` uses. Tests that kill it restart it on the same port.
Per-call tokens and seconds measured by the tests are summed up at the end of the run.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from reelgraph.serving.vllm_server import ServeSpec, free_port

HERE = Path(__file__).resolve().parent


def _load(name: str, file: str) -> ModuleType:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


support = _load("reelgraph_serving_support", "serving_support.py")
vllm_env = _load("reelgraph_vllm_env", "vllm_env.py")


@pytest.fixture(scope="session")
def vllm_python() -> str:
    return vllm_env.vllm_python()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, vllm_python: str) -> Path:
    out = tmp_path_factory.mktemp("models") / support.MODEL_NAME
    subprocess.run([vllm_python, str(HERE / "tiny_llm.py"), str(out)], check=True, capture_output=True, timeout=600)
    return out


@pytest.fixture(scope="session")
def tiny_server(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path, vllm_python: str):
    spec = ServeSpec(role="director", model=tiny_model, port=free_port(), served_name=support.MODEL_NAME,
                     dtype="float32", enforce_eager=True, max_model_len=4096, python=vllm_python)
    srv = support.TinyServer(spec, tmp_path_factory.mktemp("vllm") / "server.log")
    try:
        yield srv.start()
    finally:
        srv.stop()


@pytest.fixture
def server(tiny_server: Any) -> Any:
    """The tiny server, up (restarted if an earlier test left it down)."""
    return tiny_server.ensure_up()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for role, calls in support.CALLS.items():
        if not calls:
            continue
        n = len(calls)
        tin = sum(c["input_tokens"] for c in calls) / n
        tout = sum(c["output_tokens"] for c in calls) / n
        sec = sum(c["seconds"] for c in calls) / n
        worst = max(c["seconds"] for c in calls)
        terminalreporter.write_line(
            f"tiny vLLM server, {role}: {n} calls, mean {tin:.0f} prompt + {tout:.0f} completion tokens, "
            f"mean {sec:.2f} s (max {worst:.2f} s) per call")
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for c in calls:
            by_kind.setdefault(c["kind"], []).append(c)
        for kind, cs in by_kind.items():
            terminalreporter.write_line(
                f"  {kind}: {len(cs)} calls, mean {sum(c['input_tokens'] for c in cs) / len(cs):.0f} + "
                f"{sum(c['output_tokens'] for c in cs) / len(cs):.0f} tokens, "
                f"{sum(c['seconds'] for c in cs) / len(cs):.2f} s")
