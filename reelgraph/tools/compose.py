"""The compose tool: the reel, one per language, from the kept takes, the score and the voice tracks."""

from __future__ import annotations

import shutil
from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import ToolException, tool

from reelgraph.context import RunContext
from reelgraph.languages import LANGUAGES
from reelgraph.media.mix import Cut, cut_picture, mix_reel, mix_stem
from reelgraph.tools.args import ComposeArgs
from reelgraph.tools.common import as_state, script_of


@tool(args_schema=ComposeArgs, response_format="content_and_artifact")
def compose_reel(fade_seconds: float = 0.5, state: Any = None, config: RunnableConfig = None):
    """Cut the kept takes into the picture (encoded once), then mix and mux one reel per language."""
    st, ctx = as_state(state), RunContext.from_config(config)
    script, folder = script_of(st), ctx.folder
    if len(st.done) != len(script.shots):
        raise ToolException(f"{len(st.done)} of {len(script.shots)} shots are committed: finish them first")
    if st.music is None or set(st.voices) != set(script.languages):
        raise ToolException("score and voice tracks come before compositing")
    timeout = ctx.profile.ffmpeg_timeout
    cuts = []
    for i, (shot, result) in enumerate(zip(script.shots, st.done, strict=True)):
        nxt = script.shots[i + 1] if i + 1 < len(script.shots) else None
        fade_in = fade_seconds if i == 0 or shot.transition == "fade" else 0.0
        fade_out = fade_seconds if nxt is None or nxt.transition == "fade" else 0.0
        cuts.append(Cut(folder.path(result.best.clip.path), shot.duration, fade_in / 2 if i else fade_in,
                        fade_out / 2 if nxt else fade_out))
    with folder.writing("reel_picture.mp4") as tmp:
        cut_picture(cuts, tmp, fps=st.fps, timeout=timeout)
    picture = folder.record("reel_picture.mp4", "picture", {"seconds": script.duration, "fps": st.fps}, id="picture")
    reels = {}
    for lang in script.languages:
        stem_rel, rel = f"audio/mix_{lang}.wav", f"reel_{lang}.mp4"
        with folder.writing(stem_rel) as tmp:
            mix_stem(folder.path(st.music.path), folder.path(st.voices[lang].path), tmp, timeout=timeout)
        with folder.writing(rel) as tmp:
            loud = mix_reel(folder.path(picture.path), folder.path(stem_rel), folder.path(st.subtitles[lang].path),
                            LANGUAGES[lang].iso3, tmp, timeout=timeout)
        reels[lang] = folder.record(rel, "reel", {"language": lang, "seconds": script.duration, **loud},
                                    id=f"reel.{lang}")
    with folder.writing("reel_final.mp4") as tmp:
        shutil.copyfile(folder.path(reels[script.languages[0]].path), tmp)
    final = folder.record("reel_final.mp4", "reel", {"language": script.languages[0], "seconds": script.duration},
                          id="reel.final")
    payload = {"picture": picture.model_dump(), "reels": {k: v.model_dump() for k, v in reels.items()},
               "final": final.model_dump()}
    return f"reel composed: reel_final.mp4 and {', '.join(r.path for r in reels.values())}", payload
