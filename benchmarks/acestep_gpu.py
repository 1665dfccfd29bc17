"""ACE-Step against MusicGen-medium, full size with random weights, through the studio's music backends.

    python benchmarks/acestep_gpu.py                       # CUDA: ACE-Step 1.5 turbo size vs MusicGen-medium size
    python benchmarks/acestep_gpu.py --seconds 30,60 --musicgen-seconds 30

ACE-Step: `AceStepPipeline` with the released model's dimensions (DiT 2048 wide, 24 layers; condition encoder; a
Qwen3-Embedding-0.6B-size text encoder; the 48 kHz Oobleck VAE, hop 1920), bf16, 8 turbo steps, no CFG, one pass per
score. MusicGen-medium: as `benchmarks/audio_gpu.py` builds it (float16, 20 s windows, 5 s overlap). Reports seconds of
compute per second of music (lower is better) and peak GPU memory; writes benchmarks/results/acestep_<device>.json.
Weights are random (no downloads): the speed and memory are the real architectures', the sound is noise.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

QWEN3_EMBEDDING_06B = {"hidden_size": 1024, "intermediate_size": 3072, "num_hidden_layers": 28,
                       "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 151_669,
                       "max_position_embeddings": 32_768, "rope_theta": 1_000_000.0}
VAE_48K = {"encoder_hidden_size": 128, "downsampling_ratios": [2, 4, 4, 6, 10], "channel_multiples": [1, 2, 4, 8, 16],
           "decoder_channels": 128, "decoder_input_channels": 64, "audio_channels": 2, "sampling_rate": 48_000}


def caption_tokenizer() -> Any:
    """A byte-level BPE tokenizer trained here on the studio's prompts (its ids lie inside Qwen3's vocabulary)."""
    from audio_gpu import PROMPT_WORDS
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1000, special_tokens=["<|endoftext|>", "<unk>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator([" ".join(PROMPT_WORDS), "# Instruction\n# Caption\n# Metas\n# Lyric\n[Instrumental]"] * 8,
                            trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, pad_token="<|endoftext|>", eos_token="<|endoftext|>",
                                   unk_token="<unk>")


def acestep_pipeline(device: Any, dtype: Any) -> Any:
    """`AceStepPipeline` with the released turbo model's dimensions and random weights, built on `device`."""
    import torch
    from diffusers import AceStepPipeline, AutoencoderOobleck, FlowMatchEulerDiscreteScheduler
    from diffusers.models.transformers.ace_step_transformer import AceStepTransformer1DModel
    from diffusers.pipelines.ace_step import AceStepConditionEncoder
    from transformers import Qwen3Config, Qwen3Model

    torch.manual_seed(0)
    with torch.device(device):
        transformer = AceStepTransformer1DModel(is_turbo=True)
        condition_encoder = AceStepConditionEncoder(text_hidden_dim=QWEN3_EMBEDDING_06B["hidden_size"])
        text_encoder = Qwen3Model(Qwen3Config(**QWEN3_EMBEDDING_06B))
        vae = AutoencoderOobleck(**VAE_48K)
    pipe = AceStepPipeline(vae=vae.to(dtype), text_encoder=text_encoder.to(dtype),
                           tokenizer=caption_tokenizer(), transformer=transformer.to(dtype),
                           condition_encoder=condition_encoder.to(dtype),
                           scheduler=FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=3.0))
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _params(*modules: Any) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


def bench_acestep(device: Any, seconds: list[float], steps: int) -> dict[str, Any]:
    """Seconds per second of music for each length, after a warm-up; peak memory."""
    import torch

    from reelgraph.backends.audio.acestep import AceStepMusicBackend
    from reelgraph.config import BackendConfig
    from reelgraph.schema import MusicBrief

    t0 = time.perf_counter()
    pipe = acestep_pipeline(device, torch.bfloat16)
    build_s = time.perf_counter() - t0
    backend = AceStepMusicBackend.from_pipeline(
        BackendConfig(backend="acestep", options={"steps": steps, "guidance_scale": 1.0}), pipe)
    brief = MusicBrief(mood="epic", tempo_bpm=96, key="Dm", instrumentation=["strings", "low brass", "drums"])
    res: dict[str, Any] = {
        "model": "ACE-Step 1.5 turbo size (random weights)", "dtype": "bfloat16", "steps": steps,
        "params": {"transformer": _params(pipe.transformer), "condition_encoder": _params(pipe.condition_encoder),
                   "text_encoder": _params(pipe.text_encoder), "vae": _params(pipe.vae)},
        "build_s": round(build_s, 2), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "score.wav"
        t0 = time.perf_counter()
        backend.compose(brief, seconds=5.0, seed=0, out=out)
        res["warmup_s"] = round(time.perf_counter() - t0, 2)
        for length in seconds:
            torch.cuda.reset_peak_memory_stats(device)
            t0 = time.perf_counter()
            info = backend.compose(brief, seconds=length, seed=1, out=out)
            wall = time.perf_counter() - t0
            res["runs"].append({"seconds": length, "compose_s": round(wall, 2),
                                "seconds_per_second": round(wall / length, 4),
                                "peak_gib": round(torch.cuda.max_memory_allocated(device) / 2**30, 2),
                                "model_sample_rate": info.meta["model_sample_rate"]})
            print(f"acestep {length:.0f} s: {wall:.2f} s ({wall / length:.3f} s/s)", flush=True)
    del backend, pipe
    torch.cuda.empty_cache()
    return res


def bench_musicgen(device: Any, seconds: float) -> dict[str, Any]:
    """MusicGen-medium size through its backend (20 s windows, 5 s overlap), as benchmarks/audio_gpu.py does."""
    import torch
    from audio_gpu import musicgen_model, prompt_tokenizer

    from reelgraph.backends.audio.musicgen import MusicgenBackend
    from reelgraph.config import BackendConfig
    from reelgraph.schema import MusicBrief

    model = musicgen_model("medium", device, torch.float16)
    backend = MusicgenBackend.from_components(
        BackendConfig(backend="musicgen", options={"window_s": 20.0, "overlap_s": 5.0}), model, prompt_tokenizer())
    brief = MusicBrief(mood="epic", tempo_bpm=96, key="Dm", instrumentation=["strings", "low brass", "drums"])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "score.wav"
        backend.compose(brief, seconds=1.0, seed=0, out=out)  # warm-up
        torch.cuda.reset_peak_memory_stats(device)
        t0 = time.perf_counter()
        info = backend.compose(brief, seconds=seconds, seed=1, out=out)
        wall = time.perf_counter() - t0
    print(f"musicgen-medium {seconds:.0f} s: {wall:.2f} s ({wall / seconds:.3f} s/s)", flush=True)
    return {"model": "musicgen-medium size (random weights)", "params": _params(model), "seconds": seconds,
            "segments": info.meta["segments"], "compose_s": round(wall, 2),
            "seconds_per_second": round(wall / seconds, 4),
            "peak_gib": round(torch.cuda.max_memory_allocated(device) / 2**30, 2)}


def main() -> int:
    """Run the comparison and write the JSON report."""
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", default="30,60", help="ACE-Step score lengths, comma-separated")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--musicgen-seconds", type=float, default=30.0, help="0: skip MusicGen")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("needs a CUDA GPU", file=sys.stderr)
        return 2
    device = torch.device("cuda")
    name = torch.cuda.get_device_name(device)
    report: dict[str, Any] = {"device": name, "torch": torch.__version__, "python": platform.python_version(),
                              "acestep": bench_acestep(device, [float(s) for s in args.seconds.split(",")],
                                                       args.steps)}
    if args.musicgen_seconds > 0:
        report["musicgen"] = bench_musicgen(device, args.musicgen_seconds)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"acestep_{name.lower().replace(' ', '_')}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
