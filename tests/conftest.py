"""Session fixtures shared by the top-level tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from reel_helpers import EXAMPLE_PROMPT, cli


@pytest.fixture(scope="session")
def example_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's example, run once through the CLI (with two languages)."""
    out = tmp_path_factory.mktemp("example") / "demo"
    proc = cli("generate", "--prompt", EXAMPLE_PROMPT, "--out", str(out), "--critic", "--languages", "en,fr")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out
