"""The shared set-up: the run (device, results saved after every measurement with their table, the time budget,
the models and figures measured so far), the --only step names, merging an earlier results file."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import visual_gpu as VG
from benchmarks.wan_speed.report import markdown
from benchmarks.wan_speed.settings import GUESS

log = VG.log


class SpeedBench(VG.Bench):
    """Device, results (saved after every measurement), budget, models and measured figures."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.setup(args, "wan_speed", {
            "packages": _versions(("torchao", "sageattention", "flash-attn-4", "nvidia-cutlass-dsl", "peft",
                                   "triton")),
            "note": ("random weights: errors are a numerical check of each switch, not a quality claim; cache "
                     "timed at fixed skip ratios"),
            "attention": [], "runs": [], "decode": {}, "prepare_s": {}, "experts_30_steps": {}, "errors": [],
            "skipped": [], "table": [],
        })
        self.cfg = VG.TINY_WAN if args.tiny else VG.WAN
        self.sizes = VG.TINY_SIZES if args.tiny else VG.SIZES
        self.frames = 17 if args.tiny else VG.FRAMES
        self.guess = {k: (0.02 if args.tiny else v) for k, v in GUESS.items()}
        self.latents: dict[str, Any] = {}
        self.pipe: Any = None
        self.compiled = False
        self.attention = "default"
        self.fp8 = False
        self.pristine = True  # experts as built (not compiled, no LoRA fused): fp8 can quantise them in place
        self.fingerprint: list[float] = []
        self.prepare_measured: set[str] = set()  # sizes whose VAE-encode time this run measured (wins over merged)
        self.merged_sizes: list[str] = []
        if args.merge:
            merge_results(self, args.merge)

    def wants(self, key: str | None) -> bool:
        """Whether step `key` is to run (--only)."""
        return key is None or not self.args.only or key in self.args.only

    @property
    def table_sizes(self) -> list[str]:
        """Sizes in the table: this run's and any merged run's."""
        have = set(self.args.sizes) | set(self.merged_sizes)
        return [s for s in ("480p", "720p") if s in have] + sorted(have - {"480p", "720p"})

    def save(self) -> None:
        super().save()
        self.out.with_suffix(".md").write_text(markdown(self), encoding="utf-8")

    def est(self, size: str, forwards: float, *, mode: str = "eager", warmup: float = 0.0) -> float:
        """Seconds a run of `forwards` forwards should take (measured figures where there are some)."""
        fwd = self.guess.get((size, mode), self.guess.get((size, "eager"), 0.05))
        return forwards * fwd * 1.1 + (0.5 if self.args.tiny else warmup + 3.0)

    def step(self, what: str, estimate_s: float, fn: Callable[[], Any], key: str | None = None) -> Any:
        """One budgeted, guarded measurement (`key`: its --only name; left out: part of the step that calls it)."""
        if not self.wants(key):
            return None
        n_skipped, n_errors = len(self.results["skipped"]), len(self.results["errors"])
        try:
            if not self.fits_budget(estimate_s, what):
                return None
            log(f"-- {what} (~{estimate_s:.0f} s)")
            return self.guard(what, fn)
        finally:
            for entry in (*self.results["skipped"][n_skipped:], *self.results["errors"][n_errors:]):
                entry.setdefault("step", key or step_key(what))


def step_key(what: str) -> str | None:
    """The --only name of a recorded step (also for entries of earlier runs, which did not store it)."""
    w = what.lower()
    for prefix, key in (("attention", "attention"), ("exact eager 720p", "eager-720p"), ("exact", "exact"),
                        ("decode", "exact"), ("compile", "compile"), ("guidance-1", "guidance-1"),
                        ("fixed-ratio", "cache"), ("batched", "batched"), ("few-step", "few-step"),
                        ("fp8", "fp8"), ("together", "together")):
        if w.startswith(prefix):
            return key
    return None


def merge_results(b: SpeedBench, path: str) -> None:
    """Start from an earlier results file: its runs (tagged "merged"), attention figures, decode and encode times,
    model, fp8 and LoRA facts stay unless this run measures them again. Its skip and error notes are dropped for
    the steps this run does (all of them without --only)."""
    import json

    old = json.loads(Path(path).read_text(encoding="utf-8"))
    if old.get("device") != b.results["device"]:
        log(f"merge: {path} is from {old.get('device')!r}, this run from {b.results['device']!r}")
    old_sizes = list((old.get("args") or {}).get("sizes") or [])
    old_sizes += [r["size"] for r in old.get("runs", []) if r.get("size") not in old_sizes]
    b.merged_sizes = [s for s in dict.fromkeys(old_sizes) if s in b.sizes]
    r = b.results
    for row in old.get("runs", []):
        r["runs"].append({**row, "merged": True})
    r["attention"] = list(old.get("attention", []))
    for key in ("decode", "prepare_s", "experts_30_steps"):
        r[key].update(old.get(key) or {})
    for key in ("model", "attention_choice", "few_step_lora", "fp8"):
        if key in old:
            r[key] = old[key]
    for key in ("skipped", "errors"):
        r[key] = [e for e in old.get(key, []) if not b.wants(e.get("step") or step_key(e.get("what", "")))]
    r["merged_from"] = [*old.get("merged_from", []), {
        "path": str(path), "device": old.get("device"), "torch": old.get("torch"), "diffusers": old.get("diffusers"),
        "args": old.get("args"), "total_s": old.get("total_s"), "complete": old.get("complete")}]
    log(f"merge: {len(old.get('runs', []))} runs from {path}")


def _versions(names: tuple[str, ...]) -> dict[str, str | None]:
    from importlib import metadata

    out: dict[str, str | None] = {}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = None
    return out


def pixels(b: SpeedBench, size: str) -> int:
    """Pixels of a frame at `size`."""
    w, h = b.sizes[size]
    return w * h


def attention_suffix(attention: str) -> str:
    """The suffix ' + <attention>' of a configuration label (none for SDPA)."""
    return "" if attention == "default" else f" + {attention}"
