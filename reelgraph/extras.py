"""Optional dependencies: which extra brings each one, and one clear error, before anything is written, when one is
missing (`pip install 'reelgraph[<extra>]'`)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable

from reelgraph.config import Profile
from reelgraph.errors import UsageError

PROVIDED_BY: dict[str, tuple[str, str]] = {
    "langchain_openai": ("langchain-openai", "llm"),
    "torch": ("torch", "models"),
    "diffusers": ("diffusers", "models"),
    "transformers": ("transformers", "models"),
    "accelerate": ("accelerate", "models"),
    "matplotlib": ("matplotlib", "evals"),
    "pyloudnorm": ("pyloudnorm", "evals"),
    "ray": ("ray", "ray"),
    "psycopg": ("psycopg", "studio"),
    "langgraph.checkpoint.postgres": ("langgraph-checkpoint-postgres", "studio"),
}
"""Import name -> (the package that provides it, the extra that installs it)."""

MODELS = ("torch", "transformers")
BACKEND_NEEDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("image", "diffusers"): (*MODELS, "diffusers", "accelerate"),
    ("video", "diffusers"): (*MODELS, "diffusers", "accelerate"),
    ("music", "musicgen"): MODELS,
    ("speech", "vits"): MODELS,
}
"""The imports of the built-in model backends, by (kind, backend name)."""


def missing(module: str) -> bool:
    """Whether `module` cannot be imported here (checked without importing it)."""
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):  # a parent package missing, or a module without a spec
        return True


def require(what: str, modules: Iterable[str]) -> None:
    """Raise a UsageError naming the extra to install when one of `modules` is missing."""
    for module in modules:
        if missing(module):
            package, extra = PROVIDED_BY[module]
            raise UsageError(f"{what} needs {package}, which is not installed: pip install 'reelgraph[{extra}]'")


def profile_needs(profile: Profile, postgres: bool = False) -> list[tuple[str, tuple[str, ...]]]:
    """What the profile (and PostgreSQL checkpoints, when asked for) will import: (what, modules) pairs."""
    needs: list[tuple[str, tuple[str, ...]]] = []
    if profile.director.kind == "llm":
        needs.append(("an LLM Director (a served model)", ("langchain_openai",)))
    if profile.critic.kind == "vlm":
        needs.append(("a VLM critic (a served model)", ("langchain_openai",)))
    for kind in ("image", "video", "music", "speech"):
        name = getattr(profile, kind).backend
        if (kind, name) in BACKEND_NEEDS:
            needs.append((f"the {name} {kind} backend", BACKEND_NEEDS[kind, name]))
    if profile.executor.kind == "ray":
        needs.append(("the ray executor", ("ray",)))
    if postgres:
        needs.append(("the PostgreSQL checkpointer", ("psycopg", "langgraph.checkpoint.postgres")))
    return needs


def require_for(profile: Profile, postgres: bool = False) -> None:
    """Raise a UsageError naming the extra to install when the profile needs a package that is missing."""
    for what, modules in profile_needs(profile, postgres):
        require(what, modules)
