"""One measured run of the studio's denoising loop (a result row, saved), the VAE decode, and the experts'
compile and attention state between runs."""

from __future__ import annotations

import statistics
import time
from typing import Any

from benchmarks import visual_gpu as VG
from benchmarks.wan_speed.bench import SpeedBench
from benchmarks.wan_speed.models import inputs, rel_err, set_scheduler
from benchmarks.wan_speed.settings import BF16_TOLERANCE, GUIDANCE
from benchmarks.wan_speed.table import table_rows
from reelgraph.backends.diffusers.speed.attention import set_attention as set_speed_attention
from reelgraph.backends.diffusers.speed.options import LoopSwitches
from reelgraph.backends.diffusers.wan_loop import denoise

log = VG.log


def run(b: SpeedBench, label: str, size: str, *, steps: int, mode: str, guidance: float = GUIDANCE,
        guidance_2: float | None = None, switches: Any = None, skip: Any = None, ref: str | None = None,
        keep: str | None = None, **extra: Any) -> dict[str, Any]:
    """Denoise `steps` steps with the studio's loop; one result row (saved)."""
    torch = b.torch
    w, h = b.sizes[size]
    set_scheduler(b, size)
    sw = switches or LoopSwitches()
    sw = LoopSwitches(skip_unit_guidance=sw.skip_unit_guidance, batch_cfg=sw.batch_cfg,
                      cache_fixed_ratio=sw.cache_fixed_ratio, timing=True)
    b.reset_peak()
    t0 = time.perf_counter()
    stance = (torch.compiler.set_stance("force_eager") if b.compiled and mode == "eager"
              else _null())
    with stance:
        latents, st = denoise(b.pipe, **inputs(b, size), height=h, width=w, num_frames=b.frames,
                              num_inference_steps=steps, guidance_scale=guidance, guidance_scale_2=guidance_2,
                              generator=torch.Generator("cpu").manual_seed(0), switches=sw, skip=skip)
    b.sync()
    wall = time.perf_counter() - t0
    summary = st.summary()
    computed = [f for f in st.forwards if not f["skipped"]]
    seen: set[str] = set()
    steady = []
    for f in computed:
        if f["expert"] in seen:
            steady.append(f["s"])
        seen.add(f["expert"])
    s_fwd = statistics.median(steady or [f["s"] for f in computed])
    skipped = [f["s"] for f in st.forwards if f["skipped"]]
    first = summary.get("first_forward_s", {})
    row: dict[str, Any] = {
        "config": label, "size": size, "mode": mode, "attention": b.attention, "fp8": b.fp8, "steps": steps,
        "guidance": guidance, "guidance_2": guidance_2, "batch_cfg": sw.batch_cfg,
        "skip_unit_guidance": sw.skip_unit_guidance, "cache_fixed_ratio": sw.cache_fixed_ratio,
        "s_per_forward": round(s_fwd, 4), "skipped_forward_s": round(statistics.median(skipped), 4) if skipped
        else None, "first_forward_s": first, "warmup_s": round(sum(max(0.0, v - s_fwd) for v in first.values()), 2),
        "forwards": summary["forwards"], "forwards_skipped": summary["skipped"], "prepare_s": summary["prepare_s"],
        "call_s": round(wall, 3), "peak_gib": b.peak_gib(), "rel_err": None, "err_ref": ref,
        "per_forward": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in f.items()} for f in st.forwards],
        **extra,
    }
    if ref is not None and ref in b.latents:
        row["rel_err"] = rel_err(latents, b.latents[ref])
        row["within_bf16_tolerance"] = row["rel_err"] < BF16_TOLERANCE
    if keep:
        b.latents[keep] = latents
    if size not in b.prepare_measured:  # the first run of a size in this run (wins over a merged figure)
        b.results["prepare_s"][size] = summary["prepare_s"]
        b.prepare_measured.add(size)
    if not sw.batch_cfg and b.attention == "default" and not b.fp8:
        b.guess[(size, mode)] = s_fwd
    old = [r for r in b.results["runs"] if r.get("merged") and r["config"] == label and r["size"] == size]
    if old:  # a merged run of the same configuration and size: replaced, its error kept if this run has none
        if row["rel_err"] is None and old[-1].get("rel_err") is not None:
            row.update({k: old[-1][k] for k in ("rel_err", "err_ref", "within_bf16_tolerance") if k in old[-1]})
            row["rel_err_from"] = f"merged run ({old[-1]['steps']} steps)"
        b.results["runs"] = [r for r in b.results["runs"] if not any(r is o for o in old)]
    b.results["runs"].append(row)
    b.results["table"] = table_rows(b)
    b.save()
    log(f"{label} {size}: {s_fwd:.3f} s/forward, forwards {summary['forwards']} (skipped {summary['skipped']}), "
        f"warm-up {row['warmup_s']} s, peak {row['peak_gib']} GiB, err {row['rel_err']}")
    return row


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: Any) -> None:
        return None


def decode(b: SpeedBench, size: str, key: str) -> None:
    """The VAE decode of a run's latents, whole (untiled), as the backend does it."""
    if key not in b.latents:
        return
    b.reset_peak()
    t0 = time.perf_counter()
    VG.wan_decode(b.pipe, b.latents[key])
    b.sync()
    b.results["decode"][size] = {"s": round(time.perf_counter() - t0, 3), "peak_gib": b.peak_gib()}
    b.save()
    log(f"VAE decode {size}: {b.results['decode'][size]['s']} s")


def compile_experts(b: SpeedBench, *, fullgraph: bool = True) -> None:
    """Regional compilation of both experts (fullgraph as measured before; fp8 allows graph breaks)."""
    if b.compiled:
        return
    for m in (b.pipe.transformer, b.pipe.transformer_2):
        m.compile_repeated_blocks(fullgraph=fullgraph, backend=b.args.compile_backend)
    b.compiled = True
    b.pristine = False


def set_attention(b: SpeedBench, name: str) -> None:
    set_speed_attention([b.pipe.transformer, b.pipe.transformer_2], name)
    b.attention = name
