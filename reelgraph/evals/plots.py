"""The report's plots (matplotlib, rendered off-screen to PNG bytes)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STAGES = ["plan", "cast", "shots", "music", "voice", "compose"]


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="grey")


def score_distribution(rows: list[dict[str, Any]]) -> bytes:
    """Histogram of kept-take scores over every shot, with first takes' scores beside them."""
    kept = [s["score"] for r in rows for s in r.get("shots") or [] if s["score"] is not None]
    first = [s["scores"][0] for r in rows for s in r.get("shots") or [] if s["scores"] and s["scores"][0] is not None]
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    if kept:
        bins = [x * 0.5 for x in range(21)]
        ax.hist([first, kept], bins=bins, label=["first take", "kept take"], color=["#bbbbbb", "#2e86de"])
        ax.legend(loc="upper left", fontsize=8)
    else:
        _empty(ax, "no scored shot")
    ax.set(title="Critic score per shot", xlabel="score (0–10)", ylabel="shots", xlim=(0, 10.2))
    return _png(fig)


def attempts_histogram(rows: list[dict[str, Any]]) -> bytes:
    """How many takes each shot needed."""
    attempts = [s["attempts"] for r in rows for s in r.get("shots") or []]
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    if attempts:
        top = max(attempts)
        ax.hist(attempts, bins=[x + 0.5 for x in range(top + 1)], color="#10ac84", rwidth=0.8)
        ax.set_xticks(range(1, top + 1))
    else:
        _empty(ax, "no shot")
    ax.set(title="Takes per shot", xlabel="attempts", ylabel="shots")
    return _png(fig)


def stage_times(rows: list[dict[str, Any]]) -> bytes:
    """Seconds per stage, stacked, one bar per case."""
    named = [r for r in rows if r.get("stage_seconds")]
    fig, ax = plt.subplots(figsize=(max(5.0, 0.45 * len(named) + 2), 3.6))
    if named:
        ids = [r["id"] for r in named]
        bottom = [0.0] * len(named)
        extra = sorted({k for r in named for k in r["stage_seconds"]} - set(STAGES))
        for stage in STAGES + extra:
            vals = [r["stage_seconds"].get(stage, 0.0) for r in named]
            ax.bar(ids, vals, bottom=bottom, label=stage)
            bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
        ax.legend(fontsize=7, ncol=3)
        ax.tick_params(axis="x", rotation=70, labelsize=7)
    else:
        _empty(ax, "no timed case")
    ax.set(title="Wall time per stage", ylabel="seconds")
    return _png(fig)


def consistency(rows: list[dict[str, Any]]) -> bytes:
    """Identity distance to the master, per character (mean bar, worst shot marked)."""
    items = [(f"{r['id']}/{slug}", c["distance_mean"], c["distance_max"]) for r in rows
             for slug, c in (r.get("characters") or {}).items() if c["shots"]]
    fig, ax = plt.subplots(figsize=(max(5.0, 0.35 * len(items) + 2), 3.6))
    if items:
        labels = [i[0] for i in items]
        ax.bar(labels, [i[1] for i in items], color="#8e44ad", label="mean over shots")
        ax.scatter(labels, [i[2] for i in items], color="#e74c3c", marker="_", s=200, label="worst shot", zorder=3)
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=7)
        ax.tick_params(axis="x", rotation=70, labelsize=6)
    else:
        _empty(ax, "no character in frame")
    ax.set(title="Identity distance to master (0 = same look)", ylabel="distance")
    return _png(fig)


def all_plots(rows: list[dict[str, Any]]) -> dict[str, bytes]:
    """Every plot of the report as PNG bytes, by title."""
    return {"score distribution": score_distribution(rows), "attempts histogram": attempts_histogram(rows),
            "time per stage": stage_times(rows), "consistency per character": consistency(rows)}
