"""Shared by the serving tests (loaded once by conftest as `reelgraph_serving_support`): the tiny server handle,
profiles that point at it, and the per-call measurements summed up at the end of the run."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelgraph.serving.vllm_server import ServeSpec, VLLMServer, health, write_profile_url

MODEL_NAME = "tiny-director"
CALLS: dict[str, list[dict[str, Any]]] = {"director": [], "critic": []}
# One process instead of three (API server, engine core, worker): the same server, a faster start on 2 cores.
SERVER_ENV = {"VLLM_ENABLE_V1_MULTIPROCESSING": "0", "VLLM_CPU_KVCACHE_SPACE": "1"}


@dataclass
class TinyServer:
    """The session's vLLM server: its URL, model name, and kill / restart for the failure tests."""

    spec: ServeSpec
    log: Path
    server: VLLMServer | None = None
    start_seconds: float = 0.0

    @property
    def url(self) -> str:
        return self.spec.url

    @property
    def name(self) -> str:
        return self.spec.name

    def start(self) -> TinyServer:
        t0 = time.monotonic()
        self.server = VLLMServer(self.spec, self.log, env=SERVER_ENV).start()
        self.server.wait_ready(timeout=600)
        self.start_seconds = time.monotonic() - t0
        return self

    def kill(self) -> None:
        """SIGKILL the server and its workers, as a crash would."""
        if self.server is not None:
            self.server.stop(kill=True)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def ensure_up(self) -> TinyServer:
        if self.server is None or self.server.proc.poll() is not None or not health(self.url):
            self.stop()
            self.start()
        return self


def llm_profile(path: Path, server: TinyServer, **director: Any) -> Path:
    """A profile file: the LLM Director on the tiny server, the heuristic critic, the animatic renderers."""
    settings = {"temperature": 0.0, "max_tokens": 1024, "timeout": 60.0, "max_retries": 1, **director}
    lines = ["# test profile", "[director]", *(f"{k} = {json.dumps(v)}" for k, v in settings.items()),
             "", "[critic]", 'kind = "heuristic"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    write_profile_url(path, "director", server.url, server.name)
    return path


def record(role: str, calls: list[dict[str, Any]]) -> None:
    CALLS[role].extend(c for c in calls if c.get("input_tokens") is not None)
