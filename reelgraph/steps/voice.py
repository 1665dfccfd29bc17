"""Voice-over per language: each shot's line spoken, fitted to its shot, placed, one track and one subtitle file.

A line longer than its shot is sped up by at most 15 % (pitch kept); if that is not enough the Director is asked for
a shorter line, which is spoken again. Sound is never cut mid-word: a line that still does not fit runs on into the
next shot, and the next line waits for it. A character's line is spoken in the character's voice (`Character.voice`)
and its subtitle names the speaker ("Mara: Run!"). The visemes of every character's line, placed where the line plays
in the reel, are kept as the language's lip track (steps/lips.py): the reel's mouths move by it.

A dialogue clip that brings its own sound (a joint audio-video model such as LTX-2: `clip.meta["audio"]`) speaks its
character's line in the first language: that sound is the line, placed with the clip's first frame, neither spoken
again nor fitted (the model drew the lips to it). Other languages speak the line as usual and say that the lips on
screen follow the first language (`lips_follow` in the voice track's metadata).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import ffmpeg

from reelgraph.agents.director import make_director
from reelgraph.context import RunContext
from reelgraph.errors import BackendError
from reelgraph.languages import check_language
from reelgraph.media.ffmpeg import run
from reelgraph.media.fit import LineTooLong, duration, fit_line
from reelgraph.media.mix import place_lines, write_srt
from reelgraph.schema import Artifact, Script, Shot
from reelgraph.state import ReelState
from reelgraph.steps.lips import SpokenLine, write_lip_track
from reelgraph.tools.common import script_of

LEAD_IN = 0.3
"""Seconds between a shot's first frame and its line (less on very short shots)."""
TAIL = 0.1
SHORTEN_TRIES = 2
CLIP_RATE = 44_100
"""Sample rate a clip's own sound is taken at."""


def _room(shot: Shot) -> tuple[float, float]:
    lead = min(LEAD_IN, 0.1 * shot.duration)
    return lead, shot.duration - lead - TAIL


def _with_line(script: Script, shot: int, language: str, text: str) -> Script:
    """The script with one shot's line in one language replaced by `text`."""
    shots = list(script.shots)
    s = shots[shot - 1]
    lines = [line.model_copy(update={"text": text}) if line.language == language else line for line in s.lines]
    shots[shot - 1] = s.model_copy(update={"lines": lines})
    return script.model_copy(update={"shots": shots})


def speak_line(st: ReelState, ctx: RunContext, shot: int, language: str) -> Artifact:
    """Speak one shot's voice-over line(s) in one language, verbatim."""
    script = script_of(st)
    language = check_language(language)
    if not 1 <= shot <= len(script.shots):
        raise BackendError(f"no shot {shot}; the script has {len(script.shots)}")
    lines = [line for line in script.shots[shot - 1].lines if line.language == language]
    if not lines:
        raise BackendError(f"shot {shot} has no line in {language}")
    text = " ".join(line.text for line in lines)
    speaker = lines[0].speaker
    voice = next((c.voice for c in script.characters if c.slug == speaker), None)
    backend = ctx.backend("speech")
    if voice not in backend.voices(language):
        voice = None
    rel = f"audio/voice/{language}/shot{shot:02d}.wav"
    with ctx.folder.writing(rel) as tmp:
        info = backend.speak(text, language=language, voice=voice, out=tmp)
    return ctx.folder.record(rel, "voice", {**info.meta, "shot": shot, "language": language, "text": text},
                             id=f"voice.{language}.shot{shot:02d}")


def _speaker(shot: Shot, language: str) -> str:
    """Who says the shot's line in `language`: a character's slug, or 'narrator'."""
    return next((line.speaker for line in shot.lines if line.language == language), "narrator")


def _cue_text(script: Script, shot: Shot, language: str, text: str) -> str:
    """The subtitle of a shot's spoken line: a character's line names its speaker ("Mara: Run!"), narration not."""
    speaker = _speaker(shot, language)
    name = next((c.name for c in script.characters if c.slug == speaker), None)
    return f"{name}: {text}" if name else text


def _said_elsewhere(script: Script, shot: int, language: str, text: str) -> bool:
    """Whether another shot already speaks this text in this language (case and punctuation aside)."""
    def norm(t: str) -> str:
        return " ".join(re.findall(r"\w+", t.lower()))

    return any(norm(x.text) == norm(text) for s in script.shots if s.index != shot for x in s.lines
               if x.language == language)


def _spoken_and_fitted(state: ReelState, shot: Shot, language: str,
                       ctx: RunContext) -> tuple[ReelState, SpokenLine]:
    """Speak the line, fit it to the shot, ask the Director for a shorter one when it cannot fit. When the shorter
    line says nothing, or repeats another shot's, the line is kept whole and runs on into the next shot."""
    _, room = _room(shot)
    for attempt in range(SHORTEN_TRIES + 1):
        art = speak_line(state, ctx, shot.index, language)
        spoken = ctx.folder.path(art.path)
        whole = SpokenLine(spoken, art.meta["text"], art.meta.get("phonemes"))
        rel = f"audio/voice/{language}/shot{shot.index:02d}.fit.wav"
        try:
            with ctx.folder.writing(rel) as tmp:
                fitted = fit_line(spoken, room, tmp, timeout=ctx.resolved_profile.ffmpeg_timeout)
            return state, replace(whole, wav=ctx.folder.path(rel), tempo=fitted.tempo)
        except LineTooLong as too_long:
            if attempt == SHORTEN_TRIES:
                return state, whole  # runs on into the next shot; never cut
            script = script_of(state)
            line = next(x for x in shot.lines if x.language == language)
            names = [script.character(c).name for c in shot.characters] or [c.name for c in script.characters[:1]]
            shorter = make_director(ctx.resolved_profile).shorten_line(line, names, too_long.max_tempo / too_long.ratio)
            if shorter.strip() == line.text.strip():
                return state, whole  # the Director keeps it: it runs on into the next shot
            if not shorter.strip() or _said_elsewhere(script, shot.index, language, shorter):
                return state, whole  # nothing shorter that says something new: it runs on
            ctx.emit("voice", language=language, shot=shot.index, shortened=shorter)
            state = state.model_copy(update={"script": _with_line(script, shot.index, language, shorter)})
            shot = script_of(state).shots[shot.index - 1]
    raise AssertionError("unreachable")


def _sounding_clip(state: ReelState, shot: Shot) -> Artifact | None:
    """The kept take's clip when it brought its own sound (a joint audio-video model: `meta["audio"]`)."""
    result = next((r for r in state.done if r.shot == shot.index), None)
    clip = result.best.clip if result is not None else None
    audio = clip.meta.get("audio") if clip is not None else None
    return clip if isinstance(audio, dict) and audio.get("source") else None


def _clip_sound(clip: Artifact, shot: Shot, language: str, ctx: RunContext) -> Path:
    """The clip's own sound as a mono WAV in the run folder (the line it speaks)."""
    rel = f"audio/voice/{language}/shot{shot.index:02d}.clip.wav"
    src = ctx.folder.path(clip.path)
    with ctx.folder.writing(rel) as tmp:
        run(ffmpeg.input(str(src)).audio.output(str(tmp), acodec="pcm_s16le", ac=1, ar=CLIP_RATE, format="wav"),
            timeout=ctx.resolved_profile.ffmpeg_timeout, what=f"taking the sound of {src.name}")
    return ctx.folder.path(rel)


def build_voice_track(state: ReelState, language: str, ctx: RunContext) -> tuple[Artifact, Artifact, Script]:
    """The language's voice track (the reel's length), its subtitles from the same placements, and the script
    (with any line the Director shortened)."""
    folder = ctx.folder
    placed, cues, spoken, start, free_at = [], [], [], 0.0, 0.0
    first = language == script_of(state).languages[0]
    from_clips: list[int] = []
    for shot in script_of(state).shots:
        lead_language = script_of(state).languages[0]
        clip = _sounding_clip(state, shot) if _speaker(shot, lead_language) != "narrator" else None
        if clip is not None and not first:
            from_clips.append(shot.index)  # the lips on screen follow the first language's line
        if clip is not None and first:  # the clip's own sound is the character's line, in sync with its picture
            own = _clip_sound(clip, shot, language, ctx)
            seconds = min(duration(own), shot.duration)
            text = next(line.text for line in shot.lines if line.language == language)
            placed.append((start, own))
            cues.append((start, start + seconds, _cue_text(script_of(state), shot, language, text)))
            from_clips.append(shot.index)
            free_at = max(free_at, start + seconds + TAIL)
        elif any(line.language == language for line in shot.lines):
            state, line = _spoken_and_fitted(state, shot, language, ctx)
            lead, _ = _room(shot)
            at = max(start + lead, free_at)
            seconds = duration(line.wav)
            placed.append((at, line.wav))
            cues.append((at, at + seconds, _cue_text(script_of(state), shot, language, line.text)))
            spoken.append((_speaker(shot, language), line, len(placed) - 1))
            free_at = at + seconds + TAIL
        start += shot.duration
    script = script_of(state)
    overrun = free_at - TAIL - script.duration
    if overrun > 0:  # the last line runs past the reel's end: move the lines back rather than cut one
        placed = [(max(0.0, at - overrun), wav) for at, wav in placed]
        cues = [(max(0.0, a - overrun), max(0.0, b - overrun), t) for a, b, t in cues]
    lips = write_lip_track(folder, language,  # where each spoken line plays, once moved back
                           [(who, line, placed[k][0]) for who, line, k in spoken])
    voice_rel, subs_rel = f"audio/voice_{language}.wav", f"subtitles/{language}.srt"
    with folder.writing(voice_rel) as tmp:
        place_lines(placed, script.duration, tmp)
    with folder.writing(subs_rel) as tmp:
        write_srt(cues, tmp)
    clip_meta = ({"clip_sound_shots": from_clips} if first else {"lips_follow": script.languages[0],
                                                                      "lips_follow_shots": from_clips}) \
        if from_clips else {}
    voice = folder.record(voice_rel, "voice", {"language": language, "seconds": script.duration,
                                               "lines": len(placed), **({"lips": lips} if lips else {}),
                                               **clip_meta},
                          id=f"voice.{language}")
    subs = folder.record(subs_rel, "subtitles", {"language": language,
                                                 "cues": [[round(a, 3), round(b, 3), t] for a, b, t in cues]},
                         id=f"subtitles.{language}")
    return voice, subs, script
