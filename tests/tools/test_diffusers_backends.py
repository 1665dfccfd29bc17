"""The diffusers backends (FLUX-style images, Wan2.2-style clips) with tiny random models built and saved locally,
loaded through the same `from_pretrained` of a folder that real weights take; and the GPU memory planner."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image

from reelgraph.backends.base import KeyframeSpec, MotionSpec
from reelgraph.backends.diffusers import memory_plan as mp
from reelgraph.config import BackendConfig, load_profile
from reelgraph.errors import BackendError, UsageError
from reelgraph.executors import clear_backends, get_backend
from reelgraph.media.ffmpeg import decode_frames, probe_video
from reelgraph.schema import Character

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ADA = Character(name="Ada", slug="ada", look="tall woman, short silver hair", wardrobe="red coat",
                palette=["#cc2222"])
BO = Character(name="Bo", slug="bo", look="small round robot, one blue eye")
CHUNK = 17  # frames per chunk in these tests (Wan: 4k+1)


@pytest.fixture(scope="session")
def flux_folder(tiny: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny.build_tiny_flux(tmp_path_factory.mktemp("models") / "tiny-flux")


def image_cfg(folder: Path, **options: Any) -> BackendConfig:
    # strength 0.5 of 2 steps starts image->image one step in (at 0.75 of 2 steps it would start from pure noise)
    return BackendConfig(backend="diffusers", model=str(folder), options={"steps": 2, "strength": 0.5, **options})


def video_cfg(folder: Path, **options: Any) -> BackendConfig:
    return BackendConfig(backend="diffusers", model=str(folder), options={"steps": 2, "num_frames": CHUNK, **options})


PROFILE_TOML = """
[image]
backend = "diffusers"
model = "{flux}"
options = {{ steps = 2, strength = 0.5 }}

[video]
backend = "diffusers"
model = "{wan}"
options = {{ steps = 2, num_frames = 17, preset = "480p" }}
"""


@pytest.fixture(scope="module")
def studio(flux_folder: Path, wan_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The two backends as a run gets them: through the registry, from a profile file naming the folders."""
    clear_backends()
    path = tmp_path_factory.mktemp("profiles") / "tiny-diffusers.toml"
    path.write_text(PROFILE_TOML.format(flux=flux_folder, wan=wan_folder))
    profile = load_profile(path)
    assert profile.image.backend == profile.video.backend == "diffusers"
    yield profile, get_backend("image", profile), get_backend("video", profile)
    clear_backends()


# --- image ---------------------------------------------------------------------------------------------------

def test_master_then_keyframe_conditioned_on_the_master(studio: Any, tmp_path: Path) -> None:
    _, image, _ = studio
    master = image.master(ADA, width=64, height=64, seed=1)
    assert master.size == (64, 64) and image.last_meta["what"] == "master"
    assert "silver hair" in image.last_meta["prompt"] and "red coat" in image.last_meta["prompt"]
    assert np.array_equal(np.asarray(master), np.asarray(image.master(ADA, width=64, height=64, seed=1)))
    master.save(tmp_path / "ada.png")

    spec = KeyframeSpec(prompt="Ada walks into the rain", setting="a harbour at night", characters=[ADA],
                        lighting="night", framing="close", masters={"ada": tmp_path / "ada.png"}, seed=5)
    key = image.keyframe(spec, width=80, height=48)  # not multiples of 16: generated at 80x48, exact size back
    meta = image.last_meta
    assert key.size == (80, 48)
    assert meta["conditioning"] == "img2img" and meta["reference_pipeline"] == "FluxImg2ImgPipeline"
    assert "harbour" in meta["prompt"] and "close-up" in meta["prompt"] and "moonlight" in meta["prompt"]
    # the master is what conditions it: another master, same seed and prompt -> another keyframe
    Image.new("RGB", (64, 64), (20, 200, 40)).save(tmp_path / "other.png")
    other = image.keyframe(KeyframeSpec(**{**spec.__dict__, "masters": {"ada": tmp_path / "other.png"}}),
                           width=80, height=48)
    assert not np.array_equal(np.asarray(key), np.asarray(other))
    assert np.array_equal(np.asarray(key), np.asarray(image.keyframe(spec, width=80, height=48)))
    # no master in frame: text->image
    image.keyframe(KeyframeSpec(prompt="An empty harbour", setting="harbour", characters=[], seed=2),
                   width=64, height=64)
    assert image.last_meta["conditioning"] == "text"
    assert image.model_loads == 1


# --- video ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def keyframes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("keys")
    rng = np.random.default_rng(0)
    a, b = root / "a.png", root / "b.png"
    Image.fromarray(rng.integers(0, 255, (48, 80, 3), dtype=np.uint8)).save(a)
    Image.fromarray(np.full((48, 80, 3), 200, np.uint8)).save(b)
    return a, b


def test_image_to_video_clip(studio: Any, keyframes: tuple[Path, Path], tmp_path: Path) -> None:
    _, _, video = studio
    motion = MotionSpec(prompt="Ada turns her head", camera="push_in", seconds=1.0, fps=12, width=80, height=48,
                        seed=7)
    info = video.animate(keyframes[0], motion, tmp_path / "a.mp4")
    probe = probe_video(tmp_path / "a.mp4")
    assert (probe["width"], probe["height"], probe["fps"], probe["frames"]) == (80, 48, 12.0, 12)
    m = info.meta
    assert m["mode"] == "i2v" and m["chunks"] == 1 and m["chunk_frames"] == [CHUNK] and m["frames"] == 12
    assert m["generated"] == {"width": 80, "height": 48, "fps": 16.0, "frames": CHUNK}
    assert "push-in" in m["chunk_prompts"][0].lower()
    assert {"denoise", "decode", "encode"} <= set(m["timings_s"]) and m["peak_memory_bytes"]["denoise"] > 0
    assert m["seed"] == 7 and m["steps"] == 2 and m["model_loads"] == 1
    json.dumps(m)  # recorded as artifact metadata


def test_first_last_frame_bridge(studio: Any, keyframes: tuple[Path, Path], tmp_path: Path) -> None:
    _, _, video = studio
    motion = MotionSpec(prompt="the light fades", seconds=0.5, fps=24, width=64, height=64)
    info = video.bridge(keyframes[0], keyframes[1], motion, tmp_path / "b.mp4")
    probe = probe_video(tmp_path / "b.mp4")
    assert (probe["width"], probe["height"], probe["fps"], probe["frames"]) == (64, 64, 24.0, 12)
    assert info.meta["mode"] == "flf2v" and info.meta["chunk_frames"] == [9]


def test_long_shot_continues_chunk_by_chunk(studio: Any, keyframes: tuple[Path, Path], tmp_path: Path) -> None:
    _, _, video = studio
    prompts = ("Ada walks to the pier", "Ada stops and looks at the sea")
    motion = MotionSpec(prompt="Ada walks", seconds=2.5, fps=8, width=64, height=48, chunk_prompts=prompts)
    info = video.animate(keyframes[0], motion, tmp_path / "long.mp4")
    m = info.meta
    # 2.5 s at 16 fps = 41 model frames: 17 + 16 + 8 (+1 shared frame each) -> chunks of 17, 17, 9
    assert m["chunks"] == 3 and m["chunk_frames"] == [17, 17, 9] and all(n % 4 == 1 for n in m["chunk_frames"])
    assert m["chunk_prompts"][0].startswith(prompts[0]) and m["chunk_prompts"][2].startswith(prompts[1])
    assert m["chunk_seams_s"] == [1.0, 2.0] and m["generated"]["frames"] == 41
    probe = probe_video(tmp_path / "long.mp4")
    assert (probe["width"], probe["height"], probe["fps"], probe["frames"]) == (64, 48, 8.0, 20)
    assert decode_frames(tmp_path / "long.mp4").shape == (20, 48, 64, 3)
    # without chunk prompts, later chunks say they continue the shot
    info = video.bridge(keyframes[0], keyframes[1], MotionSpec(prompt="Ada waves", seconds=1.5, fps=8, width=64,
                                                               height=48), tmp_path / "long2.mp4")
    assert info.meta["chunks"] == 2 and "continuing seamlessly" in info.meta["chunk_prompts"][1]
    assert info.meta["mode"] == "flf2v" and probe_video(tmp_path / "long2.mp4")["frames"] == 12
    assert video.model_loads == 1


def test_chunk_plan_and_retiming() -> None:
    from reelgraph.backends.diffusers.video import generation_size, plan_chunks, retime

    assert plan_chunks(81, 81) == [81] and plan_chunks(2, 81) == [5] and plan_chunks(82, 81) == [81, 5]
    assert plan_chunks(161, 81) == [81, 81] and plan_chunks(321, 81) == [81, 81, 81, 81]
    with pytest.raises(UsageError):
        plan_chunks(10, 80)
    assert retime(81, src_fps=16, dst_fps=24, out_frames=120)[-1] == 79
    assert generation_size(854, 480, {"width": 832, "height": 480}) == (848, 480)
    assert generation_size(1920, 1080, {"width": 1280, "height": 720}) == (1280, 720)


# --- loading once, and clear errors ------------------------------------------------------------------------------

def test_each_model_loads_once_per_run(flux_folder: Path, wan_folder: Path, keyframes: tuple[Path, Path],
                                       tmp_path: Path, pipeline_loads: list[str]) -> None:
    loads = pipeline_loads
    clear_backends()
    profile = load_profile({"image": image_cfg(flux_folder).model_dump(), "video": video_cfg(wan_folder).model_dump()})
    assert loads == []  # nothing loads before first use
    for seed in range(2):
        get_backend("image", profile).master(BO, width=32, height=32, seed=seed)
        get_backend("video", profile).animate(keyframes[1], MotionSpec(prompt="beep", seconds=0.25, fps=8, width=32,
                                                                       height=32), tmp_path / f"{seed}.mp4")
    assert sorted(loads) == ["tiny-flux", "tiny-wan22"]
    assert get_backend("image", profile).model_loads == 1 and get_backend("video", profile).model_loads == 1
    clear_backends()


def _broken(src: Path, dst: Path, how: str) -> Path:
    shutil.copytree(src, dst)
    if how == "no_index":
        (dst / "model_index.json").unlink()
    elif how == "no_config":
        (dst / "transformer" / "config.json").unlink()
    elif how == "no_folder":
        shutil.rmtree(dst / "vae")
    elif how == "truncated":
        f = dst / "transformer" / "diffusion_pytorch_model.safetensors"
        f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    elif how == "bad_json":
        (dst / "transformer" / "config.json").write_text("{not json")
    return dst


@pytest.mark.parametrize(("how", "names"), [
    ("missing", ["not found"]),
    ("no_index", ["model_index.json missing"]),
    ("no_config", ["transformer/config.json missing"]),
    ("no_folder", ["vae/ missing"]),
    ("truncated", ["transformer/diffusion_pytorch_model.safetensors", "not a readable safetensors"]),
    ("bad_json", ["transformer/config.json is not valid JSON"]),
])
def test_missing_or_broken_folder_is_one_clear_error(wan_folder: Path, tmp_path: Path, how: str,
                                                     names: list[str]) -> None:
    from reelgraph.backends.diffusers.video import DiffusersVideoBackend

    folder = tmp_path / "absent" if how == "missing" else _broken(wan_folder, tmp_path / "wan", how)
    with pytest.raises(BackendError) as err:
        DiffusersVideoBackend(video_cfg(folder))
    msg = str(err.value)
    assert msg.startswith(f"model folder {folder}: ") and all(n in msg for n in names), msg


def test_no_model_or_unknown_option_is_a_usage_problem(flux_folder: Path) -> None:
    from reelgraph.backends.diffusers.image import DiffusersImageBackend

    with pytest.raises(BackendError, match=r"needs a model folder.*\[image\]"):
        DiffusersImageBackend(BackendConfig(backend="diffusers"))
    with pytest.raises(UsageError, match="unknown option.*stepz"):
        DiffusersImageBackend(image_cfg(flux_folder, stepz=3))


def test_first_block_cache_switch(flux_folder: Path) -> None:
    from reelgraph.backends.diffusers.image import DiffusersImageBackend

    image = DiffusersImageBackend(image_cfg(flux_folder, first_block_cache=0.05))
    image.master(ADA, width=32, height=32, seed=0)
    assert image.last_meta["speed"] == {"first_block_cache": 0.05}
    assert image.pipe.transformer.is_cache_enabled


def test_backends_import_no_torch() -> None:
    code = ("import sys, reelgraph.backends.diffusers.image, reelgraph.backends.diffusers.video, "
            "reelgraph.backends.diffusers.memory_plan; "
            "assert 'torch' not in sys.modules and 'diffusers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- the memory planner -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("card", "share", "image", "video", "tiled"), [
    (24, 0.0, "group_offload", "group_offload", []),
    (24, 0.5, "group_offload", "group_offload", ["video"]),
    (80, 0.0, "resident", "model_offload", []),
    (80, 0.3, "model_offload", "model_offload", []),
    (141, 0.0, "resident", "resident", []),
    (141, 0.3, "model_offload", "resident", []),
])
def test_planner_documented_cards(card: int, share: float, image: str, video: str, tiled: list[str]) -> None:
    plans = mp.plan_memory([mp.flux_dev(), mp.wan22_a14b()], card_gib=card, vllm_fraction=share)
    assert (plans["image"].mode, plans["video"].mode) == (image, video)
    assert [n for n, p in plans.items() if p.tiled_vae] == tiled
    assert all(p.fits and p.peak_bytes <= p.budget_bytes for p in plans.values())
    row = next(r for r in mp.documented_plans() if (r["card_gib"], r["vllm_fraction"]) == (card, share))
    assert (row["image"], row["video"], row["tiled"]) == (image, video, tiled)
    assert f"| {card} GiB" in mp.__doc__


def test_planner_figures() -> None:
    flux, wan = mp.flux_dev(), mp.wan22_a14b()
    assert 31 < flux.weights / mp.GiB < 32 and 63.5 < wan.weights / mp.GiB < 64.5
    assert mp.video_tokens(1280, 720, 81) == 75_600 and mp.video_tokens(832, 480, 81) == 32_760
    # 480p needs less: on 80 GiB with a 0.3 vLLM share video still offloads (64 GiB of weights)
    plans = mp.plan_memory([mp.flux_dev(), mp.wan22_a14b(832, 480)], card_gib=80, vllm_fraction=0.3)
    assert plans["video"].mode == "model_offload"
    # pins are honoured; a card too small for anything gets the smallest plan, marked as not fitting
    pinned = mp.plan_memory([flux], card_gib=141, overrides={"image": "group_offload"}, tiled_overrides={"image": True})
    assert pinned["image"].mode == "group_offload" and pinned["image"].tiled_vae
    tiny_card = mp.plan_memory([wan], card_gib=4)["video"]
    assert (tiny_card.mode, tiny_card.offload_type, tiny_card.tiled_vae, tiny_card.fits) == \
        ("group_offload", "leaf_level", True, False)
    with pytest.raises(ValueError):
        mp.plan_memory([flux], card_gib=80, overrides={"image": "sideways"})


class FakeVAE:
    def __init__(self) -> None:
        self.tiling = False

    def enable_tiling(self) -> None:
        self.tiling = True

    def disable_tiling(self) -> None:
        self.tiling = False


class FakePipe:
    """Records the placement calls a plan makes."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.vae = FakeVAE()

    def to(self, device: Any) -> None:
        self.calls.append(f"to:{device}")

    def enable_model_cpu_offload(self, device: Any) -> None:
        self.calls.append("model_offload")

    def enable_group_offload(self, **kw: Any) -> None:
        self.calls.append(f"group_offload:{kw['offload_type']}:{kw.get('num_blocks_per_group')}")

    def remove_all_hooks(self) -> None:
        self.calls.append("remove_hooks")


def test_apply_plan_uses_diffusers_hooks() -> None:
    for mode, tiled, expect in [("resident", False, ["to:cuda"]), ("model_offload", False, ["model_offload"]),
                                ("group_offload", True, ["group_offload:block_level:1"])]:
        pipe = FakePipe()
        mp.apply_plan(pipe, mp.Plan("x", mode, tiled), "cuda")
        assert pipe.calls == expect and pipe.vae.tiling == tiled


def test_planner_replans_when_the_second_pipeline_joins() -> None:
    planner = mp.MemoryPlanner()
    image, video = FakePipe(), FakePipe()
    first = planner.admit(mp.flux_dev(), image, "cuda", card_gib=80, vllm_fraction=0.3)
    assert first.mode == "resident" and image.calls == ["to:cuda"]
    second = planner.admit(mp.wan22_a14b(), video, "cuda", card_gib=80, vllm_fraction=0.3)
    assert second.mode == "model_offload" and video.calls == ["model_offload"]
    assert planner.entries["image"].plan.mode == "model_offload" and image.calls == ["to:cuda", "model_offload"]
    # an out-of-memory error moves a pipeline one plan smaller
    assert planner.downgrade("video", card_gib=80, vllm_fraction=0.3).mode == "group_offload"
    assert video.calls[-3:] == ["remove_hooks", "to:cpu", "group_offload:block_level:1"]


# --- the whole graph ------------------------------------------------------------------------------------------------

def test_graph_renders_a_reel_with_the_diffusers_backends(flux_folder: Path, wan_folder: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from reelgraph import build_graph
    from reelgraph.agents.director import offline as template_director
    from reelgraph.state import ReelState

    real = template_director.write_script

    def second_shot_continues(request: Any) -> Any:
        script = real(request)
        shots = [s.model_copy(update={"transition": "continuous"}) if s.index == 2 else s for s in script.shots]
        return script.model_copy(update={"shots": shots})

    monkeypatch.setattr(template_director, "write_script", second_shot_continues)
    clear_backends()
    profile = {"name": "tiny-diffusers", "image": image_cfg(flux_folder).model_dump(),
               "video": video_cfg(wan_folder).model_dump()}
    out = tmp_path / "run"
    config = {"configurable": {"thread_id": "tiny", "out_dir": str(out), "profile": profile}}
    request = {"prompt": "A lighthouse keeper befriends a stray robot", "shots": 2, "shot_seconds": 1.5,
               "width": 64, "height": 64, "fps": 8, "critic": True, "max_attempts": 1}
    state = ReelState.model_validate(build_graph().invoke(request, config))
    clips = [r.best.clip for r in state.done]
    assert [c.meta["mode"] for c in clips] == ["i2v", "flf2v"]
    assert all(c.meta["chunks"] == 2 and c.meta["frames"] == 12 and c.meta["model_loads"] == 1 for c in clips)
    for c in clips:
        p = probe_video(out / c.path)
        assert (p["width"], p["height"], p["fps"], p["frames"]) == (64, 64, 8.0, 12)
    final = probe_video(out / state.final.path)
    assert (final["width"], final["height"]) == (64, 64) and final["frames"] >= 24
    clear_backends()
