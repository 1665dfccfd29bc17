"""The markdown report beside the results file: the table, attention kernels, fp8 and LoRA facts, merges,
compile warm-ups, errors and skips."""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchmarks import visual_gpu as VG
from benchmarks.wan_speed.settings import CLIP_STEPS, GUIDANCE

if TYPE_CHECKING:
    from benchmarks.wan_speed.bench import SpeedBench

GiB = VG.GiB


def markdown(b: SpeedBench) -> str:
    sizes = [s for s in ("720p", "480p") if s in b.table_sizes]
    head = "| configuration | " + " | ".join(f"s/step {s} | min/clip {s}" for s in sizes) + \
        " | peak GiB | error vs exact |"
    lines = [f"# Wan2.2-A14B speed switches on {b.results['device']}", "",
             f"torch {b.results['torch']}, diffusers {b.results['diffusers']}; {b.frames} frames, "
             f"{CLIP_STEPS} steps with CFG {GUIDANCE} unless said; clip = steps + VAE encode + VAE decode. "
             "`~` = scaled or composed from measured parts, not run as such. Errors: relative error of the latents "
             "after the same steps against the exact eager bf16 path (480p, 3 steps; the cache rows' error is that of "
             "1 skipped step in 3); random weights make them a numerical check, not a quality claim.", "",
             head, "|" + "---|" * (2 * len(sizes) + 3)]
    for row in b.results.get("table", []):
        cells = []
        peak, err = "", ""
        for s in sizes:
            v = row["sizes"].get(s)
            if v is None:
                cells += ["", ""]
                continue
            mark = "~" if v["approx"] else ""
            cells += [f"{mark}{v['s_per_step']:.2f}", f"{mark}{v['min_per_clip']:.2f}"]
            if v["peak_gib"] is not None:
                peak = f"{v['peak_gib']:.1f}" if not peak else f"{peak} / {v['peak_gib']:.1f}"
            if v["rel_err"] is not None:
                err = f"{v['rel_err']:.2e}"
        lines.append(f"| {row['configuration']} | " + " | ".join(cells) + f" | {peak} | {err} |")
    lines += ["", "## Attention kernels (one self-attention layer)", "",
              "| size | kernel | ms | TFLOP/s | error vs SDPA |", "|---|---|---|---|---|"]
    for a in b.results["attention"]:
        if "error" in a:
            lines.append(f"| {a['size']} | {a['attention']} | not available: {a['error'][:80]} | | |")
        else:
            lines.append(f"| {a['size']} | {a['attention']} | {a['s'] * 1000:.1f} | {a['tflops']} | "
                         f"{a['rel_err']:.2e} |")
    if b.results.get("fp8", {}).get("layers"):
        f = b.results["fp8"]
        lines += ["", f"fp8: {f['layers']} Linear layers quantised in {f['quantize_s']} s; experts "
                  f"{f['bytes_before'] / GiB:.1f} -> {f['bytes_after'] / GiB:.1f} GiB (saved {f['saved_gib']} GiB)."]
    if b.results.get("few_step_lora"):
        f = b.results["few_step_lora"]
        lines += ["", f"few-step LoRA: rank {f['rank']}, {f['bytes_per_expert'] / GiB:.2f} GiB per expert, loaded "
                  f"and fused in {f['load_s']} s."]
    together = [r for r in b.results["runs"] if r["config"].startswith("together") and r.get("cache")]
    if together:
        lines += ["", "together: " + "; ".join(
            f"{r['size']}: {r['s_per_forward']} s/forward, a skipped forward {r['skipped_forward_s']} s "
            f"({r['forwards_skipped']} of {sum(r['forwards'].values())} forwards skipped in {r['steps']} steps)"
            for r in together) + ". Its first-block cache is this benchmark's FixedBlockCache around the compiled "
            "blocks (diffusers' rule); diffusers' hooks compiled into the fp8 blocks recompile them for every "
            "context (cond/uncond) and state, 66-166 s each on the H100."]
    for m in b.results.get("merged_from", []):
        a = m.get("args") or {}
        lines += ["", f"Merged: {m['path']} ({m.get('device')}, torch {m.get('torch')}, sizes "
                  f"{','.join(a.get('sizes') or [])}{', only ' + ','.join(a['only']) if a.get('only') else ''}); "
                  f"this run: {','.join(b.args.sizes)}"
                  f"{', only ' + ','.join(b.args.only) if b.args.only else ''}, {b.results.get('total_s', '?')} s."]
    warm = [(r["config"], r["size"], r["warmup_s"]) for r in b.results["runs"] if r["mode"] == "compile"]
    if warm:
        lines += ["", "Compile warm-up (first forward of each expert minus a steady one): " + "; ".join(
            f"{c} {s}: {w} s" for c, s, w in warm)]
    for e in b.results["errors"]:
        lines.append(f"\nERROR {e['what']}: {e['error'][:200]}")
    for s in b.results["skipped"]:
        lines.append(f"\nskipped {s['what']}: {s.get('why') or 'budget'}")
    return "\n".join(lines) + "\n"
