"""Compositing: the reels, one per language, from the kept takes, the score and the voice tracks."""

from __future__ import annotations

from reelgraph.context import RunContext
from reelgraph.errors import BackendError
from reelgraph.languages import LANGUAGES
from reelgraph.media.mix import Cut, LanguageTrack, cut_picture, has_cues, mix_reel, mix_stem, mux_languages
from reelgraph.schema import Artifact
from reelgraph.state import ReelState
from reelgraph.tools.common import script_of


def compose_reels(st: ReelState, ctx: RunContext, fade_seconds: float = 0.5) -> tuple[dict[str, Artifact], Artifact]:
    """Cut the kept takes into the picture (encoded once), then mix and mux one reel per language: the reels by
    language, and reel_final.mp4 (every language as its own audio and subtitle tracks, the first one's default)."""
    script, folder = script_of(st), ctx.folder
    if len(st.done) != len(script.shots):
        raise BackendError(f"{len(st.done)} of {len(script.shots)} shots are committed: finish them first")
    if st.music is None or set(st.voices) != set(script.languages):
        raise BackendError("score and voice tracks come before compositing")
    timeout = ctx.resolved_profile.ffmpeg_timeout
    cuts = []
    for i, (shot, result) in enumerate(zip(script.shots, st.done, strict=True)):
        nxt = script.shots[i + 1] if i + 1 < len(script.shots) else None
        fade_in = fade_seconds if i == 0 or shot.transition == "fade" else 0.0
        fade_out = fade_seconds if nxt is None or nxt.transition == "fade" else 0.0
        cuts.append(Cut(folder.path(result.best.clip.path), shot.duration, fade_in / 2 if i else fade_in,
                        fade_out / 2 if nxt else fade_out))
    steps = 1 + 2 * len(script.languages)  # progress: the picture, then per language its mix and its reel
    ctx.emit("compose", status="step", what="cutting the picture", step=1, of=steps)
    with folder.writing("reel_picture.mp4") as tmp:
        cut_picture(cuts, tmp, fps=st.fps, timeout=timeout)
    picture = folder.record("reel_picture.mp4", "picture", {"seconds": script.duration, "fps": st.fps}, id="picture")
    reels = {}
    for n, lang in enumerate(script.languages):
        stem_rel, rel = f"audio/mix_{lang}.wav", f"reel_{lang}.mp4"
        ctx.emit("compose", status="step", what=f"mixing the {lang} sound", step=2 + 2 * n, of=steps)
        with folder.writing(stem_rel) as tmp:
            mix_stem(folder.path(st.music.path), folder.path(st.voices[lang].path), tmp, timeout=timeout)
        ctx.emit("compose", status="step", what=f"levelling and muxing the {lang} reel", step=3 + 2 * n, of=steps)
        with folder.writing(rel) as tmp:
            loud = mix_reel(folder.path(picture.path), folder.path(stem_rel), folder.path(st.subtitles[lang].path),
                            LANGUAGES[lang].iso3, tmp, timeout=timeout)
        reels[lang] = folder.record(rel, "reel", {"language": lang, "seconds": script.duration, **loud},
                                    id=f"reel.{lang}")
    tracks = [LanguageTrack(folder.path(reels[lang].path), LANGUAGES[lang].iso3,
                            has_cues(folder.path(st.subtitles[lang].path))) for lang in script.languages]
    with folder.writing("reel_final.mp4") as tmp:
        mux_languages(folder.path(picture.path), tracks, tmp, timeout=timeout)
    final = folder.record("reel_final.mp4", "reel", {"language": script.languages[0], "languages": script.languages,
                                                     "seconds": script.duration}, id="reel.final")
    return reels, final
