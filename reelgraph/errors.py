"""Errors the studio raises on purpose; each carries a message a user can act on."""


class ReelgraphError(Exception):
    """Base of the studio's own errors."""


class UsageError(ReelgraphError):
    """Bad input from the user (the CLI exits with code 2)."""


class ArtifactError(ReelgraphError):
    """An artifact path or file is unsafe, missing or broken."""


class BackendError(ReelgraphError):
    """A backend (renderer, model, ffmpeg, TTS) failed."""


class CriticError(ReelgraphError):
    """The critic could not judge a take: an error, never a pass."""
