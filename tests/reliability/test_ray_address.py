"""Break 11 (Ray address): joining a Ray cluster is bounded by the executor's `start_timeout`.

A profile whose `[executor] address` is a port nobody listens on, or a port that takes connections and never answers
like a Ray cluster: `generate` ends within about `start_timeout` with one error naming the address and the timeout,
never Ray's own retries for minutes.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reliability.helpers import SMALL, clean_error, reel

START_TIMEOUT = 5


def _profile(tmp_path: Path, address: str) -> Path:
    path = tmp_path / "ray.toml"
    path.write_text(f'[executor]\nkind = "ray"\naddress = "{address}"\nstart_timeout = {START_TIMEOUT}\n',
                    encoding="utf-8")
    return path


@pytest.fixture
def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def silent_address() -> Iterator[str]:
    """An address that takes connections and never says a word (on this node's address: Ray turns a loopback
    address into it)."""
    import ray

    host = ray.util.get_node_ip_address()
    with socket.socket() as s:
        s.bind((host, 0))
        s.listen(64)
        yield f"{host}:{s.getsockname()[1]}"


def _generate(tmp_path: Path, address: str) -> tuple[str, float]:
    start = time.monotonic()
    proc = reel("generate", "--prompt", "A fox runs.", "--out", str(tmp_path / "run"), *SMALL,
                "--profile", str(_profile(tmp_path, address)), timeout=120)
    wall = time.monotonic() - start
    text = clean_error(proc, 1, repr(address), f"start_timeout = {START_TIMEOUT} s")
    assert text.count("error:") == 1, text
    assert not (tmp_path / "run").exists(), "refused before the run folder is made"
    return text, wall


def test_an_address_nobody_listens_on_ends_at_once(tmp_path: Path, free_port: int) -> None:
    text, wall = _generate(tmp_path, f"127.0.0.1:{free_port}")
    assert "nothing listens" in text
    assert wall < 30, f"took {wall:.0f} s"


def test_an_address_that_never_answers_ends_after_start_timeout(tmp_path: Path, silent_address: str) -> None:
    text, wall = _generate(tmp_path, silent_address)
    assert "did not answer as a Ray cluster" in text
    assert START_TIMEOUT <= wall < 30, f"took {wall:.0f} s"
