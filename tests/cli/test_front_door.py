"""The front door: `--version`, and a missing optional package named in one line with the extra that installs it
(exit 2), before anything is written. A package is made missing by an import blocker in `sitecustomize`, which every
interpreter started with it on PYTHONPATH loads first."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

import reelgraph
from cli.terminal import PROMPT, ROOT, TINY

BLOCKER = '''
import os, sys
BLOCKED = set(os.environ["REELGRAPH_TEST_BLOCK"].split(","))
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
'''


def reel(*args: str, blocked: str = "", site: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`reelgraph ARGS` in a fresh interpreter, on a pipe (80 columns), with the packages `blocked` missing."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if blocked and site is not None:
        env |= {"REELGRAPH_TEST_BLOCK": blocked,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "reelgraph", *args], capture_output=True, text=True, timeout=120,
                          env=env, cwd=ROOT, stdin=subprocess.DEVNULL)


def test_version() -> None:
    proc = reel("--version")
    assert proc.returncode == 0 and proc.stdout == f"reelgraph {reelgraph.__version__}\n"
    assert reelgraph.__version__ == importlib.metadata.version("reelgraph")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    return folder


@pytest.mark.parametrize(("blocked", "options", "needle"), [
    ("langchain_openai", ["--director-url", "http://127.0.0.1:9/v1"],
     "an LLM Director (a served model) needs langchain-openai, which is not installed: pip install 'reelgraph[llm]'"),
    ("torch", ["--profile", "PROFILE"], "the diffusers image backend needs torch, which is not installed: "
                                        "pip install 'reelgraph[models]'"),
    ("psycopg", ["--checkpoint", "postgresql://reel@127.0.0.1:9/reels"],
     "the PostgreSQL checkpointer needs psycopg, which is not installed: pip install 'reelgraph[studio]'"),
], ids=["llm", "models", "studio"])
def test_a_missing_extra_is_one_line_before_anything_is_written(tmp_path: Path, site: Path, blocked: str,
                                                                options: list[str], needle: str) -> None:
    profile = tmp_path / "studio.toml"
    profile.write_text('[image]\nbackend = "diffusers"\nmodel = "/models/FLUX.1-dev"\n', encoding="utf-8")
    options = [str(profile) if o == "PROFILE" else o for o in options]
    out = tmp_path / "run"
    proc = reel("generate", "--prompt", PROMPT, "--out", str(out), *TINY, *options, blocked=blocked, site=site)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stderr.splitlines() == [f"error: {needle}"]
    assert not out.exists()  # no folder left that would refuse the next run


def test_eval_without_its_extra_stops_before_running(tmp_path: Path, site: Path) -> None:
    out = tmp_path / "evals"
    proc = reel("eval", "--cases", "tag:ci", "--out", str(out), blocked="matplotlib", site=site)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stderr.splitlines() == ["error: reelgraph eval needs matplotlib, which is not installed: "
                                        "pip install 'reelgraph[evals]'"]
    assert not out.exists()
