"""One settings model: a profile (TOML file or the built-in 'animatic'), environment overrides, CLI overrides.

The profile says which backend renders what and where models live; a user with real weights changes only paths here.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reelgraph.errors import UsageError, first_error

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig


MAX_PROFILE_BYTES = 1 << 20
BACKEND_NAME = r"^(?:[a-z][a-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*)$"


class BackendConfig(BaseModel):
    """Which backend a tool uses, the model folder it loads (if any), and backend-specific options."""

    model_config = ConfigDict(extra="forbid")

    backend: str = Field(default="procedural", max_length=300,
                         description="a built-in backend's name, or an import path `package.module:Class`")
    model: str | None = Field(default=None, description="local model folder (from_pretrained path)")
    models: dict[str, str] = Field(default_factory=dict, description="per-language or per-role model folders")
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("backend")
    @classmethod
    def _backend_name(cls, v: str) -> str:
        if not re.match(BACKEND_NAME, v):
            raise ValueError(f"{v!r} is neither a backend name (e.g. 'diffusers') nor an import path "
                             "'package.module:Class'")
        return v


class AgentConfig(BaseModel):
    """The Director or the Critic: a built-in kind or an LLM behind an OpenAI-compatible server (vLLM)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["offline", "template", "heuristic", "llm", "vlm", "replay"]
    base_url: str | None = None
    model: str | None = None
    api_key: str = "EMPTY"
    temperature: float = Field(default=0.2, ge=0, le=2)
    max_tokens: int = Field(default=2048, ge=16, le=32768)
    timeout: float = Field(default=120.0, gt=0, le=3600)
    max_retries: int = Field(default=2, ge=0, le=10)


class ExecutorConfig(BaseModel):
    """Where the model backends run: in this process ("local"), or as resident Ray actors ("ray"), with the reel's
    chains of shots rendered in parallel."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["local", "ray"] = "local"
    address: str | None = Field(default=None, description="Ray cluster to join ('auto', 'ray://host:10001', "
                                "'host:6379'); None starts a private loopback-only cluster on this machine")
    workers: int = Field(default=2, ge=1, le=256, description="actors per backend kind (image, video)")
    num_cpus: float = Field(default=0.0, ge=0, le=256, description="CPUs reserved per actor (0: the actors share "
                            "the machine's CPUs; GPUs are what they reserve)")
    pin_cpus: bool = Field(default=False, description="pin actor i of each pooled kind to its own num_cpus cores of "
                           "its machine (CPU backends: a fixed share per worker; Linux)")
    num_gpus: float | None = Field(default=None, ge=0, le=8, description="GPUs per actor; None: 1 for a model "
                                   "backend when the cluster has GPUs, else 0. A fraction shares a card: a diffusers "
                                   "backend's memory plan then budgets for that share only")
    max_restarts: int = Field(default=2, ge=0, le=100, description="restarts of a dead actor")
    max_task_retries: int = Field(default=2, ge=0, le=100, description="retries of a call whose actor died")
    cluster_cpus: int | None = Field(default=None, ge=1, le=4096, description="CPUs of a private cluster "
                                     "(default: this machine's)")
    start_timeout: float = Field(default=900.0, gt=0, le=86400, description="seconds to wait for an actor to be "
                                 "placed and load its model")
    object_store_mib: int = Field(default=256, ge=64, le=1 << 20, description="object store of a private cluster")


class Profile(BaseModel):
    """Everything about *how* a reel is made (the request says *what*)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "animatic"
    director: AgentConfig = Field(default_factory=lambda: AgentConfig(kind="offline"))
    critic: AgentConfig = Field(default_factory=lambda: AgentConfig(kind="heuristic"))
    image: BackendConfig = Field(default_factory=BackendConfig)
    video: BackendConfig = Field(default_factory=BackendConfig)
    music: BackendConfig = Field(default_factory=BackendConfig)
    speech: BackendConfig = Field(default_factory=lambda: BackendConfig(backend="offline"))
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    ffmpeg_timeout: float = Field(default=600.0, gt=0)


ENV_OVERRIDES = {
    "REELGRAPH_DIRECTOR_URL": ("director", "base_url"),
    "REELGRAPH_DIRECTOR_MODEL": ("director", "model"),
    "REELGRAPH_CRITIC_URL": ("critic", "base_url"),
    "REELGRAPH_CRITIC_MODEL": ("critic", "model"),
}


def read_profile_text(path: Path) -> str:
    """A profile file's text: a plain UTF-8 file of at most `MAX_PROFILE_BYTES` (a FIFO or device is refused)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise UsageError(f"profile {str(path)!r} is not a file (no such file)") from None
    except OSError as e:
        raise UsageError(f"profile {str(path)!r}: {e.strerror or e}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"profile {str(path)!r} is not a file")
        data = f.read(MAX_PROFILE_BYTES + 1)
    if len(data) > MAX_PROFILE_BYTES:
        raise UsageError(f"profile {str(path)!r} is more than the {MAX_PROFILE_BYTES} bytes allowed")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"profile {str(path)!r} is not UTF-8 text ({e.reason} at byte {e.start})") from None


def load_profile(source: str | Path | dict[str, Any] | Profile | None = None) -> Profile:
    """A profile from a TOML file path, a dict, or None / 'animatic' for the built-in animatic profile."""
    if isinstance(source, Profile):
        return source
    data: dict[str, Any]
    if source is None or source == "animatic":
        data = {}
    elif isinstance(source, dict):
        data = dict(source)
    else:
        path = Path(source)
        try:
            data = tomllib.loads(read_profile_text(path))
        except tomllib.TOMLDecodeError as e:
            raise UsageError(f"profile {path}: {e}") from None
        except RecursionError:
            raise UsageError(f"profile {path}: nested too deep") from None
        data.setdefault("name", path.stem)
    for env, (section, key) in ENV_OVERRIDES.items():
        if os.environ.get(env):
            data.setdefault(section, {"kind": "llm" if section == "director" else "vlm"})
            if isinstance(data[section], dict):  # anything else is named by the validation below
                data[section][key] = os.environ[env]
    try:
        return Profile.model_validate(data)
    except ValidationError as e:
        raise UsageError(f"profile {getattr(source, 'name', source)}: {first_error(e)}") from None


class Settings(BaseModel):
    """Per-run settings carried in LangGraph's `configurable` (not checkpointed with the state)."""

    model_config = ConfigDict(extra="ignore")

    out_dir: str = Field(default="", description="run folder; default outputs/<thread_id>")
    profile: str | dict[str, Any] = Field(default="animatic", description="'animatic' or a profile TOML path")
    thread_id: str = "reel"

    @classmethod
    def from_runnable_config(cls, config: RunnableConfig | None) -> Settings:
        """The settings in LangGraph's `configurable`; the run folder defaults to outputs/<thread_id>."""
        conf = dict((config or {}).get("configurable") or {})
        settings = cls.model_validate(conf)
        if not settings.out_dir:
            settings.out_dir = str(Path("outputs") / settings.thread_id)
        return settings
