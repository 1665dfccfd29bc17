"""The caption band of a storyboard frame, measured from pixels: is there one, and can its text be read."""

from __future__ import annotations

import numpy as np


def caption_band(rgb: np.ndarray) -> dict[str, float] | None:
    """A caption band at the bottom of the frame, when the pixels show one: its text contrast (luma levels between
    the band's background and its text) and text share; None when the bottom of the frame is no caption band."""
    luma = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    h = luma.shape[0]
    best: dict[str, float] | None = None
    for frac in (0.1, 0.14, 0.18):
        band = luma[h - max(4, round(frac * h)):]
        bg = float(np.median(band))
        dev = np.abs(band - bg)
        quiet = dev < 14
        if quiet.mean() < 0.75:  # a band of its own colour behind the text, not a textured floor
            continue
        text = dev > 28
        share = float(text.mean())
        if not 0.01 <= share <= 0.4:
            continue
        rows_with_text = text.any(1)
        # text is strokes: many short runs across a row, in a block of rows, not a single edge
        runs = np.abs(np.diff(text.astype(np.int8), axis=1)).sum(1)
        if (runs[rows_with_text] >= 6).mean() < 0.3 or rows_with_text.mean() < 0.2:
            continue
        sep = band.shape[0]
        above = luma[h - sep - max(2, sep // 3): h - sep]
        edge = float(abs(np.median(above) - bg)) if len(above) else 0.0
        if edge < 20 and 50 <= bg <= 205:
            continue  # neither a band set off from the picture nor a dark or light plate: the scene's own ground
        contrast = float(np.median(dev[text]))
        if best is None or contrast > best["contrast"]:
            best = {"contrast": contrast, "share": share, "background": bg, "edge": edge, "top": 1 - sep / h}
    return best
