"""The reel's score from ACE-Step (diffusers `AceStepPipeline`, any local pipeline folder).

Profile: `music.backend = "acestep"`, `music.model = "/models/ace-step"` (a folder `AceStepPipeline.save_pretrained`
wrote: model_index.json, transformer/, condition_encoder/, text_encoder/, tokenizer/, vae/, scheduler/). Options:
`steps` (8, the turbo model's count), `guidance_scale` (the pipeline's default), `shift` (3.0), `lyrics`
("[Instrumental]": a score has no words), `time_signature` ("4"), `fade_s` (min(2, seconds / 4)), `prompt_suffix`,
`device` ('auto'), `dtype` ('auto' = bfloat16 on CUDA, float32 on CPU).

One pass makes the whole score (ACE-Step writes minutes at once: no windows, no seams); the brief's tempo and key go
in as the model's own `bpm` and `keyscale` conditions. Output: exactly round(seconds * 44100) samples of 44.1 kHz
stereo 16-bit WAV, like every music backend.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from reelgraph import progress
from reelgraph.backends.audio.loader import load_component, seeded, sync
from reelgraph.backends.audio.score_audio import (
    OUT_CHANNELS,
    OUT_RATE,
    check_seconds,
    describe,
    key_name,
    write_score,
)
from reelgraph.backends.base import MediaInfo
from reelgraph.backends.torch_device import resolve_device, resolve_dtype
from reelgraph.config import BackendConfig
from reelgraph.errors import BackendError
from reelgraph.schema import MusicBrief

WHO = "music backend 'acestep'"
MAX_SECONDS = 600.0
"""The longest score asked of the model in one pass (ACE-Step's own limit is ten minutes)."""


class AceStepMusicBackend:
    """MusicBackend over a local ACE-Step pipeline folder: the whole score in one pass, conditioned on tempo and key."""

    name = "acestep"

    def __init__(self, cfg: BackendConfig) -> None:
        if not cfg.model:
            raise BackendError(f"{WHO}: set music.model to a local ACE-Step pipeline folder (save_pretrained path)")
        self.cfg = cfg
        self.options = dict(cfg.options)
        self.steps = int(self.options.get("steps", 8))
        if not 1 <= self.steps <= 200:
            raise BackendError(f"{WHO}: options.steps must be 1..200 (got {self.steps})")
        self._pipe: Any = None
        self._load_s = 0.0
        self._lock = threading.RLock()

    @classmethod
    def from_pipeline(cls, cfg: BackendConfig, pipe: Any) -> AceStepMusicBackend:
        """A backend around an already built pipeline (benchmarks with random weights)."""
        backend = cls(cfg if cfg.model else cfg.model_copy(update={"model": "<in memory>"}))
        backend._pipe = pipe
        return backend

    def _load(self) -> bool:
        """Load the pipeline once; True when this call loaded it."""
        with self._lock:
            if self._pipe is not None:
                return False
            from diffusers import AceStepPipeline

            t0 = time.perf_counter()
            assert self.cfg.model is not None  # the constructor refuses a config without one
            path = Path(self.cfg.model).expanduser()
            if not (path / "model_index.json").is_file():
                raise BackendError(f"{WHO}: {str(path)!r} (music.model) is not a diffusers pipeline folder "
                                   "(no model_index.json)")
            device = resolve_device(self.options.get("device"))
            dtype = resolve_dtype(self.options.get("dtype"), device, cuda_default="bfloat16")
            pipe = load_component(WHO, "pipeline (AceStepPipeline)", path,
                                  lambda: AceStepPipeline.from_pretrained(path, torch_dtype=dtype))
            pipe.set_progress_bar_config(disable=True)
            self._pipe = pipe.to(device)
            self._load_s = time.perf_counter() - t0
            return True

    def compose(self, brief: MusicBrief, *, seconds: float, seed: int, out: Path) -> MediaInfo:
        """A score of exactly `seconds` (at 44.1 kHz) from the brief, faded to silence at the end; a WAV at `out`."""
        check_seconds(WHO, seconds, MAX_SECONDS)
        fresh = self._load()
        pipe = self._pipe
        t0 = time.perf_counter()
        prompt = describe(brief, str(self.options.get("prompt_suffix", "")))
        call: dict[str, Any] = {
            "prompt": prompt, "lyrics": str(self.options.get("lyrics", "[Instrumental]")),
            "audio_duration": float(seconds), "num_inference_steps": self.steps,
            "shift": float(self.options.get("shift", 3.0)), "bpm": brief.tempo_bpm, "keyscale": key_name(brief.key),
            "timesignature": str(self.options.get("time_signature", "4")), "output_type": "np",
            "callback_on_step_end": progress.diffusers_callback(self.steps, "music"),
        }
        if "guidance_scale" in self.options:
            call["guidance_scale"] = float(self.options["guidance_scale"])
        import torch

        device = pipe._execution_device
        with self._lock, seeded(seed, device), torch.inference_mode():
            audio = np.asarray(pipe(**call).audios[0], dtype=np.float32)
            sync(device)
        if audio.ndim != 2 or not np.isfinite(audio).all():
            raise BackendError(f"{WHO}: the model produced no usable audio (shape {audio.shape}; non-finite values: "
                               "try options.dtype = 'float32')")
        rate = int(pipe.sample_rate)
        fade_s = float(self.options.get("fade_s", min(2.0, seconds / 4)))
        n_out = write_score(audio, rate, seconds, out, fade_s)
        total_s = time.perf_counter() - t0
        return MediaInfo(meta={
            "backend": self.name, "model": str(self.cfg.model), "prompt": prompt, "seed": seed,
            "seconds": n_out / OUT_RATE, "samples": n_out, "sample_rate": OUT_RATE, "channels": OUT_CHANNELS,
            "model_sample_rate": rate, "steps": self.steps, "bpm": brief.tempo_bpm, "keyscale": key_name(brief.key),
            "fade_s": fade_s,
            "timings": {"load_s": round(self._load_s, 4) if fresh else 0.0, "total_s": round(total_s, 4),
                        "seconds_per_second": round(total_s / seconds, 4)},
        })
