"""The ACE-Step score (diffusers `AceStepPipeline`) on a tiny random pipeline built locally: exact length at
44.1 kHz stereo, seeded, conditioned on the brief's tempo and key, clear errors, and through the graph to a reel."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from reelgraph.config import BackendConfig
from reelgraph.errors import BackendError
from reelgraph.executors import clear_backends
from reelgraph.schema import MusicBrief

_spec = importlib.util.spec_from_file_location("reelgraph_tiny_audio_ace", Path(__file__).parents[1] / "fixtures" /
                                               "tiny_audio.py")
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)

BRIEF = MusicBrief(mood="tense", tempo_bpm=120, key="F#m", instrumentation=["strings", "drums"])


@pytest.fixture(scope="module")
def ace_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny.build_tiny_acestep(tmp_path_factory.mktemp("ace") / "ace-step-tiny")


def _backend(folder: Path | str, **options: Any) -> Any:
    from reelgraph.backends.audio.acestep import AceStepMusicBackend

    return AceStepMusicBackend(BackendConfig(backend="acestep", model=str(folder), options={"steps": 2, **options}))


def test_the_score_is_the_reels_length_seeded_and_conditioned_on_the_brief(ace_folder: Path, tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from diffusers import AceStepPipeline

    calls: list[dict[str, Any]] = []
    original = AceStepPipeline.__call__

    def recording(self: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return original(self, **kwargs)

    monkeypatch.setattr(AceStepPipeline, "__call__", recording)
    backend = _backend(ace_folder, fade_s=0.2)
    infos = [backend.compose(BRIEF, seconds=1.3, seed=seed, out=tmp_path / f"{i}.wav")
             for i, seed in enumerate((7, 7, 8))]
    data, rate = sf.read(tmp_path / "0.wav", dtype="int16")
    assert rate == 44_100 and data.shape == (round(1.3 * 44_100), 2) and sf.info(tmp_path / "0.wav").subtype == "PCM_16"
    assert np.abs(data[-1]).max() == 0 and np.abs(data[: 44_100 // 2]).max() > 0, "faded out at the end only"
    assert (tmp_path / "0.wav").read_bytes() == (tmp_path / "1.wav").read_bytes()
    assert (tmp_path / "0.wav").read_bytes() != (tmp_path / "2.wav").read_bytes()
    assert [c["bpm"] for c in calls] == [120] * 3 and {c["keyscale"] for c in calls} == {"F# minor"}
    assert calls[0]["audio_duration"] == 1.3 and calls[0]["num_inference_steps"] == 2
    assert "tense instrumental film score" in calls[0]["prompt"] and calls[0]["lyrics"] == "[Instrumental]"
    meta = infos[0].meta
    assert meta["model_sample_rate"] == 8000 and meta["steps"] == 2 and meta["timings"]["load_s"] > 0
    assert infos[1].meta["timings"]["load_s"] == 0.0, "the pipeline loads once"


def test_a_folder_that_is_no_pipeline_and_bad_options_are_named(ace_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="not a diffusers pipeline folder"):
        _backend(tmp_path).compose(BRIEF, seconds=1.0, seed=0, out=tmp_path / "x.wav")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model_index.json").write_text(json.dumps({"_class_name": "AceStepPipeline"}))
    with pytest.raises(BackendError, match=r"cannot load the pipeline \(AceStepPipeline\)"):
        _backend(broken).compose(BRIEF, seconds=1.0, seed=0, out=tmp_path / "y.wav")
    with pytest.raises(BackendError, match="steps must be"):
        _backend(ace_folder, steps=0)
    with pytest.raises(BackendError, match="seconds must be"):
        _backend(ace_folder).compose(BRIEF, seconds=0.0, seed=0, out=tmp_path / "z.wav")
    assert not (tmp_path / "x.wav").exists() and not (tmp_path / "y.wav").exists()


def test_the_graph_makes_a_reel_with_the_ace_step_score(ace_folder: Path, tmp_path: Path) -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    from reelgraph import build_graph
    from reelgraph.run.checkpoints import serializer
    from reelgraph.state import ReelState

    clear_backends()
    profile = {"name": "tiny-ace-step", "music": {"backend": "acestep", "model": str(ace_folder),
                                                  "options": {"steps": 2}}}
    out = tmp_path / "run"
    config = {"configurable": {"thread_id": "ace", "out_dir": str(out), "profile": profile}}
    request = {"prompt": "A drummer and a cellist rehearse in an empty theatre", "shots": 2, "shot_seconds": 1.0,
               "width": 96, "height": 64, "fps": 8, "critic": False}
    graph = build_graph(checkpointer=InMemorySaver(serde=serializer()))
    graph.invoke(request, config)
    state = ReelState.model_validate(graph.get_state(config).values)
    assert state.music is not None and state.music.meta["backend"] == "acestep"
    music, rate = sf.read(out / state.music.path)
    assert rate == 44_100 and music.shape == (2 * 44_100, 2)
    assert (out / state.final.path).stat().st_size > 0
    clear_backends()
