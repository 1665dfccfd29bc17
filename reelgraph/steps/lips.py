"""Lips in sync on the animatic, in the graph's order: takes first, voices next, mouths drawn at compose time.

1. A take is rendered before any line is spoken: its face track (where each seen mouth is on every frame) is kept
   beside it (tools/video.py, media/mouths.py).
2. The voice node speaks the lines, fits them to their shots and places them in the reel. Each character's line
   becomes visemes (from eSpeak NG's phoneme timing, or from the line's loudness when the speech backend gives no
   phonemes), sped up as the line was fitted and placed where it plays: the language's lip track
   (`audio/lips_<lang>.json`, its path and hash in the voice track's metadata as `lips`). The narrator has none.
3. Compose knows where every take sits in the reel: a kept take with a face track and a speaking character on screen
   is drawn again with the mouths moving (`shots/shotNN/takeK_lips.mp4`), and the picture is cut from those. The
   picture is shared by every language: its mouths follow the first language's lines (the final reel's default
   track). Then the lip-sync is measured on the cut picture and the mixed sound (agents/critic/lipsync.py) and
   judged: `lip_sync.json`, and `lip_sync` in the final reel's metadata.

A side file whose hash no longer matches is not used, and the event log names it: a take whose face track changed is
cut without moving mouths (the verdict says it was not measured); a language whose lip track changed is spoken again
by the voice node when the run comes back to it (`lips_intact`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import soundfile as sf

from reelgraph.agents.critic.lipsync import (
    Cue,
    ShotFaces,
    judge_lip_sync,
    lip_sync_figures,
    read_mouths,
    voiced_intervals,
)
from reelgraph.context import RunContext
from reelgraph.media.ffmpeg import encode_frames
from reelgraph.media.fit import duration
from reelgraph.media.frames import iter_frames
from reelgraph.media.mouths import FaceTrack, lip_synced_frames, speaking
from reelgraph.media.visemes import VisemeSpan, retimed, spans_from_audio, spans_from_phonemes
from reelgraph.run.folder import RunFolder, sha256_file
from reelgraph.schema import Artifact, Script, Shot, Take, Verdict
from reelgraph.state import ReelState

LipTrack = dict[str, list[VisemeSpan]]
"""A language's lip track: each speaking character's visemes, in seconds of the reel."""


@dataclass(frozen=True)
class SpokenLine:
    """A shot's line as spoken and fitted: the WAV placed in the reel, its text, the phonemes of the line as first
    spoken (`[seconds, mnemonic]`; None when the speech backend gives none) and the tempo it was fitted at."""

    wav: Path
    text: str
    phonemes: list[list[Any]] | None = None
    tempo: float = 1.0


def line_visemes(line: SpokenLine, at: float) -> list[VisemeSpan]:
    """The line's visemes in seconds of the reel, the line starting at `at`."""
    if line.phonemes:
        seconds = duration(line.wav) * line.tempo  # the line's length before it was fitted
        return retimed(spans_from_phonemes(line.phonemes, seconds), tempo=line.tempo, offset=at)
    samples, rate = sf.read(str(line.wav), dtype="float32", always_2d=True)
    return retimed(spans_from_audio(samples, rate), offset=at)


def write_lip_track(folder: RunFolder, language: str,
                    lines: Iterable[tuple[str, SpokenLine, float]]) -> dict[str, str] | None:
    """Write the language's lip track from its placed lines (speaker, line, start in the reel); its path and sha256
    (None: no character speaks)."""
    speakers: dict[str, list[VisemeSpan]] = {}
    for who, line, at in lines:
        if who != "narrator":
            speakers.setdefault(who, []).extend(line_visemes(line, at))
    if not speakers:
        return None
    rel = f"audio/lips_{language}.json"
    data = {"language": language, "speakers": {who: [s.to_json() for s in sorted(spans, key=lambda s: s.start)]
                                               for who, spans in speakers.items()}}
    return {"path": rel, "sha256": sha256_file(folder.write_json(rel, data))}


def _side_file(folder: RunFolder, ref: Any) -> Path | None:
    """The side file a metadata entry ({"path", "sha256"}) names, when it is there with that hash."""
    if not isinstance(ref, Mapping) or not isinstance(ref.get("path"), str):
        return None
    path = folder.path(ref["path"])
    return path if path.is_file() and sha256_file(path) == ref.get("sha256") else None


def lips_intact(folder: RunFolder, voice: Artifact) -> bool:
    """Whether the voice track's lip track (if it has one) is still as it was written."""
    return "lips" not in voice.meta or _side_file(folder, voice.meta["lips"]) is not None


def lip_track(ctx: RunContext, voice: Artifact | None) -> LipTrack | None:
    """The lip track of a voice track (None: no character speaks, or the file changed: said in the event log)."""
    if voice is None or "lips" not in voice.meta:
        return None
    ref = voice.meta["lips"]
    path = _side_file(ctx.folder, ref)
    if path is None:
        named = ref.get("path") if isinstance(ref, Mapping) else ref
        ctx.emit("compose", status="lips", skipped=str(named), reason="missing or changed")
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return {who: [VisemeSpan.from_json(s) for s in spans] for who, spans in data.get("speakers", {}).items()}


@dataclass(frozen=True)
class PlacedTake:
    """A kept take where it sits in the picture: its shot, its first frame and frame count there, its face track."""

    shot: Shot
    take: Take
    first: int
    frames: int
    fps: int
    track: FaceTrack | None
    damaged: str | None = None  # the face track's path, when it is no longer as it was written

    @property
    def start(self) -> float:
        """When the take's first frame is shown, in seconds of the reel."""
        return self.first / self.fps


def picture_frames(shot: Shot, fps: int) -> int:
    """Frames of a shot in the cut picture (its clip's, every one of them kept by the cut)."""
    return max(1, round(shot.duration * fps))


def placed_takes(st: ReelState, ctx: RunContext, script: Script) -> list[PlacedTake]:
    """Every kept take with its place in the picture and its face track (None: none was kept, or it changed).

    A frame's time is its index over the frame rate: mouths are drawn for the sound playing while it is shown."""
    out, first = [], 0
    for shot, result in zip(script.shots, st.done, strict=True):
        take, track, damaged = result.best, None, None
        ref = take.clip.meta.get("faces")
        if ref is not None:
            path = _side_file(ctx.folder, ref)
            if path is None:
                damaged = str(ref.get("path") if isinstance(ref, Mapping) else ref)
                ctx.emit("compose", status="lips", skipped=damaged, reason="missing or changed")
            else:
                track = FaceTrack.from_json(json.loads(path.read_text(encoding="utf-8")))
        frames = picture_frames(shot, st.fps)
        out.append(PlacedTake(shot, take, first, frames, st.fps, track, damaged))
        first += frames
    return out


def clip_to_cut(ctx: RunContext, placed: PlacedTake, lips: LipTrack | None, fps: int) -> Path:
    """The take to cut into the picture: drawn again with its characters' mouths moving when one of them speaks
    while it plays, else the take as rendered."""
    folder, take = ctx.folder, placed.take
    clip = folder.path(take.clip.path)
    track = placed.track
    if lips is None or track is None or not speaking(lips, track.mouths, placed.start,
                                                     placed.start + placed.frames / fps):
        return clip
    rel = f"shots/shot{placed.shot.index:02d}/take{take.attempt}_lips.mp4"
    with folder.writing(rel) as tmp:
        frames = lip_synced_frames(iter_frames(clip, timeout=ctx.resolved_profile.ffmpeg_timeout), track, lips,
                                   placed.start)
        encode_frames(frames, tmp, fps=fps, width=track.width, height=track.height,
                      timeout=ctx.resolved_profile.ffmpeg_timeout)
    return folder.path(rel)


def line_cues(cues: Iterable[Sequence[Any]], script: Script) -> list[Cue]:
    """Who says each subtitle cue ([start, end, text]): the character its "Name: " names, else the narrator."""
    by_name = sorted(((c.name, c.slug) for c in script.characters), key=lambda x: -len(x[0]))
    out = []
    for start, end, text in cues:
        who = next((slug for name, slug in by_name if str(text).startswith(f"{name}: ")), "narrator")
        out.append(Cue(float(start), float(end), who))
    return out


def check_lip_sync(st: ReelState, ctx: RunContext, script: Script, picture: Path, placed: Sequence[PlacedTake],
                   language: str) -> Verdict | None:
    """The reel's lip-sync measured on the cut picture and the language's mixed sound (None: no take has a face
    track, so there is no mouth to measure)."""
    tracked = [ShotFaces(p.first, p.frames, ctx.folder.path(p.take.clip.path), p.track)
               for p in placed if p.track is not None and p.track.mouths]
    if not tracked or st.music is None or language not in st.subtitles:
        return None  # (a damaged face track is named in the event log when it is found)
    mix, rate = sf.read(str(ctx.folder.path(f"audio/mix_{language}.wav")), dtype="float32", always_2d=True)
    music, music_rate = sf.read(str(ctx.folder.path(st.music.path)), dtype="float32", always_2d=True)
    voiced = voiced_intervals(mix, rate, music, music_rate)
    readings = read_mouths(picture, tracked, timeout=ctx.resolved_profile.ffmpeg_timeout)
    cues = line_cues(st.subtitles[language].meta.get("cues", []), script)
    names = {c.slug: c.name for c in script.characters}
    verdict = judge_lip_sync(lip_sync_figures(readings, st.fps, voiced, cues), names)
    unmeasured = [f"shot {p.shot.index} not measured: {p.damaged} is missing or changed" for p in placed if p.damaged]
    return verdict.model_copy(update={"reasons": [*verdict.reasons, *unmeasured][:12]}) if unmeasured else verdict
