"""Dialogue shots from a local LTX-2 ``LTX2ImageToVideoPipeline`` folder: the picture and its sound in one pass.

LTX-2 is a joint audio-video model: from the keyframe and the prompt it renders the frames and a soundtrack that
belongs to them (the character's spoken line, the room). Each clip is one mp4 with both:

- ``animate()``: image->video from the keyframe;
- ``bridge()``: the first frame at the start and the last frame as a keyframe condition at the end, through
  ``LTX2ConditionPipeline`` built on the same loaded components (no second copy of the weights); with
  ``bridge_last_frame = false``, or a diffusers without that pipeline, image->video from the first frame only (the
  clip's meta says ``"bridge": "first frame only"``).

The model renders at the motion's size capped to the preset's area (480p: 832x480, 720p: 1280x704, 1080p:
1920x1088), in multiples of 32, at its own frame rate (``model_fps``, 24), in one pass of ``8k+1`` frames covering the
shot (at most ``max_seconds``). The frames are resized and retimed so the mp4 has exactly round(seconds x fps) frames
of motion.width x motion.height at motion.fps; the soundtrack is trimmed or padded to the clip's length and muxed in
as 44.1 kHz stereo AAC. ``meta["audio"]`` describes it (``"source": "ltx2"``) so the studio can take it as the line.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import math
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from reelgraph.backends.base import MediaInfo, MotionSpec
from reelgraph.backends.diffusers.clips import CAMERA, check_motion, generation_size, load_image, retime
from reelgraph.backends.diffusers.dialogue_options import OPTIONS, PRESETS, check_dialogue_options
from reelgraph.backends.diffusers.loader import (
    DiffusersBackend,
    Stages,
    call_kwargs,
    check_model_folder,
    pipeline_class_name,
)
from reelgraph.backends.diffusers.soundtrack import CHANNELS, SAMPLE_RATE, as_channels, mux_audio
from reelgraph.errors import BackendError, UsageError
from reelgraph.media.ffmpeg import encode_frames

log = logging.getLogger(__name__)

PIPELINE = "LTX2ImageToVideoPipeline"
NEGATIVE = "worst quality, inconsistent motion, blurry, jittery, distorted, muffled speech, static frame"
SIZE_UNIT = 32  # LTX-2 takes heights and widths in multiples of 32


def dialogue_prompt(motion: MotionSpec) -> str:
    """The shot's prompt (its beats in order, when given in chunks) with the camera move named."""
    beats = [p.strip().rstrip(".") for p in (getattr(motion, "chunk_prompts", ()) or ()) if p.strip()]
    text = ". Then ".join(beats) if beats else motion.prompt.strip().rstrip(".")
    camera = CAMERA.get(motion.camera, motion.camera.replace("_", " "))
    return f"{text}. {camera.capitalize()}."


def model_frames(seconds: float, fps: float, step: int) -> int:
    """Frames the model renders for `seconds` at `fps`: whole latent frames of `step` frames (LTX-2: 8k+1) that
    reach `seconds`."""
    return step * max(1, math.ceil(round(seconds * fps, 6) / step)) + 1


class LTX2DialogueBackend(DiffusersBackend):
    """Clips with their own synchronised sound from one LTX-2 image->video pipeline folder."""

    name = "ltx2"
    kind = "video"
    DEFAULT_STEPS = 30
    DEFAULT_GUIDANCE = 3.0
    OPTIONS: dict[str, Any] = OPTIONS

    def __init__(self, cfg: Any) -> None:
        check_dialogue_options(cfg.options, self.OPTIONS)
        super().__init__(cfg)
        self.preset = dict(PRESETS[self.opts["preset"]])
        self.model_fps = float(self.opts["model_fps"])
        self._cond: Any = None  # the first-last-frame pipeline over the same components (built on first bridge)
        self._warned_av = False

    def _model_folder(self, model: str | None) -> Path:
        if not model:
            raise BackendError("video backend 'ltx2' needs a model folder: set `model` under [video] in the profile "
                               f"to a local {PIPELINE} folder")
        root = check_model_folder(model, self.kind)
        found = pipeline_class_name(root)
        if found != PIPELINE:
            raise BackendError(f"model folder {root}: holds a {found}; the ltx2 backend needs a {PIPELINE}")
        return root

    def _forwards_per_step(self) -> int:
        cfg = self.guidance > 1 or float(self.opts["audio_guidance"]) > 1
        return (2 if cfg else 1) + (float(self.opts["stg_scale"]) > 0) + (float(self.opts["modality_scale"]) > 1)

    def _footprint(self, pipe: Any) -> Any:
        from reelgraph.backends.diffusers.memory_plan import pipeline_footprint, video_tokens

        w, h = self.preset["width"], self.preset["height"]
        spatial = int(pipe.vae_spatial_compression_ratio) * int(pipe.transformer_spatial_patch_size)
        temporal = int(pipe.vae_temporal_compression_ratio) * int(pipe.transformer_temporal_patch_size)
        tokens = video_tokens(w, h, self._model_frames(pipe, 5.0), spatial=spatial, temporal=temporal)
        return pipeline_footprint(pipe, self.plan_name, tokens=tokens, frames_hw=(w, h),
                                  forwards=self.steps * self._forwards_per_step(),
                                  text_tokens=int(self.opts["max_sequence_length"]))

    def _model_frames(self, pipe: Any, seconds: float) -> int:
        step = int(pipe.vae_temporal_compression_ratio) * int(pipe.transformer_temporal_patch_size)
        return model_frames(seconds, self.model_fps, step)

    def _crf(self, pipe: Any) -> int:
        """The H.264 CRF the keyframe is re-compressed at before encoding (the model's default unless set)."""
        crf = self.opts["image_crf"]
        have_av = importlib.util.find_spec("av") is not None
        if crf is None:
            from diffusers.pipelines.ltx2.utils import resolve_default_image_crf

            crf = int(resolve_default_image_crf(pipe.text_encoder))
            if crf and not have_av:
                if not self._warned_av:
                    log.warning("ltx2: PyAV is not installed; keyframes are not re-compressed (image_crf 0)")
                    self._warned_av = True
                return 0
        if crf and not have_av:
            raise UsageError("video option image_crf needs PyAV (pip install av); set image_crf = 0 to skip it")
        return int(crf)

    def close(self) -> None:
        """Drop the pipelines and their place in the memory plan."""
        with self._lock:
            self._cond = None
        super().close()

    def animate(self, keyframe: Path, motion: MotionSpec, out: Path) -> MediaInfo:
        """Image->video with sound: a clip that starts on the keyframe."""
        return self._render(load_image(keyframe, "keyframe"), None, motion, out)

    def bridge(self, first: Path, last: Path, motion: MotionSpec, out: Path) -> MediaInfo:
        """A clip with sound from `first` towards `last` (the last frame conditions the end where supported)."""
        return self._render(load_image(first, "first frame"), load_image(last, "last frame"), motion, out)

    def _condition_pipe(self, pipe: Any) -> Any:
        """`LTX2ConditionPipeline` over the loaded components (None where this diffusers has none)."""
        if self._cond is None:
            try:
                from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2ConditionPipeline
            except ImportError:
                self._cond = False
                return None
            params = inspect.signature(LTX2ConditionPipeline.__init__).parameters
            cond = LTX2ConditionPipeline(**{k: v for k, v in pipe.components.items() if k in params})
            cond.set_progress_bar_config(disable=True)
            self._cond = cond
        return None if self._cond is False else self._cond

    def _generate(self, pipe: Any, first: Image.Image, last: Image.Image | None, *, prompt: str,
                  size: tuple[int, int], frames: int, seed: int, crf: int) -> tuple[Any, Any, str]:
        """One pass of the model: (frames (T, C, H, W) in [0, 1], waveform, mode)."""
        opts = self.opts
        common: dict[str, Any] = dict(
            prompt=prompt, negative_prompt=opts["negative_prompt"] or NEGATIVE, width=size[0], height=size[1],
            num_frames=frames, frame_rate=self.model_fps, num_inference_steps=self.steps,
            guidance_scale=self.guidance, audio_guidance_scale=float(opts["audio_guidance"]),
            stg_scale=float(opts["stg_scale"]), audio_stg_scale=float(opts["stg_scale"]),
            modality_scale=float(opts["modality_scale"]), audio_modality_scale=float(opts["modality_scale"]),
            spatio_temporal_guidance_blocks=list(opts["stg_blocks"] or ()) or None,
            max_sequence_length=int(opts["max_sequence_length"]),
            output_type="pt",
        )
        cond = self._condition_pipe(pipe) if last is not None and opts["bridge_last_frame"] else None
        if cond is not None and last is not None:
            from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

            conditions = [LTX2VideoCondition(frames=first, index=0, strength=1.0, crf=crf),
                          LTX2VideoCondition(frames=last, index=-1, strength=1.0, crf=crf)]
            kwargs, runner, mode = call_kwargs(cond, conditions=conditions, **common), cond, "flf2v"
        else:
            kwargs, runner, mode = call_kwargs(pipe, image=first, image_crf=crf, **common), pipe, "i2v"
        kwargs["generator"] = self.generator(seed)
        try:
            result = runner(**kwargs)
        finally:
            pipe.maybe_free_model_hooks()
        return result.frames[0], result.audio, mode

    def _render(self, first: Image.Image, last: Image.Image | None, motion: MotionSpec, out: Path) -> MediaInfo:
        check_motion(motion)
        t_start = time.perf_counter()
        pipe = self.pipe
        unit = math.lcm(SIZE_UNIT, int(pipe.vae_spatial_compression_ratio) * int(pipe.transformer_spatial_patch_size))
        gw, gh = generation_size(motion.width, motion.height, self.preset, unit)
        n = self._model_frames(pipe, motion.seconds)
        if (n - 1) / self.model_fps > float(self.opts["max_seconds"]) + 1e-6:
            raise BackendError(f"video: a {motion.seconds:g} s shot is longer than LTX-2 renders in one pass "
                               f"(max_seconds {self.opts['max_seconds']:g}); split the shot")
        out_frames = max(1, round(motion.seconds * motion.fps))
        clip_s = out_frames / motion.fps
        prompt = dialogue_prompt(motion)
        crf = self._crf(pipe)
        stages = Stages(self.device)

        def generate() -> tuple[Any, Any, str]:
            with stages.stage("generate"):
                return self._generate(pipe, first, last, prompt=prompt, size=(gw, gh), frames=n, seed=motion.seed,
                                      crf=crf)

        video, audio, mode = self._run(generate, "dialogue clip")
        if video.shape[0] != n:
            raise BackendError(f"video: the model gave {video.shape[0]} frames, asked for {n}")
        wave = as_channels(audio)
        rate = int(pipe.vocoder.config.output_sampling_rate)
        index = retime(n, src_fps=self.model_fps, dst_fps=motion.fps, out_frames=out_frames)
        out = Path(out)
        with tempfile.TemporaryDirectory(prefix="reelgraph-ltx2-") as tmp:
            picture = Path(tmp) / "picture.mp4"
            with stages.stage("encode"):
                written = encode_frames(_resized(video, index, (motion.width, motion.height)), picture,
                                        fps=motion.fps, width=motion.width, height=motion.height)
            with stages.stage("mux"):
                mux_audio(picture, wave, rate, out, seconds=clip_s)
        if written != out_frames:
            raise BackendError(f"video: wrote {written} frames to {out.name}, expected {out_frames}")
        meta = {
            **self.base_meta(), **stages.meta(), "backend": "ltx2", "mode": mode, "seed": motion.seed,
            "prompt": prompt, "preset": self.opts["preset"], "audio_guidance": float(self.opts["audio_guidance"]),
            "stg_scale": float(self.opts["stg_scale"]), "modality_scale": float(self.opts["modality_scale"]),
            "image_crf": crf,
            "generated": {"width": gw, "height": gh, "fps": self.model_fps, "frames": n},
            "frames": written, "fps": motion.fps, "width": motion.width, "height": motion.height, "seconds": clip_s,
            "audio": {"sample_rate": SAMPLE_RATE, "channels": CHANNELS, "codec": "aac", "seconds": round(clip_s, 6),
                      "source": "ltx2", "model_sample_rate": rate,
                      "model_seconds": round(wave.shape[1] / rate, 6)},
            "wall_s": round(time.perf_counter() - t_start, 4),
        }
        if last is not None:
            meta["bridge"] = "first and last frame" if mode == "flf2v" else "first frame only"
        return MediaInfo(meta=meta)


def _resized(video: Any, index: list[int], size: tuple[int, int]) -> Iterator[np.ndarray]:
    """Frames `index` of a (T, C, H, W) [0, 1] tensor as uint8 (H, W, 3) at `size` (width, height), one at a time
    (resized where the tensor lies, so only uint8 frames leave a GPU)."""
    import torch
    import torch.nn.functional as F

    w, h = size
    for i in index:
        frame = video[i : i + 1].float() * 255.0
        if frame.shape[-2:] != (h, w):
            frame = F.interpolate(frame, size=(h, w), mode="bilinear", antialias=True, align_corners=False)
        yield frame[0].round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).cpu().numpy()
