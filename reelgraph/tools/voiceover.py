"""Voice-over per language: each shot's line spoken, placed at its shot, one track and one subtitle file."""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig

from reelgraph.media.mix import place_lines, write_srt
from reelgraph.state import Artifact, ReelState
from reelgraph.studio import Studio
from reelgraph.tools.audio import speak_line
from reelgraph.tools.common import run_tool, script_of

LEAD_IN = 0.3
"""Seconds between a shot's first frame and its line."""


def build_voice_track(state: ReelState, language: str, config: RunnableConfig) -> tuple[Artifact, Artifact]:
    """The language's voice track (the reel's length) and its subtitles, timed from the same placed lines."""
    studio = Studio.from_config(config)
    folder, script = studio.folder, script_of(state)
    placed, cues, start = [], [], 0.0
    for shot in script.shots:
        if any(line.language == language for line in shot.lines):
            art = Artifact.model_validate(run_tool(speak_line, {"shot": shot.index, "language": language}, state,
                                                   config))
            at = start + LEAD_IN
            placed.append((at, folder.path(art.path)))
            cues.append((at, at + float(art.meta["seconds"]), art.meta["text"]))
        start += shot.duration
    voice_rel, subs_rel = f"audio/voice_{language}.wav", f"subtitles/{language}.srt"
    with folder.writing(voice_rel) as tmp:
        place_lines(placed, script.duration, tmp)
    with folder.writing(subs_rel) as tmp:
        write_srt(cues, tmp)
    voice = folder.record(voice_rel, "voice", {"language": language, "seconds": script.duration,
                                               "lines": len(placed)}, id=f"voice.{language}")
    subs = folder.record(subs_rel, "subtitles", {"language": language,
                                                 "cues": [[round(a, 3), round(b, 3), t] for a, b, t in cues]},
                         id=f"subtitles.{language}")
    return voice, subs
