"""Break 9 (serve): `reelgraph serve --dry-run` prints the vLLM command and writes nothing, not even the fallback
chat template into the model folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from reelgraph.serving.cli import serve


def test_a_dry_run_writes_nothing_into_the_model_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELGRAPH_VLLM_PYTHON", "/opt/vllm/bin/python")
    model = tmp_path / "Qwen3-8B"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "qwen3"}), encoding="utf-8")
    (model / "tokenizer_config.json").write_text("{}", encoding="utf-8")  # no chat template: the fallback is needed
    app = typer.Typer()
    app.command()(serve)
    result = CliRunner().invoke(app, ["director", "--model", str(model), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "--chat-template" in result.output
    assert sorted(p.name for p in model.iterdir()) == ["config.json", "tokenizer_config.json"]
