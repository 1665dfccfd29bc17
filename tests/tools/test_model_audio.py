"""Neural voice-over (VITS), generated music (MusicGen) and line fitting, with tiny random models built locally."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from reelgraph.config import BackendConfig, load_profile
from reelgraph.errors import BackendError
from reelgraph.executors import clear_backends, get_backend
from reelgraph.media.fit import MAX_TEMPO, TAIL_S, LineTooLong, fit_line
from reelgraph.schema import MusicBrief

pytest.importorskip("torch")
pytest.importorskip("transformers")

_spec = importlib.util.spec_from_file_location("reelgraph_tiny_audio", Path(__file__).parents[1] / "fixtures" /
                                               "tiny_audio.py")
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)

LANGS = ("en", "fr", "de")
LINES = {"en": "The lighthouse keeper waits for the storm.", "fr": "Le gardien du phare attend la tempête.",
         "de": "Der Leuchtturmwärter wartet auf den Sturm."}
FPS = 24


@pytest.fixture(scope="session")
def vits_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("vits")
    return {lang: tiny.build_tiny_vits(root / f"mms-tts-{lang}", lang, seed=i) for i, lang in enumerate(LANGS)}


@pytest.fixture(scope="session")
def musicgen_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny.build_tiny_musicgen(tmp_path_factory.mktemp("musicgen") / "musicgen-tiny")


def _vits(folders: dict[str, Path], **options) -> object:
    from reelgraph.backends.audio.vits import VitsSpeechBackend

    return VitsSpeechBackend(BackendConfig(backend="vits", models={k: str(v) for k, v in folders.items()},
                                           options=options))


def _musicgen(folder: Path | str, **options) -> object:
    from reelgraph.backends.audio.musicgen import MusicgenBackend

    return MusicgenBackend(BackendConfig(backend="musicgen", model=str(folder), options=options))


def _spoken_chars(text: str, lang: str) -> int:
    vocab = tiny.vits_vocab(lang)
    return len("".join(c for c in text.lower() if c in vocab).strip())


# -- voice-over ---------------------------------------------------------------------------------------------------


def test_three_languages_three_voices_each_model_loaded_once(vits_folders, tmp_path, monkeypatch):
    import transformers

    loads: list[str] = []
    original = transformers.VitsModel.from_pretrained.__func__

    def counting(cls, path, *args, **kwargs):
        loads.append(str(path))
        return original(cls, path, *args, **kwargs)

    monkeypatch.setattr(transformers.VitsModel, "from_pretrained", classmethod(counting))
    clear_backends()
    profile = load_profile({"speech": {"backend": "vits", "models": {k: str(v) for k, v in vits_folders.items()}}})
    backend = get_backend("speech", profile)
    assert backend is get_backend("speech", profile)  # built once per process, reused
    for lang in LANGS:
        assert backend.voices(lang) == ["vits"]
    assert backend.voices("es") == [] and backend.voices("xx") == []

    for take in range(2):
        for lang in LANGS:
            out = tmp_path / f"{lang}.{take}.wav"
            info = backend.speak(LINES[lang], language=lang, voice=None, out=out)
            data, rate = sf.read(out, dtype="int16")
            assert sf.info(out).subtype == "PCM_16" and data.ndim == 1 and rate == tiny.VITS_SAMPLE_RATE
            # the pinned durations: every character (accents included, punctuation dropped) is spoken
            assert data.size == tiny.vits_expected_samples(_spoken_chars(LINES[lang], lang))
            assert 1.5 < data.size / rate < 6.0  # plausible pace for a ~40 character line
            assert info.meta["language"] == lang and info.meta["sample_rate"] == rate
            assert (info.meta["timings"]["load_s"] > 0) == (take == 0)
    assert sorted(loads) == sorted(str(p.resolve()) for p in vits_folders.values())  # once per language
    for lang in LANGS:  # seeded: the same line gives the same file
        assert (tmp_path / f"{lang}.0.wav").read_bytes() == (tmp_path / f"{lang}.1.wav").read_bytes()
    clear_backends()


def test_sentences_are_joined_with_a_pause(vits_folders, tmp_path):
    backend = _vits(vits_folders, pause_s=0.5)
    info = backend.speak("Bonjour. Au revoir!", language="FR", voice="vits", out=tmp_path / "two.wav")
    expected = tiny.vits_expected_samples(7) + tiny.vits_expected_samples(9) + tiny.VITS_SAMPLE_RATE // 2
    assert sf.info(tmp_path / "two.wav").frames == expected and info.meta["sentences"] == 2


def test_unknown_language_and_missing_voice_are_clear_errors(vits_folders, tmp_path):
    backend = _vits(vits_folders)
    with pytest.raises(BackendError, match="unknown language 'xx'"):
        backend.speak("hello", language="xx", voice=None, out=tmp_path / "x.wav")
    with pytest.raises(BackendError, match=r"no voice for language 'es'.*speech\.models\.es"):
        backend.speak("hola", language="es", voice=None, out=tmp_path / "es.wav")
    with pytest.raises(BackendError, match="no voice 'narrator'"):
        backend.speak("hello", language="en", voice="narrator", out=tmp_path / "n.wav")
    with pytest.raises(BackendError, match="no character"):
        backend.speak("¿¡ 42 !?", language="en", voice=None, out=tmp_path / "p.wav")
    assert not list(tmp_path.iterdir())


def test_missing_or_broken_voice_folder_names_folder_and_component(vits_folders, tmp_path):
    missing = tmp_path / "mms-tts-fra"
    backend = _vits({"fr": missing})
    assert backend.voices("fr") == []
    with pytest.raises(BackendError) as e:
        backend.speak("bonjour", language="fr", voice=None, out=tmp_path / "a.wav")
    assert str(missing) in str(e.value) and "speech.models.fr" in str(e.value) and "does not exist" in str(e.value)

    no_vocab = shutil.copytree(vits_folders["en"], tmp_path / "no-vocab")
    (no_vocab / "vocab.json").unlink()
    with pytest.raises(BackendError, match=rf"tokenizer.*{no_vocab.name}"):
        _vits({"en": no_vocab}).speak("hello", language="en", voice=None, out=tmp_path / "b.wav")

    bad_weights = shutil.copytree(vits_folders["en"], tmp_path / "bad-weights")
    (bad_weights / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(BackendError, match=rf"model \(VitsModel\).*{bad_weights.name}"):
        _vits({"en": bad_weights}).speak("hello", language="en", voice=None, out=tmp_path / "c.wav")


# -- music --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("continuation", [True, False])
def test_music_matches_the_reel_to_the_sample_with_crossfaded_windows(musicgen_folder, tmp_path, continuation):
    frames = 31  # a reel of 31 frames at 24 fps: 1.2917 s, longer than three 0.5 s windows overlapping by 0.1 s
    seconds = frames / FPS
    backend = _musicgen(musicgen_folder, window_s=0.5, overlap_s=0.1, fade_s=0.3, continuation=continuation)
    brief = MusicBrief(mood="tense", tempo_bpm=120, key="F#m", instrumentation=["strings", "low brass"])
    info = backend.compose(brief, seconds=seconds, seed=7, out=tmp_path / "score.wav")
    data, rate = sf.read(tmp_path / "score.wav", dtype="float32", always_2d=True)
    assert rate == 44_100 and data.shape[1] == 2 and sf.info(tmp_path / "score.wav").subtype == "PCM_16"
    assert data.shape[0] == round(seconds * 44_100)  # exact, so well within one frame (1/24 s)
    assert abs(data.shape[0] / rate - seconds) <= 1 / FPS
    m = info.meta
    assert m["segments"] >= 3 and m["continuation"] is continuation and len(m["timings"]["segments_s"]) == m["segments"]
    assert m["model_sample_rate"] == 32_000 and m["sample_rate"] == 44_100
    assert m["seconds"] == pytest.approx(seconds, abs=1 / 44_100)
    assert "tense" in m["prompt"] and "120 bpm" in m["prompt"] and "F# minor" in m["prompt"]
    body = np.sqrt(np.mean(data[: rate // 2] ** 2))
    tail = np.sqrt(np.mean(data[-rate // 100:] ** 2))
    assert body > 0 and tail < 0.05 * body and np.all(data[-1] == 0)  # faded out to silence on the last frame


def test_music_is_seeded_loaded_once_and_short_reels_take_one_window(musicgen_folder, tmp_path):
    backend = _musicgen(musicgen_folder, window_s=0.5, overlap_s=0.1)
    a = backend.compose(MusicBrief(), seconds=0.25, seed=3, out=tmp_path / "a.wav")
    b = backend.compose(MusicBrief(), seconds=0.25, seed=3, out=tmp_path / "b.wav")
    assert a.meta["segments"] == 1 and a.meta["timings"]["load_s"] > 0 and b.meta["timings"]["load_s"] == 0
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()
    assert sf.info(tmp_path / "a.wav").frames == round(0.25 * 44_100)


def test_music_missing_or_broken_folder_names_folder_and_component(musicgen_folder, tmp_path):
    with pytest.raises(BackendError, match=r"music\.model"):
        _musicgen("")
    missing = tmp_path / "musicgen-medium"
    with pytest.raises(BackendError) as e:
        _musicgen(missing).compose(MusicBrief(), seconds=1, seed=0, out=tmp_path / "m.wav")
    assert str(missing) in str(e.value) and "music.model" in str(e.value)

    no_tokenizer = shutil.copytree(musicgen_folder, tmp_path / "no-tokenizer")
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "spiece.model"):
        (no_tokenizer / name).unlink(missing_ok=True)
    with pytest.raises(BackendError, match=rf"processor.*{no_tokenizer.name}"):
        _musicgen(no_tokenizer).compose(MusicBrief(), seconds=1, seed=0, out=tmp_path / "n.wav")

    no_weights = shutil.copytree(musicgen_folder, tmp_path / "no-weights")
    (no_weights / "model.safetensors").unlink()
    with pytest.raises(BackendError, match=rf"model \(MusicgenForConditionalGeneration\).*{no_weights.name}"):
        _musicgen(no_weights).compose(MusicBrief(), seconds=1, seed=0, out=tmp_path / "w.wav")


def test_equal_power_crossfade_keeps_power():
    from reelgraph.backends.audio.musicgen import equal_power

    ones = np.ones((2, 100), np.float32)
    gain_out = equal_power(ones, 0 * ones)
    gain_in = equal_power(0 * ones, ones)
    np.testing.assert_allclose(gain_out**2 + gain_in**2, 1.0, atol=1e-6)
    assert gain_out[0, 0] > 0.99 and gain_in[0, -1] > 0.99


# -- fitting lines to shots ---------------------------------------------------------------------------------------


def _words(path: Path, seconds: float, rate: int = 16_000, silence: float = 0.0) -> Path:
    """A 'line': 0.3 s tone bursts (words) with 0.1 s gaps, sounding up to its last sample (or `silence` before)."""
    t = np.arange(round(seconds * rate)) / rate
    end = seconds - silence
    envelope = (((t % 0.4) < 0.3) | ((t > end - 0.3) & (t < end))) & (t < end)
    sf.write(path, (0.4 * np.sin(2 * np.pi * 220 * t) * envelope).astype(np.float32), rate, subtype="PCM_16")
    return path


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)))


def test_fit_line_speeds_up_within_15_percent_and_never_truncates(tmp_path):
    src = _words(tmp_path / "line.wav", 2.2)
    fits = fit_line(src, 2.5, tmp_path / "same.wav")
    assert fits.tempo == 1.0 and not fits.changed
    assert (tmp_path / "same.wav").read_bytes() == src.read_bytes()

    for max_seconds in (2.0, 2.2 / 1.14):  # +10 %, and +14 %
        res = fit_line(src, max_seconds, tmp_path / "fit.wav")
        out, rate = sf.read(tmp_path / "fit.wav", dtype="float32")
        assert 1.0 < res.tempo <= MAX_TEMPO and res.seconds_out <= max_seconds and res.trimmed_silence_s == 0
        assert out.size / rate == pytest.approx(res.seconds_out) and rate == 16_000
        # everything is still there, only faster: length is the tempo's, and the last word still sounds at the end
        assert out.size / rate == pytest.approx(2.2 / res.tempo, abs=0.005)
        assert _rms(out[-rate // 20:]) > 0.1


def test_fit_line_drops_only_trailing_silence(tmp_path):
    src = _words(tmp_path / "line.wav", 2.4, silence=0.3)  # 2.1 s of sound, then 0.3 s of silence
    res = fit_line(src, 2.2, tmp_path / "fit.wav")  # the sound fits: no tempo change, silence trimmed
    out, rate = sf.read(tmp_path / "fit.wav", dtype="float32")
    full, _ = sf.read(src, dtype="float32")
    assert res.tempo == 1.0 and res.seconds_out <= 2.2 and res.trimmed_silence_s > 0
    np.testing.assert_array_equal(out, full[: out.size])  # a prefix: nothing but silence dropped
    assert _rms(full[out.size:]) == 0

    shot = (2.1 + TAIL_S) / 1.149  # the sound (and its short decay) needs +14.9 %: sped up, then silence dropped
    res = fit_line(src, shot, tmp_path / "fast.wav")
    out, rate = sf.read(tmp_path / "fast.wav", dtype="float32")
    assert 1.0 < res.tempo <= MAX_TEMPO and out.size / rate <= shot and res.trimmed_silence_s > 0
    assert _rms(out[int((2.1 - 0.25) / res.tempo * rate): int((2.1 - 0.05) / res.tempo * rate)]) > 0.1


def test_fit_line_far_too_long_asks_for_a_shorter_line(tmp_path):
    src = _words(tmp_path / "line.wav", 3.0)
    with pytest.raises(LineTooLong) as e:
        fit_line(src, 2.0, tmp_path / "fit.wav")
    assert isinstance(e.value, BackendError) and e.value.ratio == pytest.approx(1.5)
    assert "shorten" in str(e.value) and not (tmp_path / "fit.wav").exists()


def test_a_spoken_line_fits_its_shot(vits_folders, tmp_path):
    backend = _vits(vits_folders)
    line = backend.speak(LINES["de"], language="de", voice=None, out=tmp_path / "de.wav")
    shot = line.meta["seconds"] / 1.08
    res = fit_line(tmp_path / "de.wav", shot, tmp_path / "de.fit.wav")
    assert res.seconds_out <= shot and res.tempo <= MAX_TEMPO
    assert sf.info(tmp_path / "de.fit.wav").samplerate == tiny.VITS_SAMPLE_RATE
