"""The story-reading Director: a prompt's own cast, places and events become a Script, offline and deterministic.

``write_script(request)`` reads the prompt (``reader``: language, cast, events with places and times, using the
committed WordNet extract and simplemma lemmas) and writes the script (``writer``). See ``writer`` for how the
voice-over is made in each language.
"""

from __future__ import annotations

from reelgraph.schema import ReelRequest, Script


def write_script(request: ReelRequest) -> Script:
    """A validated Script for the request, drawn from its prompt's story; deterministic for a given request."""
    from reelgraph.story.reader import read_story
    from reelgraph.story.writer import write

    return write(read_story(request.prompt), request)


__all__ = ["write_script"]
