"""The front doors' fixtures: the real `langgraph dev` server of the Studio tests, and a tiny request."""

from __future__ import annotations

from studio.conftest import dev_server, postgres_url  # noqa: F401  (session fixtures shared with tests/studio)

TINY = {"shot_seconds": 1.0, "width": 160, "height": 90, "fps": 8, "critic": False}
