"""The heuristic critic is no vision model: it measures exposure, contrast, sharpness, flicker, motion, seam continuity
and caption legibility, and judges the take against its shot: every character the shot lists is found in the
keyframe by laying its master's template over it (cast.py): visible, whole, its face clear, its colours kept; and
nobody else from the cast is in frame. The measures become a score with named defects.

BRISQUE (opencv-contrib's quality module) is not used: its model files ship in no pip package.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from reelgraph.agents.critic.base import TakeReview, sample_indices
from reelgraph.agents.critic.cast import Box, Frame, signature
from reelgraph.agents.critic.measures import caption_band
from reelgraph.errors import BackendError, CriticError
from reelgraph.media.ffmpeg import decode_frames
from reelgraph.schema import Defect, Shot, Verdict


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


VISIBLE = 0.5  # template match above which a character is in frame (clean takes: 1st percentile 0.66)
RECOGNISED = 0.3  # ... above which it is there but does not look like its master (identity drift)
HEAD_KEPT = 0.38  # head-band match (relative to the body's) under which the face is covered (clean: p1 0.43)
EXTRA = 0.8  # template match above which a cast member the shot does not list is in frame
EXTRA_PARTS = 0.5  # ... with each of its colours matched at least this well
CAPTION_CONTRAST = 70.0  # luma levels between a caption band's background and its text
WORK_W = 320  # the keyframe is judged at this width


def score_measures(m: dict[str, float]) -> tuple[float, list[Defect], list[str]]:
    """Score 0–10, defect names and reasons from the picture-wide measures."""
    score = 10.0
    defects: list[Defect] = []
    reasons: list[str] = []

    def hit(defect: Defect, penalty: float, reason: str) -> None:
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
    if m.get("seam", 0) > 30:
        hit("seam_mismatch", 2.0, f"first frame differs from the previous shot's last by {m['seam']:.0f}")
    if m.get("caption_contrast", 255) < CAPTION_CONTRAST:
        hit("caption_illegible", 3.5, f"the caption's text stands only {m['caption_contrast']:.0f} levels off its band")
    return max(0.0, round(score, 2)), defects, reasons


Hit = tuple[Defect, float, str]  # defect, penalty, reason


def _overlap(a: Box, b: Box) -> bool:
    """Whether two figure boxes share more than a sliver (an unlisted match on a listed figure is that figure)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return ix * iy > 0.15 * min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))


def judge_cast(shot: Shot, masters: dict[str, Path], rgb: np.ndarray, names: dict[str, str] | None = None,
               bottom: float = 1.0, kinds: dict[str, str] | None = None) -> tuple[dict[str, float], list[Hit]]:
    """Find every character the shot lists in a frame (RGB) and check it against its master; look for cast members
    the shot does not list. Returns measures and (defect, penalty, reason) hits. An animal seen side-on has its head
    at one end: only people and robots are checked for being cut by the frame's edge."""
    kinds = kinds or {}
    names = names or {s: s.replace("_", " ").replace("-", " ").title() for s in masters}
    frame = Frame(rgb, bottom)
    sigs = {slug: sig for slug, p in masters.items() if p.exists() and (sig := signature(p)) is not None}
    m: dict[str, float] = {}
    hits: list[Hit] = []
    taken: list[Box] = []
    for i, slug in enumerate(s for s in shot.characters if s in sigs):
        name, found = names.get(slug, slug), frame.find(sigs[slug], taken)
        m[f"identity_{slug}"] = found.match if found else 0.0
        m[f"visible_{slug}"] = float(found is not None and found.match >= VISIBLE and not found.cut)
        if found is None or found.match < RECOGNISED:
            hits.append(("missing_character", 4.0, f"{name} is not visible"))
            continue
        taken.append(found.box)
        x0, y0, x1, y1 = found.box
        m |= {f"face_{slug}": found.head, f"x_{slug}": (x0 + x1) / 2, f"y_{slug}": y0, f"width_{slug}": x1 - x0,
              f"height_{slug}": y1 - y0, f"size_{slug}": found.size}
        back = shot.framing == "over_shoulder" and i == 0  # seen from behind, at the frame's edge: no face to see
        if found.match < VISIBLE:
            hits.append(("identity_drift", 3.5, f"{name} is there but matches the master only {found.match:.0%}"))
        elif found.cut and not back and kinds.get(slug, "person") in ("person", "robot"):
            hits.append(("missing_character", 4.0, f"{name} is cut by the frame's edge"))
        elif found.head < HEAD_KEPT and not back:
            hits.append(("covered_face", 3.5, f"{name}'s face is covered ({found.head:.0%} of it visible)"))
    for slug, sig in sigs.items():
        if slug in shot.characters:
            continue
        found = frame.find(sig, taken)
        m[f"extra_{slug}"] = found.match if found else 0.0
        clear = found is not None and not any(_overlap(found.box, box) for box in taken)
        # a whole figure: its face in frame and clear, and every part of its look where it should be (a scene that
        # shares a figure's trousers and shoes matches a giant template whose head is above the frame)
        if found is not None and clear and found.match >= EXTRA and found.head_seen and found.head >= 0.6 and \
                found.parts >= EXTRA_PARTS:
            hits.append(("extra_character", 3.5, f"{names.get(slug, slug)} is in frame; the shot does not list them"))
    return m, hits


class HeuristicCritic:
    """Scores takes from measurable image and clip properties and from the cast found in frame (no vision model)."""

    name = "heuristic"

    def __init__(self, config: object = None):
        self.config = config

    def judge(self, review: TakeReview) -> Verdict:
        """A verdict on one take from its clip's measures and the cast found in its keyframe."""
        w, h = 320, max(2, round(320 * review.height / review.width / 2) * 2)
        try:
            frames = decode_frames(review.clip, width=w, height=h)
        except BackendError as e:
            raise CriticError(f"critic cannot read {review.clip.name}: {e}") from e
        if len(frames) < 2:
            raise CriticError(f"critic: {review.clip.name} has {len(frames)} frame(s)")
        idx = sample_indices(len(frames))
        small = frames[:, ::2, ::2].astype(np.float32)  # flicker and motion need every frame, not every pixel
        luma_small = _luma(small)
        luma = _luma(frames[idx].astype(np.float32))
        means = luma_small.mean(axis=(1, 2))
        m = {
            "exposure": float(luma.mean()),
            "contrast": float(luma.std(axis=(1, 2)).mean()),
            "sharpness": float(np.median([_sharpness(f) for f in luma])),
            "flicker": float(np.abs(np.diff(means, 2)).mean()) if len(means) > 2 else 0.0,
            "motion": float(np.abs(np.diff(luma_small, axis=0)).mean()) * 2,
        }
        if review.previous_last_frame is not None:
            prev = np.asarray(Image.fromarray(review.previous_last_frame).resize((w, h)), np.float32)
            m["seam"] = float(np.abs(prev - frames[0].astype(np.float32)).mean())
        key = frames[0]
        if review.keyframe is not None and review.keyframe.exists():
            with Image.open(review.keyframe) as im:
                size = (WORK_W, max(2, round(WORK_W * im.height / im.width)))
                key = np.asarray(im.convert("RGB").resize(size, Image.Resampling.BOX))
        band = caption_band(key.astype(np.float32))
        if band is not None and review.shot.action:
            m["caption_contrast"] = band["contrast"]
        score, defects, reasons = score_measures(m)
        if m["exposure"] >= 45 and (review.shot.characters or review.masters):
            cast, hits = judge_cast(review.shot, review.masters, key, review.names, bottom=band["top"] if band else 1.0,
                                    kinds=review.kinds)
            m |= cast
            for defect, penalty, reason in hits:
                if defect not in defects:
                    defects.append(defect)
                score -= penalty
                reasons.append(reason)
        elif review.shot.characters:
            reasons.append("too dark to look for the characters")
        return Verdict(score=max(0.0, round(score, 2)), defects=defects, reasons=reasons[:12] or ["no defect measured"],
                       frames=idx, metrics={k: round(v, 4) for k, v in m.items()}, critic=self.name)

    def judge_image(self, image: Path) -> Verdict:
        """A verdict on a still (a character master) from its exposure, contrast and sharpness."""
        try:
            rgb = np.asarray(Image.open(image).convert("RGB"), np.float32)
        except OSError as e:
            raise CriticError(f"critic cannot read {image.name}: {e}") from e
        luma = _luma(rgb)
        m = {"exposure": float(luma.mean()), "contrast": float(luma.std()), "sharpness": _sharpness(luma)}
        score, defects, reasons = score_measures(m)
        return Verdict(score=score, defects=defects, reasons=reasons or ["no defect measured"], frames=[0],
                       metrics={k: round(v, 4) for k, v in m.items()}, critic=self.name)
