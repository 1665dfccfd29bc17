"""Neural voice-over with transformers VITS: one model per language (the MMS-TTS family covers 1000+ languages).

Profile: `speech.backend = "vits"`, `speech.models = {fr = "/models/mms-tts-fra", ...}` (one local `VitsModel`
folder per language; `speech.model` is the folder for any language not listed). Options: `seed` (0),
`noise_scale`, `noise_scale_duration`, `speaking_rate` (default: each model's config), `pause_s` between sentences
(0.25), `device` ('auto'), `dtype` ('auto' = float32).

Each folder loads once, on first use, and stays loaded. Sampling is seeded: the same text gives the same WAV.
"""

from __future__ import annotations

import importlib.util
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from reelgraph.backends.audio.loader import check_folder, load_component, seeded, sync
from reelgraph.backends.base import MediaInfo
from reelgraph.backends.torch_device import resolve_device, resolve_dtype
from reelgraph.config import BackendConfig
from reelgraph.errors import BackendError
from reelgraph.languages import LANGUAGES, UnknownLanguage, check_language

WHO = "speech backend 'vits'"
DEFAULT_VOICE = "vits"
_SENTENCE_END = re.compile(r"(?<=[.!?;…。！？])\s+")


def _voice_names(speakers: int) -> list[str]:
    """'vits', plus 'vits:<id>' for each speaker of a multi-speaker model."""
    return [DEFAULT_VOICE] + ([f"{DEFAULT_VOICE}:{i}" for i in range(speakers)] if speakers > 1 else [])


class _Voice:
    """A loaded VITS model and its tokenizer."""

    def __init__(self, folder: Path, model: Any, tokenizer: Any, load_s: float) -> None:
        self.folder = folder
        self.model = model
        self.tokenizer = tokenizer
        self.load_s = load_s
        self.sample_rate = int(model.config.sampling_rate)
        self.num_speakers = int(getattr(model.config, "num_speakers", 1) or 1)


class VitsSpeechBackend:
    """SpeechBackend over `transformers.VitsModel` + `AutoTokenizer`, one local folder per language."""

    name = "vits"

    def __init__(self, cfg: BackendConfig) -> None:
        self.cfg = cfg
        self.options = dict(cfg.options)
        self.seed = int(self.options.get("seed", 0))
        self.pause_s = float(self.options.get("pause_s", 0.25))
        self._folders: dict[str, str] = {}
        for lang, folder in cfg.models.items():
            try:
                self._folders[check_language(lang)] = folder
            except UnknownLanguage:
                self._folders[lang.strip().lower()] = folder  # any MMS language the studio has no entry for
        self._loaded: dict[Path, _Voice] = {}
        self._lock = threading.RLock()

    # -- languages and voices -------------------------------------------------------------------------------------

    def _language(self, language: str) -> str:
        """Normalised language code, or a BackendError for a code neither the studio nor the profile knows."""
        raw = language.strip().lower() if isinstance(language, str) else ""
        if raw in self._folders:
            return raw
        try:
            return check_language(language)
        except UnknownLanguage:
            configured = ", ".join(sorted(self._folders)) or "none"
            known = ", ".join(sorted(LANGUAGES))
            raise BackendError(f"{WHO}: unknown language {language!r} (profile voices: {configured}; "
                               f"studio languages: {known})") from None

    def _folder_setting(self, lang: str) -> tuple[str, str]:
        """(folder, the profile setting naming it) for a language, or a BackendError when none is configured."""
        if lang in self._folders:
            return self._folders[lang], f"speech.models.{lang}"
        if self.cfg.model:
            return self.cfg.model, "speech.model"
        configured = ", ".join(sorted(self._folders)) or "none"
        raise BackendError(f"{WHO}: no voice for language {lang!r}: set speech.models.{lang} to a local VitsModel "
                           f"folder (e.g. an MMS-TTS model); configured: {configured}")

    def voices(self, language: str) -> list[str]:
        """['vits'] (plus 'vits:<id>' per speaker of a multi-speaker model) where a model folder exists, else []."""
        try:
            folder, _ = self._folder_setting(self._language(language))
        except BackendError:
            return []
        config = Path(folder).expanduser() / "config.json"
        if not config.is_file():
            return []
        try:
            speakers = int(json.loads(config.read_text(encoding="utf-8")).get("num_speakers", 1) or 1)
        except (OSError, ValueError, TypeError):
            return []
        return _voice_names(speakers)

    # -- loading --------------------------------------------------------------------------------------------------

    def _voice(self, lang: str) -> tuple[_Voice, bool]:
        """The loaded voice for a language (loading its folder on first use) and whether this call loaded it."""
        folder, setting = self._folder_setting(lang)
        path = check_folder(folder, who=WHO, setting=setting)
        with self._lock:
            key = path.resolve()
            fresh = key not in self._loaded
            if fresh:
                self._loaded[key] = self._load(path)
            return self._loaded[key], fresh

    def _load(self, path: Path) -> _Voice:
        from transformers import AutoTokenizer, VitsModel

        t0 = time.perf_counter()
        device = resolve_device(self.options.get("device"))
        dtype = resolve_dtype(self.options.get("dtype"), device, cuda_default="float32")
        tokenizer = load_component(WHO, "tokenizer (AutoTokenizer)", path, lambda: AutoTokenizer.from_pretrained(path))
        model = load_component(WHO, "model (VitsModel)", path,
                               lambda: VitsModel.from_pretrained(path, dtype=dtype).to(device).eval())
        for key in ("noise_scale", "noise_scale_duration", "speaking_rate"):
            if key in self.options:
                setattr(model, key, float(self.options[key]))
        return _Voice(path, model, tokenizer, time.perf_counter() - t0)

    # -- speech ---------------------------------------------------------------------------------------------------

    def speak(self, text: str, *, language: str, voice: str | None, out: Path) -> MediaInfo:
        """Speak `text` verbatim in `language`; write a mono 16-bit WAV at the model's sampling rate to `out`."""
        import soundfile as sf

        lang = self._language(language)
        if not isinstance(text, str) or not text.strip():
            raise BackendError(f"{WHO}: nothing to speak (empty text)")
        v, fresh = self._voice(lang)
        speaker = self._speaker(v, voice, lang)
        t0 = time.perf_counter()
        with self._lock:
            parts = [self._synth(v, sentence, speaker) for sentence in _SENTENCE_END.split(text.strip()) if sentence]
        pause = np.zeros(int(round(self.pause_s * v.sample_rate)), np.float32)
        pieces: list[np.ndarray] = []
        for i, part in enumerate(p for p in parts if p.size):
            pieces += [pause, part] if i else [part]
        if not pieces:
            raise BackendError(f"{WHO}: no character of {text[:40]!r} is in the vocabulary of {str(v.folder)!r} "
                               "(a model that needs romanised input needs the 'uroman' package)")
        wav = np.clip(np.concatenate(pieces), -1.0, 1.0)
        synth_s = time.perf_counter() - t0
        out.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(out), wav, v.sample_rate, subtype="PCM_16", format="WAV")
        seconds = wav.size / v.sample_rate
        return MediaInfo(meta={
            "backend": self.name, "language": lang, "voice": voice or DEFAULT_VOICE, "model": str(v.folder),
            "sample_rate": v.sample_rate, "channels": 1, "seconds": round(seconds, 4), "sentences": len(parts),
            "timings": {"load_s": round(v.load_s, 4) if fresh else 0.0,
                        "synth_s": round(synth_s, 4),
                        "seconds_per_second": round(synth_s / seconds, 4) if seconds else None},
        })

    def _speaker(self, v: _Voice, voice: str | None, lang: str) -> int | None:
        if voice in (None, "", DEFAULT_VOICE):
            return None
        m = re.fullmatch(rf"{DEFAULT_VOICE}:(\d+)", voice)
        if m and int(m.group(1)) < v.num_speakers:
            return int(m.group(1))
        names = ", ".join(_voice_names(v.num_speakers))
        raise BackendError(f"{WHO}: no voice {voice!r} for language {lang!r}; voices: {names}")

    def _synth(self, v: _Voice, sentence: str, speaker: int | None) -> np.ndarray:
        import torch

        tok = v.tokenizer
        if getattr(tok, "is_uroman", False) and not sentence.isascii() and importlib.util.find_spec("uroman") is None:
            raise BackendError(f"{WHO}: the model in {str(v.folder)!r} reads romanised text: install the 'uroman' "
                               "package to speak this script")
        enc = tok(sentence, return_tensors="pt")
        ids = enc["input_ids"]
        silent = {tok.convert_ids_to_tokens(0), tok.pad_token, tok.unk_token}
        if not any(t and t.strip() and t not in silent for t in tok.convert_ids_to_tokens(ids[0].tolist())):
            return np.zeros(0, np.float32)  # nothing of the sentence is in the model's vocabulary
        device = v.model.device
        with seeded(self.seed, device), torch.inference_mode():
            out = v.model(input_ids=ids.to(device), attention_mask=enc["attention_mask"].to(device),
                          speaker_id=speaker)
        sync(device)
        n = int(out.sequence_lengths[0]) if out.sequence_lengths is not None else out.waveform.shape[-1]
        wave: np.ndarray = out.waveform[0, :n].float().cpu().numpy()
        return wave
