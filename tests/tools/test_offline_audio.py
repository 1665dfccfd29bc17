"""The no-weights audio backends, on real audio: the procedural score and offline speech (Piper + eSpeak NG)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from reelgraph.backends.audio.offline_speech import CHARACTER_VOICES, OfflineSpeechBackend, piper_available
from reelgraph.backends.procedural.music import SCALES, ProceduralMusicBackend, parse_key
from reelgraph.config import BackendConfig
from reelgraph.errors import BackendError
from reelgraph.schema import MusicBrief

SR = 44_100
MINUS_1_DBFS = 10 ** (-1 / 20)


def read(path: Path) -> tuple[np.ndarray, int]:
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return data, rate


def rms_db(x: np.ndarray) -> float:
    return 20 * np.log10(float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) + 1e-12)


def compose(tmp_path: Path, seconds: float = 8.0, seed: int = 1, name: str = "m.wav", **brief) -> np.ndarray:
    out = tmp_path / name
    ProceduralMusicBackend(BackendConfig()).compose(MusicBrief(**brief), seconds=seconds, seed=seed, out=out)
    return read(out)[0]


# --- music ----------------------------------------------------------------------------------------------------------


def test_music_format_length_and_level(tmp_path: Path) -> None:
    seconds = 7.3131
    out = tmp_path / "score.wav"
    brief = MusicBrief(mood="epic", tempo_bpm=120, key="F#m", instrumentation=["pad", "bass", "drums", "kazoo"])
    info = ProceduralMusicBackend(BackendConfig()).compose(brief, seconds=seconds, seed=3, out=out)
    meta = sf.info(str(out))
    assert (meta.samplerate, meta.channels, meta.subtype, meta.format) == (SR, 2, "PCM_16", "WAV")
    assert meta.frames == round(seconds * SR)
    data, _ = read(out)
    assert np.abs(data).max() <= MINUS_1_DBFS
    assert rms_db(data) > -35, "score is (nearly) silent"
    assert np.all(data[-1] == 0), "the fade-out must reach silence on the last sample"
    assert rms_db(data[-SR // 10 :]) < rms_db(data) - 20
    assert info.meta == {
        "seconds": meta.frames / SR, "sample_rate": SR, "channels": 2, "tempo_bpm": 120, "key": "F#m",
        "mood": "epic", "backend": "procedural", "instruments": ["pad", "bass", "kick", "kit"],
    }  # fmt: skip


def test_music_is_deterministic_per_seed(tmp_path: Path) -> None:
    brief = {"mood": "playful", "instrumentation": ["piano", "bells", "drums", "strings"]}
    a = compose(tmp_path, 5.0, seed=7, name="a.wav", **brief)
    b = compose(tmp_path, 5.0, seed=7, name="b.wav", **brief)
    c = compose(tmp_path, 5.0, seed=8, name="c.wav", **brief)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def onset_times(x: np.ndarray, hop: int = 256) -> np.ndarray:
    """Times of energy rises (peaks of the positive energy difference)."""
    mono = x.mean(axis=1)
    frames = len(mono) // hop
    energy = np.square(mono[: frames * hop].reshape(frames, hop)).sum(axis=1)
    rise = np.maximum(0, np.diff(energy, prepend=0))
    mid = rise[1:-1]
    peaks = np.flatnonzero((mid > 0.1 * rise.max()) & (mid >= rise[:-2]) & (mid > rise[2:])) + 1
    return peaks * hop / SR


def on_grid(times: np.ndarray, period: float, tol: float = 0.012) -> float:
    """Fraction of onset times within `tol` seconds of a multiple of `period`."""
    phase = (times / period) % 1.0
    return float(np.mean(np.minimum(phase, 1 - phase) * period < tol))


@pytest.mark.parametrize("bpm", [72, 150])
def test_music_drums_land_on_the_tempo_grid(tmp_path: Path, bpm: int) -> None:
    drums = compose(tmp_path, 10.0, tempo_bpm=bpm, instrumentation=["drums"])
    times = onset_times(drums)
    eighth = 30 / bpm
    assert len(times) >= 10
    assert on_grid(times, eighth) > 0.85
    assert on_grid(times, 30 / (bpm * 1.07)) < 0.4, "onsets also fit a wrong tempo: the check proves nothing"


def chroma(x: np.ndarray) -> np.ndarray:
    """Share of spectral energy per pitch class (60 Hz - 1 kHz)."""
    spec = np.abs(np.fft.rfft(x.mean(axis=1))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    band = (freqs > 60) & (freqs < 1000)
    pitch = np.round(12 * np.log2(freqs[band] / 440) + 69).astype(int) % 12
    c = np.bincount(pitch, weights=spec[band], minlength=12)
    return c / c.sum()


def scale_of(key: str) -> list[int]:
    tonic, mode = parse_key(key)
    return [(tonic + step) % 12 for step in SCALES[mode]]


def test_music_follows_the_key(tmp_path: Path) -> None:
    c_major = chroma(compose(tmp_path, 6.0, name="c.wav", key="C", instrumentation=["pad", "bass"]))
    fs_minor = chroma(compose(tmp_path, 6.0, name="f.wav", key="F#m", instrumentation=["pad", "bass"]))
    assert c_major[scale_of("C")].sum() > 0.9
    assert fs_minor[scale_of("F#m")].sum() > 0.9
    assert c_major[scale_of("F#m")].sum() < 0.7
    assert 0 in np.argsort(c_major)[-3:] and 6 in np.argsort(fs_minor)[-3:], "the tonic is among the strongest"


def test_music_is_fast_and_refuses_bad_lengths(tmp_path: Path) -> None:
    import time

    start = time.perf_counter()
    compose(tmp_path, 60.0, instrumentation=["pad", "bass", "drums", "piano", "strings", "bells"])
    assert time.perf_counter() - start < 3.0  # ~0.3 s on an idle core; loose for shared CI machines
    for bad in (0.0, -1.0, float("nan"), 1e9):
        with pytest.raises(BackendError):
            compose(tmp_path, bad)


# --- speech ---------------------------------------------------------------------------------------------------------

SENTENCES = {
    "en": "The keeper climbed the stairs.",
    "fr": "Le gardien du phare monta l'escalier une dernière fois.",
    "zh": "灯塔看守人最后一次爬上楼梯。",
    "ar": "صعد حارس المنارة الدرج للمرة الأخيرة.",
    "hi": "लाइटहाउस का रखवाला आखिरी बार सीढ़ियाँ चढ़ा।",
}
HOSTILE = '\'; rm -rf / $(echo) "quotes" \n `id` [[ haha ]] <speak>x</speak> %s {0} \\'


@pytest.fixture(scope="module")
def speech() -> OfflineSpeechBackend:
    return OfflineSpeechBackend(BackendConfig(backend="offline"))


def check_speech(path: Path, info_meta: dict, lo: float = 0.3, hi: float = 10.0) -> np.ndarray:
    meta = sf.info(str(path))
    assert (meta.channels, meta.subtype, meta.samplerate) == (1, "PCM_16", 22_050)
    data, rate = read(path)
    mono = data[:, 0]
    assert lo < len(mono) / rate < hi
    assert info_meta["seconds"] == pytest.approx(len(mono) / rate)
    assert rms_db(mono) > -40
    assert np.abs(mono).max() <= MINUS_1_DBFS
    loud = np.flatnonzero(np.abs(mono) > 0.01 * np.abs(mono).max())
    assert loud[0] <= 0.1 * rate and len(mono) - loud[-1] <= 0.1 * rate, "silence at the ends is trimmed"
    return mono


def test_voices(speech: OfflineSpeechBackend) -> None:
    assert piper_available()
    characters = list(CHARACTER_VOICES)  # the characters' voices follow the narrator's, in every language
    assert speech.voices("en") == ["joe", "espeak", *characters]
    assert speech.voices("fr") == ["espeak", *characters]
    assert speech.voices("zh") == ["espeak", *characters]
    assert speech.voices("xx") == []


def test_piper_english_is_real_and_deterministic(speech: OfflineSpeechBackend, tmp_path: Path) -> None:
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    info = speech.speak(SENTENCES["en"], language="en", voice=None, out=a)
    assert info.meta["engine"] == "piper" and info.meta["voice"] == "joe" and info.meta["language"] == "en"
    first = check_speech(a, info.meta, 1.0, 8.0)
    speech.speak(SENTENCES["en"], language="en", voice="joe", out=b)
    assert np.array_equal(first, read(b)[0][:, 0]), "same text, same voice: same samples"


@pytest.mark.parametrize("language", ["fr", "zh", "ar", "hi", "en"])
def test_espeak_speaks_every_script(speech: OfflineSpeechBackend, tmp_path: Path, language: str) -> None:
    out = tmp_path / f"{language}.wav"
    voice = "espeak" if language == "en" else None
    info = speech.speak(SENTENCES[language], language=language, voice=voice, out=out)
    assert info.meta["engine"] == "espeak-ng" and info.meta["voice"] == "espeak"
    check_speech(out, info.meta, 0.5, 10.0)


@pytest.mark.parametrize("voice", ["joe", "espeak"])
def test_hostile_text_is_just_text(
    speech: OfflineSpeechBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, voice: str
) -> None:
    assert voice in speech.voices("en")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "line.wav"
    info = speech.speak(HOSTILE, language="en", voice=voice, out=out)
    check_speech(out, info.meta, 0.5, 15.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["line.wav"]


def test_speech_refuses_unknown_language_and_voice(speech: OfflineSpeechBackend, tmp_path: Path) -> None:
    out = tmp_path / "x.wav"
    with pytest.raises(BackendError, match="klingon"):
        speech.speak("Qapla'", language="klingon", voice=None, out=out)
    with pytest.raises(BackendError, match="joe"):
        speech.speak("Bonjour", language="fr", voice="joe", out=out)
    with pytest.raises(BackendError, match="nobody"):
        speech.speak("Hello", language="en", voice="nobody", out=out)
    with pytest.raises(BackendError, match="empty"):
        speech.speak(" \n ", language="en", voice=None, out=out)
    with pytest.raises(BackendError, match="speed"):
        OfflineSpeechBackend(BackendConfig(backend="offline", options={"speed": 2}))
    assert not out.exists()


def test_espeak_is_safe_across_threads(speech: OfflineSpeechBackend, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    languages = ["fr", "zh", "ar", "hi"]

    def say(job: tuple[int, str]) -> float:
        i, language = job
        info = speech.speak(SENTENCES[language], language=language, voice="espeak", out=tmp_path / f"{i}.wav")
        return info.meta["seconds"]

    serial = [say((i, language)) for i, language in enumerate(languages)]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(say, enumerate(languages * 3)))
    # eSpeak's pitch flutter carries over between calls, so samples differ slightly; lengths must not mix up
    for i, seconds in enumerate(parallel):
        assert seconds == pytest.approx(serial[i % 4], rel=0.03), languages[i % 4]


def test_length_scale_slows_espeak(tmp_path: Path) -> None:
    fast = OfflineSpeechBackend(BackendConfig(backend="offline", options={"length_scale": 0.8}))
    slow = OfflineSpeechBackend(BackendConfig(backend="offline", options={"length_scale": 1.4}))
    text = SENTENCES["fr"]
    a = fast.speak(text, language="fr", voice=None, out=tmp_path / "fast.wav").meta["seconds"]
    b = slow.speak(text, language="fr", voice=None, out=tmp_path / "slow.wav").meta["seconds"]
    assert b > 1.3 * a
