"""Audio tools: the score from the music brief, and voice-over lines per shot and language."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import ToolException, tool

from reelgraph.context import RunContext
from reelgraph.languages import check_language
from reelgraph.tools.args import MusicArgs, SpeechArgs
from reelgraph.tools.common import as_state, script_of


@tool(args_schema=MusicArgs, response_format="content_and_artifact")
def compose_music(seed: int = 0, state: Any = None, config: RunnableConfig = None):
    """Score the whole reel from the script's music brief (exactly the reel's length, fading out at the end)."""
    st, ctx = as_state(state), RunContext.from_config(config)
    script = script_of(st)
    backend = ctx.backend("music")
    rel = "audio/music.wav"
    with ctx.folder.writing(rel) as tmp:
        info = backend.compose(script.music, seconds=script.duration, seed=seed, out=tmp)
    art = ctx.folder.record(rel, "music", {**info.meta, "seed": seed}, id="music")
    return f"score of {script.duration:.2f} s composed: {rel}", art.model_dump()


@tool(args_schema=SpeechArgs, response_format="content_and_artifact")
def speak_line(shot: int, language: str, state: Any = None, config: RunnableConfig = None):
    """Speak one shot's voice-over line(s) in one language, verbatim."""
    st, ctx = as_state(state), RunContext.from_config(config)
    script = script_of(st)
    language = check_language(language)
    if not 1 <= shot <= len(script.shots):
        raise ToolException(f"no shot {shot}; the script has {len(script.shots)}")
    lines = [line for line in script.shots[shot - 1].lines if line.language == language]
    if not lines:
        raise ToolException(f"shot {shot} has no line in {language}")
    text = " ".join(line.text for line in lines)
    speaker = lines[0].speaker
    voice = next((c.voice for c in script.characters if c.slug == speaker), None)
    backend = ctx.backend("speech")
    if voice not in backend.voices(language):
        voice = None
    rel = f"audio/voice/{language}/shot{shot:02d}.wav"
    with ctx.folder.writing(rel) as tmp:
        info = backend.speak(text, language=language, voice=voice, out=tmp)
    art = ctx.folder.record(rel, "voice", {**info.meta, "shot": shot, "language": language, "text": text},
                               id=f"voice.{language}.shot{shot:02d}")
    return f"line of shot {shot} spoken in {language}: {rel}", art.model_dump()
