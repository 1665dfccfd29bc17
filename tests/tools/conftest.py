"""Fixtures shared by the model-backend tests: the tiny diffusers models, built once per session."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def load_tiny_diffusers() -> ModuleType:
    """tests/fixtures/tiny_diffusers.py as a module (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location("reelgraph_tiny_diffusers",
                                                  Path(__file__).parents[1] / "fixtures" / "tiny_diffusers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def tiny() -> ModuleType:
    return load_tiny_diffusers()


@pytest.fixture(scope="session")
def wan_folder(tiny: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Wan2.2-style (two experts) pipeline folder, saved with save_pretrained."""
    return tiny.build_tiny_wan(tmp_path_factory.mktemp("models") / "tiny-wan22")


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread, and the CI machine's cores are shared."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def pipeline_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folder names every `DiffusionPipeline.from_pretrained` call of the test loads, in order."""
    import diffusers

    loads: list[str] = []
    real = diffusers.DiffusionPipeline.from_pretrained.__func__

    def counting(cls: Any, path: Any, **kw: Any) -> Any:
        loads.append(Path(path).name)
        return real(cls, path, **kw)

    monkeypatch.setattr(diffusers.DiffusionPipeline, "from_pretrained", classmethod(counting))
    return loads
