"""Clips from a local Wan2.2-style ``WanImageToVideoPipeline`` folder: image->video and first-last-frame->video.

- ``animate()``: image->video from the keyframe;
- ``bridge()``: first-last-frame->video (``last_image``), for continuous shots;
- a shot longer than one clip is continued chunk by chunk from the previous chunk's last frame, each chunk with its
  own prompt (``MotionSpec.chunk_prompts`` when given, else the shot's prompt worded as a continuation); in a bridge
  only the last chunk is pulled to the last frame. Chunk lengths are Wan frame counts (4k+1).

Speed switches (``speed``): the denoising loop is our own mirror of the pipeline's (``wan_loop``), so it can skip the
unconditional forward where guidance is 1, batch conditional + unconditional, force first-block-cache skips, time each
forward and reuse prompt embeddings; a few-step preset fuses a step-distillation LoRA at load; with
``overlap_encode`` the mp4 encoder takes each finished chunk in a worker thread while the next chunk denoises.

The model renders at its own frame rate (``model_fps``, 16 for Wan) and at the motion's size capped to the preset's
area (480p: 832x480, 720p: 1280x720), rounded to multiples of 16; the frames are then resized and retimed so the mp4
has exactly round(seconds x fps) frames of motion.width x motion.height at motion.fps.
"""

from __future__ import annotations

import bisect
import logging
import math
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from reelgraph.backends.base import MediaInfo, MotionSpec
from reelgraph.backends.diffusers.clips import CAMERA, check_motion, generation_size, retime
from reelgraph.backends.diffusers.clips import load_image as _load_image
from reelgraph.backends.diffusers.loader import DiffusersBackend, Stages, call_kwargs
from reelgraph.backends.diffusers.parallel.options import check_compatible, check_parallel, split_size
from reelgraph.backends.diffusers.speed.options import LOOP_OPTIONS, check_attention, check_loop_options
from reelgraph.backends.diffusers.speed.text_cache import TextCache
from reelgraph.errors import BackendError, UsageError
from reelgraph.media.ffmpeg import encode_frames

log = logging.getLogger(__name__)

PRESETS: dict[str, dict[str, int]] = {
    "480p": {"width": 832, "height": 480, "num_frames": 81, "fps": 16},
    "720p": {"width": 1280, "height": 720, "num_frames": 81, "fps": 16},
}
NEGATIVE = ("blurry, low quality, jpeg artifacts, static frame, flicker, distorted face, deformed hands, extra limbs, "
            "watermark, subtitles, text")
CONTINUED = ("continuing seamlessly from the previous moment of the same shot: same characters, same place, same "
             "light, same camera movement")


def plan_chunks(needed: int, max_frames: int) -> list[int]:
    """Chunk lengths (each 4k+1, at most `max_frames`) whose joined frames (each chunk after the first starts on the
    previous chunk's last frame) cover `needed` frames."""
    if max_frames < 5 or max_frames % 4 != 1:
        raise UsageError(f"video num_frames must be 4k+1 and at least 5, got {max_frames}")

    def fit(n: int) -> int:
        return max(5, 4 * math.ceil((n - 1) / 4) + 1)

    if needed <= max_frames:
        return [fit(needed)]
    chunks, covered = [max_frames], max_frames
    while covered < needed:
        length = min(max_frames, fit(needed - covered + 1))
        chunks.append(length)
        covered += length - 1
    return chunks


def chunk_prompts(motion: MotionSpec, count: int) -> list[str]:
    """One prompt per chunk: the motion's own chunk prompts where given (the last one repeats), else the shot's
    prompt, worded as a continuation after the first chunk; the camera movement is named in each."""
    given = list(getattr(motion, "chunk_prompts", ()) or ())
    camera = CAMERA.get(motion.camera, motion.camera.replace("_", " "))
    out = []
    for k in range(count):
        if given:
            text = given[min(k, len(given) - 1)]
        else:
            text = motion.prompt if k == 0 else f"{motion.prompt.rstrip('.')}, {CONTINUED}"
        out.append(f"{text.rstrip('.')}. {camera.capitalize()}.")
    return out


class DiffusersVideoBackend(DiffusersBackend):
    """Image->video and first-last-frame->video clips from one Wan2.2-style pipeline folder."""

    kind = "video"
    DEFAULT_STEPS = 40
    DEFAULT_GUIDANCE = 3.5
    OPTIONS: dict[str, Any] = {
        "preset": "480p",  # "480p" or "720p": generation area, frames per clip, model frame rate
        "num_frames": None,  # frames per clip (4k+1); default: the preset's (81)
        "model_fps": None,  # the frame rate the model renders at; default: the preset's (16)
        "guidance_2": None,  # guidance of the low-noise expert (Wan2.2 A14B); default: same as guidance
        "max_sequence_length": None,  # text tokens (Wan: 512)
        "parallel": None,  # one clip over several GPUs: { ulysses = 2 }, { ring = 2 } (context parallelism)
        **LOOP_OPTIONS,
    }

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        if self.opts["preset"] not in PRESETS:
            raise UsageError(f"video preset must be one of {', '.join(PRESETS)}, got {self.opts['preset']!r}")
        self.preset = dict(PRESETS[self.opts["preset"]])
        self.max_frames = int(self.opts["num_frames"] or self.preset["num_frames"])
        self.model_fps = float(self.opts["model_fps"] or self.preset["fps"])
        plan_chunks(self.max_frames, self.max_frames)  # validates 4k+1
        self.loop = check_loop_options(self.opts)
        self.guidance_2 = self.opts["guidance_2"]
        if self.opts["few_step_lora"] is not None:
            explicit = [k for k in ("steps", "guidance", "guidance_2") if self.opts[k] is not None]
            if explicit:
                raise UsageError(f"video: the few-step preset (few_step_lora) sets steps and guidance itself; drop "
                                 f"{', '.join(explicit)} (use few_step_steps for the step count)")
            self.steps = int(self.opts["few_step_steps"])
            self.guidance = 1.0
            self.guidance_2 = 1.0
        self.text = TextCache(int(self.opts["text_cache"]))
        self._skip: Any = None
        self._warmup_done = False
        self.parallel = check_parallel(self.opts["parallel"])
        if self.parallel is not None:
            check_compatible(self.parallel, self.opts, check_attention(self.opts["attention"]))
        self._group: Any = None

    # --- one clip over several processes (the ``parallel`` option) ---------------------------------------------

    def _before_load(self) -> None:
        from reelgraph.backends.diffusers.parallel.group import RankGroup, worker_rank

        if self.parallel is not None and worker_rank() is None and self._group is None:
            path = f"{type(self).__module__}:{type(self).__qualname__}"
            self._group = RankGroup(path, self.cfg.model_dump(), self.parallel, self.device)

    def _split(self, pipe: Any) -> dict[str, Any] | None:
        if self.parallel is None:
            return None
        from reelgraph.backends.diffusers.loader import denoisers
        from reelgraph.backends.diffusers.parallel.enable import enable_context_parallel

        if type(pipe).__name__ != "WanImageToVideoPipeline":
            raise BackendError(f"video option parallel runs the studio's own Wan loop (WanImageToVideoPipeline); "
                               f"{type(pipe).__name__} cannot be split")
        return enable_context_parallel(denoisers(pipe), self.parallel, self.device)

    def _load(self) -> None:
        try:
            super()._load()
            if self._group is not None:
                self.speed["parallel"]["ranks"] = self._group.ready()
        except BaseException:
            self._pipe = None
            self._end_group()
            raise

    def _shrink(self) -> bool:
        return False if self.parallel is not None else super()._shrink()  # every rank would have to shrink

    def _end_group(self) -> None:
        if self._group is not None:
            self._group.shutdown()
            self._group = None

    def close(self) -> None:
        """Drop the pipeline and end the group's workers."""
        super().close()
        self._end_group()

    def run_rank_call(self, call: str, kwargs: dict[str, Any]) -> None:
        """A worker rank's share of a call rank 0 made (its result is rank 0's too, so it is dropped)."""
        if call != "denoise":
            raise BackendError(f"video parallel: unknown call {call!r}")
        self._denoise_here(self.pipe, Stages(self.device), [], **kwargs)

    def _prepare(self, pipe: Any) -> None:
        if self.opts["few_step_lora"] is not None:
            from reelgraph.backends.diffusers.speed.lora import load_step_lora

            self.prepared["few_step"] = {**load_step_lora(pipe, self.opts["few_step_lora"],
                                                          float(self.opts["few_step_lora_scale"])),
                                         "steps": self.steps}

    def _footprint(self, pipe: Any) -> Any:
        from reelgraph.backends.diffusers.memory_plan import pipeline_footprint, video_tokens

        w, h = self.preset["width"], self.preset["height"]
        sp = int(getattr(pipe, "vae_scale_factor_spatial", 8)) * 2
        tp = int(getattr(pipe, "vae_scale_factor_temporal", 4))
        tokens = video_tokens(w, h, self.max_frames, spatial=sp, temporal=tp)
        return pipeline_footprint(pipe, self.plan_name, tokens=tokens, frames_hw=(w, h),
                                  forwards=self.steps * (2 if self.guidance > 1 else 1),
                                  text_tokens=int(self.opts["max_sequence_length"] or 512))

    def animate(self, keyframe: Path, motion: MotionSpec, out: Path) -> MediaInfo:
        """Image->video: a clip that starts on the keyframe."""
        return self._render(_load_image(keyframe, "keyframe"), None, motion, out)

    def bridge(self, first: Path, last: Path, motion: MotionSpec, out: Path) -> MediaInfo:
        """First-last-frame->video: a clip from `first` to `last`."""
        return self._render(_load_image(first, "first frame"), _load_image(last, "last frame"), motion, out)

    def _supports_last_image(self, pipe: Any) -> bool:
        cfg = pipe.config
        return not cfg.get("expand_timesteps", False) and (
            cfg.get("boundary_ratio") is not None or getattr(pipe, "image_encoder", None) is not None)

    def _decode(self, pipe: Any, latents: Any, size: tuple[int, int]) -> tuple[np.ndarray, Image.Image]:
        """Latents -> (frames resized to `size` as uint8 (T, H, W, 3), last frame at generation size)."""
        import torch
        import torch.nn.functional as F
        from diffusers.utils.torch_utils import get_module_execution_device

        vae = pipe.vae
        z = vae.config.z_dim
        latents = latents.to(device=get_module_execution_device(vae), dtype=vae.dtype)
        mean = torch.tensor(vae.config.latents_mean).view(1, z, 1, 1, 1).to(latents)
        std = torch.tensor(vae.config.latents_std).view(1, z, 1, 1, 1).to(latents)
        with torch.no_grad():
            video = vae.decode(latents * std + mean, return_dict=False)[0]  # (1, 3, T, H, W) in [-1, 1]
        video = ((video[0].float().clamp(-1, 1) + 1) * 127.5).permute(1, 0, 2, 3)  # (T, 3, H, W)
        last = Image.fromarray(video[-1].round().to(torch.uint8).permute(1, 2, 0).cpu().numpy())
        w, h = size
        if video.shape[-2:] != (h, w):
            video = F.interpolate(video, size=(h, w), mode="bilinear", antialias=True, align_corners=False)
        frames = video.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
        return frames, last

    def _render(self, first: Image.Image, last: Image.Image | None, motion: MotionSpec, out: Path) -> MediaInfo:
        check_motion(motion)
        t_start = time.perf_counter()
        pipe = self.pipe
        unit = int(getattr(pipe, "vae_scale_factor_spatial", 8)) * 2
        gw, gh = generation_size(motion.width, motion.height, self.preset, unit)
        if self.parallel is not None:  # the tokens of a frame must split evenly over the ranks
            gw, gh = split_size(gw, gh, unit, self.parallel.world)
        out_frames = max(1, round(motion.seconds * motion.fps))
        needed = round(motion.seconds * self.model_fps) + 1
        lengths = plan_chunks(needed, self.max_frames)
        prompts = chunk_prompts(motion, len(lengths))
        flf = last is not None and self._supports_last_image(pipe)
        if last is not None and not flf:
            log.warning("video: %s ignores a last frame; the bridge is rendered image->video", type(pipe).__name__)
        has_two = pipe.config.get("boundary_ratio") is not None
        stages = Stages(self.device)
        pieces: list[np.ndarray] = []
        cond = first
        seams: list[int] = []  # model-frame index where each later chunk joins
        own_loop = type(pipe).__name__ == "WanImageToVideoPipeline"
        loop_stats: list[Any] = []
        out = Path(out)
        out_frames_total = sum(lengths) - (len(lengths) - 1)
        index = retime(out_frames_total, src_fps=self.model_fps, dst_fps=motion.fps, out_frames=out_frames)
        encoder = (_ChunkEncoder(out, index, fps=motion.fps, width=motion.width, height=motion.height)
                   if self.opts["overlap_encode"] else None)
        try:
            for k, (n, prompt) in enumerate(zip(lengths, prompts, strict=True)):
                seed = motion.seed + 1009 * k
                flf_last = last if (flf and k == len(lengths) - 1) else None
                if own_loop:
                    def chunk(n: int = n, prompt: str = prompt, seed: int = seed, cond: Image.Image = cond,
                              flf_last: Image.Image | None = flf_last) -> Any:
                        return self._denoise(pipe, stages, loop_stats, cond=cond, prompt=prompt, n=n, size=(gw, gh),
                                             seed=seed, last_image=flf_last, has_two=has_two)

                    latents = self._run(chunk, f"clip chunk {k + 1}/{len(lengths)}")
                else:
                    kwargs = call_kwargs(
                        pipe, image=cond, prompt=prompt, height=gh, width=gw, num_frames=n,
                        num_inference_steps=self.steps, guidance_scale=self.guidance,
                        negative_prompt=self.opts["negative_prompt"] or NEGATIVE,
                        max_sequence_length=self.opts["max_sequence_length"], output_type="latent",
                        last_image=flf_last, guidance_scale_2=self.guidance_2 if has_two else None,
                    )

                    def denoise(kwargs: dict[str, Any] = kwargs, seed: int = seed) -> Any:
                        kwargs["generator"] = self.generator(seed)
                        with stages.stage("denoise"):
                            return pipe(**kwargs).frames

                    latents = self._run(denoise, f"clip chunk {k + 1}/{len(lengths)}")

                def decode(latents: Any = latents) -> tuple[np.ndarray, Image.Image]:
                    with stages.stage("decode"):
                        return self._decode(pipe, latents, (motion.width, motion.height))

                frames, cond = self._run(decode, "VAE decode")
                if k:
                    seams.append(sum(len(p) for p in pieces) - 1)
                pieces.append(frames if k == 0 else frames[1:])
                if encoder is not None:
                    encoder.add(pieces[-1])
            pipe.maybe_free_model_hooks()
            allframes = np.concatenate(pieces)
            if len(allframes) != out_frames_total:
                raise BackendError(f"video: {len(allframes)} model frames, planned {out_frames_total}")
            with stages.stage("encode"):
                if encoder is not None:
                    written = encoder.finish()
                else:
                    written = encode_frames((allframes[i] for i in index), out, fps=motion.fps, width=motion.width,
                                            height=motion.height)
        finally:
            if encoder is not None:
                encoder.abort()
        if written != out_frames:
            raise BackendError(f"video: wrote {written} frames to {out.name}, expected {out_frames}")
        seam_s = [round(s / self.model_fps, 4) for s in seams]
        meta = {
            **self.base_meta(), **stages.meta(), "mode": "flf2v" if flf else "i2v", "seed": motion.seed,
            "guidance_2": self.guidance_2 if has_two else None, "preset": self.opts["preset"],
            "chunks": len(lengths), "chunk_frames": lengths, "chunk_prompts": prompts,
            "chunk_seams_s": seam_s, "chunk_seam_frames": [math.ceil(s * motion.fps) for s in seam_s],
            "generated": {"width": gw, "height": gh, "fps": self.model_fps, "frames": len(allframes)},
            "frames": written, "fps": motion.fps, "width": motion.width, "height": motion.height,
            "seconds": written / motion.fps, "wall_s": round(time.perf_counter() - t_start, 4),
        }
        if last is not None and not flf:
            meta["last_frame_ignored"] = True
        if loop_stats:
            meta["denoise"] = self._loop_meta(loop_stats)
        if self._group is not None:
            meta["parallel_peak_memory_bytes"] = {f"rank{r}": b for r, b in enumerate(self._group.peaks, start=1)}
        meta["overlap_encode"] = encoder is not None
        return MediaInfo(meta=meta)

    def _denoise(self, pipe: Any, stages: Stages, loop_stats: list[Any], **chunk: Any) -> Any:
        """One chunk's latents; split over the group's ranks when there is one (each runs the same call)."""
        if self._group is None:
            return self._denoise_here(pipe, stages, loop_stats, **chunk)
        self._group.send("denoise", chunk)
        latents = self._denoise_here(pipe, stages, loop_stats, **chunk)
        self._group.collect("denoise")
        return latents

    def _denoise_here(self, pipe: Any, stages: Stages, loop_stats: list[Any], *, cond: Image.Image, prompt: str,
                      n: int, size: tuple[int, int], seed: int, last_image: Image.Image | None, has_two: bool) -> Any:
        """One chunk's latents in this process, through the speed-switch loop (prompt embeddings from the text
        cache)."""
        from reelgraph.backends.diffusers.wan_loop import denoise

        if self._skip is None and "first_block_cache" in self.speed:
            from reelgraph.backends.diffusers.loader import denoisers
            from reelgraph.backends.diffusers.speed.first_block_cache import SkipControl

            self._skip = SkipControl(denoisers(pipe))

        with stages.stage("text"):
            device = pipe._execution_device
            max_len = int(self.opts["max_sequence_length"] or 512)
            embeds = self.text.embed(pipe, prompt, max_len, device)
            negative = (self.text.embed(pipe, self.opts["negative_prompt"] or NEGATIVE, max_len, device)
                        if self.guidance > 1 else None)
        with stages.stage("denoise"):
            latents, st = denoise(
                pipe, image=cond, prompt_embeds=embeds, negative_prompt_embeds=negative, height=size[1],
                width=size[0], num_frames=n, num_inference_steps=self.steps, guidance_scale=self.guidance,
                guidance_scale_2=self.guidance_2 if has_two else None, generator=self.generator(seed),
                last_image=last_image, switches=self.loop, skip=self._skip)
        loop_stats.append(st)
        return latents

    def _loop_meta(self, loop_stats: list[Any]) -> dict[str, Any]:
        """Forwards per expert, cache skips, forward times and (first call with compile) the warm-up."""
        forwards: dict[str, int] = {}
        skipped = 0
        for st in loop_stats:
            for f in st.forwards:
                forwards[f["expert"]] = forwards.get(f["expert"], 0) + 1
                skipped += bool(f["skipped"])
        first = loop_stats[0].summary()
        meta: dict[str, Any] = {
            "forwards": forwards, "cache_skipped": skipped, "text_cache": {"hits": self.text.hits,
                                                                           "misses": self.text.misses},
            "first_forward_s": first.get("first_forward_s"), "median_forward_s": first.get("median_forward_s"),
            "batch_cfg": self.loop.batch_cfg, "skip_unit_guidance": self.loop.skip_unit_guidance,
        }
        if not self._warmup_done and self.opts["compile"] and first.get("median_forward_s"):
            med = first["median_forward_s"]
            meta["compile_warmup_s"] = round(sum(max(0.0, v - med) for v in first["first_forward_s"].values()), 3)
        self._warmup_done = True
        return meta


class _ChunkEncoder:
    """The mp4 encoder in a worker thread, fed chunk by chunk: output frame j is model frame `index[j]` of the
    chunks joined, written as soon as its chunk arrives (so encoding overlaps the next chunk's denoising)."""

    def __init__(self, out: Path, index: list[int], *, fps: int, width: int, height: int) -> None:
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue()
        self._index = index
        self.written: int | None = None
        self.error: BaseException | None = None
        self._done = False
        self._thread = threading.Thread(target=self._work, args=(out, fps, width, height), daemon=True,
                                        name="chunk-encoder")
        self._thread.start()

    def _frames(self) -> Iterator[np.ndarray]:
        pieces: list[np.ndarray] = []
        starts: list[int] = []
        available = 0
        for src in self._index:
            while src >= available:
                piece = self._queue.get()
                if piece is None:
                    raise BackendError("video: the encoder got fewer frames than planned")
                starts.append(available)
                pieces.append(piece)
                available += len(piece)
            p = bisect.bisect_right(starts, src) - 1
            yield pieces[p][src - starts[p]]

    def _work(self, out: Path, fps: int, width: int, height: int) -> None:
        try:
            self.written = encode_frames(self._frames(), out, fps=fps, width=width, height=height)
        except BaseException as e:  # handed to the caller in finish()
            self.error = e

    def add(self, frames: np.ndarray) -> None:
        self._queue.put(frames)

    def finish(self) -> int:
        """Wait for the encoder; the frame count written (its error, if it failed)."""
        self._queue.put(None)
        self._thread.join()
        self._done = True
        if self.error is not None:
            raise self.error
        return int(self.written or 0)

    def abort(self) -> None:
        """Stop the worker (after an error elsewhere); a no-op once finished."""
        if not self._done:
            self._queue.put(None)
            self._thread.join(timeout=60)
            self._done = True
