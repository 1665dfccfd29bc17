"""`reelgraph serve`: flags by model family, the fallback chat template, the profile it points at the server."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from reelgraph.config import load_profile
from reelgraph.errors import UsageError
from reelgraph.serving.cli import serve
from reelgraph.serving.vllm_server import (
    ServeSpec,
    detect_family,
    free_port,
    health,
    port_free,
    serve_command,
    write_profile_url,
)


def _model(tmp_path: Path, name: str, config: dict, template: bool = True) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    tok = {"chat_template": "{{ messages }}"} if template else {}
    (folder / "tokenizer_config.json").write_text(json.dumps(tok))
    return folder


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(serve)
    return app


def test_dry_run_picks_the_flags_for_the_family(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELGRAPH_VLLM_PYTHON", "/opt/vllm/bin/python")
    qwen = _model(tmp_path, "Qwen3-8B", {"model_type": "qwen3", "architectures": ["Qwen3ForCausalLM"]})
    profile = tmp_path / "gpu.toml"
    profile.write_text('[image]\nbackend = "diffusers"\noptions = { vllm_fraction = 0.3 }\n')
    result = CliRunner().invoke(_app(), ["director", "--model", str(qwen), "--profile", str(profile), "--dry-run"])
    assert result.exit_code == 0, result.output
    cmd = shlex.split(result.output.strip())
    assert cmd[:3] == ["/opt/vllm/bin/python", "-m", "vllm.entrypoints.openai.api_server"]
    line = " ".join(cmd)
    for flag in ("--enable-auto-tool-choice", "--tool-call-parser hermes", "--tool-strict-level parameter",
                 "--served-model-name Qwen3-8B", "--port 8011", "--host 127.0.0.1", "--max-model-len 16384",
                 "--gpu-memory-utilization 0.3"):
        assert flag in line
    assert "--chat-template" not in line and "--limit-mm-per-prompt" not in line
    assert json.loads(cmd[cmd.index("--structured-outputs-config") + 1]) == {"backend": "xgrammar"}


def test_vision_models_critic_and_fallback_template(tmp_path: Path) -> None:
    vl = _model(tmp_path, "Qwen3-VL-8B-Instruct", {"model_type": "qwen3_vl", "vision_config": {}}, template=False)
    fam = detect_family(vl)
    assert fam.vision and fam.tool_parser == "hermes" and not fam.has_chat_template
    cmd = serve_command(ServeSpec(role="both", model=vl, port=8013, python="py"), template_dir=tmp_path / "t")
    assert json.loads(cmd[cmd.index("--limit-mm-per-prompt") + 1]) == {"image": 12, "video": 0}
    template = Path(cmd[cmd.index("--chat-template") + 1])
    assert template.is_file() and "<tool_call>" in template.read_text()
    critic = serve_command(ServeSpec(role="critic", model=vl, port=8012, python="py"), template_dir=tmp_path / "t")
    assert "--enable-auto-tool-choice" not in critic
    llama = _model(tmp_path, "Llama-3.1-8B-Instruct", {"model_type": "llama"})
    assert "llama3_json" in serve_command(ServeSpec(role="director", model=llama, python="py"))
    text = _model(tmp_path, "Qwen3-4B", {"model_type": "qwen3"})
    with pytest.raises(UsageError, match="no vision-language model"):
        serve_command(ServeSpec(role="both", model=text, python="py"))
    odd = _model(tmp_path, "odd", {"model_type": "gpt_bigcode"})
    with pytest.raises(UsageError, match="--tool-parser"):
        serve_command(ServeSpec(role="director", model=odd, python="py"))


def test_the_profile_is_pointed_at_the_server_and_keeps_its_comments(tmp_path: Path) -> None:
    profile = tmp_path / "studio.toml"
    profile.write_text('# my studio\n[director]\nkind = "template"\ntemperature = 0.5  # warm\n\n'
                       '[video]\nbackend = "procedural"\n')
    write_profile_url(profile, "director", "http://127.0.0.1:8011/v1", "Qwen3-8B")
    write_profile_url(profile, "critic", "http://127.0.0.1:8012/v1", "Qwen3-VL-8B-Instruct")
    text = profile.read_text()
    assert "# my studio" in text and "temperature = 0.5  # warm" in text
    prof = load_profile(profile)
    assert (prof.director.kind, prof.director.base_url, prof.director.model) == (
        "llm", "http://127.0.0.1:8011/v1", "Qwen3-8B")
    assert (prof.critic.kind, prof.critic.model) == ("vlm", "Qwen3-VL-8B-Instruct")
    assert prof.director.temperature == 0.5 and prof.video.backend == "procedural"
    fresh = tmp_path / "new.toml"
    write_profile_url(fresh, "director", "http://127.0.0.1:9000/v1", "m")
    assert load_profile(fresh).director.base_url == "http://127.0.0.1:9000/v1"


def test_bad_arguments_are_usage_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["director", "--model", str(tmp_path / "missing"), "--dry-run"])
    assert result.exit_code == 2 and "is not a folder" in result.output
    result = CliRunner().invoke(_app(), ["painter", "--model", str(tmp_path), "--dry-run"])
    assert result.exit_code == 2


@pytest.mark.timeout(1800)
def test_serve_starts_vllm_waits_for_health_and_writes_the_profile(tmp_path: Path, tiny_model: Path,
                                                                   vllm_python: str) -> None:
    """`serve` for real: starts vLLM, waits for /health, points the profile at it, stops it on SIGTERM."""
    from reelgraph_serving_support import SERVER_ENV

    port = free_port()
    profile = tmp_path / "llm.toml"
    profile.write_text('[critic]\nkind = "heuristic"\n')
    code = "import typer; from reelgraph.serving.cli import serve; typer.run(serve)"
    args = [sys.executable, "-c", code, "director", "--model", str(tiny_model), "--port", str(port), "--profile",
            str(profile), "--served-name", "tiny", "--dtype", "float32", "--enforce-eager", "--max-model-len", "2048",
            "--log-file", str(tmp_path / "serve.log")]
    env = {**os.environ, **SERVER_ENV, "REELGRAPH_VLLM_PYTHON": vllm_python}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()  # "ready: URL ..." once /health answers
        assert line.startswith(f"ready: http://127.0.0.1:{port}/v1"), (line, proc.stderr.read()[-3000:])
        assert health(f"http://127.0.0.1:{port}/v1")
        prof = load_profile(profile)
        assert (prof.director.kind, prof.director.base_url, prof.director.model) == (
            "llm", f"http://127.0.0.1:{port}/v1", "tiny")
        assert prof.critic.kind == "heuristic"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    deadline = time.monotonic() + 60
    while not port_free("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert port_free("127.0.0.1", port)  # the server went with it


def test_the_shipped_llm_profile_loads() -> None:
    from importlib import resources

    path = resources.files("reelgraph.profiles").joinpath("llm.toml")
    prof = load_profile(Path(str(path)))
    assert prof.director.kind == "llm" and prof.director.base_url.endswith("/v1") and prof.critic.kind == "heuristic"
    assert (prof.image.backend, prof.video.backend) == ("procedural", "procedural")
