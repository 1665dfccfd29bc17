"""Contact sheet of a run: the middle frame of every kept take, labelled with its shot and score."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from reelgraph.media.ffmpeg import decode_frames

TILE_W = 160
COLUMNS = 6


def contact_sheet(run: Path) -> bytes:
    """PNG bytes of the kept takes' middle frames, in shot order (a grid of at most COLUMNS per row)."""
    meta = json.loads((run / "run.json").read_text(encoding="utf-8"))["request"]
    tile_h = max(2, round(TILE_W * meta["height"] / meta["width"] / 2) * 2)
    tiles = []
    for kept in sorted(run.glob("shots/shot*/kept.json")):
        data = json.loads(kept.read_text(encoding="utf-8"))
        take = next(t for t in data["takes"] if t["attempt"] == data["kept"])
        frames = decode_frames(run / take["clip"]["path"], width=TILE_W, height=tile_h)
        tile = Image.fromarray(np.ascontiguousarray(frames[len(frames) // 2]))
        score = take["verdict"]["score"] if take.get("verdict") else None
        label = f"{data['shot']}" + (f": {score:.1f}" if score is not None else "")
        draw = ImageDraw.Draw(tile)
        draw.rectangle((0, 0, 8 + 7 * len(label), 13), fill=(0, 0, 0))
        draw.text((3, 1), label, fill=(255, 255, 255))
        tiles.append(tile)
    if not tiles:
        raise ValueError(f"{run} has no kept take")
    cols = min(COLUMNS, len(tiles))
    rows = -(-len(tiles) // cols)
    sheet = Image.new("RGB", (cols * (TILE_W + 2), rows * (tile_h + 2)), (32, 32, 32))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % cols) * (TILE_W + 2), (i // cols) * (tile_h + 2)))
    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    return buf.getvalue()
