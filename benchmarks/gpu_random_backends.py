"""The studio's model backends with random weights built directly on the device, at full or tiny size.

Each class subclasses a studio backend and replaces only where its weights come from; everything else (options,
memory plan, speed switches, the few-step preset, denoising loop, chunking, encoding, windows and crossfades, line
fitting) is the studio's own code. A profile names them by import path (``benchmarks.gpu_random_backends:Class``,
with the repository root on ``sys.path``), so product code has no "random" mode. Option ``size``: "full" (the real
architectures) or "tiny" (a few layers, for tests on the CPU).

- ``RandomFluxBackend``: FLUX.1-dev (11.9 B transformer, T5-XXL 4.76 B and CLIP-L text encoders, the 16-channel VAE).
- ``RandomWanBackend``: Wan2.2-I2V-A14B (two 14.3 B experts switched at boundary_ratio 0.9, UMT5-XXL 5.68 B text
  encoder, the Wan VAE). Neither architecture has an image encoder (both condition through the VAE).
- ``RandomMusicgenBackend``: MusicGen-medium size (1.5 B decoder, T5-base text encoder, 32 kHz Encodec).
- ``RandomAceStepBackend``: ACE-Step 1.5 turbo size (the DiT, its condition encoder, a Qwen3-Embedding-0.6B-size
  text encoder, the 48 kHz Oobleck VAE).
- ``RandomVitsBackend``: MMS-TTS size VITS per language; each language's folder holds its config and tokenizer only
  (``write_vits_folder``), the weights are built on load.

``write_step_lora`` writes a random rank-64 LoRA of a Wan expert's shape: the few-step preset's step-distillation
LoRA (Wan2.2 Lightning layout), so the preset runs through its real load-and-fuse path; ``random_lora`` is the same
layout for the Linear layers of a model at hand (a state dict, for benchmarks/wan_speed and the tests). Seeds are
fixed: a rebuild gives the same weights. Pictures and sound are noise; time and memory are the real architectures'.
"""

from __future__ import annotations

import json
import string
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import visual_gpu as VG  # noqa: E402  (configurations of the real architectures)
from reelgraph.backends.audio.acestep import AceStepMusicBackend  # noqa: E402
from reelgraph.backends.audio.musicgen import MusicgenBackend  # noqa: E402
from reelgraph.backends.audio.vits import VitsSpeechBackend, _Voice  # noqa: E402
from reelgraph.backends.diffusers.image import DiffusersImageBackend  # noqa: E402
from reelgraph.backends.diffusers.video import DiffusersVideoBackend  # noqa: E402
from reelgraph.backends.torch_device import resolve_device, resolve_dtype  # noqa: E402
from reelgraph.errors import UsageError  # noqa: E402

SIZES = ("full", "tiny")
WAN_BOUNDARY = 0.9  # Wan2.2-I2V-A14B
WAN_FLOW_SHIFT = {"480p": 3.0, "720p": 5.0}
FLUX_SCHEDULER = dict(base_image_seq_len=256, base_shift=0.5, max_image_seq_len=4096, max_shift=1.15,
                      use_dynamic_shifting=True)
STEP_LORA_FILE = "step_lora.safetensors"
CLIP_SPECIALS = ("<|startoftext|>", "<|endoftext|>")
VITS_CHARS = list(" abcdefghijklmnopqrstuvwxyz'-.,?!")
VITS_EXTRA = {"fr": list("àâçéèêëîïôùûüÿœ"), "de": list("äöüß"), "es": list("áéíñóúü")}
TINY_VITS_FRAMES_PER_TOKEN = 2  # tiny voices speak at a fixed pace: (2 n + 1) x 2 x 256 samples for n characters


def check_size(value: Any) -> str:
    """The `size` option, checked."""
    if value not in SIZES:
        raise UsageError(f"option size must be one of {', '.join(SIZES)}, got {value!r}")
    return str(value)


# --- building on the device ---------------------------------------------------------------------------------------

def build(cls: Any, config: Any, device: Any, dtype: Any, seed: int) -> Any:
    """`cls(**config)` (or `cls(config)` for a transformers config object) built on `device` in `dtype` with seeded
    random weights; modules the class keeps in float32 stay there, as `from_pretrained` keeps them."""
    import torch

    torch.manual_seed(seed)
    before = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = cls(**config) if isinstance(config, dict) else cls(config)
    finally:
        torch.set_default_dtype(before)
    keep = getattr(model, "_keep_in_fp32_modules", None) or []
    if keep and (dtype == torch.float16 or cls.__module__.startswith("diffusers")):  # as each library's loader
        for name, module in model.named_modules():
            if any(k in name.split(".") for k in keep):
                module.float()
    return model.eval().requires_grad_(False)


def clip_tokenizer() -> Any:
    """A CLIP BPE tokenizer whose vocabulary is every byte-level symbol and its end-of-word form (no merges)."""
    from tokenizers import pre_tokenizers
    from transformers import CLIPTokenizer

    vocab = {tok: i for i, tok in enumerate(CLIP_SPECIALS)}
    for sym in pre_tokenizers.ByteLevel.alphabet():
        vocab.setdefault(sym, len(vocab))
        vocab.setdefault(sym + "</w>", len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def t5_tokenizer() -> Any:
    """A T5 (unigram) tokenizer over printable ASCII characters, word-initial forms included."""
    from transformers import T5Tokenizer

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    for ch in sorted(set(string.printable.strip())):
        pieces += [(ch, -3.0), ("\u2581" + ch, -2.5)]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=512)


def t5_config(size: str, vocab: int, *, umt5: bool = False) -> Any:
    """T5-XXL's encoder (FLUX) or UMT5-XXL's (Wan) at full size; two tiny layers otherwise."""
    from transformers import T5Config, UMT5Config

    cls = UMT5Config if umt5 else T5Config
    ids = dict(decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    if size == "full":
        return cls(vocab_size=256384 if umt5 else 32128, d_model=4096, d_kv=64, d_ff=10240, num_layers=24,
                   num_heads=64, relative_attention_num_buckets=32, relative_attention_max_distance=128,
                   feed_forward_proj="gated-gelu", tie_word_embeddings=False, **ids)
    return cls(vocab_size=vocab, d_model=32, d_ff=37, d_kv=8, num_layers=2, num_heads=4,
               relative_attention_num_buckets=8, **ids)


def clip_config(size: str, vocab: int) -> Any:
    """CLIP-L's text encoder (FLUX's pooled prompt) at full size, or a tiny one."""
    from transformers import CLIPTextConfig

    ids = dict(bos_token_id=0, eos_token_id=1, pad_token_id=1)
    if size == "full":
        return CLIPTextConfig(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                              num_attention_heads=12, max_position_embeddings=77, projection_dim=768,
                              hidden_act="quick_gelu", **ids)
    return CLIPTextConfig(vocab_size=vocab, hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                          num_attention_heads=4, max_position_embeddings=77, projection_dim=32, **ids)


def flux_pipeline(size: str, device: Any, dtype: Any) -> Any:
    """A FluxPipeline (FLUX.1-dev architecture) with random weights on `device`."""
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel
    from transformers import CLIPTextModel, T5EncoderModel

    full = size == "full"
    tok, tok2 = clip_tokenizer(), t5_tokenizer()
    pipe = FluxPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(**FLUX_SCHEDULER),
        vae=build(AutoencoderKL, VG.FLUX_VAE if full else VG.TINY_FLUX_VAE, device, dtype, 1),
        text_encoder=build(CLIPTextModel, clip_config(size, len(tok)), device, dtype, 2), tokenizer=tok,
        text_encoder_2=build(T5EncoderModel, t5_config(size, len(tok2)), device, dtype, 3), tokenizer_2=tok2,
        transformer=build(FluxTransformer2DModel, VG.FLUX if full else VG.TINY_FLUX, device, dtype, 0),
    )
    return pipe


def wan_pipeline(size: str, preset: str, device: Any, dtype: Any) -> Any:
    """A WanImageToVideoPipeline (Wan2.2-I2V-A14B architecture: two experts, no image encoder) with random weights."""
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanImageToVideoPipeline, WanTransformer3DModel
    from transformers import UMT5EncoderModel

    full = size == "full"
    tok = t5_tokenizer()
    expert = VG.WAN if full else VG.TINY_WAN
    return WanImageToVideoPipeline(
        tokenizer=tok, text_encoder=build(UMT5EncoderModel, t5_config(size, len(tok), umt5=True), device, dtype, 13),
        vae=build(AutoencoderKLWan, VG.WAN_VAE if full else VG.TINY_WAN_VAE, device, dtype, 12),
        scheduler=UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True,
                                          flow_shift=WAN_FLOW_SHIFT.get(preset, 5.0)),
        transformer=build(WanTransformer3DModel, expert, device, dtype, 10),
        transformer_2=build(WanTransformer3DModel, expert, device, dtype, 11), boundary_ratio=WAN_BOUNDARY,
    )


def random_lora(model: Any, rank: int = 64, *, std: float = 0.02, seed: int = 0, prefix: str = "transformer",
                under: str = "blocks.") -> dict[str, Any]:
    """A random LoRA state dict (diffusers key layout) for every Linear layer of `model` under `under`: the shape a
    step-distillation LoRA has, for timing and tests."""
    import torch

    gen = torch.Generator(device="cpu").manual_seed(seed)
    out: dict[str, Any] = {}
    for name, mod in model.named_modules():
        if not (isinstance(mod, torch.nn.Linear) and name.startswith(under)):
            continue
        r = min(rank, mod.in_features, mod.out_features)
        a = torch.randn(r, mod.in_features, generator=gen) * (1.0 / mod.in_features) ** 0.5
        b = torch.randn(mod.out_features, r, generator=gen) * std
        out[f"{prefix}.{name}.lora_A.weight"] = a.to(mod.weight.dtype).contiguous()
        out[f"{prefix}.{name}.lora_B.weight"] = b.to(mod.weight.dtype).contiguous()
    return out


def write_step_lora(folder: Path, size: str, device: Any = "cpu", rank: int = 64) -> Path:
    """A random step-distillation LoRA of a Wan expert's shape (every Linear of its blocks, diffusers key layout
    as `random_lora`), one file for both experts, in `folder` (the few-step preset's `few_step_lora`).
    Shapes come from an expert built on the meta device; the tensors are drawn on `device`."""
    import torch
    from diffusers import WanTransformer3DModel
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / STEP_LORA_FILE
    if path.is_file():
        return folder
    expert = build(WanTransformer3DModel, VG.WAN if size == "full" else VG.TINY_WAN, "meta", torch.bfloat16, 0)
    rank = rank if size == "full" else 4
    gen = torch.Generator(device=device).manual_seed(11)
    state: dict[str, Any] = {}
    for name, mod in expert.named_modules():
        if isinstance(mod, torch.nn.Linear) and name.startswith("blocks."):
            r = min(rank, mod.in_features, mod.out_features)
            a = torch.randn(r, mod.in_features, generator=gen, device=device) * (1.0 / mod.in_features) ** 0.5
            b = torch.randn(mod.out_features, r, generator=gen, device=device) * 0.01
            state[f"transformer.{name}.lora_A.weight"] = a.to(torch.bfloat16).cpu().contiguous()
            state[f"transformer.{name}.lora_B.weight"] = b.to(torch.bfloat16).cpu().contiguous()
    tmp = path.with_suffix(".tmp")
    save_file(state, str(tmp))
    tmp.replace(path)
    return folder


# --- picture backends -----------------------------------------------------------------------------------------

class RandomFluxBackend(DiffusersImageBackend):
    """The studio's diffusers image backend over a FLUX.1-dev-architecture pipeline with random weights."""

    OPTIONS: dict[str, Any] = {**DiffusersImageBackend.OPTIONS, "size": "full"}

    def _model_folder(self, model: str | None) -> Path:
        check_size(self.opts["size"])
        return Path(model or "random-flux.1-dev")

    def _load_pipeline(self) -> Any:
        return flux_pipeline(self.opts["size"], self.device, self.dtype)


class RandomWanBackend(DiffusersVideoBackend):
    """The studio's diffusers video backend over a Wan2.2-I2V-A14B-architecture pipeline with random weights."""

    OPTIONS: dict[str, Any] = {**DiffusersVideoBackend.OPTIONS, "size": "full"}

    def _model_folder(self, model: str | None) -> Path:
        check_size(self.opts["size"])
        return Path(model or "random-wan2.2-i2v-a14b")

    def _load_pipeline(self) -> Any:
        return wan_pipeline(self.opts["size"], str(self.opts["preset"]), self.device, self.dtype)


# --- sound backends -------------------------------------------------------------------------------------------

def musicgen_model(size: str, device: Any, dtype: Any) -> Any:
    """MusicgenForConditionalGeneration with random weights: MusicGen-medium size ("full"), or a tiny one."""
    import torch

    if size == "full":
        from benchmarks.audio_gpu import musicgen_model as real_size

        return real_size("medium", device, dtype)
    from transformers import (
        EncodecConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        T5Config,
    )

    codebook = 64
    text = T5Config(vocab_size=64, d_model=32, d_kv=8, d_ff=32, num_layers=1, num_heads=2,
                    relative_attention_num_buckets=8, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    audio = EncodecConfig(sampling_rate=32_000, audio_channels=1, num_filters=4, hidden_size=16,
                          codebook_size=codebook, codebook_dim=16, upsampling_ratios=[8, 5, 4, 4],
                          target_bandwidths=[1.2], num_lstm_layers=1, chunk_length_s=None, overlap=None,
                          normalize=False, use_causal_conv=False, norm_type="weight_norm", pad_mode="reflect")
    decoder = MusicgenDecoderConfig(vocab_size=codebook, num_codebooks=4, hidden_size=32, num_hidden_layers=1,
                                    num_attention_heads=2, ffn_dim=32, max_position_embeddings=4096,
                                    pad_token_id=codebook, bos_token_id=codebook, decoder_start_token_id=codebook,
                                    audio_channels=1)
    config = MusicgenConfig(text_encoder=text.to_dict(), audio_encoder=audio.to_dict(), decoder=decoder.to_dict())
    config.decoder_start_token_id = config.pad_token_id = codebook
    torch.manual_seed(0)
    with torch.device(device):
        model = MusicgenForConditionalGeneration(config)
    model = model.to(dtype).eval()
    gen = model.generation_config
    gen.decoder_start_token_id = gen.pad_token_id = gen.bos_token_id = codebook
    gen.do_sample, gen.max_length = True, 1500
    return model


class RandomMusicgenBackend(MusicgenBackend):
    """The studio's MusicGen backend over a MusicGen-medium-size model with random weights (option `size`)."""

    def _load(self) -> bool:
        with self._lock:
            if self._model is not None:
                return False
            from benchmarks.audio_gpu import prompt_tokenizer

            t0 = time.perf_counter()
            device = resolve_device(self.options.get("device"))
            dtype = resolve_dtype(self.options.get("dtype"), device, cuda_default="float16")
            self._model = musicgen_model(check_size(self.options.get("size", "full")), device, dtype)
            self._tokenizer = prompt_tokenizer()
            self._load_s = time.perf_counter() - t0
            return True


def acestep_pipeline(size: str, device: Any, dtype: Any) -> Any:
    """AceStepPipeline with random weights: ACE-Step 1.5 turbo size ("full"), or a tiny one."""
    if size == "full":
        from benchmarks.acestep_gpu import acestep_pipeline as real_size

        return real_size(device, dtype)
    import torch
    from diffusers import AceStepPipeline, AutoencoderOobleck, FlowMatchEulerDiscreteScheduler
    from diffusers.models.transformers.ace_step_transformer import AceStepTransformer1DModel
    from diffusers.pipelines.ace_step import AceStepConditionEncoder
    from transformers import Qwen3Config, Qwen3Model

    from benchmarks.acestep_gpu import caption_tokenizer

    tokenizer = caption_tokenizer()
    heads = {"num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8}
    torch.manual_seed(0)
    with torch.device(device):
        transformer = AceStepTransformer1DModel(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                                in_channels=24, audio_acoustic_hidden_dim=8, patch_size=2,
                                                sliding_window=16, **heads)
        text_encoder = Qwen3Model(Qwen3Config(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                              vocab_size=len(tokenizer), max_position_embeddings=512, **heads))
        condition_encoder = AceStepConditionEncoder(hidden_size=32, intermediate_size=64, text_hidden_dim=32,
                                                    timbre_hidden_dim=8, num_lyric_encoder_hidden_layers=1,
                                                    num_timbre_encoder_hidden_layers=1, sliding_window=16, **heads)
        vae = AutoencoderOobleck(encoder_hidden_size=6, downsampling_ratios=[2, 4], decoder_channels=3,
                                 decoder_input_channels=8, audio_channels=2, channel_multiples=[2, 4],
                                 sampling_rate=8000)
    pipe = AceStepPipeline(vae=vae.to(dtype), text_encoder=text_encoder.to(dtype), tokenizer=tokenizer,
                           transformer=transformer.to(dtype), condition_encoder=condition_encoder.to(dtype),
                           scheduler=FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=3.0))
    pipe.set_progress_bar_config(disable=True)
    return pipe


class RandomAceStepBackend(AceStepMusicBackend):
    """The studio's ACE-Step backend over an ACE-Step 1.5 turbo-size pipeline with random weights (option `size`)."""

    def _load(self) -> bool:
        with self._lock:
            if self._pipe is not None:
                return False
            t0 = time.perf_counter()
            device = resolve_device(self.options.get("device"))
            dtype = resolve_dtype(self.options.get("dtype"), device, cuda_default="bfloat16")
            self._pipe = acestep_pipeline(check_size(self.options.get("size", "full")), device, dtype)
            self._load_s = time.perf_counter() - t0
            return True


def vits_config(size: str, vocab: int) -> Any:
    """MMS-TTS's VITS (the VitsConfig defaults are facebook/mms-tts-eng's) or a tiny one with a fixed pace."""
    from transformers import VitsConfig

    if size == "full":
        return VitsConfig(vocab_size=vocab)
    return VitsConfig(
        vocab_size=vocab, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, ffn_dim=32, flow_size=16,
        spectrogram_bins=17, upsample_initial_channel=16, upsample_rates=[8, 8, 4], upsample_kernel_sizes=[16, 16, 8],
        resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1]], use_stochastic_duration_prediction=False,
        duration_predictor_filter_channels=16, prior_encoder_num_flows=1, prior_encoder_num_wavenet_layers=1,
        posterior_encoder_num_wavenet_layers=1, sampling_rate=16_000)


def write_vits_folder(folder: Path, language: str, size: str) -> Path:
    """A voice folder without weights: the VITS config (`size`) and a character tokenizer for `language`."""
    from transformers import VitsTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    chars = ["_", *VITS_CHARS, *VITS_EXTRA.get(language, [])]
    vocab = {c: i for i, c in enumerate(dict.fromkeys(chars))}
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    VitsTokenizer(str(folder / "vocab.json"), pad_token="_", unk_token="_", language=language, add_blank=True,
                  normalize=True, phonemize=False).save_pretrained(folder)
    vits_config(check_size(size), len(vocab)).save_pretrained(folder)
    return folder


class RandomVitsBackend(VitsSpeechBackend):
    """The studio's VITS backend; each language's model is built from its folder's config with random weights."""

    def _load(self, path: Path) -> _Voice:
        import torch
        from transformers import AutoTokenizer, VitsConfig, VitsModel

        t0 = time.perf_counter()
        device = resolve_device(self.options.get("device"))
        dtype = resolve_dtype(self.options.get("dtype"), device, cuda_default="float32")
        tokenizer = AutoTokenizer.from_pretrained(path)
        config = VitsConfig.from_pretrained(path)
        model = build(VitsModel, config, device, dtype, 0)
        if not config.use_stochastic_duration_prediction:  # tiny voices: every token lasts a fixed time
            with torch.no_grad():
                model.duration_predictor.proj.weight.zero_()
                model.duration_predictor.proj.bias.fill_(float(torch.log(torch.tensor(
                    TINY_VITS_FRAMES_PER_TOKEN - 0.5))))
        for key in ("noise_scale", "noise_scale_duration", "speaking_rate"):
            if key in self.options:
                setattr(model, key, float(self.options[key]))
        return _Voice(path, model, tokenizer, time.perf_counter() - t0)
