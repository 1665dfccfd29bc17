"""GPU memory planning for the diffusion pipelines that share one card (and maybe a vLLM server).

Each pipeline gets one of three placements, cheapest first:

- ``resident``: every component on the GPU for the whole run (no transfers);
- ``model_offload``: diffusers' ``enable_model_cpu_offload`` (one whole component on the GPU at a time, moved once
  per call);
- ``group_offload``: diffusers' group offloading (blocks stream in per forward; ``block_level``, or ``leaf_level``
  where even one block group does not fit),

plus ``tiled_vae`` (``vae.enable_tiling()``) where the VAE decode activations would not fit. The planner tries every
combination over the pipelines that share the card and keeps the one that fits with the fewest bytes moved per call
(a model-offloaded pipeline moves its weights once per call; a group-offloaded one moves its denoiser once per
forward). What a pipeline keeps on the GPU while another runs counts against the other.

Budget = card x (1 - vLLM fraction) - reserve (CUDA context, workspaces, fragmentation: 1.5 GiB + 4 %).

Documented plans, FLUX.1-dev (11.9 B transformer + T5-XXL, 1024^2, 28 steps) + Wan2.2-I2V-A14B (two 14.3 B experts
+ UMT5-XXL, 1280x720x81, 40 steps with CFG), bf16; sizes are estimates, see ``flux_dev``/``wan22_a14b``:

| card    | vLLM share | image (FLUX)   | video (Wan2.2-A14B) | tiled VAE |
|---------|------------|----------------|---------------------|-----------|
| 24 GiB  | 0          | group_offload  | group_offload       | no        |
| 24 GiB  | 0.5        | group_offload  | group_offload       | video     |
| 80 GiB  | 0          | resident       | model_offload       | no        |
| 80 GiB  | 0.3        | model_offload  | model_offload       | no        |
| 141 GiB | 0          | resident       | resident            | no        |
| 141 GiB | 0.3        | model_offload  | resident            | no        |

(``documented_plans()`` computes this table; the unit tests hold it.) A FLUX transformer alone (22.2 GiB) or one
Wan expert (26.6 GiB) does not fit a 24 GiB card, hence group offloading there. Costs count one call of each pipeline
(a shot is one keyframe and one clip), so on 141 GiB with a vLLM share the 31 GiB image pipeline is offloaded rather
than the 64 GiB video one.
"""

from __future__ import annotations

import itertools
import logging
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

log = logging.getLogger(__name__)

GiB = 1 << 30
Mode = Literal["resident", "model_offload", "group_offload"]
MODES: tuple[Mode, ...] = ("resident", "model_offload", "group_offload")
OffloadType = Literal["block_level", "leaf_level"]
RESERVE_GIB = 1.5
RESERVE_FRACTION = 0.04
ACTIVATION_FACTOR = 12  # live (tokens x hidden) bf16 tensors at a transformer block's peak (Wan 720p: 8.4 GiB measured)
ACTIVATION_FLOOR = GiB // 2
TILED_COST_BYTES = 2 * GiB  # a tiled decode costs about as much time as moving 2 GiB (Wan 480p: +2.6 s)

# VAE decode activations: bytes per output pixel of one frame (untiled) and the tiled peak, by VAE class.
# Wan: 4.7 GiB for 480x832 (measured on an H100; causal decode, so per frame), tiled 1.2 GiB. AutoencoderKL: estimate.
VAE_DECODE = {"AutoencoderKLWan": (12_600, int(1.2 * GiB)), "default": (3_000, int(0.8 * GiB))}


@dataclass(frozen=True)
class Footprint:
    """What one pipeline needs on the GPU, in bytes, at the size it is planned for."""

    name: str
    components: Mapping[str, int]  # bytes of each nn.Module component in the run dtype
    denoisers: tuple[str, ...]  # components that run once per forward (transformer, transformer_2)
    block_bytes: int  # the largest repeated block of a denoiser (one group of block-level offloading)
    leaf_bytes: int  # the largest single layer (leaf-level offloading)
    activation_bytes: int  # peak denoising activations
    decode_bytes: int  # VAE decode activations, untiled
    decode_tiled_bytes: int  # VAE decode activations, tiled
    forwards_per_call: int  # denoiser forwards per call (steps x 2 with classifier-free guidance)
    vae: str = "vae"

    @property
    def weights(self) -> int:
        """Bytes of all the pipeline's components."""
        return sum(self.components.values())

    @property
    def largest(self) -> int:
        """Bytes of its largest component."""
        return max(self.components.values(), default=0)


@dataclass(frozen=True)
class Plan:
    """The placement chosen for one pipeline."""

    name: str
    mode: Mode
    tiled_vae: bool = False
    offload_type: OffloadType = "block_level"
    peak_bytes: int = 0  # the largest GPU use while this pipeline runs (others' resident weights included)
    budget_bytes: int = 0
    fits: bool = True
    reason: str = ""

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary for run metadata."""
        return {
            "mode": self.mode, "tiled_vae": self.tiled_vae,
            "offload_type": self.offload_type if self.mode == "group_offload" else None,
            "peak_gib": round(self.peak_bytes / GiB, 2), "budget_gib": round(self.budget_bytes / GiB, 2),
            "fits": self.fits, "reason": self.reason,
        }


def budget_bytes(card_gib: float, vllm_fraction: float = 0.0) -> int:
    """Bytes the diffusion pipelines may use on a card of `card_gib` GiB after the vLLM share and the reserve."""
    if not 0 <= vllm_fraction < 1:
        raise ValueError(f"vllm_fraction must be in [0, 1), got {vllm_fraction}")
    card = card_gib * GiB
    return int(card * (1 - vllm_fraction) - RESERVE_GIB * GiB - RESERVE_FRACTION * card)


def _idle(fp: Footprint, mode: Mode) -> int:
    """What a pipeline keeps on the GPU while another runs."""
    return fp.weights if mode == "resident" else 0


def _run_peak(fp: Footprint, mode: Mode, offload_type: str, tiled: bool) -> int:
    """The pipeline's own peak while it runs (denoising or decoding, whichever is larger)."""
    vae = fp.components.get(fp.vae, 0)
    decode = fp.decode_tiled_bytes if tiled else fp.decode_bytes
    if mode == "resident":
        return fp.weights + max(fp.activation_bytes, decode)
    if mode == "model_offload":
        return max(fp.largest + fp.activation_bytes, vae + decode)
    group = 2 * (fp.block_bytes if offload_type == "block_level" else fp.leaf_bytes)  # one group + one prefetched
    return max(group + fp.activation_bytes, vae + decode)


def _cost(fp: Footprint, mode: Mode, offload_type: str, tiled: bool) -> float:
    """Bytes moved per call (the time proxy the planner minimises)."""
    cost = float(TILED_COST_BYTES if tiled else 0)
    if mode == "model_offload":
        cost += fp.weights
    elif mode == "group_offload":
        per_forward = max((fp.components.get(d, 0) for d in fp.denoisers), default=fp.largest)
        cost += per_forward * fp.forwards_per_call * (1.25 if offload_type == "leaf_level" else 1.0)
    return cost


Choice = tuple[Mode, OffloadType, bool]  # mode, offload type, tiled VAE
CHOICES: tuple[Choice, ...] = tuple(
    (m, o, t) for m in MODES for o in (("block_level", "leaf_level") if m == "group_offload" else ("block_level",))
    for t in (False, True)
)


def plan_memory(footprints: Sequence[Footprint], *, card_gib: float, vllm_fraction: float = 0.0,
                overrides: Mapping[str, str | None] | None = None,
                tiled_overrides: Mapping[str, bool | None] | None = None) -> dict[str, Plan]:
    """Choose a placement per pipeline so that every stage fits the card; cheapest fitting combination wins.

    `overrides` pins a pipeline's mode ("resident", "model_offload", "group_offload"; None or "auto": plan it);
    `tiled_overrides` pins tiled VAE decode on or off. If nothing fits, every pipeline gets the smallest plan and
    `fits=False` (logged as a warning): a smaller plan is never passed over for a larger one.
    """
    overrides = dict(overrides or {})
    tiled_overrides = dict(tiled_overrides or {})
    budget = budget_bytes(card_gib, vllm_fraction)
    fps = list(footprints)
    options: list[list[Choice]] = []
    for fp in fps:
        pinned = overrides.get(fp.name)
        if pinned not in (None, "auto") and pinned not in MODES:
            raise ValueError(f"memory plan for {fp.name!r}: {pinned!r} is not one of auto, {', '.join(MODES)}")
        tiled = tiled_overrides.get(fp.name)
        options.append([c for c in CHOICES if pinned in (None, "auto", c[0]) and tiled in (None, c[2])])

    def peaks(combo: Sequence[Choice]) -> list[int]:
        idle = [_idle(fp, c[0]) for fp, c in zip(fps, combo, strict=True)]
        return [sum(idle) - idle[i] + _run_peak(fp, *combo[i]) for i, fp in enumerate(fps)]

    def smallest(fp: Footprint, opts: list[Choice]) -> Choice:
        return min(opts, key=lambda c: _run_peak(fp, *c))

    best: tuple[float, Sequence[Choice]] | None = None
    for combo in itertools.product(*options):
        if all(p <= budget for p in peaks(combo)):
            cost = sum(_cost(fp, *c) for fp, c in zip(fps, combo, strict=True))
            if best is None or cost < best[0]:
                best = (cost, combo)
    fits = best is not None
    chosen = [smallest(fp, opts) for fp, opts in zip(fps, options, strict=True)] if best is None else best[1]
    pk = peaks(chosen)
    plans = {}
    for i, (fp, (mode, offload_type, tiled)) in enumerate(zip(fps, chosen, strict=True)):
        others = [f"{o.name}={c[0]}" for o, c in zip(fps, chosen, strict=True) if o is not fp]
        reason = (f"{fp.name}: weights {fp.weights / GiB:.1f} GiB, peak {pk[i] / GiB:.1f} GiB of "
                  f"{budget / GiB:.1f} GiB (card {card_gib:g} GiB, vLLM share {vllm_fraction:g})"
                  + (f", beside {', '.join(others)}" if others else ""))
        plans[fp.name] = Plan(fp.name, mode, tiled, offload_type, pk[i], budget, fits, reason)
        (log.info if fits else log.warning)("memory plan %s: %s%s%s (%s)", fp.name, mode,
                                            f"/{offload_type}" if mode == "group_offload" else "",
                                            " + tiled VAE" if tiled else "", reason if fits else "DOES NOT FIT")
    return plans


# --- figures for the documented cards --------------------------------------------------------------------------

def video_tokens(width: int, height: int, frames: int, *, spatial: int = 16, temporal: int = 4) -> int:
    """Transformer tokens of a Wan-style latent video (VAE x8 spatial, x4 temporal, patch 2x2)."""
    return ((frames - 1) // temporal + 1) * (height // spatial) * (width // spatial)


def activation_estimate(tokens: int, hidden: int, dtype_bytes: int = 2) -> int:
    """Peak denoising activations of a DiT forward over `tokens` tokens of width `hidden`."""
    return max(ACTIVATION_FLOOR, tokens * hidden * dtype_bytes * ACTIVATION_FACTOR)


def decode_estimate(vae_class: str, width: int, height: int) -> tuple[int, int]:
    """(untiled, tiled) VAE decode activations for frames of width x height."""
    per_px, tiled = VAE_DECODE.get(vae_class, VAE_DECODE["default"])
    return per_px * width * height, tiled


def flux_dev(width: int = 1024, height: int = 1024, steps: int = 28, dtype_bytes: int = 2) -> Footprint:
    """FLUX.1-dev: 11.90 B transformer (19 double + 38 single blocks), T5-XXL encoder 4.76 B, CLIP-L 0.12 B."""
    params = {"transformer": 11.90e9, "text_encoder_2": 4.76e9, "text_encoder": 0.123e9, "vae": 0.084e9}
    dec, dec_tiled = decode_estimate("AutoencoderKL", width, height)
    return Footprint(
        name="image", components={k: int(v * dtype_bytes) for k, v in params.items()}, denoisers=("transformer",),
        block_bytes=int(0.34e9 * dtype_bytes), leaf_bytes=int(0.113e9 * dtype_bytes),
        activation_bytes=activation_estimate((width // 16) * (height // 16) + 512, 3072, dtype_bytes),
        decode_bytes=dec, decode_tiled_bytes=dec_tiled, forwards_per_call=steps,
    )


def wan22_a14b(width: int = 1280, height: int = 720, frames: int = 81, steps: int = 40, cfg: bool = True,
               dtype_bytes: int = 2) -> Footprint:
    """Wan2.2-I2V-A14B: two 14.29 B experts (40 blocks each, hidden 5120), UMT5-XXL encoder 5.68 B, VAE 0.13 B."""
    params = {"transformer": 14.29e9, "transformer_2": 14.29e9, "text_encoder": 5.68e9, "vae": 0.127e9}
    dec, dec_tiled = decode_estimate("AutoencoderKLWan", width, height)
    return Footprint(
        name="video", components={k: int(v * dtype_bytes) for k, v in params.items()},
        denoisers=("transformer", "transformer_2"), block_bytes=int(0.352e9 * dtype_bytes),
        leaf_bytes=int(0.071e9 * dtype_bytes),
        activation_bytes=activation_estimate(video_tokens(width, height, frames), 5120, dtype_bytes),
        decode_bytes=dec, decode_tiled_bytes=dec_tiled, forwards_per_call=steps * (2 if cfg else 1),
    )


DOCUMENTED = ((24, 0.0), (24, 0.5), (80, 0.0), (80, 0.3), (141, 0.0), (141, 0.3))


def documented_plans() -> list[dict[str, Any]]:
    """The table in this module's docstring: FLUX.1-dev + Wan2.2-A14B (720p) per documented card and vLLM share."""
    rows = []
    for card, share in DOCUMENTED:
        plans = plan_memory([flux_dev(), wan22_a14b()], card_gib=card, vllm_fraction=share)
        rows.append({"card_gib": card, "vllm_fraction": share, "image": plans["image"].mode,
                     "video": plans["video"].mode, "tiled": [n for n, p in plans.items() if p.tiled_vae],
                     "fits": all(p.fits for p in plans.values())})
    return rows


# --- footprints of loaded pipelines and applying a plan ------------------------------------------------------

def module_bytes(module: Any) -> int:
    """Bytes of a torch module's parameters and buffers."""
    return sum(t.numel() * t.element_size() for t in itertools.chain(module.parameters(), module.buffers()))


def _largest_block(module: Any) -> tuple[int, int]:
    """(largest repeated block, largest leaf layer) of a denoiser, in bytes."""
    import torch

    block = leaf = 0
    for child in module.modules():
        if isinstance(child, torch.nn.ModuleList) and len(child) > 1:
            block = max(block, max(module_bytes(b) for b in child))
        if not any(True for _ in child.children()):
            leaf = max(leaf, module_bytes(child))
    return block or module_bytes(module), leaf or module_bytes(module)


def pipeline_footprint(pipe: Any, name: str, *, tokens: int, frames_hw: tuple[int, int], forwards: int,
                       text_tokens: int = 0) -> Footprint:
    """The footprint of a loaded diffusers pipeline (weights measured from its modules, activations estimated)."""
    import torch

    comps = {k: module_bytes(v) for k, v in pipe.components.items() if isinstance(v, torch.nn.Module)}
    denoisers = tuple(k for k in ("transformer", "transformer_2", "unet") if k in comps)
    block = leaf = 0
    hidden, elt = 0, 2
    for d in denoisers:
        b, lf = _largest_block(getattr(pipe, d))
        block, leaf = max(block, b), max(leaf, lf)
        cfg = getattr(getattr(pipe, d), "config", {})
        heads, dim = cfg.get("num_attention_heads", 0), cfg.get("attention_head_dim", 0)
        hidden = max(hidden, heads * dim if isinstance(heads, int) and isinstance(dim, int) else 0)
        elt = next(getattr(pipe, d).parameters()).element_size()
    vae = getattr(pipe, "vae", None)
    dec, dec_tiled = decode_estimate(type(vae).__name__ if vae is not None else "", *frames_hw)
    return Footprint(
        name=name, components=comps, denoisers=denoisers, block_bytes=block, leaf_bytes=leaf,
        activation_bytes=activation_estimate(tokens + text_tokens, hidden or 3072, elt),
        decode_bytes=dec, decode_tiled_bytes=dec_tiled, forwards_per_call=forwards,
    )


def apply_plan(pipe: Any, plan: Plan, device: Any, *, previous: Plan | None = None) -> Plan:
    """Place a pipeline as `plan` says, with diffusers' own hooks (`previous`: the plan it is placed by now).
    Returns the plan in effect."""
    import torch

    device = torch.device(device)
    if previous is not None and previous.mode == "group_offload" and plan.mode != "group_offload":
        log.warning("memory plan %s: stays group-offloaded (group offloading cannot be undone in place)", plan.name)
        plan = replace(plan, mode="group_offload")
    elif previous is not None and previous.mode == "model_offload":
        pipe.remove_all_hooks()
    if device.type == "cpu":
        pipe.to("cpu")
    elif plan.mode == "resident":
        pipe.to(device)
    elif plan.mode == "model_offload":
        pipe.enable_model_cpu_offload(device=device)
    elif previous is None or previous.mode != "group_offload":
        if previous is not None:
            pipe.to("cpu")
        use_stream = device.type == "cuda"
        kwargs: dict[str, Any] = {"offload_type": plan.offload_type, "use_stream": use_stream}
        if plan.offload_type == "block_level":
            kwargs["num_blocks_per_group"] = 1
        pipe.enable_group_offload(onload_device=device, offload_device=torch.device("cpu"),
                                  exclude_modules=["vae"], **kwargs)
    vae = getattr(pipe, "vae", None)
    if vae is not None and hasattr(vae, "enable_tiling"):
        if plan.tiled_vae:
            vae.enable_tiling()
        elif hasattr(vae, "disable_tiling"):
            vae.disable_tiling()
    return plan


@dataclass
class _Entry:
    footprint: Footprint
    pipe: weakref.ref[Any]  # the pipeline (a weak reference: a dropped backend leaves the plan by itself)
    device: Any
    override: str | None
    tiled: bool | None
    plan: Plan | None = None


@dataclass
class MemoryPlanner:
    """The pipelines sharing this process's GPU. Admitting one re-plans all and re-places those whose plan changed."""

    entries: dict[str, _Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, footprint: Footprint, pipe: Any, device: Any, *, card_gib: float | None,
              vllm_fraction: float = 0.0, override: str | None = None, tiled: bool | None = None) -> Plan:
        """Register a loaded pipeline, plan every registered pipeline together, place them; returns its plan."""
        with self._lock:
            self._prune()
            self.entries[footprint.name] = _Entry(footprint, weakref.ref(pipe), device, override, tiled)
            if card_gib is None:  # no accelerator: everything stays where it is (CPU)
                plan = Plan(footprint.name, "resident", bool(tiled), reason="no accelerator: runs on the CPU")
                self.entries[footprint.name].plan = plan
                apply_plan(pipe, plan, "cpu")
                return plan
            return self._replan(card_gib, vllm_fraction)[footprint.name]

    def downgrade(self, name: str, *, card_gib: float, vllm_fraction: float = 0.0) -> Plan | None:
        """After an out-of-memory error: pin `name` one step smaller and re-place it (None: nothing smaller)."""
        with self._lock:
            entry = self.entries[name]
            cur = entry.plan
            if cur is None:
                return None
            if cur.mode != "group_offload":
                entry.override = MODES[MODES.index(cur.mode) + 1]
            elif not cur.tiled_vae:
                entry.override, entry.tiled = "group_offload", True
            else:
                return None
            return self._replan(card_gib, vllm_fraction)[name]

    def _prune(self) -> None:
        """Forget pipelines that no longer exist (their backend was dropped)."""
        for name in [n for n, e in self.entries.items() if e.pipe() is None]:
            del self.entries[name]

    def _replan(self, card_gib: float, vllm_fraction: float) -> dict[str, Plan]:
        self._prune()
        entries = list(self.entries.values())
        plans = plan_memory([e.footprint for e in entries], card_gib=card_gib, vllm_fraction=vllm_fraction,
                            overrides={e.footprint.name: e.override for e in entries},
                            tiled_overrides={e.footprint.name: e.tiled for e in entries})

        def shrink(e: _Entry) -> int:
            new = MODES.index(plans[e.footprint.name].mode)
            return 99 if e.plan is None else MODES.index(e.plan.mode) - new

        # place the pipelines that shrink first (new ones last), so the card never holds old and new placements
        for e in sorted(entries, key=shrink):
            new = plans[e.footprint.name]
            if e.plan is None or (e.plan.mode, e.plan.tiled_vae) != (new.mode, new.tiled_vae):
                new = apply_plan(e.pipe(), new, e.device, previous=e.plan)
            e.plan = plans[e.footprint.name] = new
        return plans

    def forget(self, names: Iterable[str] | None = None) -> None:
        """Drop pipelines from the plan (all when `names` is None)."""
        with self._lock:
            for n in list(self.entries) if names is None else list(names):
                self.entries.pop(n, None)


PLANNER = MemoryPlanner()
