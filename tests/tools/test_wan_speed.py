"""The Wan speed switches on a tiny random Wan2.2-A14B-style pipeline (CPU): the loop mirrors the pipeline, guidance 1
skips its unconditional forward, batched CFG equals unbatched, fixed-ratio caching skips the planned forwards, the
few-step LoRA preset loads from a folder, options are checked."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from reelgraph.backends.base import MotionSpec
from reelgraph.backends.diffusers.speed.attention import attention_modules, set_attention
from reelgraph.backends.diffusers.speed.first_block_cache import SkipControl, fixed_skip_plan
from reelgraph.backends.diffusers.speed.flash4 import flash4_op
from reelgraph.backends.diffusers.speed.fp8 import quantize_fp8, tensor_bytes
from reelgraph.backends.diffusers.speed.lora import load_step_lora, lora_files
from reelgraph.backends.diffusers.speed.options import LoopSwitches, check_attention
from reelgraph.backends.diffusers.wan_loop import denoise, expert_names
from reelgraph.config import BackendConfig
from reelgraph.errors import BackendError, UsageError

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.gpu_random_backends import random_lora  # noqa: E402  (random weights: a benchmark helper)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SIZE = dict(height=32, width=32, num_frames=5)




@pytest.fixture(scope="module")
def pipe(wan_folder: Path) -> Any:
    from diffusers import DiffusionPipeline

    p = DiffusionPipeline.from_pretrained(str(wan_folder), local_files_only=True)
    p.set_progress_bar_config(disable=True)
    return p


@pytest.fixture(scope="module")
def inputs(pipe: Any) -> dict[str, Any]:
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8))
    pe, ne = pipe.encode_prompt(prompt="a red fox runs", negative_prompt="blurry", max_sequence_length=16,
                                device=pipe.device)
    return {"image": image, "prompt_embeds": pe, "negative_prompt_embeds": ne}


def generator(seed: int = 0) -> Any:
    import torch

    return torch.Generator("cpu").manual_seed(seed)


class Calls:
    """Counts real calls of each expert's forward (and of a module inside the last block: skipped by the cache)."""

    def __init__(self, pipe: Any) -> None:
        self.counts: dict[str, int] = {}
        self.handles = []
        for name in ("transformer", "transformer_2"):
            m = getattr(pipe, name)
            self.handles.append(m.register_forward_pre_hook(self._bump(name)))
            self.handles.append(m.blocks[-1].attn1.register_forward_pre_hook(self._bump(name + ".last_block")))

    def _bump(self, key: str) -> Any:
        def hook(*_: Any) -> None:
            self.counts[key] = self.counts.get(key, 0) + 1
        return hook

    def __enter__(self) -> Calls:
        return self

    def __exit__(self, *_: Any) -> None:
        for h in self.handles:
            h.remove()


def rel(a: Any, b: Any) -> float:
    return float((a.float() - b.float()).norm() / b.float().norm())


def run_loop(pipe: Any, inputs: dict[str, Any], steps: int = 3, **kw: Any) -> tuple[Any, Any]:
    switches = kw.pop("switches", LoopSwitches(skip_unit_guidance=False))
    return denoise(pipe, **inputs, **SIZE, num_inference_steps=steps, guidance_scale=kw.pop("g", 3.0),
                      guidance_scale_2=kw.pop("g2", None), generator=generator(), switches=switches, **kw)


def run_pipe(pipe: Any, inputs: dict[str, Any], steps: int = 3, g: float = 3.0, g2: float | None = None) -> Any:
    return pipe(**inputs, **SIZE, num_inference_steps=steps, guidance_scale=g, guidance_scale_2=g2,
                generator=generator(), output_type="latent").frames


def test_loop_mirrors_the_pipeline(pipe: Any, inputs: dict[str, Any]) -> None:
    import torch

    assert expert_names(pipe, 3) == ["transformer", "transformer_2", "transformer_2"]
    with Calls(pipe) as ref_calls:
        ref = run_pipe(pipe, inputs)
    with Calls(pipe) as calls:
        ours, stats = run_loop(pipe, inputs)
    assert torch.equal(ours, ref)
    assert calls.counts == ref_calls.counts == {"transformer": 2, "transformer.last_block": 2, "transformer_2": 4,
                                                "transformer_2.last_block": 4}
    assert stats.summary()["forwards"] == {"transformer": 2, "transformer_2": 4}


def test_unit_guidance_really_skips_the_unconditional_forward(pipe: Any, inputs: dict[str, Any]) -> None:
    with Calls(pipe) as ref_calls:
        ref = run_pipe(pipe, inputs, g2=1.0)
    assert ref_calls.counts["transformer_2"] == 4  # diffusers runs (and discards) the unconditional pass
    with Calls(pipe) as calls:
        ours, stats = run_loop(pipe, inputs, g2=1.0, switches=LoopSwitches(skip_unit_guidance=True))
    assert calls.counts["transformer"] == 2 and calls.counts["transformer_2"] == 2
    assert {f["branch"] for f in stats.forwards if f["expert"] == "transformer_2"} == {"cond"}
    assert rel(ours, ref) < 1e-5  # u + 1 * (c - u) == c up to rounding


def test_batched_cfg_equals_unbatched(pipe: Any, inputs: dict[str, Any], wan_folder: Path) -> None:
    import torch

    ref, _ = run_loop(pipe, inputs)
    with Calls(pipe) as calls:
        ours, stats = run_loop(pipe, inputs, switches=LoopSwitches(batch_cfg=True))
    assert calls.counts == {"transformer": 1, "transformer.last_block": 1, "transformer_2": 2,
                            "transformer_2.last_block": 2}
    assert {f["batch"] for f in stats.forwards} == {2}
    assert rel(ours, ref) < 1e-5
    from diffusers import DiffusionPipeline

    p16 = DiffusionPipeline.from_pretrained(str(wan_folder), dtype=torch.bfloat16, local_files_only=True)
    bf_inputs = {**inputs, "prompt_embeds": inputs["prompt_embeds"].bfloat16(),
                 "negative_prompt_embeds": inputs["negative_prompt_embeds"].bfloat16()}
    ref16, _ = run_loop(p16, bf_inputs)
    ours16, _ = run_loop(p16, bf_inputs, switches=LoopSwitches(batch_cfg=True))
    assert rel(ours16, ref16) < 2e-2  # bf16 tolerance


def test_fixed_ratio_cache_skips_the_planned_forwards(pipe: Any, inputs: dict[str, Any]) -> None:
    from diffusers import FirstBlockCacheConfig

    assert fixed_skip_plan(["a"] * 10, 0.5) == [False, True, False, True, False, True, False, True, False, True]
    assert sum(fixed_skip_plan(["a"] * 12 + ["b"] * 18, 0.3)) == 9
    plan = fixed_skip_plan(["a", "a", "b", "b"], 0.5)
    assert plan == [False, True, False, True]  # never an expert's first step
    assert fixed_skip_plan(["a", "b"], 0.5) == [False, False]
    models = [pipe.transformer, pipe.transformer_2]
    for m in models:
        m.enable_cache(FirstBlockCacheConfig(threshold=0.0))  # threshold 0 alone would never skip
    skip = SkipControl(models)
    try:
        with Calls(pipe) as calls:
            _, stats = run_loop(pipe, inputs, steps=4, skip=skip,
                                switches=LoopSwitches(skip_unit_guidance=False, cache_fixed_ratio=0.5))
    finally:
        skip.close()
        for m in models:
            m.disable_cache()
    experts = expert_names(pipe, 4)
    assert stats.plan == fixed_skip_plan(experts, 0.5) and sum(stats.plan) == 2
    skipped_steps = {f["step"] for f in stats.forwards if f["skipped"]}
    assert skipped_steps == {i for i, s in enumerate(stats.plan) if s}
    assert stats.summary()["skipped"] == 4  # cond and uncond of the two skipped steps
    total = calls.counts["transformer"] + calls.counts["transformer_2"]
    assert total == 8 and calls.counts["transformer.last_block"] + calls.counts["transformer_2.last_block"] == 4


def test_random_lora_fuses_through_load_lora_weights(pipe: Any, wan_folder: Path, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    folder = tmp_path / "lightning"
    folder.mkdir()
    save_file(random_lora(pipe.transformer, rank=4, std=0.5, seed=1), str(folder / "high_noise_model.safetensors"))
    save_file(random_lora(pipe.transformer_2, rank=4, std=0.5, seed=2), str(folder / "low_noise_model.safetensors"))
    assert set(lora_files(folder)) == {"transformer", "transformer_2"}
    from diffusers import DiffusionPipeline

    p = DiffusionPipeline.from_pretrained(str(wan_folder), local_files_only=True)
    w0 = p.transformer.blocks[0].attn1.to_q.weight.clone()
    w2 = p.transformer_2.blocks[1].ffn.net[2].weight.clone()
    info = load_step_lora(p, folder)
    assert info["fused"] and info["files"] == {"transformer": "high_noise_model.safetensors",
                                               "transformer_2": "low_noise_model.safetensors"}
    assert not p.transformer.blocks[0].attn1.to_q.weight.equal(w0)
    assert not p.transformer_2.blocks[1].ffn.net[2].weight.equal(w2)
    assert type(p.transformer.blocks[0].attn1.to_q).__name__ == "Linear"  # adapters gone, weights fused


def video_cfg(folder: Path, **options: Any) -> BackendConfig:
    return BackendConfig(backend="diffusers", model=str(folder), options={"steps": 2, "num_frames": 5, **options})


def test_options_are_checked(wan_folder: Path, tmp_path: Path) -> None:
    from reelgraph.backends.diffusers.video import DiffusersVideoBackend

    bad = [({"skip_cfg": True}, "unknown option.*skip_cfg"), ({"attention": "turbo"}, "attention 'turbo'"),
           ({"cache_fixed_ratio": 0.95}, "cache_fixed_ratio"), ({"batch_cfg": "yes"}, "batch_cfg"),
           ({"fp8_linear": 1}, "fp8_linear"), ({"few_step_steps": 0}, "few_step_steps"),
           ({"few_step_lora": str(tmp_path / "nope")}, "not a folder"), ({"text_cache": -1}, "text_cache"),
           ({"first_block_cache": "high"}, "first_block_cache")]
    for options, match in bad:
        with pytest.raises(UsageError, match=match):
            DiffusersVideoBackend(video_cfg(wan_folder, **options))
    (tmp_path / "lora").mkdir()
    (tmp_path / "lora" / "a.safetensors").write_bytes(b"")
    with pytest.raises(UsageError, match="drop steps"):
        DiffusersVideoBackend(video_cfg(wan_folder, few_step_lora=str(tmp_path / "lora")))
    assert check_attention("cudnn") == "_native_cudnn" and check_attention(None) == "default"
    assert check_attention("flash4") == check_attention("FA4") == "flash4"
    with pytest.raises(UsageError, match="attention 'fa5' is not known.*flash4"):
        check_attention("fa5")


def test_switches_that_need_a_gpu_or_a_package_say_so(pipe: Any) -> None:
    import torch

    with pytest.raises(BackendError, match="CUDA GPU"):
        quantize_fp8([pipe.transformer], torch.device("cpu"))
    if importlib.util.find_spec("sageattention") is None:
        with pytest.raises(BackendError, match="sageattention"):
            set_attention([pipe.transformer], "sage_triton")
    if importlib.util.find_spec("flash_attn") is None:
        with pytest.raises(BackendError, match="not usable"):
            set_attention([pipe.transformer], "flash")
    assert tensor_bytes(torch.zeros(3, 4, dtype=torch.bfloat16)) == 24


def test_flash4_without_the_package_says_so(pipe: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """flash-attn-4 is not installed on the CPU machines (where it is, the import is made to fail): choosing flash4
    names the package, and no layer is switched."""
    if "flash_attn" in sys.modules or importlib.util.find_spec("flash_attn") is not None:
        monkeypatch.setitem(sys.modules, "flash_attn", None)  # import flash_attn -> ImportError
    for name in ("flash4", "fa4"):
        with pytest.raises(BackendError, match="flash4' needs the flash-attn-4 package"):
            set_attention([pipe.transformer, pipe.transformer_2], name)
    assert all(mod.processor._attention_backend is None for _, mod in attention_modules(pipe.transformer))


def test_attention_backend_switch_runs(pipe: Any, inputs: dict[str, Any]) -> None:
    ref, _ = run_loop(pipe, inputs, steps=2)
    models = [pipe.transformer, pipe.transformer_2]
    assert set_attention(models, "_native_math")["layers"] == 8
    try:
        assert pipe.transformer.blocks[0].attn1.processor._attention_backend.value == "_native_math"
        ours, _ = run_loop(pipe, inputs, steps=2)
    finally:
        set_attention(models, "default")
    assert pipe.transformer.blocks[0].attn1.processor._attention_backend is None
    assert rel(ours, ref) < 1e-4


def test_backend_few_step_preset_text_cache_and_overlapped_encode(wan_folder: Path, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    from reelgraph.backends.diffusers.video import DiffusersVideoBackend

    keyframe = tmp_path / "k.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(keyframe)
    motion = MotionSpec(prompt="Ada waves", seconds=1.0, fps=8, width=32, height=32, seed=3)  # 17 model frames

    plain = DiffusersVideoBackend(video_cfg(wan_folder, overlap_encode=False))
    a = plain.animate(keyframe, motion, tmp_path / "a.mp4").meta
    overlapped = DiffusersVideoBackend(video_cfg(wan_folder, overlap_encode=True))
    b = overlapped.animate(keyframe, motion, tmp_path / "b.mp4").meta
    assert a["chunks"] == b["chunks"] == 4 and b["overlap_encode"] and not a["overlap_encode"]
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    # the negative prompt is encoded once for the four chunks
    assert a["denoise"]["text_cache"] == {"hits": 5, "misses": 3}
    assert a["denoise"]["forwards"] == {"transformer": 8, "transformer_2": 8}

    folder = tmp_path / "lora"
    folder.mkdir()
    save_file(random_lora(plain.pipe.transformer, rank=4, seed=5), str(folder / "lightning.safetensors"))
    fast = DiffusersVideoBackend(BackendConfig(backend="diffusers", model=str(wan_folder), options={
        "num_frames": 5, "few_step_lora": str(folder), "few_step_steps": 3}))
    c = fast.animate(keyframe, MotionSpec(prompt="Ada waves", seconds=0.5, fps=8, width=32, height=32, seed=3),
                     tmp_path / "c.mp4").meta
    assert c["steps"] == 3 and c["guidance"] == 1.0 and c["speed"]["few_step"]["fused"]
    assert sum(c["denoise"]["forwards"].values()) == 3 * c["chunks"]  # one forward per step: no CFG
    assert c["denoise"]["text_cache"]["misses"] == 2  # no negative prompt without CFG


def test_sage_triton_routes_self_attention_through_the_dispatch(pipe: Any, inputs: dict[str, Any],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """With a stand-in `sageattention` (exact attention in its NHD layout): only self-attention goes through it, via
    the custom op, and the latents match the default path."""
    import types

    import torch

    calls = []

    def sageattn(q: Any, k: Any, v: Any, tensor_layout: str = "HND", is_causal: bool = False,
                 sm_scale: float | None = None, smooth_k: bool = True) -> Any:
        assert tensor_layout == "NHD" and not smooth_k and not is_causal
        calls.append(tuple(q.shape))
        out = torch.nn.functional.scaled_dot_product_attention(*(x.transpose(1, 2) for x in (q, k, v)),
                                                               scale=sm_scale)
        return out.transpose(1, 2)

    monkeypatch.setitem(sys.modules, "sageattention", types.SimpleNamespace(sageattn=sageattn))
    ref, _ = run_loop(pipe, inputs, steps=2)
    models = [pipe.transformer, pipe.transformer_2]
    assert set_attention(models, "sage_triton") == {"attention": "sage_triton", "layers": 4}
    try:
        assert pipe.transformer.blocks[0].attn2.processor._attention_backend is None  # cross-attention stays
        ours, stats = run_loop(pipe, inputs, steps=2)
    finally:
        set_attention(models, "default")
    assert len(calls) == 2 * stats.count()  # two self-attention layers per forward
    assert rel(ours, ref) < 1e-5  # K smoothing is exact for softmax attention


def test_flash4_routes_every_attention_layer_through_the_dispatch(pipe: Any, inputs: dict[str, Any],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """With a stand-in `flash_attn.cute` (exact attention, returning (out, lse) as FlashAttention-4 does): self- and
    cross-attention go through it, via the custom op, and the latents match the default path."""
    import types

    import torch

    calls = []

    def flash_attn_func(q: Any, k: Any, v: Any, softmax_scale: float | None = None, causal: bool = False,
                        **kwargs: Any) -> Any:
        assert not causal and not kwargs and softmax_scale == pytest.approx(q.shape[-1] ** -0.5)
        calls.append((q.shape[1], k.shape[1]))
        out = torch.nn.functional.scaled_dot_product_attention(*(x.transpose(1, 2) for x in (q, k, v)),
                                                               scale=softmax_scale)
        return out.transpose(1, 2).contiguous(), None

    cute = types.ModuleType("flash_attn.cute")
    cute.flash_attn_func = flash_attn_func
    package = types.ModuleType("flash_attn")
    package.cute = cute
    monkeypatch.setitem(sys.modules, "flash_attn", package)
    monkeypatch.setitem(sys.modules, "flash_attn.cute", cute)
    ref, _ = run_loop(pipe, inputs, steps=2)
    models = [pipe.transformer, pipe.transformer_2]
    assert set_attention(models, "fa4") == {"attention": "flash4", "layers": 8}
    try:
        backend = pipe.transformer.blocks[0].attn2.processor._attention_backend
        assert backend is not None and backend == pipe.transformer.blocks[0].attn1.processor._attention_backend
        ours, stats = run_loop(pipe, inputs, steps=2)
    finally:
        set_attention(models, "default")
    assert len(calls) == 4 * stats.count()  # two self- and two cross-attention layers per forward
    assert any(q != k for q, k in calls)  # cross-attention: key/value length differs from the query's
    assert rel(ours, ref) < 1e-5
    n = len(calls)
    with torch._subclasses.fake_tensor.FakeTensorMode():  # what torch.compile traces: the fake, not the kernel
        out = flash4_op()(torch.empty(1, 6, 2, 8), torch.empty(1, 3, 2, 8), torch.empty(1, 3, 2, 4), 0.5)
    assert tuple(out.shape) == (1, 6, 2, 4) and len(calls) == n


def test_backend_compile_reports_warmup_and_uses_the_cache_dir(wan_folder: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import torch

    from reelgraph.backends.diffusers.video import DiffusersVideoBackend

    for var in ("TORCHINDUCTOR_CACHE_DIR", "TORCHINDUCTOR_FX_GRAPH_CACHE", "TORCHINDUCTOR_AUTOGRAD_CACHE"):
        monkeypatch.delenv(var, raising=False)
    keyframe = tmp_path / "k.png"
    Image.fromarray(np.zeros((32, 32, 3), dtype=np.uint8)).save(keyframe)
    motion = MotionSpec(prompt="Bo turns", seconds=0.25, fps=8, width=32, height=32)  # one chunk
    video = DiffusersVideoBackend(video_cfg(wan_folder, compile=True, compile_backend="eager",
                                           inductor_cache_dir=str(tmp_path / "inductor")))
    try:
        meta = video.animate(keyframe, motion, tmp_path / "c.mp4").meta
    finally:
        torch._dynamo.reset()
    assert meta["speed"]["compile"] == "eager"
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str((tmp_path / "inductor").resolve())
    assert meta["denoise"]["compile_warmup_s"] >= 0 and meta["denoise"]["median_forward_s"] > 0

    cached = DiffusersVideoBackend(video_cfg(wan_folder, cache_fixed_ratio=0.3, steps=4))
    meta = cached.animate(keyframe, motion, tmp_path / "d.mp4").meta
    plan = fixed_skip_plan(expert_names(cached.pipe, 4), 0.3)
    assert meta["speed"]["cache_fixed_ratio"] == 0.3 and sum(plan) == 1
    assert meta["denoise"]["cache_skipped"] == 2  # cond and uncond of the planned step
    assert cached.pipe.transformer.is_cache_enabled and cached.pipe.transformer_2.is_cache_enabled
