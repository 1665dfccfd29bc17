"""Wan2.2-I2V-A14B speed switches, each alone and together, with full-size random weights on one GPU.

    python3 benchmarks/wan_speed.py                # H100 80 GB: 480p and 720p, stops starting work past --budget-s
    python3 benchmarks/wan_speed.py --tiny         # tiny configs on the CPU: checks this script's logic in seconds
    python3 benchmarks/wan_speed.py --only fp8,together --sizes 720p,480p \
        --merge benchmarks/results/wan_speed_nvidia_h100_80gb_hbm3.json   # two steps, merged into an earlier run

--only NAMES runs only those steps (comma-separated: attention, exact, compile, guidance-1, cache, batched,
eager-720p, few-step, fp8, together) plus the setup they share (both experts built once; for fp8 and together the
experts quantised and compiled once). --merge PATH loads an earlier results file and writes the new measurements
into it (new ones win for the same configuration and size; the earlier runs, decode and encode times and attention
figures stay), so the table holds both.

Both experts (14.3 B each) and the Wan VAE are built directly on the GPU in bf16 with random weights (the builders of
benchmarks/visual_gpu.py, seeded, so a rebuild gives the same weights); prompts are random embeddings of the real
shape. Every configuration runs the studio's own denoising loop (reelgraph/backends/diffusers/speed.py) for a few
steps, each forward timed; a 30-step clip is extrapolated from the steady forward times (the first forward of each
expert, where compilation happens, is reported apart as warm-up), plus the VAE encode of the conditioning frames and
the VAE decode, both measured whole.

Exactness: the relative error (Frobenius) of each switch's latents after the same steps, seed and inputs against the
exact bf16 path (eager, torch SDPA = cuDNN). Random weights make this a numerical check of each switch, not a claim
about picture quality; for the same reason the first-block cache is timed at fixed skip ratios (random weights do
not have real residual statistics: at threshold 0.05 nothing was ever skipped).

Order (most useful first; each step is skipped when it would pass the budget, and a failure is recorded, not
fatal): attention kernels alone; exact eager 480p; regional compile (480p, 720p), alone and with the 8-bit attention
kernel when that is faster; guidance-1 skip, fixed-ratio cache, batched CFG (eager, alone); the few-step LoRA preset
(random rank-64 LoRA, fused); fp8 linear layers (experts rebuilt with the same seed and quantised); all together;
fp8 alone. Writes benchmarks/results/wan_speed_<gpu>.json after every measurement (a cut-off run keeps its figures)
and a markdown table beside it (.md).

fp8 and "together" run largest size first (720p before 480p: every size compiles the fp8 blocks anew, about 140-190 s
on the H100), each size's "together" right after its fp8 run on the same quantised, compiled experts: fp8 linear +
compile + the chosen attention + no unconditional forward where guidance_2 = 1 + first-block cache skips at a fixed
30 % ratio. Its first-block cache is this benchmark's own (FixedBlockCache: diffusers' rule, head block computed and
the other blocks replaced by the cached residual when skipped) around the compiled blocks, not diffusers' hooks:
compiled into the fp8 blocks, those hooks make dynamo recompile the blocks for every context (cond/uncond) and state,
66-166 s each on the H100 (a 3-block probe), which no budget holds; the blocks' own kernels are the same either way.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _load(name: str, path: Path) -> Any:
    """A module from its file (the studio's package __init__ pulls in the whole studio stack; this needs none)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


VG = _load("reelgraph_bench_visual_gpu", ROOT / "benchmarks" / "visual_gpu.py")
WS = importlib.import_module("reelgraph.backends.diffusers.speed")  # no LangChain below reelgraph.backends
log = VG.log
GiB = VG.GiB
GUIDANCE = 3.5
CLIP_STEPS = 30
FEW_STEPS = 4
LORA_RANK = 64
BF16_TOLERANCE = 2e-2  # relative error after a few steps that counts as "equal in bf16" (batched vs unbatched)
# One forward, s (H100, bf16, measured by visual_gpu): the first guesses for the budget, replaced as runs come in.
GUESS = {("480p", "eager"): 3.36, ("480p", "compile"): 2.81, ("720p", "eager"): 12.53, ("720p", "compile"): 11.16}
REFERENCE_720P_EAGER_FORWARD_S = 12.53  # visual_gpu on the H100, used when this run does not measure it
# First fp8 + compile forward minus a steady one, s (H100, fresh machine: 190 s at 480p in a full run, 143 s at 720p
# in an --only fp8,together run): the budget's guess, replaced by measured or merged figures of the same size.
FP8_COMPILE_GUESS_S = {"480p": 190.0, "720p": 150.0}
TOGETHER_CACHE_RATIO = 0.3  # first-block cache skips of the "together" run (--together-cache-ratio) and row
FASTER_ATTENTION = ("sage_triton", "flash4")  # kernels the later steps may take instead of SDPA
STEP_NAMES = ("attention", "exact", "compile", "guidance-1", "cache", "batched", "eager-720p", "few-step", "fp8",
              "together")


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


# --- models and inputs -----------------------------------------------------------------------------------------------

def build_experts(b: SpeedBench) -> dict[str, Any]:
    """Both experts, seeded (a rebuild gives the same weights)."""
    from diffusers import WanTransformer3DModel

    experts = {}
    for i, name in enumerate(("transformer", "transformer_2")):
        b.torch.manual_seed(1000 + i)
        experts[name] = b.build(WanTransformer3DModel, b.cfg)
    return experts


def fingerprint(experts: dict[str, Any]) -> list[float]:
    """A few weight sums: equal lists mean the same random weights."""
    out = []
    for m in experts.values():
        params = list(m.parameters())
        for p in (params[0], params[len(params) // 2], params[-1]):
            out.append(round(float(p.float().sum()), 3))
    return out


def build_pipe(b: SpeedBench) -> None:
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanImageToVideoPipeline

    t = time.perf_counter()
    experts = build_experts(b)
    b.torch.manual_seed(7)
    vae = b.build(AutoencoderKLWan, VG.TINY_WAN_VAE if b.args.tiny else VG.WAN_VAE)
    b.pipe = WanImageToVideoPipeline(
        tokenizer=None, text_encoder=None, vae=vae, transformer=experts["transformer"],
        transformer_2=experts["transformer_2"], boundary_ratio=VG.BOUNDARY,
        scheduler=UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0))
    b.pipe.set_progress_bar_config(disable=True)
    b.fingerprint = fingerprint(experts)
    params = sum(p.numel() for p in experts["transformer"].parameters())
    b.results["model"] = {
        "params_per_expert_b": round(params / 1e9, 3), "boundary_ratio": VG.BOUNDARY, "frames": b.frames,
        "build_s": round(time.perf_counter() - t, 2), "guidance": GUIDANCE,
        "weights_gib": round(sum(WS.real_module_bytes(m) for m in (*experts.values(), vae)) / GiB, 2),
    }
    for size in b.args.sizes:
        set_scheduler(b, size)
        b.results["experts_30_steps"][size] = WS.expert_names(b.pipe, CLIP_STEPS)
    b.save()


def set_scheduler(b: SpeedBench, size: str) -> None:
    from diffusers import UniPCMultistepScheduler

    b.pipe.scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True,
                                               flow_shift=VG.FLOW_SHIFT[size])


_INPUTS: dict[str, Any] = {}


def inputs(b: SpeedBench, size: str) -> dict[str, Any]:
    """The same conditioning frame and prompt embeddings for every run of a size."""
    if size not in _INPUTS:
        import numpy as np
        from PIL import Image

        torch = b.torch
        w, h = b.sizes[size]
        gen = torch.Generator("cpu").manual_seed(1)
        shape = (1, VG.TEXT_LEN, b.cfg["text_dim"])
        _INPUTS[size] = {
            "image": Image.fromarray(np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)),
            "prompt_embeds": torch.randn(shape, generator=gen).to(b.device, b.dtype),
            "negative_prompt_embeds": torch.randn(shape, generator=gen).to(b.device, b.dtype),
        }
    return _INPUTS[size]


def rel_err(a: Any, ref: Any) -> float:
    a, ref = a.float(), ref.float()
    return round(float((a - ref).norm() / ref.norm()), 6)


# --- one measured run ----------------------------------------------------------------------------------------------

def run(b: SpeedBench, label: str, size: str, *, steps: int, mode: str, guidance: float = GUIDANCE,
        guidance_2: float | None = None, switches: Any = None, skip: Any = None, ref: str | None = None,
        keep: str | None = None, **extra: Any) -> dict[str, Any]:
    """Denoise `steps` steps with the studio's loop; one result row (saved)."""
    torch = b.torch
    w, h = b.sizes[size]
    set_scheduler(b, size)
    sw = switches or WS.LoopSwitches()
    sw = WS.LoopSwitches(skip_unit_guidance=sw.skip_unit_guidance, batch_cfg=sw.batch_cfg,
                         cache_fixed_ratio=sw.cache_fixed_ratio, timing=True)
    b.reset_peak()
    t0 = time.perf_counter()
    stance = (torch.compiler.set_stance("force_eager") if b.compiled and mode == "eager"
              else _null())
    with stance:
        latents, st = WS.denoise(b.pipe, **inputs(b, size), height=h, width=w, num_frames=b.frames,
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
    WS.set_attention([b.pipe.transformer, b.pipe.transformer_2], name)
    b.attention = name


# --- attention kernels alone -----------------------------------------------------------------------------------------

def attention_part(b: SpeedBench) -> str:
    """One self-attention layer at each size through diffusers' dispatch: time, TFLOP/s, error vs torch SDPA.
    Returns the attention to use from here on (the fastest of "sage_triton" and "flash4" when it is at least 5 %
    faster than SDPA at the largest size with a small error, else "default")."""
    from diffusers.models import attention_dispatch as ad

    torch = b.torch
    heads, dim = b.cfg["num_attention_heads"], b.cfg["attention_head_dim"]
    names = ["default", "_native_cudnn", "_native_flash", "sage_triton", "flash4", "_flash_3", "sage"]
    if b.device.type == "cpu":
        names = ["default", "_native_math", "sage_triton", "flash4"]
    best: dict[str, float] = {}
    for size in b.args.sizes:
        w, h = b.sizes[size]
        tokens = ((b.frames - 1) // 4 + 1) * (h // 16) * (w // 16)
        gen = torch.Generator("cpu").manual_seed(3)
        q, k, v = (torch.randn(1, tokens, heads, dim, generator=gen).to(b.device, b.dtype) for _ in range(3))
        ref = None
        for name in names:
            try:
                if name == "default":
                    backend = ad.AttentionBackendName.NATIVE
                elif name == "sage_triton":
                    backend = WS._register_sage_triton()
                elif name == "flash4":
                    backend = WS._register_flash4()
                else:
                    backend = ad.AttentionBackendName(name)
                    ad._check_attention_backend_requirements(backend)
                t0 = time.perf_counter()
                out = ad.dispatch_attention_fn(q, k, v, backend=backend)
                b.sync()
                first = time.perf_counter() - t0
                reps = 1 if b.args.tiny else 3
                t0 = time.perf_counter()
                for _ in range(reps):
                    out = ad.dispatch_attention_fn(q, k, v, backend=backend)
                b.sync()
                s = (time.perf_counter() - t0) / reps
                if ref is None:
                    ref = out
                row = {"size": size, "tokens": tokens, "attention": name, "s": round(s, 5),
                       "first_call_s": round(first, 3), "tflops": round(4 * tokens * tokens * heads * dim / s / 1e12,
                                                                          1), "rel_err": rel_err(out, ref)}
                if name in ("default", *FASTER_ATTENTION):
                    best[f"{size}:{name}"] = s
                    best[f"{size}:{name}:err"] = row["rel_err"]
            except Exception as e:  # a kernel that is not there or fails: recorded, the run goes on
                row = {"size": size, "tokens": tokens, "attention": name, "error": f"{type(e).__name__}: {e}"[:300]}
            b.results["attention"].append(row)
            b.save()
            log(f"attention {size} {name}: {row.get('s', row.get('error'))}")
        del q, k, v, ref
        b.free()
    size = max(b.args.sizes, key=lambda s: _pixels(b, s))
    default = best.get(f"{size}:default")
    good = [(best[f"{size}:{n}"], n) for n in FASTER_ATTENTION if f"{size}:{n}" in best and default
            and best[f"{size}:{n}"] < 0.95 * default and best[f"{size}:{n}:err"] < 0.05]
    choice = min(good)[1] if good else "default"
    if b.args.attention:
        choice = b.args.attention
    b.results["attention_choice"] = choice
    b.save()
    return choice


# --- the parts ------------------------------------------------------------------------------------------------

def few_step_part(b: SpeedBench, attention: str) -> None:
    """A random rank-64 LoRA (every Linear of the blocks, the shape of a Wan2.2 Lightning LoRA) saved as
    high/low-noise files, loaded and fused through the backend's loader, then timed without CFG."""
    from safetensors.torch import save_file

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wan-lora-") as tmp:
        for name, file in (("transformer", "high_noise_model.safetensors"),
                           ("transformer_2", "low_noise_model.safetensors")):
            state = WS.random_lora(getattr(b.pipe, name), rank=LORA_RANK, std=0.01, seed=11)
            save_file(state, str(Path(tmp) / file))
            lora_bytes = sum(t.numel() * t.element_size() for t in state.values())
            del state
        make_s = time.perf_counter() - t0
        info = WS.load_step_lora(b.pipe, tmp)
    b.pristine = False
    b.sync()
    b.results["few_step_lora"] = {**info, "rank": LORA_RANK, "make_s": round(make_s, 2),
                                  "bytes_per_expert": lora_bytes}
    b.save()
    log(f"few-step LoRA loaded and fused in {info['load_s']} s")
    compile_experts(b)
    if attention != "default":
        set_attention(b, attention)
    for size in b.args.sizes:
        label = f"few-step preset ({FEW_STEPS} steps, no CFG, LoRA fused, compile{_att(attention)})"
        # 3 steps (high, low, low): one steady forward past each expert's first
        b.step(f"few-step {size}", b.est(size, 3, mode="compile", warmup=20),
               lambda size=size, label=label: run(b, label, size, steps=3, mode="compile", guidance=1.0,
                                                  guidance_2=1.0, clip_steps=FEW_STEPS, cfg=False))
    set_attention(b, "default")


def _att(attention: str) -> str:
    return "" if attention == "default" else f" + {attention}"


class FixedBlockCache:
    """First-block cache around the compiled blocks of each denoiser (diffusers' rule: the head block always runs;
    its residual decides, or `force` does; a skipped forward adds the residual the other blocks gave last time, per
    branch), duck-typing WS.SkipControl for WS.denoise. The blocks are called as the model calls them, so their
    compiled code is reused as it is; diffusers' hooks inside the compiled blocks recompile them per context."""

    def __init__(self, models: list[Any], threshold: float = 0.05) -> None:
        import contextlib

        import torch

        self.force: bool | None = None
        self.decisions: list[bool] = []
        self.threshold = threshold
        self._saved: list[tuple[Any, Any]] = []

        outer = self

        class Blocks(torch.nn.ModuleList):
            """The same block modules; iterating yields callables that skip or run each one."""

            def __init__(self, blocks: Any) -> None:
                super().__init__(list(blocks))
                self.branch = "cond"
                self.states: dict[str, dict[str, Any]] = {}
                self.compute = True

            def __iter__(self) -> Any:
                blocks = list(super().__iter__())
                for i, block in enumerate(blocks):
                    yield lambda *a, i=i, block=block, **k: self.call(i, len(blocks), block, *a, **k)

            def call(self, i: int, n: int, block: Any, hidden: Any, *args: Any, **kwargs: Any) -> Any:
                st = self.states.setdefault(self.branch, {})
                if i == 0:
                    out = block(hidden, *args, **kwargs)
                    residual = out - hidden
                    self.compute = outer.decide(st, residual)
                    if not self.compute:
                        return out + st["tail_residual"]
                    st["head_out"], st["head_residual"] = out, residual
                    return out
                if not self.compute:
                    return hidden
                out = block(hidden, *args, **kwargs)
                if i == n - 1:
                    st["tail_residual"] = out - st.pop("head_out")
                return out

        for m in models:
            blocks = Blocks(m.blocks)

            @contextlib.contextmanager
            def context(name: str, blocks: Any = blocks) -> Any:
                blocks.branch = name
                yield

            self._saved.append((m, m.blocks))
            m.blocks = blocks
            m.cache_context = context  # WS.denoise names the branch of each forward through it
            m._reset_stateful_cache = lambda recurse=True, blocks=blocks: blocks.states.clear()

    def decide(self, st: dict[str, Any], residual: Any) -> bool:
        if st.get("head_residual") is None or st.get("tail_residual") is None:
            compute = True
        elif self.force is not None:
            compute = not self.force
        else:
            prev = st["head_residual"]
            compute = float((residual - prev).abs().mean() / prev.abs().mean()) > self.threshold
        self.decisions.append(compute)
        return compute

    @property
    def active(self) -> bool:
        return bool(self._saved)

    def close(self) -> None:
        for m, blocks in self._saved:
            m.blocks = blocks
            del m.cache_context, m._reset_stateful_cache
        self._saved = []


def _pixels(b: SpeedBench, size: str) -> int:
    w, h = b.sizes[size]
    return w * h


def fp8_part(b: SpeedBench, attention: str) -> None:
    """Float8-quantised experts (the built ones when untouched, else rebuilt with the same seed: the exact weights
    again), compiled once; then per size, largest first: fp8 alone, and "together" on the same compiled experts."""
    torch = b.torch
    rebuilt, same = not b.pristine, None
    if rebuilt:
        for m in (b.pipe.transformer, b.pipe.transformer_2):
            m.to("meta")  # frees the GPU copies even if something still holds the modules
        b.pipe.transformer = b.pipe.transformer_2 = None
        gc.collect()
        torch._dynamo.reset()
        b.compiled = False
        b.free()
        experts = build_experts(b)
        same = fingerprint(experts) == b.fingerprint
        b.pipe.transformer, b.pipe.transformer_2 = experts["transformer"], experts["transformer_2"]
        del experts
    experts = [b.pipe.transformer, b.pipe.transformer_2]
    if b.device.type == "cuda":
        info = WS.quantize_fp8(experts, b.device)
        b.fp8 = True
        b.results["fp8"] = {**info, "rebuilt": rebuilt, "rebuilt_weights_identical": same}
        log(f"fp8: {info['layers']} layers quantised in {info['quantize_s']} s, saved {info['saved_gib']} GiB")
    else:  # --tiny on the CPU: torchao float8 needs CUDA; the rest of the fp8 and together logic runs unquantised
        b.results["fp8"] = {"fp8_linear": None, "why": "not quantised: torchao float8 needs a CUDA GPU (--tiny)"}
        log("fp8: not quantised on the CPU (--tiny checks the logic only)")
    del experts
    b.free()
    b.save()
    compile_experts(b, fullgraph=False)
    if attention != "default":
        set_attention(b, attention)
    label = f"fp8 linear + compile{_att(attention)}"
    together_ratio = b.args.together_cache_ratio
    together = (f"together: fp8 + compile{_att(attention)} + g2=1 skip + "
                f"{together_ratio:.0%} cache skips".replace("%", " %"))

    def fp8_run(size: str, steps: int) -> dict[str, Any]:
        ref = f"exact:{size}" if f"exact:{size}" in b.latents else None
        return run(b, label, size, steps=steps, mode="compile", ref=ref)

    def together_run(size: str) -> None:
        models = [b.pipe.transformer, b.pipe.transformer_2]
        skip = FixedBlockCache(models)
        try:
            ref = f"g2=1:{size}" if f"g2=1:{size}" in b.latents else None
            run(b, together, size, steps=3, mode="compile", guidance_2=1.0, ref=ref, skip=skip,
                switches=WS.LoopSwitches(skip_unit_guidance=True, cache_fixed_ratio=together_ratio),
                cache="FixedBlockCache (first-block cache around the compiled blocks)")
        finally:
            skip.close()

    for size in sorted(b.args.sizes, key=lambda s: -_pixels(b, s)):
        compiled_here = False
        if b.wants("fp8"):
            # 3 steps where there is an exact reference (the error), else 1: the compile, then a steady forward
            steps = 3 if f"exact:{size}" in b.latents else 1
            warm = fp8_warmup_guess(b, size)
            compiled_here = b.step(f"fp8 {size}", b.est(size, 2 * steps, mode="compile", warmup=warm),
                                   lambda size=size, steps=steps: fp8_run(size, steps), key="fp8") is not None
        # 3 steps: each expert runs, one of the first expert's steps is skipped by the cache (two forwards)
        warm = 0.0 if compiled_here else fp8_warmup_guess(b, size)
        b.step(f"together {size}", b.est(size, 3, mode="compile", warmup=warm),
               lambda size=size: together_run(size), key="together")
    if attention != "default":
        set_attention(b, "default")
        size = b.args.sizes[0]
        b.step("fp8 alone", b.est(size, 6, mode="compile", warmup=30), lambda: run(
            b, "fp8 linear + compile", size, steps=3, mode="compile",
            ref=f"exact:{size}" if f"exact:{size}" in b.latents else None), key="fp8")


def fp8_warmup_guess(b: SpeedBench, size: str) -> float:
    """Seconds the first fp8 forward of a size compiles: measured (this run or merged), else the H100 guess."""
    if b.args.tiny:
        return 0.0
    seen = [r["warmup_s"] for r in b.results["runs"] if r["size"] == size and r.get("fp8")
            and r["mode"] == "compile" and r.get("warmup_s")]
    if seen:
        return max(seen)
    return 1.15 * FP8_COMPILE_GUESS_S.get(size, max(FP8_COMPILE_GUESS_S.values()))  # a margin: compiles vary


def wan(b: SpeedBench) -> None:
    log(f"building two experts + VAE on {b.device}")
    build_pipe(b)
    small = b.args.sizes[0]
    attention = b.step("attention kernels", 5 if b.args.tiny else 40, lambda: attention_part(b), key="attention")
    attention = attention or b.args.attention or b.results.get("attention_choice") or "default"  # else merged
    # exact reference, then compile (alone and with the faster attention), at each size
    b.step("exact eager", b.est(small, 6, warmup=3), lambda: run(
        b, "exact (eager bf16, SDPA)", small, steps=3, mode="eager", keep=f"exact:{small}"), key="exact")
    b.step(f"decode {small}", 5 if b.args.tiny else 15, lambda: decode(b, small, f"exact:{small}"), key="exact")

    def compiled(size: str, steps: int, att: str) -> None:
        compile_experts(b)
        set_attention(b, att)
        try:
            run(b, f"compile{_att(att)}", size, steps=steps, mode="compile",
                ref=f"exact:{size}" if steps == 3 else None, keep=f"compile:{size}:{att}")
        finally:
            set_attention(b, "default")

    for size in b.args.sizes:
        steps = 3 if size == small else 2
        for att in ("default", attention) if attention != "default" else ("default",):
            b.step(f"compile {size} {att}", b.est(size, 2 * steps, mode="compile", warmup=25),
                   lambda size=size, steps=steps, att=att: compiled(size, steps, att), key="compile")
        if size != small:
            b.step(f"decode {size}", 10 if b.args.tiny else 25, lambda size=size: decode(b, size,
                                                                                       f"compile:{size}:default"),
                   key="compile")
    # the loop switches, eager (alone), at the small size
    b.step("guidance-1 reference", b.est(small, 6), lambda: run(
        b, "exact, g2=1 (diffusers: unconditional computed, discarded)", small, steps=3, mode="eager",
        guidance_2=1.0, switches=WS.LoopSwitches(skip_unit_guidance=False), keep=f"g2=1:{small}"), key="guidance-1")
    b.step("guidance-1 skip", b.est(small, 4), lambda: run(
        b, "skip unconditional where guidance is 1 (g2=1)", small, steps=3, mode="eager", guidance_2=1.0,
        switches=WS.LoopSwitches(skip_unit_guidance=True), ref=f"g2=1:{small}"), key="guidance-1")

    def fixed_cache() -> None:
        from diffusers import FirstBlockCacheConfig

        models = [b.pipe.transformer, b.pipe.transformer_2]
        for m in models:
            m.enable_cache(FirstBlockCacheConfig(threshold=0.05))
        skip = WS.SkipControl(models)
        try:
            run(b, "first-block cache, fixed skips", small, steps=3, mode="eager",
                switches=WS.LoopSwitches(cache_fixed_ratio=0.5), skip=skip, ref=f"exact:{small}")
        finally:
            skip.close()
            for m in models:
                m.disable_cache()

    b.step("fixed-ratio cache", b.est(small, 5), fixed_cache, key="cache")
    b.step("batched CFG", b.est(small, 6), lambda: run(
        b, "batched CFG (batch 2)", small, steps=3, mode="eager", switches=WS.LoopSwitches(batch_cfg=True),
        ref=f"exact:{small}"), key="batched")
    if "720p" in b.args.sizes and (b.args.eager_720p or "eager-720p" in (b.args.only or ())):
        b.step("exact eager 720p", b.est("720p", 4), lambda: run(b, "exact (eager bf16, SDPA)", "720p", steps=2,
                                                                  mode="eager"), key="eager-720p")
    b.step("few-step preset", 10 if b.args.tiny else 35, lambda: few_step_part(b, attention), key="few-step")
    if b.wants("fp8") or b.wants("together"):
        if b.device.type == "cuda" or b.args.tiny:
            b.step("fp8", 10 if b.args.tiny else 5, lambda: fp8_part(b, attention))
        else:
            b.results["skipped"].append({"what": "fp8", "why": "torchao float8 needs a CUDA GPU (compute 8.9+)",
                                         "step": "fp8"})


# --- extrapolation and the table ----------------------------------------------------------------------------------

def clip_seconds(b: SpeedBench, size: str, s_fwd: float, *, cfg: bool = True, g2_unit: bool = False,
                 batch: bool = False, ratio: float = 0.0, skip_frac: float | None = None,
                 steps: int = CLIP_STEPS) -> tuple[float, float]:
    """(seconds per step, seconds per clip) of a `steps`-step clip: forwards per step by expert and switch, cached
    steps at `skip_frac` of a forward, plus the VAE encode (prepare) and decode measured whole."""
    experts = b.results["experts_30_steps"].get(size) or []
    if steps != CLIP_STEPS or not experts:
        set_scheduler(b, size)
        experts = WS.expert_names(b.pipe, steps)
    plan = WS.fixed_skip_plan(experts, ratio) if ratio else [False] * len(experts)
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
        *([(f"fp8 + compile{_att(att)}", f"fp8 linear + compile{_att(att)}", {})] if att != "default" else []),
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tiny", action="store_true", help="tiny configs on the CPU (checks the logic)")
    p.add_argument("--sizes", default="480p,720p")
    p.add_argument("--budget-s", type=float, default=450.0, help="start nothing that would end past this")
    p.add_argument("--compile-backend", default=None, help="torch.compile backend (default inductor; --tiny eager)")
    p.add_argument("--inductor-cache-dir", default=None, help="compiled-kernel cache (TORCHINDUCTOR_CACHE_DIR)")
    p.add_argument("--eager-720p", action="store_true", help="also time exact eager at 720p (else the earlier "
                   "visual_gpu figure is used)")
    p.add_argument("--only", default=None, metavar="NAMES", help="run only these steps, comma-separated: "
                   f"{', '.join(STEP_NAMES)} (plus the setup they share)")
    p.add_argument("--merge", default=None, metavar="PATH", help="an earlier results JSON: its rows stay, the "
                   "new measurements replace those of the same configuration and size")
    p.add_argument("--together-cache-ratio", type=float, default=TOGETHER_CACHE_RATIO,
                   help="share of forwards the together run's first-block cache skips (fixed schedule)")
    p.add_argument("--attention", default=None, choices=("default", *FASTER_ATTENTION),
                   help="attention for the later steps (default: the fastest measured, else SDPA)")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    args.sizes = [s for s in args.sizes.split(",") if s]
    bad = [s for s in args.sizes if s not in VG.SIZES]
    if bad:
        p.error(f"unknown sizes {bad}; known: {', '.join(VG.SIZES)}")
    args.only = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    bad = [n for n in args.only or () if n not in STEP_NAMES]
    if bad or args.only == []:
        p.error(f"unknown --only steps {bad}; known: {', '.join(STEP_NAMES)}")
    if args.merge and not Path(args.merge).is_file():
        p.error(f"--merge: no file {args.merge}")
    args.compile_backend = args.compile_backend or ("eager" if args.tiny else "inductor")
    if args.inductor_cache_dir:
        WS.set_inductor_cache(args.inductor_cache_dir)
    b = SpeedBench(args)
    if b.device.type == "cpu" and not args.tiny:
        p.error("no CUDA GPU: full-size models need one (use --tiny to check the script on the CPU)")
    torch = b.torch
    if b.device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
    import torch._dynamo

    torch._dynamo.config.automatic_dynamic_shapes = False  # one static graph per size, as a run of one size gets
    torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, 64)
    log(f"{b.results['device']} ({b.card_gib or 0:.1f} GiB), torch {b.results['torch']}, diffusers "
        f"{b.results['diffusers']}, packages {b.results['packages']}; results -> {b.out}")
    b.guard("wan", lambda: wan(b))
    b.results["table"] = table_rows(b)
    b.results["complete"] = True
    b.results["total_s"] = round(b.elapsed(), 1)
    b.save()
    print(markdown(b), flush=True)
    log(f"done; wrote {b.out} and {b.out.with_suffix('.md').name}")
    return 0 if not b.results["errors"] else 1


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
