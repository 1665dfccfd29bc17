"""LTX-2 dialogue shots at full size with random weights, through the studio's ltx2 video backend.

    python benchmarks/ltx2_gpu.py                          # CUDA: one 5 s 720p shot with sound, 8 and 30 steps
    python benchmarks/ltx2_gpu.py --steps 8 --budget-s 600
    python benchmarks/ltx2_gpu.py --meta                   # CPU: build on the meta device, print parameter counts

The pipeline is `LTX2ImageToVideoPipeline` with the released LTX-2 (19B) dimensions: the audio-video transformer
(48 layers, video 32x128 wide, audio 32x64), the text connectors, a Gemma-3-12B-size text encoder (3840 wide, 48
layers, with its SigLIP vision tower), the video VAE (x32 spatial, x8 temporal), the audio VAE and the 24 kHz vocoder;
bf16, built directly on the GPU. Each shot is the backend's `animate()`: a 1280x720 keyframe, 5 s at 24 fps rendered
at 1280x704 (121 frames, one pass) with the backend's default guidance (CFG + STG + modality isolation: 4 transformer
forwards per step), then H.264 + 44.1 kHz AAC. Reports seconds per shot and peak GPU memory; writes
benchmarks/results/ltx2_<device>.json. Weights are random (no downloads): time and memory are the real
architecture's, the picture and sound are noise. `--budget-s` bounds the whole run: a run that would not fit is
skipped, one that overruns is stopped, and the report is written with what finished.
"""

from __future__ import annotations

import argparse
import json
import platform
import signal
import string
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.gpu_random_backends import build  # noqa: E402
from reelgraph.backends.diffusers.dialogue import LTX2DialogueBackend  # noqa: E402

GEMMA3_12B_TEXT = {"vocab_size": 262_208, "hidden_size": 3840, "intermediate_size": 15_360, "num_hidden_layers": 48,
                   "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 256,
                   "query_pre_attn_scalar": 256, "sliding_window": 1024, "max_position_embeddings": 131_072}
SIGLIP_400M = {"hidden_size": 1152, "intermediate_size": 4304, "num_hidden_layers": 27, "num_attention_heads": 16,
               "image_size": 896, "patch_size": 14}
# LTX-2 (2.0) as released: the diffusers defaults with split rotary embeddings, a non-causal video decoder and the
# video VAE's compression stated (x32 spatial, x8 temporal: the class would infer x64 / x16 from its four stages)
TRANSFORMER = {"rope_type": "split"}
CONNECTORS = {"rope_type": "split"}
VIDEO_VAE = {"decoder_causal": False, "spatial_compression_ratio": 32, "temporal_compression_ratio": 8}
PROMPT = ("Close-up of a lighthouse keeper in a yellow raincoat, rain on the window behind her. She looks into the "
          "lens and says, in a low, tired voice: \"The light has not failed in forty years, and it will not fail "
          "tonight.\" Wind howls outside.")


class BudgetExceeded(Exception):
    """The run went past --budget-s."""


def gemma_tokenizer() -> Any:
    """A Gemma tokenizer built here: the Gemma specials, the 256 byte tokens and printable ASCII (word-initial forms
    included); ids lie inside Gemma 3's vocabulary."""
    from transformers import GemmaTokenizerFast

    vocab: dict[str, int] = {}
    for tok in ("<pad>", "<eos>", "<bos>", "<unk>", "<mask>", *(f"<0x{i:02X}>" for i in range(256)), "\u2581"):
        vocab.setdefault(tok, len(vocab))
    for ch in string.printable.strip():
        vocab.setdefault(ch, len(vocab))
        vocab.setdefault("\u2581" + ch, len(vocab))
    return GemmaTokenizerFast(vocab=vocab, merges=[], model_max_length=1024, add_bos_token=True)


def ltx2_pipeline(device: Any, dtype: Any) -> Any:
    """`LTX2ImageToVideoPipeline` with the released LTX-2 dimensions and seeded random weights, built on `device`."""
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2ImageToVideoPipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, Gemma3TextConfig, SiglipVisionConfig

    text = Gemma3Config(text_config=Gemma3TextConfig(**GEMMA3_12B_TEXT),
                        vision_config=SiglipVisionConfig(**SIGLIP_400M), mm_tokens_per_image=256)
    pipe = LTX2ImageToVideoPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        transformer=build(LTX2VideoTransformer3DModel, TRANSFORMER, device, dtype, 0),
        connectors=build(LTX2TextConnectors, CONNECTORS, device, dtype, 1),
        text_encoder=build(Gemma3ForConditionalGeneration, text, device, dtype, 2), tokenizer=gemma_tokenizer(),
        vae=build(AutoencoderKLLTX2Video, VIDEO_VAE, device, dtype, 3),
        audio_vae=build(AutoencoderKLLTX2Audio, {}, device, dtype, 4),
        vocoder=build(LTX2Vocoder, {}, device, dtype, 5),
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


class RandomLTX2Backend(LTX2DialogueBackend):
    """The studio's ltx2 backend over an LTX-2-architecture pipeline with random weights built on the device."""

    def _model_folder(self, model: str | None) -> Path:
        return Path(model or "random-ltx-2")

    def _load_pipeline(self) -> Any:
        return ltx2_pipeline(self.device, self.dtype)


def params(pipe: Any) -> dict[str, int]:
    """Parameters per component."""
    import torch

    return {name: sum(p.numel() for p in m.parameters()) for name, m in pipe.components.items()
            if isinstance(m, torch.nn.Module)}


def shot_plan(pipe: Any, args: argparse.Namespace) -> dict[str, Any]:
    """What one shot renders: the generation size, model frames and transformer tokens."""
    from reelgraph.backends.diffusers.clips import generation_size
    from reelgraph.backends.diffusers.dialogue import SIZE_UNIT, model_frames
    from reelgraph.backends.diffusers.dialogue_options import PRESETS

    gw, gh = generation_size(args.width, args.height, PRESETS[args.preset], SIZE_UNIT)
    step = int(pipe.vae_temporal_compression_ratio)
    frames = model_frames(args.seconds, args.model_fps, step)
    tokens = ((frames - 1) // step + 1) * (gh // int(pipe.vae_spatial_compression_ratio)) * (
        gw // int(pipe.vae_spatial_compression_ratio))
    return {"generated": [gw, gh], "model_frames": frames, "video_tokens": tokens,
            "audio_tokens": round(frames / args.model_fps * 16_000 / 160 / 4)}


def meta_check(args: argparse.Namespace) -> int:
    """Build every component on the meta device (no memory, no GPU) and print what a GPU run would build."""
    import torch

    pipe = ltx2_pipeline("meta", torch.bfloat16)
    counts = params(pipe)
    for name, n in counts.items():
        print(f"{name:14s} {n / 1e9:8.3f} B parameters")
    print(f"{'total':14s} {sum(counts.values()) / 1e9:8.3f} B ({sum(counts.values()) * 2 / 2**30:.1f} GiB in bf16)")
    print("shot:", json.dumps(shot_plan(pipe, args)), "vocoder", pipe.vocoder.config.output_sampling_rate, "Hz")
    return 0


def options(args: argparse.Namespace, steps: int) -> dict[str, Any]:
    """The backend's options for this benchmark."""
    opts: dict[str, Any] = {"steps": steps, "device": "cuda", "dtype": "bfloat16", "preset": args.preset,
                            "model_fps": args.model_fps, "memory_plan": args.memory_plan}
    if args.cfg_only:
        opts.update(stg_scale=0.0, modality_scale=1.0)
    return opts


def run_shot(backend: Any, keyframe: Path, args: argparse.Namespace, out: Path, seed: int) -> dict[str, Any]:
    """One dialogue shot through the backend: wall time, peak GPU memory, the backend's timings and audio meta."""
    import torch

    from reelgraph.backends.base import MotionSpec

    motion = MotionSpec(prompt=PROMPT, camera="push_in", seconds=args.seconds, fps=args.fps or int(args.model_fps),
                        width=args.width, height=args.height, seed=seed)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    info = backend.animate(keyframe, motion, out)
    wall = time.perf_counter() - t0
    m = info.meta
    plan = m["memory_plan"] or {}
    # the backend measures the peak per stage (it resets the counter at each one): the shot's peak is the largest
    return {"steps": backend.steps, "seconds_per_shot": round(wall, 2), "shot_seconds": args.seconds,
            "realtime_factor": round(wall / args.seconds, 2),
            "peak_gib": round(max(m["peak_memory_bytes"].values()) / 2**30, 2),
            "peak_gib_by_stage": {k: round(v / 2**30, 2) for k, v in m["peak_memory_bytes"].items()},
            "timings_s": m["timings_s"], "generated": m["generated"], "frames": m["frames"], "fps": m["fps"],
            "size": [m["width"], m["height"]], "audio": m["audio"], "image_crf": m["image_crf"],
            "memory_plan": plan.get("mode"), "tiled_vae": plan.get("tiled_vae")}


def bench(args: argparse.Namespace, report: dict[str, Any], deadline: float) -> None:
    """Build once, warm up, then one shot per step count while the budget lasts (results land in `report`)."""
    import numpy as np
    import torch
    from PIL import Image

    from reelgraph.config import BackendConfig

    steps_list = [int(s) for s in args.steps.split(",")]
    backend = RandomLTX2Backend(BackendConfig(backend="ltx2", options=options(args, steps_list[0])))
    t0 = time.perf_counter()
    pipe = backend.pipe  # builds on the GPU and places it by the memory plan
    report["build_s"] = round(time.perf_counter() - t0, 2)
    report["params"] = params(pipe)
    report["shot"] = shot_plan(pipe, args)
    print(f"built in {report['build_s']} s: {sum(report['params'].values()) / 1e9:.2f} B parameters, "
          f"{torch.cuda.memory_allocated() / 2**30:.1f} GiB", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        keyframe, out = Path(tmp) / "key.png", Path(tmp) / "shot.mp4"
        rng = np.random.default_rng(0)
        Image.fromarray(rng.integers(0, 255, (args.height, args.width, 3), dtype=np.uint8)).save(keyframe)
        points: list[tuple[int, float]] = []
        if args.warmup:
            backend.steps = 1
            t1 = time.perf_counter()
            run_shot(backend, keyframe, args, out, seed=0)
            points.append((1, time.perf_counter() - t1))
            report["warmup_s"] = round(points[-1][1], 2)
            print(f"warm-up (1 step): {report['warmup_s']} s", flush=True)
        for steps in steps_list:
            if len(points) >= 2:  # fixed cost + per-step cost from the last two shots
                (s1, w1), (s2, w2) = points[-2], points[-1]
                per_step = (w2 - w1) / (s2 - s1) if s2 != s1 else w2 / s2
                predicted = w2 + per_step * (steps - s2)
                if time.perf_counter() + predicted > deadline:
                    report["runs"].append({"steps": steps, "skipped": f"predicted {predicted:.0f} s, over budget"})
                    continue
            backend.steps = steps
            run = run_shot(backend, keyframe, args, out, seed=1)
            points.append((steps, run["seconds_per_shot"]))
            report["runs"].append(run)
            print(f"{steps} steps: {run['seconds_per_shot']} s per {args.seconds:g} s shot "
                  f"(x{run['realtime_factor']} realtime), peak {run['peak_gib']} GiB", flush=True)
    backend.close()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--steps", default="8,30", help="denoising step counts, comma-separated (one shot each)")
    parser.add_argument("--seconds", type=float, default=5.0, help="shot length")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--preset", default="720p", choices=("480p", "720p", "1080p"))
    parser.add_argument("--model-fps", type=float, default=24.0, help="the frame rate LTX-2 renders at")
    parser.add_argument("--fps", type=int, default=0, help="the clip's frame rate (0: the model's)")
    parser.add_argument("--memory-plan", default="auto", choices=("auto", "resident", "model_offload",
                                                                  "group_offload"))
    parser.add_argument("--cfg-only", action="store_true", help="no STG or modality guidance (2 forwards a step)")
    parser.add_argument("--no-warmup", dest="warmup", action="store_false")
    parser.add_argument("--budget-s", type=float, default=1500.0, help="stop (and report) after this many seconds")
    parser.add_argument("--meta", action="store_true", help="CPU check: build on the meta device, count parameters")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    try:
        steps = [int(s) for s in args.steps.split(",")]
    except ValueError:
        parser.error(f"--steps must be whole numbers, comma-separated: {args.steps!r}")
    if not steps or min(steps) < 1 or args.seconds <= 0 or args.budget_s <= 0 or args.model_fps <= 0:
        parser.error("--steps, --seconds, --model-fps and --budget-s must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the JSON report (exit 3 when the budget stopped it)."""
    args = parse(argv)
    if args.meta:
        return meta_check(args)
    import torch

    if not torch.cuda.is_available():
        print("needs a CUDA GPU (use --meta for the CPU check)", file=sys.stderr)
        return 2
    start = time.perf_counter()
    name = torch.cuda.get_device_name()
    report: dict[str, Any] = {"device": name, "torch": torch.__version__, "python": platform.python_version(),
                              "model": "LTX-2 19B size (random weights), Gemma-3-12B-size text encoder",
                              "dtype": "bfloat16", "budget_s": args.budget_s, "cfg_only": args.cfg_only,
                              "prompt_tokens": 1024, "runs": []}

    def over(signum: int, frame: Any) -> None:
        raise BudgetExceeded

    signal.signal(signal.SIGALRM, over)
    signal.alarm(max(1, int(args.budget_s)))
    code = 0
    try:
        bench(args, report, start + args.budget_s)
    except BudgetExceeded:
        report["stopped"] = f"budget of {args.budget_s:g} s reached"
        print(report["stopped"], file=sys.stderr)
        code = 3
    finally:
        signal.alarm(0)
    report["total_s"] = round(time.perf_counter() - start, 2)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"ltx2_{name.lower().replace(' ', '_')}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
