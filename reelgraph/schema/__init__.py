"""The film's data models: the request, the script, and the records of what was made (no LangChain here)."""

from reelgraph.schema.base import MAX_TEXT, SLUG, Model, Text, clean_text
from reelgraph.schema.request import MAX_PROMPT_CHARS, ReelRequest
from reelgraph.schema.script import (
    MAX_SHOTS,
    Camera,
    Character,
    Framing,
    Lighting,
    MusicBrief,
    Script,
    Shot,
    Transition,
    VoiceLine,
)
from reelgraph.schema.takes import Artifact, ArtifactKind, Defect, ReelDefect, ShotResult, Take, TakeDefect, Verdict

__all__ = ["MAX_PROMPT_CHARS", "MAX_SHOTS", "MAX_TEXT", "SLUG", "Artifact", "ArtifactKind", "Camera", "Character",
           "Defect", "Framing", "Lighting", "Model", "MusicBrief", "ReelDefect", "ReelRequest", "Script", "Shot",
           "ShotResult", "Take", "TakeDefect", "Text", "Transition", "Verdict", "VoiceLine", "clean_text"]
