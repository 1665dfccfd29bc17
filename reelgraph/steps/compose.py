"""Compositing: the reels, one per language, from the kept takes, the score and the voice tracks.

Characters talk while their lines play: takes with a speaking character on screen are cut with its mouth moving,
and the reel's lip-sync is measured and judged once the sound is mixed (steps/lips.py).
"""

from __future__ import annotations

from typing import Any

from reelgraph.context import RunContext
from reelgraph.errors import BackendError
from reelgraph.languages import LANGUAGES
from reelgraph.media.mix import Cut, LanguageTrack, cut_picture, has_cues, mix_reel, mix_stem, mux_languages
from reelgraph.schema import Artifact
from reelgraph.state import ReelState
from reelgraph.steps.lips import PlacedTake, check_lip_sync, clip_to_cut, lip_track, placed_takes
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
    steps = 1 + 2 * len(script.languages)  # progress: the picture, then per language its mix and its reel
    ctx.emit("compose", status="step", what="cutting the picture", step=1, of=steps)
    lips = lip_track(ctx, st.voices.get(script.languages[0]))  # the picture's mouths follow the first language
    placed = placed_takes(st, ctx, script)
    cuts = []
    for i, (shot, take) in enumerate(zip(script.shots, placed, strict=True)):
        nxt = script.shots[i + 1] if i + 1 < len(script.shots) else None
        fade_in = fade_seconds if i == 0 or shot.transition == "fade" else 0.0
        fade_out = fade_seconds if nxt is None or nxt.transition == "fade" else 0.0
        cuts.append(Cut(clip_to_cut(ctx, take, lips, st.fps), shot.duration, fade_in / 2 if i else fade_in,
                        fade_out / 2 if nxt else fade_out))
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
    sync = _lip_sync(st, ctx, picture, placed) if lips is not None else {}
    final = folder.record("reel_final.mp4", "reel", {"language": script.languages[0], "languages": script.languages,
                                                     "seconds": script.duration, **sync}, id="reel.final")
    return reels, final


def _lip_sync(st: ReelState, ctx: RunContext, picture: Artifact, placed: list[PlacedTake]) -> dict[str, Any]:
    """The reel's lip-sync judged (`lip_sync.json`), as the final reel's metadata (empty: nothing to measure)."""
    script = script_of(st)
    verdict = check_lip_sync(st, ctx, script, ctx.folder.path(picture.path), placed, script.languages[0])
    if verdict is None:
        return {}
    ctx.folder.write_json("lip_sync.json", verdict.model_dump())
    ctx.emit("compose", status="lip_sync", score=verdict.score, defects=verdict.defects, reasons=verdict.reasons)
    keep = ("share_voiced", "open", "outside_own_lines", "talking")
    return {"lip_sync": {"score": verdict.score, "defects": list(verdict.defects),
                         **{k: verdict.metrics[k] for k in keep if k in verdict.metrics}}}
