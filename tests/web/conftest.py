"""Fixtures for the review page tests: the Studio tests' real `langgraph dev` (which mounts the page through
langgraph.json), tiny threads made through langgraph-sdk, and headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph_sdk import get_sync_client
from studio.conftest import dev_server  # noqa: F401  (the fixture, shared with the Studio tests)
from studio.studio_helpers import TINY

CHROMIUM_ENV = "REELGRAPH_CHROMIUM"
REQUEST = {"prompt": "Two foxes race across a desert", "shots": 2, "languages": ["en"], **TINY}


def start_thread(url: str, out: Path, **request: Any) -> str:
    """A new thread on the server, run until it ends or pauses; returns its id."""
    client = get_sync_client(url=url)
    thread = client.threads.create()["thread_id"]
    client.runs.wait(thread, "reelgraph", input={**REQUEST, **request}, context={"out_dir": str(out)},
                     raise_error=True)
    return thread


def thread_state(url: str, thread: str) -> dict[str, Any]:
    return get_sync_client(url=url).threads.get_state(thread)


@pytest.fixture(scope="session")
def finished_thread(dev_server: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:  # noqa: F811
    """A finished 2-shot reel with the critic on (one attempt a shot: every take has a verdict); (thread, folder)."""
    url, _ = dev_server
    out = tmp_path_factory.mktemp("web") / "finished"
    thread = start_thread(url, out, critic=True, max_attempts=1)
    state = thread_state(url, thread)
    assert state["next"] == [] and state["values"]["final"]["path"] == "reel_final.mp4"
    return thread, out


@pytest.fixture()
def paused_thread(dev_server: tuple[str, Path], tmp_path: Path) -> tuple[str, Path]:  # noqa: F811
    """A 2-shot reel paused at the script approval interrupt; (thread, folder)."""
    url, _ = dev_server
    out = tmp_path / "paused"
    thread = start_thread(url, out, approve_script=True)
    assert thread_state(url, thread)["next"] == ["approve"]
    return thread, out


def _chromium() -> str:
    for candidate in (os.environ.get(CHROMIUM_ENV), shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("no Chromium: apt-get install chromium (or set $REELGRAPH_CHROMIUM to a Chromium binary)")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (the system's, not a Playwright download), loopback only."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("no Playwright: pip install -e '.[dev]' (or pip install playwright)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A fresh page; fails the test on any script error it reports."""
    context = browser.new_context(viewport={"width": 1100, "height": 1400})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    yield tab
    context.close()
    assert errors == [], f"the page reported script errors: {errors}"
