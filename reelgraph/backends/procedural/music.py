"""Procedural score: a small numpy synthesiser that turns a MusicBrief into a stereo WAV (no model weights).

The key gives the scale, the mood a chord progression and a rhythm feel, the tempo the bar/beat grid, and the
instrumentation the voices. Each voice renders one bar per chord once; the score overlap-adds those bars along the
grid, so the cost hardly grows with the length. Layers enter one after another (the build) and the score fades out
to silence on its last sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf

from reelgraph.backends.base import MediaInfo
from reelgraph.config import BackendConfig
from reelgraph.errors import BackendError
from reelgraph.schema import MusicBrief

SR = 44_100
PEAK = 10 ** (-1.5 / 20)  # target peak: -1.5 dBFS, safely under -1 dBFS after 16-bit rounding
MAX_SECONDS = 900.0
STEPS = 8  # eighth notes per 4/4 bar
TAU = 2 * np.pi

NOTES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII")
ALIASES = {
    "pad": "pad", "synth": "pad", "choir": "pad", "organ": "pad",
    "bass": "bass", "drums": "drums", "percussion": "drums",
    "piano": "piano", "keys": "piano", "arp": "piano",
    "strings": "strings", "violin": "strings", "cello": "strings",
    "bells": "bells", "bell": "bells", "glockenspiel": "bells", "celesta": "bells",
}  # fmt: skip
# parts in the order they enter the arrangement; drums make two parts (kick first, then snare and hats)
BUILD_ORDER = ("pad", "strings", "bells", "bass", "piano", "kick", "kit")
ENTRANCES = (0.0, 0.12, 0.22, 0.32, 0.42, 0.5, 0.58)
PIANO_PARTIALS = ((1, 0.6, 0.5), (2, 0.25, 0.3), (3, 0.1, 0.15))  # (harmonic, amplitude, decay s)
BELL_PARTIALS = ((1.0, 1.0, 1.6), (2.756, 0.45, 0.8), (5.404, 0.2, 0.4), (8.933, 0.08, 0.25))
LEVELS = {"pad": 0.22, "strings": 0.16, "bells": 0.1, "bass": 0.32, "piano": 0.16, "kick": 0.4, "kit": 0.7}


@dataclass(frozen=True)
class Feel:
    """How a mood plays: progressions (major, minor), rhythms as eighth-note steps of a bar, pad attack."""

    major: str
    minor: str
    kick: tuple[int, ...]
    snare: tuple[int, ...]
    hat: tuple[int, ...]
    bass: tuple[int, ...]
    attack: float
    bass_len: float
    arp: int


FEELS: dict[str, Feel] = {
    "hopeful": Feel("I V vi IV", "i III VII VI", (0, 4, 5), (2, 6), tuple(range(8)), (0, 3, 4, 6), 0.5, 0.9, 8),
    "playful": Feel("I vi IV V", "i VII VI VII", (0, 3, 4), (2, 6), tuple(range(8)), (0, 2, 3, 4, 6, 7), 0.15, 0.5, 8),
    "epic": Feel("vi IV I V", "i VI III VII", (0, 2, 4, 6), (2, 6), (1, 3, 5, 7), (0, 2, 4, 6), 0.8, 0.95, 4),
    "calm": Feel("I iii IV I", "i VI III iv", (0,), (), (0, 2, 4, 6), (0, 4), 1.2, 1.0, 4),
    "tense": Feel("vi V IV V", "i VI iv V", (0, 3, 4, 7), (4,), tuple(range(8)), tuple(range(8)), 0.6, 0.6, 8),
    "melancholic": Feel("vi IV I iii", "i iv VII III", (0, 5), (4,), (0, 2, 4, 6), (0, 4), 1.0, 1.0, 4),
}


def parse_key(key: str) -> tuple[int, str]:
    """'F#m' -> (6, 'minor'); 'Bb' -> (10, 'major')."""
    key = key.strip()
    if not key or key[0].upper() not in NOTES:
        raise BackendError(f"music key {key!r} is not like C, F#m or Bb")
    pitch = NOTES[key[0].upper()]
    rest = key[1:]
    if rest[:1] in ("#", "b"):
        pitch += 1 if rest[0] == "#" else -1
        rest = rest[1:]
    if rest not in ("", "m"):
        raise BackendError(f"music key {key!r} is not like C, F#m or Bb")
    return pitch % 12, "minor" if rest == "m" else "major"


def parse_chord(numeral: str, tonic: int, mode: str) -> list[int]:
    """A roman numeral of the mode ('vi', 'VII', 'bVI') -> pitch classes of its triad, root first."""
    shift = {"b": -1, "#": 1}.get(numeral[0], 0)
    core = numeral.lstrip("b#")
    degree = ROMAN.index(core.upper())
    root = (tonic + SCALES[mode][degree] + shift) % 12
    third = 4 if core.isupper() else 3
    return [root, (root + third) % 12, (root + 7) % 12]


def midi_hz(note: float) -> float:
    """The frequency in Hz of a (possibly fractional) MIDI note; note 69 is A4 = 440 Hz."""
    return 440.0 * 2 ** ((note - 69) / 12)


def in_range(pitch_class: int, low: int) -> int:
    """The MIDI note of a pitch class in the octave [low, low + 12)."""
    return low + (pitch_class - low) % 12


def voicing(chord: list[int], low: int) -> list[int]:
    """A close voicing of a chord in [low, low + 12), plus the root an octave up."""
    notes = sorted(in_range(p, low) for p in chord)
    return [*notes, in_range(chord[0], low) + 12]


def sine(freq: float, n: int, block: int = 512) -> np.ndarray:
    """sin(2 pi f t) for n samples from t = 0, float32: sin(a + b) over a grid of block starts a and offsets b.

    As precise as float64 sin (the angles are exact in float64) and ~15x faster than wrapping the phase per sample.
    """
    w = TAU * freq / SR
    a = w * block * np.arange(-(-n // block))
    b = w * np.arange(block)
    out = np.multiply.outer(np.sin(a).astype(np.float32), np.cos(b).astype(np.float32))
    out += np.multiply.outer(np.cos(a).astype(np.float32), np.sin(b).astype(np.float32))
    return out.ravel()[:n]


def smooth_env(n: int, attack: int, hold: int) -> np.ndarray:
    """0 -> 1 over `attack` samples, 1 until `hold`, then back to 0 by sample n (raised-cosine edges)."""
    env = np.ones(n, dtype=np.float32)
    attack = max(1, min(attack, hold))
    env[:attack] = np.sin(np.linspace(0, np.pi / 2, attack, dtype=np.float32)) ** 2
    tail = n - hold
    if tail > 0:
        env[hold:] = np.cos(np.linspace(0, np.pi / 2, tail, dtype=np.float32)) ** 2
    return env


@lru_cache(maxsize=64)
def decay_env(n: int, tau: float, attack_s: float = 0.004) -> np.ndarray:
    """A struck note: a short linear attack then exp(-t / tau), ending at zero (cached, read-only)."""
    t = np.arange(n, dtype=np.float32) / SR
    env = np.exp(-t / tau) * np.minimum(1.0, t / attack_s)
    ramp = min(n, int(0.02 * SR))
    env[n - ramp :] *= np.linspace(1, 0, ramp, dtype=np.float32)
    env = env.astype(np.float32)
    env.flags.writeable = False
    return env


def pan(mono: np.ndarray, position: float) -> np.ndarray:
    """Equal-power pan of a mono signal; position -1 (left) .. 1 (right) -> (2, n)."""
    angle = (position + 1) * np.pi / 4
    return np.stack([mono * math.cos(angle), mono * math.sin(angle)])


def space(seg: np.ndarray) -> np.ndarray:
    """A little room: a few cross-channel echoes appended to a stereo segment."""
    taps = ((0.113, 0, 1, 0.28), (0.171, 1, 0, 0.24), (0.263, 0, 0, 0.14), (0.347, 1, 1, 0.12))
    longest = int(max(t[0] for t in taps) * SR)
    out = np.zeros((2, seg.shape[1] + longest), dtype=np.float32)
    out[:, : seg.shape[1]] = seg
    for delay, src, dst, gain in taps:
        d = int(delay * SR)
        out[dst, d : d + seg.shape[1]] += seg[src] * gain
    return out


@dataclass(frozen=True)
class Grid:
    """The tempo grid: beats, eighth-note steps and 4/4 bars in seconds."""

    bpm: int

    @property
    def beat(self) -> float:
        """Seconds per beat."""
        return 60.0 / self.bpm

    @property
    def step(self) -> float:
        """Seconds per eighth-note step."""
        return self.beat / 2

    @property
    def bar(self) -> float:
        """Seconds per 4/4 bar."""
        return self.beat * 4

    def sample(self, bar: int, step: float = 0) -> int:
        """The sample index of `step` eighth notes into bar `bar`."""
        return round((bar * self.bar + step * self.step) * SR)


class Voices:
    """Renders one bar of each part for one chord (stereo float32, tails included)."""

    def __init__(self, grid: Grid, feel: Feel, rng: np.random.Generator) -> None:
        self.grid, self.feel, self.rng = grid, feel, rng
        self.bar_n = round(grid.bar * SR)
        self.arp_order = rng.permutation(4)
        self.pad_low = 50 + int(rng.integers(0, 5))  # the seed also moves the pad's register a little
        self.sounds = self._sounds()

    def pad(self, chord: list[int]) -> np.ndarray:
        """A sustained pad on the chord: each note detuned apart left and right, the mood's attack, a release tail."""
        release = int(min(0.8, self.grid.bar * 0.5) * SR)
        n = self.bar_n + release
        left = np.zeros(n, dtype=np.float32)
        right = np.zeros(n, dtype=np.float32)
        for note in voicing(chord, self.pad_low):
            f = midi_hz(note)
            left += sine(f * 0.9975, n) + 0.3 * sine(2 * f, n)
            right += sine(f * 1.0025, n) + 0.3 * sine(2.003 * f, n)
        env = smooth_env(n, int(min(self.feel.attack, 0.6 * self.grid.bar) * SR), self.bar_n)
        return space(np.stack([left, right]) * env / 4)

    def strings(self, chord: list[int]) -> np.ndarray:
        """Strings on the upper notes of the chord: two detuned players per note panned apart, swelling in."""
        release = int(min(1.0, self.grid.bar * 0.5) * SR)
        n = self.bar_n + release
        out = np.zeros((2, n), dtype=np.float32)
        for i, note in enumerate(voicing(chord, 60)[1:]):
            f = midi_hz(note)
            for detune, position in ((0.997, -0.6), (1.003, 0.6)):  # an ensemble: two players a few cents apart
                tone = sum(sine(h * f * detune, n) / h for h in (1, 2, 3, 4))
                out += pan(tone, position + 0.2 * (i - 1))
        env = smooth_env(n, int(0.45 * self.grid.bar * SR), self.bar_n)
        return space(out * env / 6)

    def bass(self, chord: list[int]) -> np.ndarray:
        """Bass on the chord's root at the feel's steps (octave jumps in a short, bouncy feel), slightly saturated."""
        root = in_range(chord[0], 36)
        hits = self.feel.bass
        out = np.zeros(self.bar_n + SR // 10, dtype=np.float32)
        for i, step in enumerate(hits):
            nxt = hits[i + 1] if i + 1 < len(hits) else STEPS
            length = int((nxt - step) * self.grid.step * SR * self.feel.bass_len)
            note = root + (12 if self.feel.bass_len < 0.7 and i % 2 else 0)
            f = midi_hz(note)
            tone = np.tanh(1.5 * (sine(f, length) + 0.3 * sine(2 * f, length)))
            start = self.grid.sample(0, step)
            out[start : start + length] += tone * decay_env(length, 0.6)
        return pan(out, 0.0)

    def piano(self, chord: list[int]) -> np.ndarray:
        """A piano arpeggio of the chord: `feel.arp` notes a bar in the seed's order, panned left and right in turn."""
        notes = voicing(chord, 60)
        per_bar = self.feel.arp
        n = int(0.9 * SR)
        out = np.zeros((2, self.bar_n + n), dtype=np.float32)
        for i in range(per_bar):
            note = notes[self.arp_order[i % 4]] + (12 if i >= 4 else 0)
            f = midi_hz(note)
            tone = sum(a * sine(h * f, n) * decay_env(n, d) for h, a, d in PIANO_PARTIALS)
            start = self.grid.sample(0, i * STEPS / per_bar)
            out[:, start : start + n] += pan(tone.astype(np.float32), 0.35 if i % 2 else -0.35)
        return space(out)

    def bells(self, chord: list[int]) -> np.ndarray:
        """Two bell strikes a bar (beats 1 and 3) on random chord notes, randomly panned, with long tails."""
        n = int(2.5 * SR)
        out = np.zeros((2, self.bar_n + n), dtype=np.float32)
        notes = voicing(chord, 72)
        for step in (0, 4):
            note = notes[int(self.rng.integers(len(notes)))]
            f = midi_hz(note)
            tone = sum(a * sine(r * f, n) * decay_env(n, d, 0.002) for r, a, d in BELL_PARTIALS)
            start = self.grid.sample(0, step)
            out[:, start : start + n] += pan(tone.astype(np.float32), float(self.rng.uniform(-0.6, 0.6)))
        return space(out)

    def _sounds(self) -> dict[str, np.ndarray]:
        """One-shot drum sounds (mono float32)."""
        rng = self.rng
        kn = int(0.35 * SR)
        t = np.arange(kn) / SR
        freq = 45 + 85 * np.exp(-t / 0.035)
        kick = np.sin(TAU * np.cumsum(freq) / SR).astype(np.float32) * decay_env(kn, 0.14, 0.001)
        sn = int(0.22 * SR)
        noise = rng.standard_normal(sn).astype(np.float32)
        snare = 0.5 * np.diff(noise, prepend=0) * decay_env(sn, 0.05, 0.001)
        snare += 0.6 * sine(185.0, sn) * decay_env(sn, 0.04, 0.001)
        hn = int(0.07 * SR)
        hiss = np.diff(rng.standard_normal(hn + 1).astype(np.float32), n=1)
        hat = 0.35 * np.diff(hiss, prepend=0) * decay_env(hn, 0.014, 0.0005)
        return {"kick": kick, "snare": snare.astype(np.float32), "hat": hat.astype(np.float32)}

    def kick(self, _: list[int]) -> np.ndarray:
        """The kick drum on the feel's kick steps (the chord is not used)."""
        return self._drums((("kick", self.feel.kick, 0.0),))

    def kit(self, _: list[int]) -> np.ndarray:
        """Snare and hi-hats on the feel's steps (the chord is not used)."""
        return self._drums((("snare", self.feel.snare, -0.1), ("hat", self.feel.hat, 0.35)))

    def _drums(self, parts: tuple[tuple[str, tuple[int, ...], float], ...]) -> np.ndarray:
        out = np.zeros((2, self.bar_n + int(0.4 * SR)), dtype=np.float32)
        for name, steps, position in parts:
            sound = self.sounds[name]
            for step in steps:
                velocity = (1.0 if step % 2 == 0 else 0.7) * float(self.rng.uniform(0.88, 1.0))
                start = self.grid.sample(0, step)
                out[:, start : start + len(sound)] += pan(sound * velocity, position)
        return out


def parts_of(instrumentation: list[str]) -> list[str]:
    """Known instruments -> arrangement parts in build order (a pad when nothing is known)."""
    known = {ALIASES[i.strip().lower()] for i in instrumentation if i.strip().lower() in ALIASES}
    parts = [p for p in BUILD_ORDER if p in known or (p in ("kick", "kit") and "drums" in known)]
    return parts or ["pad"]


def place(dst: np.ndarray, seg: np.ndarray, start: int) -> None:
    """Overlap-add a stereo segment into `dst` at `start`, cut at its end."""
    end = min(dst.shape[1], start + seg.shape[1])
    if end > start:
        dst[:, start:end] += seg[:, : end - start]


def combine(segments: list[np.ndarray], gain: float) -> np.ndarray:
    """Sum stereo segments of different lengths, times `gain`."""
    out = np.zeros((2, max(s.shape[1] for s in segments)), dtype=np.float32)
    for seg in segments:
        out[:, : seg.shape[1]] += seg
    out *= gain
    return out


def fade_ends(mix: np.ndarray, seconds: float) -> None:
    """In place: a 10 ms fade-in, and a raised-cosine fade-out that is exactly 0 on the last sample."""
    n = mix.shape[1]
    fade_in = min(n, int(0.01 * SR))
    mix[:, :fade_in] *= np.linspace(0, 1, fade_in, dtype=np.float32)
    fade = max(1, min(n, int(min(6.0, 0.2 * seconds) * SR)))
    mix[:, n - fade :] *= np.cos(np.linspace(0, np.pi / 2, fade, dtype=np.float32)) ** 2
    mix[:, -1] = 0.0


def render(brief: MusicBrief, seconds: float, seed: int) -> tuple[np.ndarray, list[str]]:
    """The score as (2, n) float32 with peak PEAK, and the parts it used.

    Parts enter in build order (stage k plays parts[:k + 1]); each (stage, chord) bar is mixed and gently
    saturated once, then overlap-added along the grid.
    """
    n = round(seconds * SR)
    tonic, mode = parse_key(brief.key)
    feel = FEELS[brief.mood]
    progression = [parse_chord(r, tonic, mode) for r in (feel.major if mode == "major" else feel.minor).split()]
    grid = Grid(brief.tempo_bpm)
    voices = Voices(grid, feel, np.random.default_rng(seed))
    parts = parts_of(brief.instrumentation)
    bars = max(1, math.ceil(n / (grid.bar * SR)))
    bar_parts = {p: [LEVELS[p] * getattr(voices, p)(chord) for chord in progression] for p in parts}
    full = [combine([bar_parts[p][c] for p in parts], 1.0) for c in range(len(progression))]
    drive = 1.6 / max(float(np.abs(f).max()) for f in full)
    entrances = [round(ENTRANCES[k] * bars) for k in range(len(parts))]
    blocks: dict[tuple[int, int], np.ndarray] = {}
    mix = np.zeros((2, n), dtype=np.float32)
    for bar in range(bars):
        stage = max(k for k, first in enumerate(entrances) if first <= bar)
        key = (stage, bar % len(progression))
        if key not in blocks:
            swell = 0.85 + 0.15 * stage / max(1, len(parts) - 1)  # the build also grows a little louder
            block = combine([bar_parts[p][key[1]] for p in parts[: stage + 1]], drive)
            blocks[key] = np.tanh(block) * swell
        place(mix, blocks[key], grid.sample(bar))
    fade_ends(mix, seconds)
    peak = max(float(mix.max()), -float(mix.min()))
    if peak == 0:
        raise BackendError(f"procedural music of {seconds} s came out silent")
    mix *= PEAK / peak
    return mix, parts


def to_pcm16(mix: np.ndarray) -> np.ndarray:
    """(2, n) float in [-1, 1] -> (n, 2) int16, without a float temporary of the whole score."""
    pcm = np.empty((mix.shape[1], 2), dtype=np.int16)
    for ch in range(2):
        pcm[:, ch] = np.rint(mix[ch] * 32767)
    return pcm


class ProceduralMusicBackend:
    """Music without model weights: a deterministic numpy score from the brief."""

    name = "procedural"

    def __init__(self, cfg: BackendConfig | None = None) -> None:
        self.cfg = cfg or BackendConfig()

    def compose(self, brief: MusicBrief, *, seconds: float, seed: int, out: Path) -> MediaInfo:
        """A score of exactly round(seconds * 44100) samples; writes a 44.1 kHz stereo 16-bit WAV to `out`."""
        if not (math.isfinite(seconds) and 0 < seconds <= MAX_SECONDS) or round(seconds * SR) < 1:
            raise BackendError(f"music length {seconds!r} s is not in (0, {MAX_SECONDS:g}] s")
        mix, parts = render(brief, seconds, seed)
        pcm = to_pcm16(mix)
        sf.write(str(out), pcm, SR, subtype="PCM_16", format="WAV")
        return MediaInfo(
            meta={
                "seconds": pcm.shape[0] / SR,
                "sample_rate": SR,
                "channels": 2,
                "tempo_bpm": brief.tempo_bpm,
                "key": brief.key,
                "mood": brief.mood,
                "backend": self.name,
                "instruments": parts,
            }
        )
