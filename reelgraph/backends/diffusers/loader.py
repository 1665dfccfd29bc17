"""What the diffusers image and video backends share: option checking, model-folder checks, loading once,
device and dtype, the memory plan, speed switches, stage timers and peak memory.

torch and diffusers are imported inside functions only: importing this module costs nothing.
"""

from __future__ import annotations

import json
import logging
import resource
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from reelgraph.backends.torch_device import resolve_device, resolve_dtype
from reelgraph.errors import BackendError, UsageError

log = logging.getLogger(__name__)
T = TypeVar("T")

COMMON_OPTIONS: dict[str, Any] = {
    "steps": None,  # denoising steps (backend default when None)
    "guidance": None,  # guidance scale (backend default when None)
    "dtype": "auto",  # "auto" (bfloat16 on a GPU, float32 on the CPU), "bfloat16", "float16", "float32"
    "device": "auto",  # "auto", "cuda", "cuda:1", "cpu", ...
    "memory_plan": "auto",  # "auto", "resident", "model_offload", "group_offload"
    "tiled_vae": "auto",  # "auto", true, false
    "vllm_fraction": 0.0,  # share of the card a vLLM server on the same GPU holds (its gpu_memory_utilization)
    "card_gib": None,  # plan for this card size instead of the one found
    "compile": False,  # torch.compile of the denoisers' repeated blocks (regional compilation)
    "compile_fullgraph": False,
    "compile_backend": "inductor",
    "first_block_cache": 0.0,  # first-block cache threshold (0: off; 0.05-0.1 typical)
    "attention": "default",  # attention kernel: "default" (torch SDPA: cuDNN on Hopper, exact), "flash4"
    # (FlashAttention-4, 1.18x SDPA on an H100), "sage_triton", or a diffusers backend name ("_native_flash",
    # "_flash_3", "sage", ...; see speed.options.ATTENTION_CHOICES)
    "fp8_linear": False,  # torchao float8 weights + activations in the denoisers' blocks (quantised once at load)
    "inductor_cache_dir": None,  # compiled-kernel cache across runs (TORCHINDUCTOR_CACHE_DIR)
    "negative_prompt": None,
}

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")


def check_options(options: Mapping[str, Any], specific: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """Options with defaults filled in; an unknown key is a usage error naming the known ones."""
    known = {**COMMON_OPTIONS, **specific}
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise UsageError(f"{kind} backend 'diffusers': unknown option(s) {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(known))}")
    return {**known, **options}


# --- model folders ---------------------------------------------------------------------------------------------

def _fail(root: Path, what: str) -> BackendError:
    return BackendError(f"model folder {root}: {what}")


def _read_json(root: Path, path: Path) -> Any:
    rel = path.relative_to(root)
    if not path.is_file():
        raise _fail(root, f"{rel} missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise _fail(root, f"{rel} is not valid JSON ({e})") from None


def _check_weights(root: Path, sub: Path) -> None:
    name = sub.name
    indexes = sorted(sub.glob("*.index.json"))
    files = sorted(p for p in sub.iterdir() if p.suffix in WEIGHT_SUFFIXES)
    for index in indexes:
        shards = set((_read_json(root, index).get("weight_map") or {}).values())
        for shard in sorted(shards):
            if not (sub / shard).is_file():
                raise _fail(root, f"{name}/{shard} missing (listed in {index.name})")
    if not files:
        raise _fail(root, f"{name}/ has no weights (*.safetensors or *.bin)")
    from safetensors import safe_open

    for f in files:
        if f.suffix != ".safetensors":
            continue
        try:
            with safe_open(str(f), framework="pt") as handle:
                handle.keys()
        except Exception as e:  # SafetensorError is not exported under a stable name
            raise _fail(root, f"{name}/{f.name} is not a readable safetensors file ({e})") from None


def check_model_folder(folder: str | None, kind: str) -> Path:
    """Check a diffusers pipeline folder without loading it: every component model_index.json names is present
    with its config and readable weights. Raises one BackendError naming the folder and the component."""
    if not folder:
        raise BackendError(f"{kind} backend 'diffusers' needs a model folder: set `model` under [{kind}] in the "
                           "profile to a local diffusers pipeline folder")
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise _fail(root, "not found (no such folder)")
    spec = _read_json(root, root / "model_index.json")
    if not isinstance(spec, dict) or "_class_name" not in spec:
        raise _fail(root, "model_index.json has no _class_name (not a diffusers pipeline folder)")
    for name, value in spec.items():
        if name.startswith("_") or not (isinstance(value, list) and len(value) == 2) or value[1] is None:
            continue
        cls = str(value[1])
        sub = root / name
        if not sub.is_dir():
            raise _fail(root, f"{name}/ missing ({cls})")
        if "Scheduler" in cls:
            _read_json(root, sub / "scheduler_config.json")
        elif "Tokenizer" in cls:
            if not any((sub / f).is_file() for f in ("tokenizer.json", "tokenizer_config.json", "spiece.model")):
                raise _fail(root, f"{name}/tokenizer_config.json missing ({cls})")
        elif "Processor" in cls or "FeatureExtractor" in cls:
            _read_json(root, sub / "preprocessor_config.json")
        else:
            _read_json(root, sub / "config.json")
            _check_weights(root, sub)
    return root


def pipeline_class_name(root: Path) -> str:
    """The pipeline class a folder declares."""
    return str(json.loads((root / "model_index.json").read_text(encoding="utf-8"))["_class_name"])


def load_pipeline(root: Path, dtype: Any) -> Any:
    """`DiffusionPipeline.from_pretrained` of a checked local folder, on the CPU, in `dtype`; errors name the folder."""
    from diffusers import DiffusionPipeline

    try:
        return DiffusionPipeline.from_pretrained(str(root), dtype=dtype, local_files_only=True)
    except Exception as e:
        raise _fail(root, f"loading {pipeline_class_name(root)} failed: {type(e).__name__}: {e}") from e


# --- device, dtype, memory ------------------------------------------------------------------------------------

def card_gib(device: Any, override: float | None) -> float | None:
    """The GiB of the card `device` is on (None on the CPU)."""
    if override:
        return float(override)
    if device.type != "cuda":
        return None
    import torch

    return torch.cuda.get_device_properties(device).total_memory / (1 << 30)


def tiled_option(value: Any) -> bool | None:
    """The tiled_vae option as a pin: True / False, or None for "auto"."""
    if value in (None, "auto"):
        return None
    if isinstance(value, bool):
        return value
    raise UsageError(f"tiled_vae must be true, false or \"auto\", got {value!r}")


def reset_peak(device: Any) -> None:
    """Start measuring peak GPU memory afresh (CUDA; nothing elsewhere)."""
    if device.type == "cuda":
        import torch

        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)


def read_peak(device: Any) -> int:
    """Peak GPU memory allocated since the last reset (CUDA), else the process's peak resident set (bytes)."""
    if device.type == "cuda":
        import torch

        torch.cuda.synchronize(device)
        return int(torch.cuda.max_memory_allocated(device))
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def peak_kind(device: Any) -> str:
    """What `read_peak` measures on `device`."""
    return "cuda_max_allocated" if device.type == "cuda" else "process_max_rss"


class Stages:
    """Wall time and peak memory per named stage (GPU work synchronised at the edges)."""

    def __init__(self, device: Any) -> None:
        self.device = device
        self.seconds: dict[str, float] = {}
        self.peak: dict[str, int] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block and record its peak memory under `name` (repeated stages add up their time)."""
        reset_peak(self.device)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            if self.device.type == "cuda":
                import torch

                torch.cuda.synchronize(self.device)
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0
            self.peak[name] = max(self.peak.get(name, 0), read_peak(self.device))

    def meta(self) -> dict[str, Any]:
        """The timings and peaks per stage, for a take's metadata."""
        return {"timings_s": {k: round(v, 4) for k, v in self.seconds.items()},
                "peak_memory_bytes": dict(self.peak), "peak_memory_kind": peak_kind(self.device)}


# --- speed switches ---------------------------------------------------------------------------------------------

def denoisers(pipe: Any) -> list[Any]:
    """The components that run once per denoising step."""
    return [m for n in ("transformer", "transformer_2", "unet") if (m := getattr(pipe, n, None)) is not None]


def prepare_weights(pipe: Any, opts: Mapping[str, Any], device: Any) -> dict[str, Any]:
    """Switches that change the weights, applied once at load before the memory plan (fp8 linear layers)."""
    if not opts.get("fp8_linear"):
        return {}
    from reelgraph.backends.diffusers.speed.fp8 import quantize_fp8

    return {"fp8": quantize_fp8(denoisers(pipe), device)}


def apply_speed_switches(pipe: Any, opts: Mapping[str, Any],
                         split: Callable[[], dict[str, Any]] | None = None) -> dict[str, Any]:
    """Attention kernel, first-block cache, `split` (context parallelism: after the kernel is chosen, before compile)
    and regional torch.compile on the denoisers, as the options ask; returns what was applied."""
    from reelgraph.backends.diffusers.speed.attention import set_attention
    from reelgraph.backends.diffusers.speed.inductor_cache import set_inductor_cache
    from reelgraph.backends.diffusers.speed.options import check_attention

    applied: dict[str, Any] = {}
    if check_attention(opts.get("attention")) != "default":
        applied.update(set_attention(denoisers(pipe), str(opts.get("attention"))))
    threshold = float(opts.get("first_block_cache") or 0.0)
    fixed = float(opts.get("cache_fixed_ratio") or 0.0)
    if threshold > 0 or fixed > 0:
        from diffusers import FirstBlockCacheConfig

        for m in denoisers(pipe):
            m.enable_cache(FirstBlockCacheConfig(threshold=threshold or 0.05))
        applied["first_block_cache"] = threshold
        if fixed > 0:
            applied["cache_fixed_ratio"] = fixed
    if split is not None:
        applied.update(split())
    if opts.get("compile") and opts.get("inductor_cache_dir"):
        applied["inductor_cache_dir"] = set_inductor_cache(opts["inductor_cache_dir"])
    if opts.get("compile"):
        for m in denoisers(pipe):
            if getattr(m, "_repeated_blocks", None):
                m.compile_repeated_blocks(fullgraph=bool(opts.get("compile_fullgraph")),
                                          backend=str(opts.get("compile_backend") or "inductor"))
            else:
                m.compile(backend=str(opts.get("compile_backend") or "inductor"))
        applied["compile"] = str(opts.get("compile_backend") or "inductor")
    return applied


def with_oom_retry(call: Callable[[], T], *, shrink: Callable[[], bool], what: str) -> T:
    """Run `call`; on a CUDA out-of-memory error shrink the memory plan and retry, while a smaller plan exists."""
    import torch

    while True:
        try:
            return call()
        except torch.OutOfMemoryError as e:
            torch.cuda.empty_cache()
            if not shrink():
                raise BackendError(f"{what}: out of GPU memory even with the smallest memory plan ({e})") from e
            log.warning("%s: out of GPU memory; retrying with a smaller memory plan", what)


# --- the shared backend skeleton --------------------------------------------------------------------------------

class DiffusersBackend:
    """Loads one diffusers pipeline folder once (lazily, on first use), places it by the memory plan, applies the
    speed switches, and keeps it for the life of the backend (one backend per process and profile)."""

    name = "diffusers"
    kind = "image"
    OPTIONS: dict[str, Any] = {}
    DEFAULT_STEPS = 28
    DEFAULT_GUIDANCE = 3.5

    def __init__(self, cfg: Any) -> None:
        import threading

        self.cfg = cfg
        self.opts = check_options(cfg.options, self.OPTIONS, self.kind)
        from reelgraph.backends.diffusers.speed.options import check_generic_options

        check_generic_options(self.opts)
        self.folder = self._model_folder(cfg.model)
        self.steps = int(self.opts["steps"] or self.DEFAULT_STEPS)
        self.guidance = float(self.DEFAULT_GUIDANCE if self.opts["guidance"] is None else self.opts["guidance"])
        if self.steps < 1:
            raise UsageError(f"{self.kind} backend 'diffusers': steps must be at least 1")
        from reelgraph.backends.diffusers.memory_plan import MODES

        if self.opts["memory_plan"] not in ("auto", *MODES):
            raise UsageError(f"{self.kind} option memory_plan must be auto, {', '.join(MODES)}; "
                             f"got {self.opts['memory_plan']!r}")
        tiled_option(self.opts["tiled_vae"])
        self.model_loads = 0
        self.load_seconds = 0.0
        self.plan: Any = None
        self.speed: dict[str, Any] = {}
        self.prepared: dict[str, Any] = {}  # what `_prepare` did to the weights (reported with the speed switches)
        self.device: Any = None
        self.dtype: Any = None
        self._pipe: Any = None
        self._lock = threading.RLock()
        self.plan_name = f"{self.kind}:{self.folder}"

    # subclasses: where the weights come from, what to prepare before placement, and the footprint to plan for
    def _model_folder(self, model: str | None) -> Path:
        """The checked model folder named by the profile (`model`)."""
        return check_model_folder(model, self.kind)

    def _load_pipeline(self) -> Any:
        """The pipeline with its weights, in `self.dtype` (from `self.folder`, on the CPU: the plan places it)."""
        return load_pipeline(self.folder, self.dtype)

    def _prepare(self, pipe: Any) -> None:
        """Hook run after loading, before the memory plan places the pipeline."""

    def _footprint(self, pipe: Any) -> Any:
        raise NotImplementedError

    def _before_load(self) -> None:
        """Hook run before the pipeline loads (after device and dtype are known)."""

    def _split(self, pipe: Any) -> dict[str, Any] | None:
        """Hook: spread the denoisers over several processes, between the attention kernel and compile; what was
        done (None: nothing to do)."""
        return None

    @property
    def pipe(self) -> Any:
        """The loaded pipeline (loaded on first use, once)."""
        with self._lock:
            if self._pipe is None:
                self._load()
            return self._pipe

    def _load(self) -> None:
        from reelgraph.backends.diffusers.memory_plan import PLANNER

        t0 = time.perf_counter()
        self.device = resolve_device(self.opts["device"])
        self.dtype = resolve_dtype(self.opts["dtype"], self.device)
        self._before_load()
        pipe = self._load_pipeline()
        self.model_loads += 1
        pipe.set_progress_bar_config(disable=True)
        self._prepare(pipe)
        weights = prepare_weights(pipe, self.opts, self.device)
        footprint = self._footprint(pipe)
        if weights:  # quantised tensors: count the bytes they really hold
            from dataclasses import replace

            from reelgraph.backends.diffusers.speed.fp8 import real_module_bytes

            footprint = replace(footprint, components={
                k: real_module_bytes(getattr(pipe, k)) if k in footprint.denoisers else v
                for k, v in footprint.components.items()})
        self.plan = PLANNER.admit(
            footprint, pipe, self.device, card_gib=card_gib(self.device, self.opts["card_gib"]),
            vllm_fraction=float(self.opts["vllm_fraction"] or 0.0),
            override=None if self.opts["memory_plan"] == "auto" else str(self.opts["memory_plan"]),
            tiled=tiled_option(self.opts["tiled_vae"]),
        )
        self.speed = {**self.prepared, **weights,
                      **apply_speed_switches(pipe, self.opts, split=lambda: self._split(pipe) or {})}
        self._pipe = pipe
        self.load_seconds = time.perf_counter() - t0
        log.info("%s backend: loaded %s from %s in %.1f s (%s, %s, plan %s)", self.kind, type(pipe).__name__,
                 self.folder, self.load_seconds, self.device, self.dtype, self.plan.mode)

    def _shrink(self) -> bool:
        """Move this pipeline to the next smaller memory plan (after an out-of-memory error)."""
        from reelgraph.backends.diffusers.memory_plan import PLANNER

        gib = card_gib(self.device, self.opts["card_gib"])
        if gib is None:
            return False
        plan = PLANNER.downgrade(self.plan_name, card_gib=gib, vllm_fraction=float(self.opts["vllm_fraction"] or 0))
        if plan is None:
            return False
        self.plan = plan
        return True

    def _run(self, call: Callable[[], T], what: str) -> T:
        """One generation at a time per pipeline; out of memory -> a smaller plan and again."""
        with self._lock:
            return with_oom_retry(call, shrink=self._shrink, what=f"{self.kind} {what} ({self.folder.name})")

    def generator(self, seed: int) -> Any:
        """A seeded CPU generator (the same noise on every device)."""
        import torch

        return torch.Generator("cpu").manual_seed(int(seed) & 0x7FFF_FFFF_FFFF_FFFF)

    def base_meta(self) -> dict[str, Any]:
        """Metadata every output of this backend carries: model, pipeline, settings, loads and memory plan."""
        return {
            "backend": "diffusers", "model": str(self.folder), "pipeline": type(self._pipe).__name__,
            "steps": self.steps, "guidance": self.guidance, "device": str(self.device),
            "dtype": str(self.dtype).removeprefix("torch."), "model_loads": self.model_loads,
            "load_s": round(self.load_seconds, 3), "memory_plan": self.plan.describe() if self.plan else None,
            "speed": dict(self.speed),
        }

    def close(self) -> None:
        """Drop the pipeline and its place in the memory plan."""
        from reelgraph.backends.diffusers.memory_plan import PLANNER

        with self._lock:
            PLANNER.forget([self.plan_name])
            self._pipe = None


def call_kwargs(pipe: Any, **kwargs: Any) -> dict[str, Any]:
    """The keyword arguments a pipeline's __call__ accepts (None values dropped), with a step-progress callback."""
    import inspect

    from reelgraph import progress

    params = inspect.signature(pipe.__call__).parameters
    if "callback_on_step_end" in params and kwargs.get("num_inference_steps"):
        kwargs.setdefault("callback_on_step_end", progress.diffusers_callback(kwargs["num_inference_steps"], "denoise"))
    return {k: v for k, v in kwargs.items() if v is not None and k in params}
