"""The reel's score from MusicGen (transformers `MusicgenForConditionalGeneration`, any local folder).

Profile: `music.backend = "musicgen"`, `music.model = "/models/musicgen-medium"`. Options: `window_s` (seconds per
generation, 20), `overlap_s` (seconds shared by consecutive windows, min(5, window_s / 4)), `continuation` (true:
each window continues the previous one's tail audio; false: independent windows), `fade_s` (fade to silence at the
end, min(2, seconds / 4)), `guidance_scale`, `temperature`, `top_k`, `top_p` (default: the model's generation
config), `prompt_suffix`, `device` ('auto'), `dtype` ('auto' = float16 on CUDA, float32 on CPU).

Output: exactly round(seconds * 44100) samples of 44.1 kHz stereo 16-bit WAV (the procedural backend's format), so
the score ends on the reel's last frame.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from reelgraph.backends.audio.loader import check_folder, load_component, seeded, sync
from reelgraph.backends.audio.score_audio import OUT_CHANNELS, OUT_RATE, check_seconds, describe, write_score
from reelgraph.backends.base import MediaInfo
from reelgraph.backends.torch_device import resolve_device, resolve_dtype
from reelgraph.config import BackendConfig
from reelgraph.errors import BackendError
from reelgraph.schema import MusicBrief

WHO = "music backend 'musicgen'"
MAX_SEGMENTS = 1000
GENERATE_OPTIONS = ("guidance_scale", "temperature", "top_k", "top_p")
TOKENIZER_FILES = ("tokenizer.json", "spiece.model", "tokenizer_config.json")


def equal_power(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Crossfade `a` (fading out) into `b` (fading in) over their common length; (channels, n) arrays."""
    n = a.shape[-1]
    t = (np.arange(n, dtype=np.float64) + 0.5) / n
    mixed: np.ndarray = (a * np.cos(t * np.pi / 2) + b * np.sin(t * np.pi / 2)).astype(np.float32)
    return mixed


class MusicgenBackend:
    """MusicBackend over a local MusicGen folder: windowed generation with overlap and equal-power crossfades."""

    name = "musicgen"

    def __init__(self, cfg: BackendConfig) -> None:
        if not cfg.model:
            raise BackendError(f"{WHO}: set music.model to a local MusicGen folder (from_pretrained path)")
        self.cfg = cfg
        self.options = dict(cfg.options)
        self.window_s = float(self.options.get("window_s", 20.0))
        self.overlap_s = float(self.options.get("overlap_s", min(5.0, self.window_s / 4)))
        if self.window_s <= 0 or not 0 < self.overlap_s < self.window_s:
            raise BackendError(f"{WHO}: need window_s > overlap_s > 0 (got {self.window_s}, {self.overlap_s})")
        self.continuation = bool(self.options.get("continuation", True))
        self._model: Any = None
        self._tokenizer: Any = None
        self._load_s = 0.0
        self._lock = threading.RLock()

    @classmethod
    def from_components(cls, cfg: BackendConfig, model: Any, tokenizer: Any) -> MusicgenBackend:
        """A backend around an already built model and text tokenizer (benchmarks with random weights)."""
        backend = cls(cfg if cfg.model else cfg.model_copy(update={"model": "<in memory>"}))
        backend._model, backend._tokenizer = model.eval(), tokenizer
        return backend

    # -- loading --------------------------------------------------------------------------------------------------

    def _load(self) -> bool:
        """Load the model and processor once; True when this call loaded them."""
        with self._lock:
            if self._model is not None:
                return False
            from transformers import AutoProcessor, MusicgenForConditionalGeneration

            t0 = time.perf_counter()
            assert self.cfg.model is not None  # the constructor refuses a config without one
            path = check_folder(self.cfg.model, who=WHO, setting="music.model")
            device = resolve_device(self.options.get("device"))
            dtype = resolve_dtype(self.options.get("dtype"), device, cuda_default="float16")
            component = "processor (AutoProcessor: T5 tokenizer + feature extractor)"
            if not any((path / name).is_file() for name in TOKENIZER_FILES):
                raise BackendError(f"{WHO}: cannot load the {component} from {str(path)!r}: no tokenizer files "
                                   f"({', '.join(TOKENIZER_FILES)})")
            processor = load_component(WHO, component, path, lambda: AutoProcessor.from_pretrained(path))
            tokenizer = getattr(processor, "tokenizer", processor)
            model = load_component(WHO, "model (MusicgenForConditionalGeneration)", path,
                                   lambda: MusicgenForConditionalGeneration.from_pretrained(path, dtype=dtype))
            self._model, self._tokenizer = model.to(device).eval(), tokenizer
            self._load_s = time.perf_counter() - t0
            return True

    # -- generation -----------------------------------------------------------------------------------------------

    def compose(self, brief: MusicBrief, *, seconds: float, seed: int, out: Path) -> MediaInfo:
        """A score of exactly `seconds` (at 44.1 kHz) from the brief, faded to silence at the end; a WAV at `out`."""
        check_seconds(WHO, seconds)
        fresh = self._load()
        t0 = time.perf_counter()
        prompt = describe(brief, str(self.options.get("prompt_suffix", "")))
        with self._lock:
            audio, rate, segments, seg_times = self._generate(prompt, seconds, seed)
        if not np.isfinite(audio).all():
            raise BackendError(f"{WHO}: the model produced non-finite audio (try options.dtype = 'float32')")
        fade_s = float(self.options.get("fade_s", min(2.0, seconds / 4)))
        n_out = write_score(audio, rate, seconds, out, fade_s)
        total_s = time.perf_counter() - t0
        return MediaInfo(meta={
            "backend": self.name, "model": str(self.cfg.model), "prompt": prompt, "seed": seed,
            "seconds": n_out / OUT_RATE, "samples": n_out, "sample_rate": OUT_RATE, "channels": OUT_CHANNELS,
            "model_sample_rate": rate, "segments": segments, "window_s": self.window_s, "overlap_s": self.overlap_s,
            "continuation": self.continuation and segments > 1, "fade_s": fade_s,
            "timings": {"load_s": round(self._load_s, 4) if fresh else 0.0, "segments_s": seg_times,
                        "total_s": round(total_s, 4), "seconds_per_second": round(total_s / seconds, 4)},
        })

    def _generate(self, prompt: str, seconds: float, seed: int) -> tuple[np.ndarray, int, int, list[float]]:
        """Model-rate (channels, n) audio of at least `seconds`, built window by window."""
        import torch

        model = self._model
        audio_cfg = model.config.audio_encoder
        rate = int(audio_cfg.sampling_rate)
        frame_rate = float(audio_cfg.frame_rate)
        hop = round(rate / frame_rate)
        delay = int(model.decoder.num_codebooks // max(1, model.decoder.config.audio_channels)) - 1
        # frames: the codec's time unit; the tail of the resampler needs a couple of spare ones
        need = math.ceil(seconds * frame_rate) + 2
        window = max(2, round(self.window_s * frame_rate))
        overlap = min(window - 1, max(1, round(self.overlap_s * frame_rate)))
        device = model.device
        text = self._tokenizer([prompt], padding=True, return_tensors="pt")
        kwargs: dict[str, Any] = {"do_sample": True}
        kwargs.update({k: self.options[k] for k in GENERATE_OPTIONS if k in self.options})
        base = {"input_ids": text["input_ids"].to(device), "attention_mask": text["attention_mask"].to(device),
                **kwargs}

        acc: np.ndarray | None = None
        seg_times: list[float] = []
        segment = 0
        while acc is None or acc.shape[-1] < need * hop:
            if segment >= MAX_SEGMENTS:
                raise BackendError(f"{WHO}: gave up after {MAX_SEGMENTS} windows")
            have = 0 if acc is None else acc.shape[-1] // hop
            fresh = min(window - (overlap if acc is not None else 0), need - have)
            t0 = time.perf_counter()
            with seeded(seed * 1009 + segment, device), torch.inference_mode():
                if acc is None:
                    values = model.generate(**base, max_new_tokens=fresh + delay)
                elif self.continuation:
                    tail = torch.from_numpy(np.ascontiguousarray(acc[:, -overlap * hop:]))[None]
                    values = model.generate(**base, input_values=tail.to(device, model.dtype),
                                            max_new_tokens=fresh + delay)
                else:
                    values = model.generate(**base, max_new_tokens=overlap + fresh + delay)
            sync(device)
            seg_times.append(round(time.perf_counter() - t0, 4))
            piece = values[0].float().cpu().numpy()
            if piece.shape[-1] < hop:
                raise BackendError(f"{WHO}: window {segment} produced no audio")
            if acc is None:
                acc = piece
            else:
                n = min(overlap * hop, piece.shape[-1])
                joined = equal_power(acc[:, acc.shape[-1] - n:], piece[:, :n])
                acc = np.concatenate([acc[:, : acc.shape[-1] - n], joined, piece[:, n:]], axis=-1)
            segment += 1
        return acc, rate, segment, seg_times
