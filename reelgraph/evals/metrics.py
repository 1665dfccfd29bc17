"""Metrics of one finished run, per shot and per run, read from its run folder.

Per shot: kept take's critic score, attempts, first-pass acceptance, identity distance of each character to its
master, temporal flicker, seam difference at continuous shots, duration error. Per run: the same aggregated, reel
loudness and true peak, voice/subtitle timing, lip-sync (open-mouth frames, their share in voiced sound, mouths moving
outside their owner's lines: evals/lipsync.py), reel duration accuracy, checkpoint count and size; wall time and peak
memory per stage come from the worker that ran it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from reelgraph.agents.critic.heuristic import hue_presence, master_hues
from reelgraph.evals.audio_metrics import loudness, voice_timing
from reelgraph.evals.lipsync import LIP_METRICS, lip_metrics
from reelgraph.media.ffmpeg import decode_frames, probe_video
from reelgraph.run.lifecycle import stage_times
from reelgraph.schema import Script, ShotResult

SAMPLE_WIDTH = 160

RUN_METRICS = (
    "finished", "shots", "attempts_total", "attempts_mean", "first_pass_rate", "score_mean", "score_min",
    "identity_distance_mean", "identity_distance_max", "flicker_mean", "flicker_max", "continuous_seams", "seam_max",
    "shot_duration_error_max_s", "reel_duration_error_s", "loudness_lufs", "loudness_spread_lu", "true_peak_dbtp",
    "subtitle_offset_max_s", "subtitle_duration_error_max_s", "subtitle_overlap_s", "voice_truncated_s",
    *LIP_METRICS, "wall_s", "stage_seconds", "peak_rss_mb", "stage_peak_rss_mb", "children_peak_rss_mb",
    "checkpoint_count", "checkpoint_writes", "checkpoint_bytes", "checkpoint_file_bytes",
)
"""Every key a finished case's metrics carry (a value is None where it does not apply, e.g. no continuous shot)."""

SHOT_METRICS = ("shot", "kept", "attempts", "score", "scores", "first_pass", "defects", "identity", "flicker",
                "flicker_peak", "transition", "seam", "planned_s", "duration_s", "duration_error_s")


def _luma_means(frames: np.ndarray) -> np.ndarray:
    f = frames.astype(np.float32)
    return (f[..., 0] * 0.299 + f[..., 1] * 0.587 + f[..., 2] * 0.114).mean(axis=(1, 2))


def flicker(frames: np.ndarray) -> tuple[float, float]:
    """Mean |second difference| of per-frame mean luma (the critic's flicker) and the largest frame-to-frame jump."""
    means = _luma_means(frames)
    mean2 = float(np.abs(np.diff(means, 2)).mean()) if len(means) > 2 else 0.0
    peak = float(np.abs(np.diff(means)).max()) if len(means) > 1 else 0.0
    return round(mean2, 3), round(peak, 3)


def seam(prev_last: np.ndarray, first: np.ndarray) -> float:
    """Mean absolute RGB difference (0–255) between the previous shot's last frame and this shot's first."""
    return round(float(np.abs(prev_last.astype(np.float32) - first.astype(np.float32)).mean()), 3)


def identity_distance(frames: np.ndarray, master: Path) -> float:
    """1 − share of the master's dominant hues kept through the clip: 0 is the master's look, 1 none of it."""
    return round(1.0 - hue_presence(frames, master_hues(master)), 3)


def _size(run: dict[str, Any]) -> tuple[int, int]:
    req = run["request"]
    return SAMPLE_WIDTH, max(2, round(SAMPLE_WIDTH * req["height"] / req["width"] / 2) * 2)


def shot_metrics(out: Path, script: Script, results: list[ShotResult], request: dict[str, Any],
                 masters: dict[str, Path]) -> list[dict[str, Any]]:
    """Per-shot measures of the kept takes, in shot order."""
    w, h = _size({"request": request})
    threshold = request["critic_threshold"]
    rows, prev_last = [], None
    for shot, result in zip(script.shots, results, strict=True):
        best = result.best
        frames = decode_frames(out / best.clip.path, width=w, height=h)
        scores = [t.verdict.score if t.verdict else None for t in result.takes]
        mean_flicker, peak_flicker = flicker(frames)
        duration = len(frames) / request["fps"]
        identity = {slug: identity_distance(frames, masters[slug]) for slug in shot.characters if slug in masters}
        rows.append({
            "shot": shot.index, "kept": result.kept, "attempts": len(result.takes),
            "score": best.verdict.score if best.verdict else None, "scores": scores,
            "first_pass": scores[0] is not None and scores[0] >= threshold,
            "defects": best.verdict.defects if best.verdict else [], "identity": identity,
            "flicker": mean_flicker, "flicker_peak": peak_flicker, "transition": shot.transition,
            "seam": seam(prev_last, frames[0]) if shot.transition == "continuous" and prev_last is not None else None,
            "planned_s": shot.duration, "duration_s": round(duration, 3),
            "duration_error_s": round(abs(duration - shot.duration), 3),
        })
        prev_last = frames[-1]
    return rows


def checkpoint_metrics(path: Path) -> dict[str, int]:
    """Checkpoints and pending writes in the run's SQLite checkpointer, with their stored bytes."""
    if not path.is_file():
        return {"checkpoint_count": 0, "checkpoint_writes": 0, "checkpoint_bytes": 0, "checkpoint_file_bytes": 0}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        count, cbytes = conn.execute(
            "SELECT count(*), coalesce(sum(length(checkpoint) + length(metadata)), 0) FROM checkpoints").fetchone()
        writes, wbytes = conn.execute("SELECT count(*), coalesce(sum(length(value)), 0) FROM writes").fetchone()
    finally:
        conn.close()
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    return {"checkpoint_count": count, "checkpoint_writes": writes, "checkpoint_bytes": cbytes + wbytes,
            "checkpoint_file_bytes": size}


def _mean(xs: list[float]) -> float | None:
    return round(float(np.mean(xs)), 3) if xs else None


def _max(xs: list[float]) -> float | None:
    return round(float(np.max(xs)), 3) if xs else None


def _min(xs: list[float]) -> float | None:
    return round(float(np.min(xs)), 3) if xs else None


def characters(script: Script, shots: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Identity distance of each character across the shots it appears in."""
    out = {}
    for c in script.characters:
        d = [s["identity"][c.slug] for s in shots if c.slug in s["identity"]]
        out[c.slug] = {"name": c.name, "shots": len(d), "distance_mean": _mean(d), "distance_max": _max(d),
                       "per_shot": {str(s["shot"]): s["identity"][c.slug] for s in shots if c.slug in s["identity"]}}
    return out


def run_metrics(out: Path, wall_s: float | None = None, memory: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every metric of a finished run folder (see RUN_METRICS), with `shots`, `characters` and `languages`."""
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    request = run["request"]
    script = Script.model_validate_json((out / "script.json").read_text(encoding="utf-8"))
    results = [ShotResult.model_validate_json((out / f"shots/shot{s.index:02d}/kept.json").read_text("utf-8"))
               for s in script.shots]
    masters = {c.slug: out / "masters" / f"{c.slug}.png" for c in script.characters
               if (out / "masters" / f"{c.slug}.png").is_file()}
    shots = shot_metrics(out, script, results, request, masters)
    langs: dict[str, dict[str, Any]] = {}
    for lang in script.languages:
        reel = out / f"reel_{lang}.mp4"
        langs[lang] = {**loudness(reel), "picture_s": round(probe_video(reel)["duration"], 3),
                       **voice_timing(out, script, lang)}
    scores = [s["score"] for s in shots if s["score"] is not None]
    identity = [d for s in shots for d in s["identity"].values()]
    seams = [s["seam"] for s in shots if s["seam"] is not None]
    lufs = [v["lufs"] for v in langs.values() if v["lufs"] is not None]
    memory = memory or {}
    metrics: dict[str, Any] = {
        "finished": (out / "reel_final.mp4").is_file(),
        "shots": len(shots),
        "attempts_total": sum(s["attempts"] for s in shots),
        "attempts_mean": _mean([s["attempts"] for s in shots]),
        "first_pass_rate": _mean([float(s["first_pass"]) for s in shots]),
        "score_mean": _mean(scores), "score_min": _min(scores),
        "identity_distance_mean": _mean(identity), "identity_distance_max": _max(identity),
        "flicker_mean": _mean([s["flicker"] for s in shots]), "flicker_max": _max([s["flicker"] for s in shots]),
        "continuous_seams": len(seams), "seam_max": _max(seams),
        "shot_duration_error_max_s": _max([s["duration_error_s"] for s in shots]),
        "reel_duration_error_s": _max([abs(v["picture_s"] - script.duration) for v in langs.values()]),
        "loudness_lufs": _mean(lufs),
        "loudness_spread_lu": round(max(lufs) - min(lufs), 3) if lufs else None,
        "true_peak_dbtp": _max([v["true_peak_dbtp"] for v in langs.values() if v["true_peak_dbtp"] is not None]),
        "subtitle_offset_max_s": _max([v["offset_max_s"] for v in langs.values()]),
        "subtitle_duration_error_max_s": _max([v["duration_error_max_s"] for v in langs.values()]),
        "subtitle_overlap_s": _max([v["overlap_s"] for v in langs.values()]),
        "voice_truncated_s": _max([v["truncated_s"] for v in langs.values()]),
        **lip_metrics(out),
        "wall_s": round(wall_s, 3) if wall_s is not None else None,
        "stage_seconds": stage_times(out),
        "peak_rss_mb": memory.get("peak_rss_mb"),
        "stage_peak_rss_mb": memory.get("stage_peak_rss_mb", {}),
        "children_peak_rss_mb": memory.get("children_peak_rss_mb"),
        **checkpoint_metrics(out / "checkpoints.sqlite"),
    }
    return {"metrics": metrics, "shots": shots, "characters": characters(script, shots), "languages": langs,
            "title": script.title, "planned_s": script.duration}
