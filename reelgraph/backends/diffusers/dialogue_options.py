"""The ltx2 video backend's options (``[video.options]`` in the profile), their defaults and their checks.

They come on top of the diffusers backends' shared options (``loader.COMMON_OPTIONS``: steps, guidance, dtype,
device, memory_plan, the speed switches, negative_prompt); the ltx2 defaults are 30 steps and guidance 3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reelgraph.backends.diffusers.loader import COMMON_OPTIONS
from reelgraph.errors import UsageError

PRESETS: dict[str, dict[str, int]] = {
    "480p": {"width": 832, "height": 480},
    "720p": {"width": 1280, "height": 704},
    "1080p": {"width": 1920, "height": 1088},
}

OPTIONS: dict[str, Any] = {
    "preset": "720p",  # generation area cap: "480p" (832x480), "720p" (1280x704), "1080p" (1920x1088)
    "model_fps": 24,  # the frame rate the model renders at (LTX-2: 24 or 25 natively)
    "max_seconds": 20.0,  # longest shot rendered in one pass
    "max_sequence_length": 1024,  # prompt tokens (Gemma 3)
    "audio_guidance": 7.0,  # classifier-free guidance of the soundtrack (`guidance` is the picture's)
    "stg_scale": 1.0,  # spatio-temporal guidance, picture and sound (0: off, one forward less per step)
    "modality_scale": 3.0,  # audio-video modality isolation guidance (1: off, one forward less per step)
    "stg_blocks": None,  # transformer blocks perturbed by STG (None: the pipeline's default)
    "image_crf": None,  # H.264 CRF the keyframe is re-compressed at (None: the model's, 33; 0: off; needs PyAV)
    "bridge_last_frame": True,  # bridge(): condition the end on the last frame (false: first frame only)
}

_NUMBERS: dict[str, tuple[float, float]] = {
    "guidance": (1.0, 30.0), "audio_guidance": (1.0, 30.0), "stg_scale": (0.0, 10.0),
    "modality_scale": (1.0, 10.0), "model_fps": (1.0, 60.0), "max_seconds": (0.1, 60.0),
}
_INTEGERS: dict[str, tuple[int, int]] = {"steps": (1, 1000), "max_sequence_length": (8, 8192), "image_crf": (0, 51)}
_NULLABLE = {"steps", "guidance", "image_crf", "stg_blocks"}


def _fail(key: str, what: str, value: Any) -> UsageError:
    return UsageError(f"video backend 'ltx2': option {key} must be {what}, got {value!r}")


def _check_number(key: str, value: Any) -> None:
    lo, hi = _NUMBERS[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= float(value) <= hi:
        raise _fail(key, f"a number in [{lo:g}, {hi:g}]", value)


def _check_integer(key: str, value: Any) -> None:
    lo, hi = _INTEGERS[key]
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _fail(key, f"a whole number in [{lo}, {hi}]", value)


def check_dialogue_options(options: Mapping[str, Any], specific: Mapping[str, Any] = OPTIONS) -> None:
    """Raise a UsageError naming the first unknown option (known: the shared ones and `specific`) or bad value."""
    known = {**COMMON_OPTIONS, **specific}
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise UsageError(f"video backend 'ltx2': unknown option(s) {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(known))}")
    for key, value in options.items():
        if value is None and key in _NULLABLE:
            continue
        if key in _NUMBERS:
            _check_number(key, value)
        elif key in _INTEGERS:
            _check_integer(key, value)
        elif key == "preset" and value not in PRESETS:
            raise _fail(key, f"one of {', '.join(PRESETS)}", value)
        elif key == "bridge_last_frame" and not isinstance(value, bool):
            raise _fail(key, "true or false", value)
        elif key == "stg_blocks" and (not isinstance(value, list | tuple) or not value or any(
                isinstance(b, bool) or not isinstance(b, int) or b < 0 for b in value)):
            raise _fail(key, "a list of transformer block indices (whole numbers from 0)", value)
