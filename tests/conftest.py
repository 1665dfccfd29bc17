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


# which tests start what: one table, so `-m` selections stay true as files move (markers are declared in pyproject)
MARKS: dict[str, tuple[str, ...]] = {
    "serving/": ("vllm", "slow"),
    "integration/test_ray_executor.py": ("ray", "slow"),
    "reliability/test_ray_address.py": ("ray",),
    "studio/test_postgres_resume.py": ("postgres", "server"),
    "studio/test_langgraph_dev.py": ("server",),
    "web/test_page_browser.py": ("browser", "server"),
    "web/test_file_routes.py": ("server",),
    "front_doors/test_server.py": ("server",),
    "reliability/test_served.py": ("server",),
    "tools/test_diffusers_backends.py": ("models",),
    "tools/test_wan_speed.py": ("models",),
    "tools/test_model_audio.py": ("models",),
    "integration/test_kill_anywhere.py": ("slow",),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by what it starts (see MARKS)."""
    root = Path(__file__).parent
    for item in items:
        rel = Path(str(item.fspath)).relative_to(root).as_posix()
        for prefix, marks in MARKS.items():
            if rel.startswith(prefix):
                for mark in marks:
                    item.add_marker(getattr(pytest.mark, mark))
