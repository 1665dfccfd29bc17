"""The heuristic critic is no vision model: it measures exposure, contrast, sharpness, flicker, motion, seam continuity
and how much of each character's master colours the clip keeps, and turns those measures into a score.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from reelgraph.agents.critic.base import TakeReview, sample_indices
from reelgraph.errors import BackendError, CriticError
from reelgraph.media.ffmpeg import decode_frames
from reelgraph.schema import Verdict


def _luma(frames: np.ndarray) -> np.ndarray:
    return frames[..., 0] * 0.299 + frames[..., 1] * 0.587 + frames[..., 2] * 0.114


def _sharpness(luma: np.ndarray) -> float:
    lap = (-4 * luma[1:-1, 1:-1] + luma[:-2, 1:-1] + luma[2:, 1:-1] + luma[1:-1, :-2] + luma[1:-1, 2:])
    return float(lap.var())


def _hues(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hue (degrees) and a mask of pixels saturated and bright enough for hue to mean something."""
    x = rgb.astype(np.float32) / 255.0
    mx, mn = x.max(-1), x.min(-1)
    delta = mx - mn
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    safe = np.where(delta == 0, 1, delta)
    h = np.where(mx == r, ((g - b) / safe) % 6, np.where(mx == g, (b - r) / safe + 2, (r - g) / safe + 4)) * 60
    return h, (delta > 0.2) & (mx > 0.15)


def master_hues(master: Path, top: int = 3) -> list[float]:
    """The dominant hues of a character in its master (the figure, not the plain background)."""
    rgb = np.asarray(Image.open(master).convert("RGB").resize((128, 128)))
    corner = rgb[:4, :4].reshape(-1, 3).mean(0)
    figure = np.abs(rgb.astype(np.float32) - corner).sum(-1) > 40
    h, ok = _hues(rgb)
    hist, _ = np.histogram(h[figure & ok], bins=24, range=(0, 360))
    return [float(i * 15 + 7.5) for i in np.argsort(hist)[::-1][:top] if hist[i] > 0]


def hue_presence(frames: np.ndarray, hues: list[float], tol: float = 20.0, min_share: float = 0.002) -> float:
    """Share of the given hues that appear in (nearly) every frame."""
    if not hues:
        return 1.0
    h, ok = _hues(frames)
    kept = 0.0
    for hue in hues:
        dist = np.minimum(np.abs(h - hue), 360 - np.abs(h - hue))
        share = ((dist < tol) & ok).reshape(len(frames), -1).mean(1)
        kept += float((share > min_share).mean())
    return kept / len(hues)


def score_measures(m: dict[str, float]) -> tuple[float, list[str], list[str]]:
    """Score 0–10, defect names and reasons from the measures."""
    score, defects, reasons = 10.0, [], []

    def hit(defect: str, penalty: float, reason: str) -> None:
        nonlocal score
        score -= penalty
        defects.append(defect)
        reasons.append(reason)

    if m["exposure"] < 45:
        hit("underexposed", min(7.5, (45 - m["exposure"]) / 4 + 3), f"mean luma {m['exposure']:.0f}/255 is too dark")
    elif m["exposure"] > 215:
        hit("overexposed", 4.0, f"mean luma {m['exposure']:.0f}/255 is blown out")
    if m["contrast"] < 18:
        hit("low_contrast", 3.0, f"luma spread {m['contrast']:.1f} is flat")
    if m["sharpness"] < 8:
        hit("blurry", 2.0, f"detail {m['sharpness']:.1f} is soft")
    if m.get("flicker", 0) > 4:
        hit("flicker", 3.0, f"brightness jumps {m['flicker']:.1f} levels between frames")
    if "motion" in m and m["motion"] < 0.05:
        hit("frozen", 2.5, "nothing moves")
    if m.get("identity", 1.0) < 0.5:
        hit("identity_drift", 2.5, f"only {m['identity']:.0%} of the characters' master colours are kept")
    if m.get("seam", 0) > 30:
        hit("seam_mismatch", 2.0, f"first frame differs from the previous shot's last by {m['seam']:.0f}")
    return max(0.0, round(score, 2)), defects, reasons


class HeuristicCritic:
    """Scores takes from measurable image and clip properties (no vision model)."""

    name = "heuristic"

    def __init__(self, config: object = None):
        self.config = config

    def judge(self, review: TakeReview) -> Verdict:
        w, h = 320, max(2, round(320 * review.height / review.width / 2) * 2)
        try:
            frames = decode_frames(review.clip, width=w, height=h)
        except BackendError as e:
            raise CriticError(f"critic cannot read {review.clip.name}: {e}") from e
        if len(frames) < 2:
            raise CriticError(f"critic: {review.clip.name} has {len(frames)} frame(s)")
        idx = sample_indices(len(frames))
        sampled = frames[idx].astype(np.float32)
        luma_all = _luma(frames.astype(np.float32))
        luma = luma_all[idx]
        means = luma_all.mean(axis=(1, 2))
        m = {
            "exposure": float(luma.mean()),
            "contrast": float(luma.std(axis=(1, 2)).mean()),
            "sharpness": float(np.median([_sharpness(f) for f in luma])),
            "flicker": float(np.abs(np.diff(means, 2)).mean()) if len(means) > 2 else 0.0,
            "motion": float(np.abs(np.diff(luma_all, axis=0)).mean()),
        }
        hues = [master_hues(p) for slug, p in review.masters.items() if slug in review.shot.characters]
        if hues:
            m["identity"] = float(np.mean([hue_presence(sampled.astype(np.uint8), hs) for hs in hues]))
        if review.previous_last_frame is not None:
            prev = np.asarray(Image.fromarray(review.previous_last_frame).resize((w, h)), np.float32)
            m["seam"] = float(np.abs(prev - frames[0].astype(np.float32)).mean())
        score, defects, reasons = score_measures(m)
        return Verdict(score=score, defects=defects, reasons=reasons or ["no defect measured"], frames=idx,
                       metrics={k: round(v, 4) for k, v in m.items()}, critic=self.name)

    def judge_image(self, image: Path) -> Verdict:
        try:
            rgb = np.asarray(Image.open(image).convert("RGB"), np.float32)
        except OSError as e:
            raise CriticError(f"critic cannot read {image.name}: {e}") from e
        luma = _luma(rgb)
        m = {"exposure": float(luma.mean()), "contrast": float(luma.std()), "sharpness": _sharpness(luma)}
        score, defects, reasons = score_measures(m)
        return Verdict(score=score, defects=defects, reasons=reasons or ["no defect measured"], frames=[0],
                       metrics={k: round(v, 4) for k, v in m.items()}, critic=self.name)
