"""Lip-sync of a finished reel, measured from the reel itself: its picture, its first audio track, its subtitles.

Where the mouths are comes from the takes' face tracks (their positions, not their timing); who speaks each line
comes from the reel's subtitles ("Name: line"; a line without a name is the narrator's); when there is voice comes
from the decoded audio, with the run's score as the music-only baseline; whether a mouth is open comes from the
decoded frames against the takes as rendered. The same measures judge the reel at compose time
(reelgraph.agents.critic.lipsync), so the figures here and the verdict there agree.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import soundfile as sf

from reelgraph.agents.critic.lipsync import (
    Cue,
    LipSyncFigures,
    ShotFaces,
    judge_lip_sync,
    lip_sync_figures,
    read_mouths,
    voiced_intervals,
)
from reelgraph.errors import BackendError
from reelgraph.evals.audio_metrics import RATE, decode_audio, parse_srt_text
from reelgraph.media.ffmpeg import TIMEOUT_S, ffmpeg_exe
from reelgraph.media.mouths import FaceTrack
from reelgraph.schema import Script, ShotResult
from reelgraph.steps.lips import line_cues, picture_frames

LIP_METRICS = ("lip_open_frames", "lip_share_voiced", "lip_outside_own_lines", "lip_talking", "lip_defects")
"""The lip-sync keys of a run's metrics (None where no mouth was measured)."""


def reel_cues(reel: Path, script: Script) -> list[Cue]:
    """The lines of a reel's first subtitle track, each with who says it."""
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(reel), "-map", "0:s:0?",
            "-f", "srt", "pipe:"]
    proc = subprocess.run(args, capture_output=True, timeout=TIMEOUT_S, check=False)
    if proc.returncode != 0 and b"does not contain any stream" in proc.stderr:
        return []  # a reel with no spoken line has no subtitle track
    if proc.returncode != 0:
        raise BackendError(f"reading the subtitles of {reel.name}: {proc.stderr.decode('utf-8', 'replace')[-300:]}")
    text = proc.stdout.decode("utf-8", "replace").replace("\u2060", "")
    return line_cues(parse_srt_text(text), script)


def tracked_takes(run: Path, script: Script, fps: int) -> list[ShotFaces]:
    """The kept takes that have a face track, where they sit in the reel's picture."""
    out, first = [], 0
    for shot in script.shots:
        result = ShotResult.model_validate_json((run / f"shots/shot{shot.index:02d}/kept.json").read_text("utf-8"))
        clip, frames = result.best.clip, picture_frames(shot, fps)
        ref = clip.meta.get("faces")
        if isinstance(ref, dict) and (run / ref["path"]).is_file():
            track = FaceTrack.from_json(json.loads((run / ref["path"]).read_text(encoding="utf-8")))
            out.append(ShotFaces(first, frames, run / clip.path, track))
        first += frames
    return out


def reel_lip_sync(run: Path, reel: Path | None = None) -> LipSyncFigures | None:
    """The lip-sync figures of a run's reel (default `reel_final.mp4`); None when no take has a face track."""
    reel = reel or run / "reel_final.mp4"
    script = Script.model_validate_json((run / "script.json").read_text(encoding="utf-8"))
    fps = int(json.loads((run / "run.json").read_text(encoding="utf-8"))["request"]["fps"])
    takes = tracked_takes(run, script, fps)
    if not takes:
        return None
    music_path = run / "audio" / "music.wav"
    music, music_rate = sf.read(str(music_path), dtype="float32", always_2d=True) if music_path.is_file() \
        else (None, None)
    voiced = voiced_intervals(decode_audio(reel), RATE, music, music_rate)
    return lip_sync_figures(read_mouths(reel, takes), fps, voiced, reel_cues(reel, script))


def lip_metrics(run: Path) -> dict[str, Any]:
    """The run's lip-sync as eval metrics (LIP_METRICS)."""
    fig = reel_lip_sync(run) if (run / "reel_final.mp4").is_file() else None
    if fig is None or not fig.seen:
        return dict.fromkeys(LIP_METRICS)
    script = Script.model_validate_json((run / "script.json").read_text(encoding="utf-8"))
    verdict = judge_lip_sync(fig, {c.slug: c.name for c in script.characters})
    share, talking = fig.share_voiced, fig.talking
    return {"lip_open_frames": fig.open, "lip_share_voiced": None if share is None else round(share, 3),
            "lip_outside_own_lines": fig.outside_own_lines,
            "lip_talking": None if talking is None else round(talking, 3), "lip_defects": list(verdict.defects)}
