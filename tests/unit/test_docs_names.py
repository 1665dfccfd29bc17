"""The README and the docs pages name only what exists: every relative link and every repository path in backticks
points at a file or folder of the checkout (placeholders like `<lang>` and globs are not names)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
PATH = re.compile(r"`((?:reelgraph|tests|benchmarks|docs|evals|\.ci)/[^`\s]*)`")


def _named(page: Path) -> list[tuple[str, Path]]:
    text = page.read_text(encoding="utf-8")
    found = [(m, page.parent / m.split("#")[0]) for m in LINK.findall(text)
             if not re.match(r"^[a-z]+:", m) and not m.startswith("#")]
    for m in PATH.findall(text):
        name = m.split("::")[0].rstrip(".,;:")
        if not re.search(r"[<>*{}|…]", name):
            found.append((m, ROOT / name))
    return found


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_name_in_the_page_exists(page: Path) -> None:
    missing = [name for name, path in _named(page) if not path.exists()]
    assert missing == []
