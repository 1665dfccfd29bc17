"""Audio model throughput with full-size random weights: MusicGen and MMS-TTS VITS, through the studio's backends.

    python benchmarks/audio_gpu.py                       # CUDA: MusicGen-medium size (1.5 B class), MMS-TTS size
    python benchmarks/audio_gpu.py --device cpu --small  # CPU: MusicGen-small size (300 M class), MMS-TTS size

Reports seconds of compute per second of audio (lower is better; < 1 is faster than real time) and writes
benchmarks/results/audio_<device>.json. Weights are random (no downloads): the speed is the real architecture's,
the sound is noise. Each part stops early rather than run past `--budget-s`.

Needs only torch, transformers (+ tokenizers, numpy). The backends' other imports are stood in for where a machine
lacks them (the studio's pydantic models, soundfile, scipy's resampler); the JSON lists any stand-in used.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
import traceback
import types
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# audiocraft model scales (transformer_lm dim / heads / layers; ffn = 4 x dim); text encoder T5-base; 32 kHz Encodec
MUSICGEN_SIZES = {"medium": (1536, 24, 48), "small": (1024, 16, 24), "tiny": (64, 2, 2)}  # tiny: smoke tests
PROMPT_WORDS = ["hopeful", "tense", "melancholic", "playful", "epic", "calm", "instrumental", "film", "score", "bpm",
                "key", "of", "major", "minor", "strings", "low", "brass", "drums", "pad", "bass", "piano", "synth",
                ",", "#", "A", "B", "C", "D", "E", "F", "G", "b", "96", "120"]
SPEECH_TEXT = ("The lighthouse keeper climbed the stairs one last time. Below him the sea was calm, and the boats "
               "were coming home before the storm.")


def install_stand_ins() -> list[str]:
    """Import the backends without the studio's orchestration stack; stand in for what this machine lacks."""
    import importlib.machinery

    import numpy as np
    import transformers

    import reelgraph

    # resolve the transformers classes first: its lazy imports check which packages exist, stand-ins must not count
    for name in ("AutoProcessor", "AutoTokenizer", "EncodecConfig", "MusicgenConfig", "MusicgenDecoderConfig",
                 "MusicgenForConditionalGeneration", "PreTrainedTokenizerFast", "T5Config", "VitsConfig", "VitsModel",
                 "VitsTokenizer"):
        getattr(transformers, name)

    def module(name: str, **attrs: Any) -> types.ModuleType:
        mod = types.ModuleType(name)
        mod.__spec__ = importlib.machinery.ModuleSpec(name, None)
        mod.__dict__.update(attrs)
        sys.modules[name] = mod
        return mod

    used = []
    # the tools package's __init__ wires the LangGraph tools; the backends under it need none of that
    if "reelgraph.tools" not in sys.modules:
        tools = module("reelgraph.tools", __path__=[str(ROOT / "reelgraph" / "tools")])
        tools.__spec__.submodule_search_locations = tools.__path__
        reelgraph.tools = tools
    try:
        import reelgraph.config  # noqa: F401
    except ImportError:
        used.append("reelgraph.config")

        @dataclass
        class BackendConfig:
            backend: str = "procedural"
            model: str | None = None
            models: dict[str, str] = field(default_factory=dict)
            options: dict[str, Any] = field(default_factory=dict)

            def model_copy(self, update: dict[str, Any]) -> BackendConfig:
                return BackendConfig(**{**self.__dict__, **update})

        module("reelgraph.config", BackendConfig=BackendConfig)
    try:
        import reelgraph.state  # noqa: F401
    except ImportError:
        used.append("reelgraph.state")

        @dataclass
        class MusicBrief:
            mood: str = "hopeful"
            tempo_bpm: int = 96
            key: str = "C"
            instrumentation: list[str] = field(default_factory=lambda: ["pad", "bass", "drums"])

        module("reelgraph.state", MusicBrief=MusicBrief, Character=object)
    try:
        import reelgraph.backends.base  # noqa: F401
    except ImportError:
        used.append("reelgraph.backends.base")

        @dataclass
        class MediaInfo:
            meta: dict[str, Any] = field(default_factory=dict)

        module("reelgraph.backends.base", MediaInfo=MediaInfo)
    try:
        import soundfile  # noqa: F401
    except ImportError:
        used.append("soundfile")

        def write(path: str, data: Any, rate: int, subtype: str = "PCM_16", format: str = "WAV") -> None:
            pcm = (np.clip(np.asarray(data, np.float32), -1, 1) * 32767).astype("<i2")
            with wave.open(str(path), "wb") as w:
                w.setnchannels(1 if pcm.ndim == 1 else pcm.shape[1])
                w.setsampwidth(2)
                w.setframerate(int(rate))
                w.writeframes(pcm.tobytes())

        module("soundfile", write=write)
    try:
        import scipy.signal  # noqa: F401
    except ImportError:
        used.append("scipy.signal (linear interpolation)")

        def resample_poly(x: Any, up: int, down: int, axis: int = -1) -> Any:
            x = np.moveaxis(np.asarray(x, np.float64), axis, -1)
            n = x.shape[-1]
            t = np.arange(-(-n * up // down)) * (down / up)
            y = np.stack([np.interp(t, np.arange(n), row) for row in x.reshape(-1, n)]).reshape(*x.shape[:-1], -1)
            return np.moveaxis(y, -1, axis)

        module("scipy", signal=module("scipy.signal", resample_poly=resample_poly))
    return used


def musicgen_model(size: str, device: Any, dtype: Any) -> Any:
    """MusicgenForConditionalGeneration with the real dimensions of a size and random weights, built on `device`."""
    import torch
    from transformers import (
        EncodecConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        T5Config,
    )

    dim, heads, layers = MUSICGEN_SIZES[size]
    text = T5Config(vocab_size=32128, d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12,
                    relative_attention_num_buckets=32)
    audio = EncodecConfig(sampling_rate=32_000, audio_channels=1, num_filters=64, hidden_size=128,
                          codebook_size=2048, codebook_dim=128, upsampling_ratios=[8, 5, 4, 4], target_bandwidths=[2.2],
                          num_lstm_layers=2, chunk_length_s=None, overlap=None, normalize=False,
                          use_causal_conv=False, norm_type="weight_norm", pad_mode="reflect", compress=2,
                          residual_kernel_size=3, num_residual_layers=1, kernel_size=7, last_kernel_size=7,
                          dilation_growth_rate=2, trim_right_ratio=1.0, use_conv_shortcut=False)
    decoder = MusicgenDecoderConfig(vocab_size=2048, num_codebooks=4, hidden_size=dim, num_hidden_layers=layers,
                                    num_attention_heads=heads, ffn_dim=4 * dim, max_position_embeddings=2048,
                                    activation_function="gelu", pad_token_id=2048, bos_token_id=2048,
                                    decoder_start_token_id=2048, audio_channels=1)
    # dicts: the form every transformers version's MusicgenConfig accepts
    config = MusicgenConfig(text_encoder=text.to_dict(), audio_encoder=audio.to_dict(), decoder=decoder.to_dict())
    config.decoder_start_token_id = config.pad_token_id = 2048
    torch.manual_seed(0)
    with torch.device(device):
        model = MusicgenForConditionalGeneration(config)
    model = model.to(dtype).eval()
    gen = model.generation_config
    gen.decoder_start_token_id = gen.pad_token_id = gen.bos_token_id = 2048
    gen.do_sample, gen.guidance_scale, gen.top_k, gen.max_length = True, 3.0, 250, 1500  # the released defaults
    return model


def prompt_tokenizer() -> Any:
    """A word-level tokenizer over the words of the studio's music prompts (ids well inside T5's vocabulary)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["<pad>", "</s>", "<unk>", *dict.fromkeys(PROMPT_WORDS)])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")


def bench_music(args: argparse.Namespace, deadline: float) -> dict[str, Any]:
    import torch

    from reelgraph.backends.audio.musicgen import MusicgenBackend
    from reelgraph.backends.torch_device import resolve_dtype
    from reelgraph.config import BackendConfig
    from reelgraph.schema import MusicBrief

    device = torch.device(args.device)
    dtype = resolve_dtype(args.dtype, device, cuda_default="float16")
    size = args.size
    t0 = time.perf_counter()
    model = musicgen_model(size, device, dtype)
    build_s = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())
    cfg = BackendConfig(backend="musicgen", model=f"<random musicgen-{size} size>",
                        options={"window_s": args.window_s, "overlap_s": args.overlap_s})
    backend = MusicgenBackend.from_components(cfg, model, prompt_tokenizer())
    brief = MusicBrief(mood="epic", tempo_bpm=96, key="Dm", instrumentation=["strings", "low brass", "drums"])
    res: dict[str, Any] = {"model": f"musicgen-{size} size (random weights)", "params": params,
                           "dtype": str(dtype).removeprefix("torch."), "build_s": round(build_s, 2),
                           "guidance_scale": 3.0, "window_s": args.window_s, "overlap_s": args.overlap_s}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "score.wav"
        warm = min(1.0, args.music_seconds / 4)
        res["warmup_s"] = []
        for _ in range(2 if device.type == "cuda" else 1):  # warm-up: kernels, allocator, caches
            t0 = time.perf_counter()
            backend.compose(brief, seconds=warm, seed=0, out=out)
            res["warmup_s"].append(round(time.perf_counter() - t0, 2))
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        seconds = args.music_seconds
        rate = max(res["warmup_s"][-1], 1e-3) / warm * 1.2  # short runs are slower per second: pessimistic
        affordable = (deadline - time.perf_counter()) / rate
        if seconds > affordable:
            seconds = max(warm, round(affordable, 1))
            res["reduced_from_s"] = args.music_seconds
        t0, c0 = time.perf_counter(), time.process_time()
        info = backend.compose(brief, seconds=seconds, seed=1, out=out)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    res.update({"seconds": seconds, "segments": info.meta["segments"],
                "segments_s": info.meta["timings"]["segments_s"], "compose_s": round(wall, 2),
                "process_cpu_s": round(cpu, 2),
                "seconds_per_second": round(wall / seconds, 3)})
    if device.type == "cuda":
        res["peak_gib"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
    del backend, model
    return res


def vits_folder(folder: Path) -> Path:
    """An MMS-TTS size VitsModel (the VitsConfig defaults are facebook/mms-tts-eng's) with random weights."""
    import torch
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {c: i for i, c in enumerate(["_", *" abcdefghijklmnopqrstuvwxyz'-,.?!0123456789"])}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    VitsTokenizer(str(folder / "vocab.json"), pad_token="_", unk_token="_", add_blank=True, normalize=True,
                  phonemize=False).save_pretrained(folder)
    torch.manual_seed(0)
    VitsModel(VitsConfig(vocab_size=len(vocab))).save_pretrained(folder)
    return folder


def bench_speech(args: argparse.Namespace, deadline: float) -> dict[str, Any]:
    from reelgraph.backends.audio.vits import VitsSpeechBackend
    from reelgraph.config import BackendConfig

    res: dict[str, Any] = {"model": "mms-tts size VITS (random weights)", "dtype": "float32"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = vits_folder(Path(tmp) / "mms-tts-random")
        cfg = BackendConfig(backend="vits", models={"en": str(folder)}, options={"device": args.device})
        backend = VitsSpeechBackend(cfg)
        out = Path(tmp) / "line.wav"
        first = backend.speak(SPEECH_TEXT, language="en", voice=None, out=out)  # load + warm-up
        res["params"] = sum(p.numel() for v in backend._loaded.values() for p in v.model.parameters())
        res["load_s"] = first.meta["timings"]["load_s"]
        times, seconds = [], first.meta["seconds"]
        cpu = []
        for _ in range(max(1, args.speech_runs)):
            c0 = time.process_time()
            info = backend.speak(SPEECH_TEXT, language="en", voice=None, out=out)
            times.append(info.meta["timings"]["synth_s"])
            cpu.append(time.process_time() - c0)
            if time.perf_counter() > deadline:
                res["stopped_early"] = True
                break
    res.update({"text_chars": len(SPEECH_TEXT), "seconds": seconds, "runs": len(times),
                "synth_s_median": round(statistics.median(times), 4),
                "process_cpu_s_median": round(statistics.median(cpu), 4),
                "seconds_per_second": round(statistics.median(times) / seconds, 4)})
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu")
    ap.add_argument("--small", action="store_true", help="MusicGen-small size instead of medium (CPU runs)")
    ap.add_argument("--size", choices=sorted(MUSICGEN_SIZES), default=None, help="MusicGen size (overrides --small)")
    ap.add_argument("--dtype", default="auto", help="MusicGen dtype: auto (float16 on CUDA), bfloat16, float32")
    ap.add_argument("--music-seconds", type=float, default=None, help="default: 30 on CUDA, 1 on CPU")
    ap.add_argument("--window-s", type=float, default=20.0)
    ap.add_argument("--overlap-s", type=float, default=5.0)
    ap.add_argument("--speech-runs", type=int, default=None, help="default: 5 on CUDA, 1 on CPU")
    ap.add_argument("--budget-s", type=float, default=270.0, help="stop starting new work after this many seconds")
    ap.add_argument("--skip", choices=["music", "speech"], action="append", default=[])
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    import torch
    import transformers

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("CUDA is not available: use --device cpu --small", file=sys.stderr)
        return 2
    if args.music_seconds is None:
        args.music_seconds = 1.0 if args.device == "cpu" else 30.0
    args.size = args.size or ("small" if args.small else "medium")
    if args.speech_runs is None:
        args.speech_runs = 1 if args.device == "cpu" else 5
    start = time.perf_counter()
    deadline = start + args.budget_s
    stand_ins = install_stand_ins()
    kind = "cpu" if args.device == "cpu" else "cuda"
    report: dict[str, Any] = {
        "device": torch.cuda.get_device_name(torch.device(args.device)) if kind == "cuda" else platform.processor()
        or platform.machine(),
        "torch": torch.__version__, "transformers": transformers.__version__, "threads": torch.get_num_threads(),
        "musicgen_size": args.size, "stand_ins": stand_ins,
    }
    for part, fn in (("music", bench_music), ("speech", bench_speech)):
        if part in args.skip:
            continue
        try:
            report[part] = fn(args, deadline)
        except Exception as e:  # keep the other part's figures
            report[part] = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc(limit=6)}
        if kind == "cuda":
            torch.cuda.empty_cache()
    report["wall_s"] = round(time.perf_counter() - start, 1)
    suffix = "" if args.size == ("small" if kind == "cpu" else "medium") else f"_{args.size}"
    out = args.out or ROOT / "benchmarks" / "results" / f"audio_{kind}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print(f"device: {report['device']}  torch {report['torch']}  transformers {report['transformers']}")
    print(f"{'model':44} {'params':>9} {'audio s':>8} {'compute s':>10} {'s per s':>8}")
    for part in ("music", "speech"):
        r = report.get(part)
        if not r:
            continue
        if "error" in r:
            print(f"{part:44} {r['error']}")
            continue
        compute = r.get("compose_s", r.get("synth_s_median"))
        print(f"{r['model'] + ' ' + r['dtype']:44} {r['params'] / 1e6:8.0f}M {r['seconds']:8.2f} {compute:10.3f} "
              f"{r['seconds_per_second']:8.3f}")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} ({report['wall_s']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
