"""Who is in the frame, measured from pixels: each character the shot lists is looked for in the keyframe by its
master, and checked (visible, whole, its face clear, its colours kept); a cast member the shot does not list is
looked for too. Nothing here reads the renderer's layout: only the master and the take's pixels.

A master is one figure on a plain background. Its flat colours are the character's signature, and the figure laid on
a coarse grid (which colour sits where) is its template. In a frame, blobs of the figure's most distinctive colour
(the anchor: coat, fur, a robot's body) propose where and how large the figure is; the template is then laid over
each proposal at a few nearby positions and scales, mirrored or not (figures turn), and the share of its cells whose
pixel has the master's colour there is the match. The head band of the template (its top fifth) must match too: a
face hidden behind a prop leaves the body matching and the head not. Colours are compared as chromaticity and log
intensity, which forgives exposure and tinted light; the template's layout is what tells a figure from a scene that
happens to share a colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

MIN_SHARE = 0.03  # a colour must cover this share of the master's figure to count
HEAD_BAND = 0.2  # the top fraction of the figure that holds the head
TOL = 0.075  # colour distance (chromaticity + log intensity) under which a pixel has a master colour
GRID = (48, 24)  # template cells over the figure's box: rows, columns
MIN_BLOB = 0.001  # share of the frame a blob of the anchor colour must cover to be looked at
CUT = 0.75  # share of the figure's width in frame under which it is cut by the frame's edge
PART_SHARE = 0.08  # a colour covering this share of the figure's cells is one of its parts
SCALES = (0.85, 1.0, 1.18)
SHIFTS = (-0.1, 0.0, 0.1)
Box = tuple[float, float, float, float]


def features(rgb: np.ndarray) -> np.ndarray:
    """Colour features of RGB pixels: chromaticity r, g (faded out near black) and log intensity."""
    x = rgb.astype(np.float32) / 255.0
    total = x.sum(-1) + 1e-3
    inten = total / 3
    trust = np.clip(inten / 0.12, 0.0, 1.0)
    r = (x[..., 0] / total - 1 / 3) * trust
    g = (x[..., 1] / total - 1 / 3) * trust
    li = np.log2(inten + 0.02) * 0.06
    return np.stack([r, g, li], -1)


@dataclass(frozen=True)
class Signature:
    """What a character looks like, from its master."""

    colours: np.ndarray  # (K, 3) features of the figure's flat colours, the anchor first
    cells: np.ndarray  # (N, 3) template cells: u (0..1 across the figure), v (0..1 down), colour index
    anchor_boxes: tuple[Box, ...]  # each colour's wide rows in figure fractions (x0, y0, x1, y1), the anchor first
    aspect: float  # the figure's height / width


def _figure_mask(rgb: np.ndarray) -> np.ndarray:
    edge = np.concatenate([rgb[:, :4], rgb[:, -4:]], 1)
    bg = np.median(edge, axis=1, keepdims=True)
    mask: np.ndarray = np.abs(rgb.astype(np.float32) - bg).sum(-1) > 45
    return mask


def _body(mask: np.ndarray) -> tuple[int, int, int, int]:
    """The box of a blob's wide rows (a torso, not a thin post or leg it touches): x0, y0, x1, y1."""
    rows = mask.sum(1)
    keep = rows >= 0.4 * rows.max()
    ys = np.nonzero(keep)[0]
    xs = np.nonzero(mask[keep].any(0))[0]
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _distinct(cols: np.ndarray) -> np.ndarray:
    """How well each colour stands out: saturated mid-tones count fully, greys, near-blacks and near-whites less."""
    x = cols / 255.0
    chroma = x.max(-1) - x.min(-1)
    inten = x.mean(-1)
    return np.where((chroma >= 0.18) & (inten >= 0.18) & (inten <= 0.85), 1.0, 0.3)


@lru_cache(maxsize=64)
def _signature(path: str, mtime: float) -> Signature | None:
    with Image.open(path) as im:
        rgb = np.asarray(im.convert("RGB"))
    step = max(1, min(rgb.shape[:2]) // 256)
    rgb = rgb[::step, ::step].astype(np.int32)  # nearest samples keep the flat colours exact
    mask = _figure_mask(rgb)
    if mask.sum() < 50:
        return None
    flat = rgb[mask]
    keys = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    values, counts = np.unique(keys, return_counts=True)
    order = [i for i in np.argsort(counts)[::-1] if counts[i] / len(keys) >= MIN_SHARE][:8]
    if not order:
        return None
    cols = np.array([[(values[i] >> 16) & 255, (values[i] >> 8) & 255, values[i] & 255] for i in order], np.float32)
    shares = counts[order] / len(keys)
    feats = features(cols)
    keep: list[int] = []
    for i in range(len(cols)):  # shades too close to tell apart count as one colour
        twin = next((j for j in keep if np.sqrt(((feats[i] - feats[j]) ** 2).sum()) < TOL / 2), None)
        if twin is None:
            keep.append(i)
        else:
            shares[twin] += shares[i]
    cols, shares = cols[keep], shares[keep]
    first = int(np.argmax(shares * _distinct(cols) * (shares >= 0.12)))  # a large colour that stands out
    cols = cols[[first, *(i for i in range(len(cols)) if i != first)]]
    ys, xs = np.nonzero(mask)
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    d = np.sqrt(((features(rgb)[..., None, :] - features(cols)) ** 2).sum(-1))
    index = np.where(mask & (d.min(-1) < TOL / 2), d.argmin(-1), -1)
    rows, columns = GRID
    gy = np.clip((y0 + (np.arange(rows) + 0.5) / rows * (y1 - y0)).astype(int), 0, mask.shape[0] - 1)
    gx = np.clip((x0 + (np.arange(columns) + 0.5) / columns * (x1 - x0)).astype(int), 0, mask.shape[1] - 1)
    grid = index[np.ix_(gy, gx)]
    v, u = np.nonzero(grid >= 0)
    cells = np.stack([(u + 0.5) / columns, (v + 0.5) / rows, grid[v, u]], -1).astype(np.float32)
    fw, fh = x1 - x0, y1 - y0
    boxes = []
    for k in range(len(cols)):
        bx0, by0, bx1, by1 = _body(index == k) if (index == k).any() else (x0, y0, x1, y1)
        boxes.append(((bx0 - x0) / fw, (by0 - y0) / fh, (bx1 - x0) / fw, (by1 - y0) / fh))
    return Signature(colours=features(cols), cells=cells, anchor_boxes=tuple(boxes),
                     aspect=float(fh / fw))


def signature(master: Path) -> Signature | None:
    """The character's signature from its master image (cached per file version); None if no figure is found."""
    return _signature(str(master), master.stat().st_mtime)


@dataclass
class Found:
    """A character found in a frame: the figure's box and how well the master's template matches there."""

    match: float  # 0..1: share of the template's cells in frame whose pixel has the master's colour
    head: float  # the head band's match relative to the body's (1: the head as visible as the body)
    box: Box  # the figure's box in frame fractions (may reach outside the frame)
    inside: float  # share of the template's cells inside the frame
    cut: bool  # the figure runs off the frame's left or right edge, head first
    parts: float = 1.0  # the worst match among the figure's colours (each part of its look where it should be)
    head_seen: bool = True  # enough of the head band is in frame to judge it

    @property
    def size(self) -> float:
        """Visible height of the figure as a fraction of the frame height."""
        return max(0.0, min(1.0, self.box[3]) - max(0.0, self.box[1]))


class Frame:
    """One frame prepared for the search: colour features of the picture (above a caption band)."""

    def __init__(self, rgb: np.ndarray, bottom: float = 1.0):
        h = max(2, round(rgb.shape[0] * bottom))
        self.feat = features(rgb[:h])
        self.h, self.w = self.feat.shape[:2]

    def labels(self, sig: Signature) -> np.ndarray:
        """For every master colour, the pixels that have it: (K, h, w) booleans."""
        near: np.ndarray = np.sqrt(((self.feat[None] - sig.colours[:, None, None, :]) ** 2).sum(-1)) < TOL
        return near

    def proposals(self, labels: np.ndarray, sig: Signature, anchor: int = 0) -> list[Box]:
        """Figure boxes (pixels: x0, y0, width, height) proposed by the blobs of one colour (the anchor)."""
        mask = ndimage.binary_opening(labels[anchor], structure=np.ones((2, 2)))
        lab, n = ndimage.label(mask)
        if n == 0:
            return []
        areas = ndimage.sum(mask, lab, range(1, n + 1))
        objects = ndimage.find_objects(lab)
        ax0, ay0, ax1, ay1 = sig.anchor_boxes[anchor]
        out: list[Box] = []
        for i in np.argsort(areas)[::-1][:5]:
            if areas[i] < MIN_BLOB * self.h * self.w:
                break
            ys, xs = objects[i]
            bx0, by0, bx1, by1 = _body(lab[objects[i]] == i + 1)
            bx0, bx1, by0, by1 = xs.start + bx0, xs.start + bx1, ys.start + by0, ys.start + by1
            fw = (bx1 - bx0) / max(ax1 - ax0, 1e-3)
            fh_from_w = fw * sig.aspect
            fh_from_h = (by1 - by0) / max(ay1 - ay0, 1e-3)
            at_edge = bx0 <= 1 or bx1 >= self.w - 1  # a blob cut by the frame's side: its width tells nothing
            for fh in {round(fh_from_w, 1), round(fh_from_h, 1)} if at_edge else {round(fh_from_w, 1)}:
                fw2 = fh / sig.aspect
                cx = (bx0 + bx1) / 2
                if bx0 <= 1 < bx1 < self.w - 1:  # cut by the left edge: the blob is the figure's right part
                    cx = bx1 - (ax1 - 0.5) * fw2
                elif bx1 >= self.w - 1 > bx0 > 1:
                    cx = bx0 + (0.5 - ax0) * fw2
                out.append((cx - fw2 / 2, by0 - ay0 * fh, fw2, fh))
        return out

    def _cells(self, labels: np.ndarray, sig: Signature, box: Box, mirror: bool, pick: np.ndarray,
               dx: float = 0.0, dy: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """(hit, inside) of the picked template cells laid over `box` (pixels), moved by dx, dy (box fractions)."""
        x0, y0, fw, fh = box
        cells = sig.cells[pick]
        u = 1 - cells[:, 0] if mirror else cells[:, 0]
        px = (x0 + (u + dx) * fw).astype(int)
        py = (y0 + (cells[:, 1] + dy) * fh).astype(int)
        inside = (px >= 0) & (px < self.w) & (py >= 0) & (py < self.h)
        hit = np.zeros(len(px), bool)
        hit[inside] = labels[cells[inside, 2].astype(int), py[inside], px[inside]]
        return hit, inside

    def score(self, labels: np.ndarray, sig: Signature, box: Box, mirror: bool) -> tuple[float, float, float]:
        """(match, share inside, share of the rows' cells inside sideways) of the template laid over `box` (pixels);
        the head is judged afterwards, at small offsets around this placement."""
        body = np.ones(len(sig.cells), bool)
        hit, inside = self._cells(labels, sig, box, mirror, body)
        x0, y0, fw, fh = box
        py = (y0 + sig.cells[:, 1] * fh).astype(int)
        rows_in = (py >= 0) & (py < self.h)
        sideways = float(inside.sum() / max(1, rows_in.sum()))
        if inside.sum() < 0.25 * len(hit):
            return 0.0, float(inside.mean()), sideways
        return float(hit[inside].mean()), float(inside.mean()), sideways

    def head(self, labels: np.ndarray, sig: Signature, box: Box, mirror: bool) -> float | None:
        """The head band's match at the best of a few small offsets (a head turns and bends), or None when too little
        of it is in frame to judge."""
        pick = sig.cells[:, 1] < HEAD_BAND
        best: float | None = None
        for dy in (-0.06, -0.03, 0.0, 0.03, 0.06):
            for dx in (-0.1, -0.05, 0.0, 0.05, 0.1):
                hit, inside = self._cells(labels, sig, box, mirror, pick, dx, dy)
                if inside.sum() < max(8, 0.5 * len(hit)):
                    continue
                best = max(best or 0.0, float(hit[inside].mean()))
        return best

    def find(self, sig: Signature, taken: list[Box] | None = None) -> Found | None:
        """The best placement of the character's template near the blobs of its anchor colour and of its next two
        colours (a coat the scene shares, or a recoloured coat, still leaves the rest). None: no candidate at all."""
        labels = self.labels(sig)
        found: Found | None = None
        for anchor in range(min(3, len(sig.colours))):
            here = self._search(labels, sig, anchor, taken)
            if here is not None and (found is None or here.match > found.match):
                found = here
        return found

    def _search(self, labels: np.ndarray, sig: Signature, anchor: int, taken: list[Box] | None) -> Found | None:
        best: tuple[float, float, float, float, bool, Box] | None = None
        for x0, y0, fw, fh in self.proposals(labels, sig, anchor):
            for s in SCALES:
                w2, h2 = fw * s, fh * s
                cx, top = x0 + fw / 2, y0
                for dx in SHIFTS:
                    for dy in SHIFTS:
                        box = (cx - w2 / 2 + dx * w2, top + dy * h2, w2, h2)
                        if taken and any(_iou(_frac(box, self.w, self.h), t) > 0.5 for t in taken):
                            continue
                        for mirror in (False, True):
                            m, ins, side = self.score(labels, sig, box, mirror)
                            goal = m + 0.1 * side + 0.05 * ins  # a whole figure before a part of a larger one
                            if best is None or goal > best[0]:
                                best = (goal, m, ins, side, mirror, box)
        if best is None:
            return None
        _, m, ins, side, mirror, box = best
        head = self.head(labels, sig, box, mirror)
        kept = 1.0 if head is None else min(1.0, head / max(m, 1e-3))
        return Found(match=m, head=kept, box=_frac(box, self.w, self.h), inside=ins, cut=side < CUT,
                     parts=self.parts(labels, sig, box, mirror), head_seen=head is not None)

    def parts(self, labels: np.ndarray, sig: Signature, box: Box, mirror: bool) -> float:
        """The lowest match over the figure's colours that cover at least PART_SHARE of its cells: a scene that only
        shares a figure's main colour matches its template well overall, but not part by part."""
        every = np.ones(len(sig.cells), bool)
        hit, inside = self._cells(labels, sig, box, mirror, every)
        colour = sig.cells[:, 2].astype(int)
        worst = 1.0
        for k in range(len(sig.colours)):
            here = inside & (colour == k)
            if here.sum() >= PART_SHARE * max(1, inside.sum()):
                worst = min(worst, float(hit[here].mean()))
        return worst


def _frac(box: Box, w: int, h: int) -> Box:
    x0, y0, fw, fh = box
    return x0 / w, y0 / h, (x0 + fw) / w, (y0 + fh) / h


def _iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
