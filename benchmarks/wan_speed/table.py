"""The table: a 30-step clip extrapolated from the measured forwards, one row per configuration (measured, or
scaled and composed from measured parts)."""

from __future__ import annotations

from typing import Any

from benchmarks.wan_speed.bench import SpeedBench, attention_suffix
from benchmarks.wan_speed.models import set_scheduler
from benchmarks.wan_speed.settings import CLIP_STEPS, FEW_STEPS, REFERENCE_720P_EAGER_FORWARD_S, TOGETHER_CACHE_RATIO
from reelgraph.backends.diffusers.speed.first_block_cache import fixed_skip_plan
from reelgraph.backends.diffusers.wan_loop import expert_names


def clip_seconds(b: SpeedBench, size: str, s_fwd: float, *, cfg: bool = True, g2_unit: bool = False,
                 batch: bool = False, ratio: float = 0.0, skip_frac: float | None = None,
                 steps: int = CLIP_STEPS) -> tuple[float, float]:
    """(seconds per step, seconds per clip) of a `steps`-step clip: forwards per step by expert and switch, cached
    steps at `skip_frac` of a forward, plus the VAE encode (prepare) and decode measured whole."""
    experts = b.results["experts_30_steps"].get(size) or []
    if steps != CLIP_STEPS or not experts:
        set_scheduler(b, size)
        experts = expert_names(b.pipe, steps)
    plan = fixed_skip_plan(experts, ratio) if ratio else [False] * len(experts)
    total = 0.0
    for e, skipped in zip(experts, plan, strict=True):
        n = 1 if (not cfg or batch or (g2_unit and e == "transformer_2")) else 2
        total += n * s_fwd * ((skip_frac or 0.0) if skipped else 1.0)
    extra = (b.results["prepare_s"].get(size) or 0.0) + (b.results["decode"].get(size, {}).get("s") or 0.0)
    return total / len(experts), total + extra


def _find(b: SpeedBench, config_prefix: str, size: str) -> dict[str, Any] | None:
    rows = [r for r in b.results["runs"] if r["config"].startswith(config_prefix) and r["size"] == size]
    return rows[-1] if rows else None


def table_rows(b: SpeedBench) -> list[dict[str, Any]]:
    """One row per configuration: s/step and min/clip at each size (measured, or scaled from the other size by
    the exact compiled forward ratio: marked ~), peak memory, error vs exact."""
    sizes = b.table_sizes
    ratio_720 = None
    c480, c720 = _find(b, "compile", "480p"), _find(b, "compile", "720p")
    if c480 and c720 and c480["attention"] == c720["attention"] == "default":
        ratio_720 = c720["s_per_forward"] / c480["s_per_forward"]
    skip = next((r for r in b.results["runs"] if r.get("skipped_forward_s")
                 and r["config"].startswith("first-block cache")), None)
    skip_frac = skip["skipped_forward_s"] / skip["s_per_forward"] if skip else None  # eager bf16, diffusers' hooks
    specs: list[tuple[str, str, dict[str, Any]]] = [
        ("exact (eager bf16, SDPA)", "exact (eager bf16, SDPA)", {}),
        ("compile (regional)", "compile", {"match": "exact"}),
    ]
    att = b.results.get("attention_choice", "default")
    if att != "default":
        specs.append((f"compile + {att}", f"compile + {att}", {}))
    specs += [
        ("batched CFG (eager)", "batched CFG", {"batch": True}),
        ("skip uncond where g=1 (g2=1, eager)", "skip unconditional", {"g2_unit": True}),
        ("g2=1 as diffusers runs it (eager)", "exact, g2=1", {}),
        ("first-block cache 30 % skips (eager)", "first-block cache", {"ratio": 0.3}),
        ("first-block cache 50 % skips (eager)", "first-block cache", {"ratio": 0.5}),
        ("fp8 linear + compile", "fp8 linear + compile", {"exact_prefix": True}),
        *([(f"fp8 + compile{attention_suffix(att)}", f"fp8 linear + compile{attention_suffix(att)}", {})]
          if att != "default" else []),
        ("few-step preset (4 steps, no CFG)", "few-step preset", {"cfg": False, "steps": FEW_STEPS}),
    ]
    rows = []
    seen_labels: set[str] = set()
    for label, prefix, opt in specs:
        if label in seen_labels:
            continue
        seen_labels.add(label)
        row: dict[str, Any] = {"configuration": label, "sizes": {}}
        measured = {s: _find(b, prefix, s) for s in sizes}
        if opt.get("match") == "exact":
            measured = {s: next((r for r in reversed(b.results["runs"]) if r["config"] == "compile"
                                 and r["size"] == s), None) for s in sizes}
        if opt.get("exact_prefix"):
            measured = {s: next((r for r in reversed(b.results["runs"]) if r["config"] == prefix
                                 and r["size"] == s), None) for s in sizes}
        if not any(measured.values()):
            continue
        for s in sizes:
            r = measured[s]
            approx = False
            if r is not None:
                fwd = r["s_per_forward"]
            elif label.startswith("exact") and s == "720p" and not b.args.tiny:
                fwd, approx = REFERENCE_720P_EAGER_FORWARD_S, True  # visual_gpu's measurement on the H100
            else:
                other = next((m for m in measured.values() if m), None)
                if other is None or ratio_720 is None:
                    continue
                fwd = other["s_per_forward"] * (ratio_720 if s == "720p" else 1 / ratio_720)
                approx = True
            kwargs = {k: opt[k] for k in ("cfg", "g2_unit", "batch", "ratio", "steps") if k in opt}
            if opt.get("ratio") and skip_frac is None:
                continue
            per_step, clip = clip_seconds(b, s, fwd, skip_frac=skip_frac, **kwargs)
            row["sizes"][s] = {"s_per_forward": round(fwd, 3), "s_per_step": round(per_step, 3),
                               "min_per_clip": round(clip / 60, 2), "approx": approx,
                               "peak_gib": None if r is None else r["peak_gib"],
                               "rel_err": None if r is None else r["rel_err"]}
        rows.append(row)
    # all together: measured where a together run with that share of cache skips ran at a size; composed (~) from a
    # together run of another share (its measured forward and skipped-forward costs), else from the fp8 forward and
    # the eager cache run's skip cost; the few-step preset on fp8 weights is always composed
    row2 = {"configuration": "composed: few-step preset on fp8 + compile + attention", "sizes": {}, "composed": True}
    runs = [r for r in b.results["runs"] if r["config"].startswith("together") and r.get("cache_fixed_ratio")
            and r.get("skipped_forward_s")]
    ratios = sorted({TOGETHER_CACHE_RATIO, 0.5, *(r["cache_fixed_ratio"] for r in runs)})
    for ratio in ratios:
        row = {"configuration": f"together: fp8 + compile + attention + g2=1 skip + {ratio:.0%} cache skips".replace(
            "%", " %"), "sizes": {}}
        for s in sizes:
            at_size = [r for r in runs if r["size"] == s]
            together = next((r for r in reversed(at_size) if abs(r["cache_fixed_ratio"] - ratio) < 1e-6), None)
            base = together or (at_size[-1] if at_size else None)
            fp8 = base or _find(b, "fp8 linear + compile", s)
            if base is not None:
                frac = base["skipped_forward_s"] / base["s_per_forward"]
                per_step, clip = clip_seconds(b, s, base["s_per_forward"], g2_unit=True, ratio=ratio, skip_frac=frac)
                row["sizes"][s] = {"s_per_forward": base["s_per_forward"], "s_per_step": round(per_step, 3),
                                   "min_per_clip": round(clip / 60, 2), "approx": together is None,
                                   "peak_gib": base["peak_gib"], "rel_err": together and together["rel_err"],
                                   "skipped_forward_share": round(frac, 4), "attention": base.get("attention")}
            elif fp8 is not None and skip_frac is not None:
                per_step, clip = clip_seconds(b, s, fp8["s_per_forward"], g2_unit=True, ratio=ratio,
                                              skip_frac=skip_frac)
                row["sizes"][s] = {"s_per_forward": fp8["s_per_forward"], "s_per_step": round(per_step, 3),
                                   "min_per_clip": round(clip / 60, 2), "approx": True, "peak_gib": fp8["peak_gib"],
                                   "rel_err": None}
            if fp8 is not None and ratio == ratios[0]:
                per_step, clip = clip_seconds(b, s, fp8["s_per_forward"], cfg=False, steps=FEW_STEPS)
                row2["sizes"][s] = {"s_per_forward": fp8["s_per_forward"], "s_per_step": round(per_step, 3),
                                    "min_per_clip": round(clip / 60, 2), "approx": True, "peak_gib": fp8["peak_gib"],
                                    "rel_err": None}
        if any(v["approx"] for v in row["sizes"].values()):
            row["composed"] = True
        if row["sizes"]:
            rows.append(row)
    if row2["sizes"]:
        rows.append(row2)
    return rows
