"""The ltx2 dialogue backend: clips with their own sound from a tiny random LTX-2 built and saved locally, loaded
through the same `from_pretrained` of a folder that real weights take."""

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

from reelgraph.backends.base import MotionSpec
from reelgraph.config import BackendConfig, load_profile
from reelgraph.errors import BackendError, UsageError
from reelgraph.executors import clear_backends, get_backend
from reelgraph.media.ffmpeg import decode_frames, probe_video

pytestmark = [pytest.mark.models, pytest.mark.usefixtures("one_torch_thread")]

# tiny and quick: 8 fps model frames, 32-token prompts, no extra guidance forwards (one test keeps the defaults)
FAST = {"steps": 2, "model_fps": 8, "max_sequence_length": 32, "stg_scale": 0.0, "modality_scale": 1.0}


@pytest.fixture(scope="session")
def ltx2_folder(tiny: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny LTX-2 image->video (+ audio) pipeline folder, saved with save_pretrained."""
    return tiny.build_tiny_ltx2(tmp_path_factory.mktemp("models") / "tiny-ltx2")


def ltx2_cfg(folder: Path, **options: Any) -> BackendConfig:
    return BackendConfig(backend="ltx2", model=str(folder), options={**FAST, **options})


@pytest.fixture(scope="module")
def backend(ltx2_folder: Path) -> Any:
    from reelgraph.backends.diffusers.dialogue import LTX2DialogueBackend

    b = LTX2DialogueBackend(ltx2_cfg(ltx2_folder))
    yield b
    b.close()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("keys")
    rng = np.random.default_rng(0)
    paths = root / "a.png", root / "b.png", root / "c.png"
    Image.fromarray(rng.integers(0, 255, (32, 48, 3), dtype=np.uint8)).save(paths[0])
    Image.fromarray(np.full((32, 48, 3), 220, np.uint8)).save(paths[1])
    Image.fromarray(np.zeros((32, 48, 3), np.uint8)).save(paths[2])
    return paths


def audio_stream(path: Path) -> dict[str, Any]:
    """The mp4's audio stream as PyAV reads it: codec, rate, channels, duration, decoded samples."""
    import av

    with av.open(str(path)) as box:
        assert len(box.streams.audio) == 1 and len(box.streams.video) == 1
        st = box.streams.audio[0]
        samples = np.concatenate([f.to_ndarray().reshape(st.channels, -1) for f in box.decode(st)], axis=1)
        return {"codec": st.codec_context.name, "rate": st.rate, "channels": st.channels,
                "seconds": float(st.duration * st.time_base), "samples": samples}


# --- the clip ---------------------------------------------------------------------------------------------------

def test_clip_has_the_asked_frames_and_the_models_sound(backend: Any, keys: tuple[Path, ...], tmp_path: Path) -> None:
    motion = MotionSpec(prompt="Ada says: we leave at dawn", camera="push_in", seconds=0.75, fps=12, width=48,
                        height=32, seed=4)
    info = backend.animate(keys[0], motion, tmp_path / "a.mp4")
    probe = probe_video(tmp_path / "a.mp4")
    assert (probe["width"], probe["height"], probe["fps"], probe["frames"]) == (48, 32, 12.0, 9)
    sound = audio_stream(tmp_path / "a.mp4")
    assert (sound["codec"], sound["rate"], sound["channels"]) == ("aac", 44_100, 2)
    assert sound["seconds"] == pytest.approx(0.75, abs=0.03)
    assert 0.75 * 44_100 <= sound["samples"].shape[1] <= 0.75 * 44_100 + 2 * 1024 + 1  # + the encoder's priming
    assert np.abs(sound["samples"]).max() > 1e-3  # the model's waveform, not silence
    m = info.meta
    assert m["audio"]["source"] == "ltx2" and m["audio"]["sample_rate"] == 44_100 and m["audio"]["seconds"] == 0.75
    assert m["audio"]["model_sample_rate"] == 16_000 and m["audio"]["model_seconds"] > 0.75  # trimmed to the clip
    # 0.75 s at 8 fps: 6 frame steps -> 7 model frames (2k+1 for the tiny VAE); 48x32 rounds to multiples of 32
    assert m["generated"] == {"width": 64, "height": 32, "fps": 8.0, "frames": 7}
    assert (m["frames"], m["fps"], m["width"], m["height"], m["seconds"]) == (9, 12, 48, 32, 0.75)
    assert m["backend"] == "ltx2" and m["mode"] == "i2v" and "bridge" not in m
    assert "push-in" in m["prompt"] and m["prompt"].startswith("Ada says")
    assert {"generate", "encode", "mux"} <= set(m["timings_s"]) and m["model_loads"] == 1
    json.dumps(m)  # recorded as artifact metadata


def test_seeded_clips_are_reproducible(backend: Any, keys: tuple[Path, ...], tmp_path: Path) -> None:
    def render(seed: int, name: str) -> Path:
        motion = MotionSpec(prompt="Bo whispers", seconds=0.5, fps=8, width=32, height=32, seed=seed)
        backend.animate(keys[0], motion, tmp_path / name)
        return tmp_path / name

    one, again, other = render(1, "one.mp4"), render(1, "again.mp4"), render(2, "other.mp4")
    assert one.read_bytes() == again.read_bytes()
    assert not np.array_equal(audio_stream(one)["samples"], audio_stream(other)["samples"])
    assert not np.array_equal(decode_frames(one)[1:], decode_frames(other)[1:])


def test_bridge_conditions_the_end_on_the_last_frame(backend: Any, keys: tuple[Path, ...], tmp_path: Path) -> None:
    motion = MotionSpec(prompt="the light fades", seconds=0.5, fps=8, width=32, height=32, seed=3)
    info = backend.bridge(keys[0], keys[1], motion, tmp_path / "b.mp4")
    assert info.meta["mode"] == "flf2v" and info.meta["bridge"] == "first and last frame"
    assert audio_stream(tmp_path / "b.mp4")["seconds"] == pytest.approx(0.5, abs=0.03)
    backend.bridge(keys[0], keys[2], motion, tmp_path / "c.mp4")  # another last frame: another clip
    assert not np.array_equal(decode_frames(tmp_path / "b.mp4"), decode_frames(tmp_path / "c.mp4"))


def test_bridge_from_the_first_frame_only_when_asked(ltx2_folder: Path, backend: Any, keys: tuple[Path, ...],
                                                    tmp_path: Path) -> None:
    from reelgraph.backends.diffusers.dialogue import LTX2DialogueBackend

    first_only = LTX2DialogueBackend(ltx2_cfg(ltx2_folder, bridge_last_frame=False))
    motion = MotionSpec(prompt="the light fades", seconds=0.5, fps=8, width=32, height=32, seed=3)
    info = first_only.bridge(keys[0], keys[1], motion, tmp_path / "b.mp4")
    assert info.meta["mode"] == "i2v" and info.meta["bridge"] == "first frame only"
    backend.animate(keys[0], motion, tmp_path / "a.mp4")  # the same clip as image->video from the first frame
    assert (tmp_path / "b.mp4").read_bytes() == (tmp_path / "a.mp4").read_bytes()
    first_only.close()


def test_default_guidance_runs(ltx2_folder: Path, keys: tuple[Path, ...], tmp_path: Path) -> None:
    from reelgraph.backends.diffusers.dialogue import LTX2DialogueBackend

    cfg = BackendConfig(backend="ltx2", model=str(ltx2_folder), options={"steps": 1, "model_fps": 8,
                                                                          "max_sequence_length": 16})
    b = LTX2DialogueBackend(cfg)
    info = b.animate(keys[0], MotionSpec(prompt="Ada laughs", seconds=0.25, fps=8, width=32, height=32),
                     tmp_path / "d.mp4")
    m = info.meta
    assert (m["guidance"], m["audio_guidance"], m["stg_scale"], m["modality_scale"]) == (3.0, 7.0, 1.0, 3.0)
    assert probe_video(tmp_path / "d.mp4")["frames"] == 2
    b.close()


def test_soundtrack_is_fitted_to_the_clip() -> None:
    from reelgraph.backends.diffusers.soundtrack import as_channels, fit_samples

    wave = as_channels(np.ones((1, 2, 100), np.float32) * 2)  # batch of one, clipped to [-1, 1]
    assert wave.shape == (2, 100) and wave.max() == 1.0
    assert fit_samples(wave, 100, 0.5).shape == (2, 50)
    padded = fit_samples(wave, 100, 1.5)
    assert padded.shape == (2, 150) and padded[:, 100:].max() == 0.0
    assert as_channels(np.zeros(10)).shape == (1, 10)
    with pytest.raises(BackendError, match="not finite"):
        as_channels(np.full((2, 4), np.nan))


# --- loading once, and clear errors ---------------------------------------------------------------------------

def test_the_model_loads_once(ltx2_folder: Path, keys: tuple[Path, ...], tmp_path: Path,
                              pipeline_loads: list[str]) -> None:
    loads = pipeline_loads
    clear_backends()
    profile = load_profile({"video": ltx2_cfg(ltx2_folder).model_dump()})
    assert loads == []  # nothing loads before first use
    motion = MotionSpec(prompt="beep", seconds=0.25, fps=8, width=32, height=32)
    for seed in range(2):
        get_backend("video", profile).animate(keys[1], motion, tmp_path / f"{seed}.mp4")
    get_backend("video", profile).bridge(keys[0], keys[1], motion, tmp_path / "b.mp4")
    assert loads == ["tiny-ltx2"] and get_backend("video", profile).model_loads == 1
    clear_backends()


def test_registered_as_the_ltx2_video_backend() -> None:
    from reelgraph.backends.diffusers.dialogue import LTX2DialogueBackend
    from reelgraph.backends.registry import backend_class

    assert backend_class("video", "ltx2") is LTX2DialogueBackend


def test_missing_or_wrong_folder_is_one_clear_error(ltx2_folder: Path, tmp_path: Path) -> None:
    from reelgraph.backends.diffusers.dialogue import LTX2DialogueBackend

    with pytest.raises(BackendError, match=r"^model folder .*absent: not found"):
        LTX2DialogueBackend(ltx2_cfg(tmp_path / "absent"))
    with pytest.raises(BackendError, match=r"'ltx2' needs a model folder.*\[video\]"):
        LTX2DialogueBackend(BackendConfig(backend="ltx2"))
    broken = shutil.copytree(ltx2_folder, tmp_path / "broken")
    shutil.rmtree(broken / "vocoder")
    with pytest.raises(BackendError, match="vocoder/ missing"):
        LTX2DialogueBackend(ltx2_cfg(broken))
    other = shutil.copytree(ltx2_folder, tmp_path / "other")
    index = json.loads((other / "model_index.json").read_text())
    (other / "model_index.json").write_text(json.dumps({**index, "_class_name": "LTX2Pipeline"}))
    with pytest.raises(BackendError, match="holds a LTX2Pipeline; the ltx2 backend needs a LTX2ImageToVideoPipeline"):
        LTX2DialogueBackend(ltx2_cfg(other))


@pytest.mark.parametrize(("options", "names"), [
    ({"stepz": 3}, ["unknown option", "stepz", "model_fps"]),
    ({"steps": 0}, ["steps", "[1, 1000]"]),
    ({"steps": 2.5}, ["steps", "whole number"]),
    ({"guidance": 0.5}, ["guidance", "[1, 30]"]),
    ({"guidance": "high"}, ["guidance", "'high'"]),
    ({"preset": "4k"}, ["preset", "480p, 720p, 1080p", "'4k'"]),
    ({"model_fps": 0}, ["model_fps", "[1, 60]"]),
    ({"model_fps": True}, ["model_fps"]),
    ({"audio_guidance": 99}, ["audio_guidance"]),
    ({"stg_scale": -1}, ["stg_scale"]),
    ({"modality_scale": 0.5}, ["modality_scale"]),
    ({"stg_blocks": [-1]}, ["stg_blocks"]),
    ({"stg_blocks": "28"}, ["stg_blocks"]),
    ({"image_crf": 60}, ["image_crf", "[0, 51]"]),
    ({"bridge_last_frame": "yes"}, ["bridge_last_frame", "true or false"]),
    ({"max_sequence_length": 4}, ["max_sequence_length"]),
    ({"max_seconds": 0}, ["max_seconds"]),
])
def test_bad_options_are_usage_errors(ltx2_folder: Path, options: dict[str, Any], names: list[str]) -> None:
    from reelgraph.backends.diffusers.dialogue import LTX2DialogueBackend

    with pytest.raises(UsageError) as err:
        LTX2DialogueBackend(BackendConfig(backend="ltx2", model=str(ltx2_folder), options=options))
    msg = str(err.value)
    assert "'ltx2'" in msg and all(n in msg for n in names), msg


def test_a_shot_longer_than_one_pass_is_refused(ltx2_folder: Path, keys: tuple[Path, ...], tmp_path: Path) -> None:
    from reelgraph.backends.diffusers.dialogue import LTX2DialogueBackend

    b = LTX2DialogueBackend(ltx2_cfg(ltx2_folder, max_seconds=1.0))
    with pytest.raises(BackendError, match="longer than LTX-2 renders in one pass"):
        b.animate(keys[0], MotionSpec(prompt="a long speech", seconds=2.0, fps=8, width=32, height=32),
                  tmp_path / "long.mp4")
    assert not (tmp_path / "long.mp4").exists()
    with pytest.raises(BackendError, match="keyframe image .* is missing"):
        b.animate(tmp_path / "nope.png", MotionSpec(prompt="x", seconds=0.25), tmp_path / "x.mp4")


def test_backend_imports_no_torch() -> None:
    code = ("import sys, reelgraph.backends.diffusers.dialogue; "
            "assert 'torch' not in sys.modules and 'diffusers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- the whole graph ----------------------------------------------------------------------------------------------

def test_graph_renders_a_reel_with_the_ltx2_backend(ltx2_folder: Path, tmp_path: Path) -> None:
    from reelgraph import build_graph
    from reelgraph.state import ReelState

    clear_backends()
    profile = {"name": "tiny-ltx2", "video": ltx2_cfg(ltx2_folder).model_dump()}
    out = tmp_path / "run"
    config = {"configurable": {"thread_id": "tiny-ltx2", "out_dir": str(out), "profile": profile}}
    request = {"prompt": "A lighthouse keeper befriends a stray robot", "shots": 2, "shot_seconds": 1.0,
               "width": 64, "height": 64, "fps": 8, "critic": False, "max_attempts": 1}
    state = ReelState.model_validate(build_graph().invoke(request, config))
    clips = [r.best.clip for r in state.done]
    assert len(clips) == 2
    for c in clips:
        assert c.meta["backend"] == "ltx2" and c.meta["model_loads"] == 1
        assert c.meta["audio"]["source"] == "ltx2" and c.meta["audio"]["seconds"] == 1.0
        p = probe_video(out / c.path)
        assert (p["width"], p["height"], p["fps"], p["frames"]) == (64, 64, 8.0, 8)
        assert audio_stream(out / c.path)["rate"] == 44_100
    final = probe_video(out / state.final.path)
    assert (final["width"], final["height"]) == (64, 64) and final["frames"] >= 16
    clear_backends()


def test_a_characters_line_is_the_dialogue_clips_own_sound(ltx2_folder: Path, tmp_path: Path) -> None:
    """In the first language a character's line is the clip's sound, where the clip plays (the model drew the lips
    to it); narration and the other languages are spoken as usual, and say whose lips they follow."""
    import soundfile as sf
    from langgraph.checkpoint.memory import InMemorySaver

    from reelgraph import build_graph
    from reelgraph.run.checkpoints import serializer
    from reelgraph.state import ReelState

    clear_backends()
    profile = {"name": "tiny-ltx2", "video": ltx2_cfg(ltx2_folder).model_dump()}
    out = tmp_path / "run"
    config = {"configurable": {"thread_id": "talk", "out_dir": str(out), "profile": profile}}
    request = {"prompt": 'Ada and Ben sit on a bench in the park. "Look, a heron!" Ada says.', "shots": 2,
               "shot_seconds": 1.0, "width": 64, "height": 64, "fps": 8, "critic": False, "max_attempts": 1,
               "languages": ["en", "fr"]}
    graph = build_graph(checkpointer=InMemorySaver(serde=serializer()))
    graph.invoke(request, config)
    state = ReelState.model_validate(graph.get_state(config).values)
    talking = [s.index for s in state.script.shots if any(x.speaker == "ada" for x in s.lines if x.language == "en")]
    assert talking == [2]
    en, fr = state.voices["en"].meta, state.voices["fr"].meta
    assert en["clip_sound_shots"] == [2] and fr["lips_follow"] == "en" and fr["lips_follow_shots"] == [2]
    own, rate = sf.read(out / "audio/voice/en/shot02.clip.wav", dtype="float32")
    track, track_rate = sf.read(out / state.voices["en"].path, dtype="float32")
    assert rate == 44_100 and own.std() > 0
    start = round(1.0 * track_rate)  # shot 2 starts at 1 s: the sound is placed with the clip's first frame
    piece = track[start:start + round(0.9 * track_rate)]
    from scipy.signal import resample_poly

    ref = resample_poly(own, track_rate, rate)[:piece.size] if track_rate != rate else own[:piece.size]
    assert np.corrcoef(piece, ref)[0, 1] > 0.95
    clear_backends()
