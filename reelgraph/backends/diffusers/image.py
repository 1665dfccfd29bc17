"""Character masters and keyframes from a local diffusers text->image pipeline folder (FLUX family or any other).

- ``master()``: text->image from the character's look and wardrobe.
- ``keyframe()``: conditioned on the characters' masters when the pipeline family can take a reference image:
  image->image made from the loaded pipeline with ``AutoPipelineForImage2Image.from_pipe`` (same modules, nothing
  loaded twice), or the pipeline itself where it edits from a reference (FLUX.1 Kontext, FLUX.2); otherwise
  text->image from the same structured prompt.

Options (``[image.options]`` in the profile): see ``diffusers_common.COMMON_OPTIONS`` and ``OPTIONS`` below.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from PIL import Image

from reelgraph.backends.base import KeyframeSpec
from reelgraph.backends.diffusers.loader import DiffusersBackend, Stages, call_kwargs
from reelgraph.errors import BackendError, UsageError
from reelgraph.schema import Character

log = logging.getLogger(__name__)

LIGHTING = {
    "day": "bright natural daylight", "golden": "warm golden-hour sunlight, long shadows",
    "dusk": "blue-hour dusk light", "night": "night, moonlight and practical lights",
    "storm": "dark stormy overcast light, rain", "interior": "soft interior lighting",
    "darkness": "near darkness, one dim light source",
}
FRAMING = {"wide": "wide establishing shot", "medium": "medium shot", "close": "close-up"}


def describe_character(c: Character) -> str:
    """A character in prompt words: name, look, wardrobe and colours."""
    wardrobe = f", wearing {c.wardrobe}" if c.wardrobe else ""
    palette = f", colours {' '.join(c.palette)}" if c.palette else ""
    return f"{c.name}: {c.look}{wardrobe}{palette}"


def master_prompt(c: Character) -> str:
    """The prompt of a character's reference portrait."""
    return (f"Character reference portrait of {describe_character(c)}. Full figure, facing the camera, neutral "
            "plain studio background, soft even light, sharp focus, cinematic still")


def exposure_words(ev: float) -> str:
    """Prompt words for an exposure change of `ev` stops ('' within ±0.3 EV)."""
    if ev >= 0.3:
        return ", brighter exposure, lifted shadows"
    if ev <= -0.3:
        return ", darker low-key exposure"
    return ""


def keyframe_prompt(spec: KeyframeSpec, *, edit: bool = False) -> str:
    """The prompt of a keyframe from the spec's structured fields (`edit`: phrased as an edit of the reference)."""
    cast = "; ".join(describe_character(c) for c in spec.characters)
    light = LIGHTING.get(spec.lighting, spec.lighting) + exposure_words(spec.exposure)
    framing = FRAMING.get(spec.framing, spec.framing)
    scene = f"{framing}. {spec.prompt.rstrip('.')}. Setting: {spec.setting}. Lighting: {light}."
    if edit and spec.characters:
        return (f"Keep the character{'s' if len(spec.characters) > 1 else ''} from the reference exactly the same "
                f"(face, hair, build, clothes) and place them in this scene: {scene} Characters: {cast}.")
    return f"{scene}" + (f" Characters: {cast}." if cast else "") + " Cinematic film still, detailed."


def reference_image(spec: KeyframeSpec, width: int, height: int) -> Image.Image | None:
    """The masters of the characters in frame, side by side on one canvas of the keyframe's size (None: no master)."""
    paths = [spec.masters[c.slug] for c in spec.characters if c.slug in spec.masters]
    images = []
    for p in paths:
        if not Path(p).is_file():
            raise BackendError(f"keyframe: character master {p} is missing")
        with Image.open(p) as im:
            images.append(im.convert("RGB"))
    if not images:
        return None
    if len(images) == 1:
        return images[0].resize((width, height), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (width, height), (128, 128, 128))
    cell = width // len(images)
    for i, img in enumerate(images):
        scale = min(cell / img.width, height / img.height)
        fitted = img.resize((max(1, int(img.width * scale)), max(1, int(img.height * scale))),
                            Image.Resampling.LANCZOS)
        canvas.paste(fitted, (i * cell + (cell - fitted.width) // 2, (height - fitted.height) // 2))
    return canvas


class DiffusersImageBackend(DiffusersBackend):
    """Text->image masters and reference-conditioned keyframes from one diffusers pipeline folder."""

    kind = "image"
    DEFAULT_STEPS = 28
    DEFAULT_GUIDANCE = 3.5
    OPTIONS: dict[str, Any] = {
        "strength": 0.75,  # image->image: how far a keyframe may move from the master (1.0: ignore it)
        "reference": "auto",  # "auto": condition keyframes on masters where the pipeline can; "none": text only
        "plan_width": 1024,  # the size the memory plan is made for
        "plan_height": 1024,
        "max_sequence_length": None,  # text tokens (FLUX: 512)
    }

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        if self.opts["reference"] not in ("auto", "none"):
            raise UsageError(f"image option reference must be 'auto' or 'none', got {self.opts['reference']!r}")
        self.ref_pipe: Any = None
        self.ref_mode = "text"  # "img2img", "edit" (Kontext-style) or "text"
        self.last_meta: dict[str, Any] = {}

    def _prepare(self, pipe: Any) -> None:
        """Make the reference-conditioned sibling from the loaded modules (before placement, so hooks are shared)."""
        import inspect

        if self.opts["reference"] == "none":
            return
        params = inspect.signature(pipe.__call__).parameters
        ref = pipe if "image" in params else None
        if ref is None:
            from diffusers import AutoPipelineForImage2Image

            try:
                ref = AutoPipelineForImage2Image.from_pipe(pipe)
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                log.info("image backend: %s has no image->image form (%s); keyframes are text->image",
                         type(pipe).__name__, e)
                return
            ref.set_progress_bar_config(disable=True)
        self.ref_pipe = ref
        self.ref_mode = "img2img" if "strength" in inspect.signature(ref.__call__).parameters else "edit"

    def _footprint(self, pipe: Any) -> Any:
        from reelgraph.backends.diffusers.memory_plan import pipeline_footprint

        w, h = int(self.opts["plan_width"]), int(self.opts["plan_height"])
        unit = 2 * int(getattr(pipe, "vae_scale_factor", 8))
        return pipeline_footprint(pipe, self.plan_name, tokens=(w // unit) * (h // unit), frames_hw=(w, h),
                                  forwards=self.steps, text_tokens=int(self.opts["max_sequence_length"] or 512))

    def _size(self, width: int, height: int) -> tuple[int, int]:
        """The generation size: the asked size rounded to the pipeline's multiple (VAE factor x patch)."""
        unit = 2 * int(getattr(self.pipe, "vae_scale_factor", 8))
        return max(unit, round(width / unit) * unit), max(unit, round(height / unit) * unit)

    def _generate(self, pipe: Any, prompt: str, *, width: int, height: int, seed: int, what: str,
                  **extra: Any) -> Image.Image:
        gw, gh = self._size(width, height)
        stages = Stages(self.device)
        kwargs = call_kwargs(
            pipe, prompt=prompt, width=gw, height=gh, num_inference_steps=self.steps, guidance_scale=self.guidance,
            negative_prompt=self.opts["negative_prompt"], max_sequence_length=self.opts["max_sequence_length"],
            output_type="pil", **extra,
        )

        def call() -> Image.Image:
            kwargs["generator"] = self.generator(seed)
            with stages.stage("generate"):
                out: Image.Image = pipe(**kwargs).images[0]
            if pipe is not self._pipe:
                self._pipe.maybe_free_model_hooks()
            return out

        t0 = time.perf_counter()
        image = self._run(call, what).convert("RGB")
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.LANCZOS)
        self.last_meta = {**self.base_meta(), **stages.meta(), "what": what, "seed": seed, "prompt": prompt,
                          "generated": [gw, gh], "size": [width, height], "wall_s": round(time.perf_counter() - t0, 4)}
        image.info["reelgraph"] = self.last_meta
        return image

    def master(self, character: Character, *, width: int, height: int, seed: int) -> Image.Image:
        """A reference portrait of one character, text->image."""
        return self._generate(self.pipe, master_prompt(character), width=width, height=height, seed=seed,
                              what="master")

    def keyframe(self, spec: KeyframeSpec, *, width: int, height: int) -> Image.Image:
        """A keyframe, conditioned on the masters of the characters in frame where the pipeline can take them."""
        pipe = self.pipe
        ref = reference_image(spec, *self._size(width, height)) if self.ref_pipe is not None else None
        if ref is None:
            image = self._generate(pipe, keyframe_prompt(spec), width=width, height=height, seed=spec.seed,
                                   what="keyframe")
            self.last_meta["conditioning"] = "text"
            return image
        extra: dict[str, Any] = {"image": ref}
        if self.ref_mode == "img2img":
            extra["strength"] = float(self.opts["strength"])
            if int(self.steps * (1 - extra["strength"])) == 0 and extra["strength"] < 1:
                log.warning("image: strength %.2f of %d steps starts from pure noise: the master is not used "
                            "(lower strength or more steps)", extra["strength"], self.steps)
        image = self._generate(self.ref_pipe, keyframe_prompt(spec, edit=self.ref_mode == "edit"), width=width,
                               height=height, seed=spec.seed, what="keyframe", **extra)
        self.last_meta.update(conditioning=self.ref_mode, reference_pipeline=type(self.ref_pipe).__name__,
                              strength=extra.get("strength"))
        return image
