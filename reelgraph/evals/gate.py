"""The regression gate: compare an eval's per-case metrics with a stored baseline, each within its tolerance."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reelgraph.errors import UsageError

FORMAT = "reelgraph-eval-baseline/1"


class Tolerance(BaseModel):
    """Which way is better, and how far a value may move the wrong way: max(abs, rel × |baseline|)."""

    model_config = ConfigDict(extra="forbid")

    better: Literal["higher", "lower", "near"]
    abs: float = Field(default=0.0, ge=0)
    rel: float = Field(default=0.0, ge=0)

    def limit(self, base: float) -> float:
        """How far a value may move the wrong way from this baseline value."""
        return max(self.abs, self.rel * abs(base))

    def worse(self, base: float, value: float) -> bool:
        """Whether `value` is worse than `base` by more than the limit (either way, for `near`)."""
        room = self.limit(base) + 1e-9
        if self.better == "higher":
            return value < base - room
        if self.better == "lower":
            return value > base + room
        return abs(value - base) > room


def _t(better: str, abs_: float = 0.0, rel: float = 0.0) -> Tolerance:
    return Tolerance(better=better, abs=abs_, rel=rel)  # type: ignore[arg-type]


DEFAULT_TOLERANCES: dict[str, Tolerance] = {
    "score_mean": _t("higher", 0.5),
    "score_min": _t("higher", 1.0),
    "identity_distance_max": _t("lower", 0.15),
    "identity_distance_mean": _t("lower", 0.1),
    "flicker_max": _t("lower", 1.0),
    "seam_max": _t("lower", 5.0),
    "continuous_seams": _t("near", 0),
    "shot_duration_error_max_s": _t("lower", 0.1),
    "reel_duration_error_s": _t("lower", 0.1),
    "loudness_lufs": _t("near", 1.5),
    "loudness_spread_lu": _t("lower", 1.0),
    "true_peak_dbtp": _t("lower", 0.5),
    "subtitle_offset_max_s": _t("lower", 0.05),
    "subtitle_duration_error_max_s": _t("lower", 0.05),
    "subtitle_overlap_s": _t("lower", 0.25),
    "voice_truncated_s": _t("lower", 0.25),
    "lip_share_voiced": _t("higher", 0.05),
    "lip_outside_own_lines": _t("lower", 0),
    "wall_s": _t("lower", 20.0, 2.0),
    "peak_rss_mb": _t("lower", 64.0, 0.5),
    "checkpoint_count": _t("lower", 2, 0.25),
    "checkpoint_bytes": _t("lower", 0, 0.5),
    "cast_recall": _t("higher", 0.01),
    "cast_precision": _t("higher", 0.01),
    "place_accuracy": _t("higher", 0.0),
    "place_shot_share": _t("higher", 0.1),
    "coverage": _t("higher", 0.05),
    "distinct_lines": _t("higher", 0.0),
    "final_pass_rate": _t("higher", 0.15),
    "constraints": _t("higher", 0.0),
}
"""Timing and memory move with the machine, so their room is wide; quality, sync and fidelity measures are tight."""

NOT_REGRESSIONS = frozenset({"first_pass_rate", "attempts_mean"})
"""Never gated against a baseline, even one that lists them: a critic that says no more often lowers the first-pass
rate and raises the takes per shot on purpose. What matters, the share of shots that pass after revision, is
`final_pass_rate` (gated per case above and by its target in `reelgraph.evals.fidelity.TARGETS`)."""


def make_baseline(doc: dict[str, Any], tolerances: dict[str, Tolerance] | None = None) -> dict[str, Any]:
    """A baseline from an eval's metrics.json document: every case's status and gated metrics."""
    tol = tolerances or DEFAULT_TOLERANCES
    cases = {}
    for case in doc["cases"]:
        metrics = case.get("metrics") or {}
        cases[case["id"]] = {"status": case["status"],
                             "metrics": {k: metrics[k] for k in tol if metrics.get(k) is not None}}
    return {"format": FORMAT, "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "profile": doc["profile"],
            "replay": doc.get("replay", False), "tolerances": {k: v.model_dump() for k, v in tol.items()},
            "cases": cases}


def load_baseline(path: Path) -> dict[str, Any]:
    """A stored baseline document; a `UsageError` when it cannot be read or is not in this format."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise UsageError(f"baseline {str(path)!r} cannot be read: {e}") from None
    if data.get("format") != FORMAT:
        raise UsageError(f"{path} is not an eval baseline ({FORMAT})")
    return data


def compare(doc: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """The gate's verdict: every case of both the run and the baseline, each gated metric within its tolerance.

    A case that passed in the baseline must pass again; a metric the baseline has must still be measured. Cases the
    run did not include are skipped (named), new cases are noted.
    """
    tol = {k: Tolerance.model_validate(v) for k, v in baseline.get("tolerances", {}).items()} or DEFAULT_TOLERANCES
    regressions: list[dict[str, Any]] = []
    checked = 0
    ran = {c["id"]: c for c in doc["cases"]}
    for cid, base in baseline["cases"].items():
        case = ran.get(cid)
        if case is None:
            continue
        if base["status"] == "passed" and case["status"] != "passed":
            regressions.append({"case": cid, "metric": "status", "baseline": base["status"], "value": case["status"],
                                "limit": "passed"})
        metrics = case.get("metrics") or {}
        for key, bval in base["metrics"].items():
            if key not in tol or key in NOT_REGRESSIONS:
                continue
            checked += 1
            value = metrics.get(key)
            if value is None:
                regressions.append({"case": cid, "metric": key, "baseline": bval, "value": None, "limit": "measured"})
            elif tol[key].worse(float(bval), float(value)):
                regressions.append({"case": cid, "metric": key, "baseline": bval, "value": value,
                                    "limit": f"{tol[key].better} ±{tol[key].limit(float(bval)):.4g}"})
    return {"passed": not regressions, "checked": checked, "regressions": regressions,
            "skipped": sorted(set(baseline["cases"]) - set(ran)), "new": sorted(set(ran) - set(baseline["cases"])),
            "profile_matches": baseline.get("profile") == doc["profile"]}


def target_misses(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The overall fidelity figures below their targets (over the run's cases with a fidelity block)."""
    from reelgraph.evals.fidelity import overall

    over = doc.get("fidelity") or overall(doc["cases"])
    misses = [{"case": "(fidelity)", "metric": k, "baseline": None, "value": t["value"], "limit": f">= {t['target']}"}
              for k, t in over["targets"].items() if not t["ok"]]
    misses += [{"case": cid, "metric": "fidelity", "baseline": None, "value": None, "limit": "measured"}
               for cid in over.get("unmeasured", [])]
    return misses


def check(doc: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """The whole gate: `compare` against the baseline, and the fidelity targets; passed when both hold."""
    out = compare(doc, baseline)
    misses = target_misses(doc)
    return {**out, "passed": out["passed"] and not misses, "targets_missed": misses}
