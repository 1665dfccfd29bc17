"""Errors the studio raises on purpose; each carries a message a user can act on.

They are `RuntimeError`s: a LangGraph server (langgraph-api) passes a `RuntimeError` to its clients (Studio, the SDK)
with its type name and message, where other exception types reach them as "An internal error occurred".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class ReelgraphError(RuntimeError):
    """Base of the studio's own errors (a `RuntimeError`, so that a LangGraph server shows clients its message)."""


class UsageError(ReelgraphError):
    """Bad input from the user (the CLI exits with code 2)."""


class ArtifactError(ReelgraphError):
    """An artifact path or file is unsafe, missing or broken."""


class BackendError(ReelgraphError):
    """A backend (renderer, model, ffmpeg, TTS) failed."""


class CriticError(ReelgraphError):
    """The critic could not judge a take: an error, never a pass."""


def first_error(error: ValidationError, *, root: str = "", empty: str = "input") -> str:
    """One line naming the first bad field of a pydantic error: `where: what` (`root` prefixes the path)."""
    err = error.errors()[0]
    where = ".".join([*([root] if root else []), *(str(p) for p in err["loc"])]) or empty
    return f"{where}: {err['msg'].removeprefix('Value error, ')}"
