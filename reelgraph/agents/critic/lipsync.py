"""Lip-sync measured on the finished picture and sound, not taken from the timing that drew the mouths.

- Voice: `voiced_intervals` finds speech in the mixed sound. Music is mixed under the voice (and ducked by it), so the
  score, which the run keeps (`audio/music.wav`), is the baseline: in each 10 ms of the speech band (250-3800 Hz) the
  music's share is fitted by least squares and taken away; what is left is the voice, plus the codec's noise (5 % of
  the sound, 15 % at most, where only music plays). A hop is voiced when that residue is more than VOICE_SHARE of the
  hop's sound (and more than FLOOR of the loudest residue).
- Mouths: `read_mouths` compares each frame of the picture with the same frame of the take as it was rendered (no
  mouth drawn), in the box where the character's mouth opens (its position is the take's face track); a frame's
  overall brightness is matched first (fades). A mouth is open on a frame where the mean luma difference there
  passes OPEN_LEVELS.
- Sync: `lip_sync_figures` counts open-mouth frames, the share of them whose time overlaps voiced sound, and those
  outside their owner's lines (during the narrator's, during another character's); `judge_lip_sync` turns them into
  a verdict with named defects: `lips_out_of_sync` (a mouth moves outside its owner's speech, or fewer than
  SHARE_MIN of open mouths fall in voiced sound) and `lips_still` (a character speaks on screen with a still mouth).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from reelgraph.media.frames import iter_frames
from reelgraph.media.mouths import FaceTrack, Mouth, mouth_box
from reelgraph.schema import Defect, Verdict

BAND_HZ = (250.0, 3800.0)
HOP_S = 0.01
VOICE_SHARE = 0.25
"""Share of a hop's speech-band sound left once the music is fitted out, above which the hop is voiced."""
FLOOR = 0.02
"""... and over the loudest hop's residue: quieter hops are never voiced."""
BRIDGE_S = 0.05
"""Unvoiced gaps shorter than this inside speech are voiced (a stop's closure)."""
MIN_VOICED_S = 0.03
"""Voiced runs shorter than this are dropped (a click)."""
OPEN_LEVELS = 10.0
"""Mean luma difference (0-255) in a mouth's box above which the mouth is open on that frame."""
SHARE_MIN = 0.9
"""Share of open-mouth frames that must overlap voiced sound."""
STILL_MAX = 0.3
"""A character seen speaking whose mouth is open on fewer of its voiced frames than this has a still mouth."""
MIN_SEEN = 4
"""Voiced frames of a character's lines with its mouth on screen needed to call its mouth still."""

Interval = tuple[float, float]


@dataclass(frozen=True)
class Cue:
    """A line of the reel: when it plays and who says it ('narrator' or a character's slug)."""

    start: float
    end: float
    speaker: str


# --- the voice ------------------------------------------------------------------------------------------------------


def _mono(audio: np.ndarray) -> np.ndarray:
    return (audio.mean(axis=1) if audio.ndim == 2 else audio).astype(np.float64)


def _band(x: np.ndarray, rate: int) -> np.ndarray:
    from scipy.signal import butter, sosfiltfilt

    sos = butter(4, [BAND_HZ[0], min(BAND_HZ[1], 0.45 * rate)], btype="band", fs=rate, output="sos")
    return np.asarray(sosfiltfilt(sos, x)) if x.size > 64 else x


def _resampled(x: np.ndarray, rate: int, to: int) -> np.ndarray:
    if rate == to:
        return x
    from scipy.signal import resample_poly

    g = math.gcd(rate, to)
    return np.asarray(resample_poly(x, to // g, rate // g))


def _aligned(mix: np.ndarray, music: np.ndarray, rate: int, search_s: float = 0.1,
             window_s: float = 30.0) -> np.ndarray:
    """`music` shifted (within `search_s`, found on the first `window_s`) to line up with the music in `mix`, cut or
    padded to its length."""
    from scipy.signal import correlate

    n = min(mix.size, music.size, round(window_s * rate))
    lag = 0
    if n > 0:
        corr = correlate(mix[:n], music[:n], mode="full", method="fft")
        mid, reach = n - 1, min(n - 1, round(search_s * rate))
        lag = int(np.argmax(corr[mid - reach: mid + reach + 1])) - reach
    shifted = np.zeros(mix.size)
    src = music[max(0, -lag):]
    dst = shifted[max(0, lag):]
    k = min(src.size, dst.size)
    dst[:k] = src[:k]
    return shifted


def _runs(flags: np.ndarray, hop: float) -> list[Interval]:
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return [(a * hop, b * hop) for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True)]


def voice_level(mix: np.ndarray, rate: int, music: np.ndarray | None = None,
                music_rate: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(voice level, threshold) per HOP_S of the mixed sound: the speech band's RMS once the music is fitted out of
    each hop (when the music is given), and the level above which a hop is voiced."""
    hop = max(1, round(HOP_S * rate))
    m = _band(_mono(mix), rate)
    n = m.size // hop
    frames = m[: n * hop].reshape(n, hop)
    if music is None or n == 0:
        level = np.sqrt((frames**2).mean(axis=1))
        return level, np.full(n, FLOOR * float(level.max(initial=0.0)))
    b = _aligned(m, _band(_resampled(_mono(music), music_rate or rate, rate), rate), rate)
    base = b[: n * hop].reshape(n, hop)
    energy = (base**2).sum(axis=1)
    gain = np.where(energy > 0, (frames * base).sum(axis=1) / np.maximum(energy, 1e-12), 0.0).clip(0, None)
    level = np.sqrt(((frames - gain[:, None] * base) ** 2).mean(axis=1))
    sound = np.sqrt((frames**2).mean(axis=1))
    return level, np.maximum(VOICE_SHARE * sound, FLOOR * float(level.max(initial=0.0)))


def voiced_intervals(mix: np.ndarray, rate: int, music: np.ndarray | None = None,
                     music_rate: int | None = None) -> list[Interval]:
    """The stretches (seconds) of the mixed sound where someone speaks, measured from the sound alone (the music as
    its baseline when given; see the module's docstring)."""
    level, threshold = voice_level(mix, rate, music, music_rate)
    hop = max(1, round(HOP_S * rate)) / rate
    voiced = level > threshold
    for a, b in _runs(~voiced, hop):  # bridge short gaps between voiced runs
        if a > 0 and b < voiced.size * hop and b - a < BRIDGE_S:
            voiced[round(a / hop): round(b / hop)] = True
    return [(a, b) for a, b in _runs(voiced, hop) if b - a >= MIN_VOICED_S]


# --- the mouths -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShotFaces:
    """A take in the reel: its first frame's index in the picture, its frames there, the take as rendered (without
    mouths drawn) and its face track."""

    first: int
    frames: int
    reference: Path
    track: FaceTrack


@dataclass(frozen=True)
class MouthReading:
    """How far a character's mouth is open on one frame of the picture (mean luma difference from its closed mouth)."""

    frame: int
    slug: str
    openness: float

    @property
    def open(self) -> bool:
        """Whether the mouth is open on this frame."""
        return self.openness > OPEN_LEVELS


def _luma(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb, np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def openness(frame: np.ndarray, reference: np.ndarray, mouth: Mouth, gain: float = 1.0) -> float:
    """Mean luma difference (0-255) between a frame and its reference in the box where `mouth` opens."""
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = mouth_box(mouth, w, h)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    return float(np.abs(_luma(frame[y0:y1, x0:x1]) - gain * _luma(reference[y0:y1, x0:x1])).mean())


def brightness_gain(frame: np.ndarray, reference: np.ndarray) -> float:
    """How much brighter the frame is than its reference overall (a fade dims the whole frame alike)."""
    ref = float(_luma(reference[::4, ::4]).mean())
    return float(_luma(frame[::4, ::4]).mean()) / ref if ref > 1.0 else 1.0


def read_mouths(picture: Path, shots: Sequence[ShotFaces], *, timeout: float | None = None) -> list[MouthReading]:
    """Each seen mouth's openness on each frame of the picture's takes that have a face track (frames are decoded one
    at a time: a reel of any length is read in bounded memory)."""
    readings: list[MouthReading] = []
    with closing(iter_frames(picture, timeout=timeout)) as frames:
        k = 0
        for shot in sorted(shots, key=lambda s: s.first):
            k = _skip(frames, k, shot.first)
            with closing(iter_frames(shot.reference, timeout=timeout)) as refs:
                for j in range(shot.frames):
                    frame = next(frames, None)
                    if frame is None:
                        break
                    k += 1
                    ref = next(refs, None)
                    if ref is None:
                        break
                    gain = brightness_gain(frame, ref)
                    for slug, mouths in shot.track.mouths.items():
                        mouth = mouths[j] if j < len(mouths) else None
                        if mouth is not None:
                            readings.append(MouthReading(shot.first + j, slug, openness(frame, ref, mouth, gain)))
    return readings


def _skip(frames: Iterator[np.ndarray], k: int, to: int) -> int:
    while k < to and next(frames, None) is not None:
        k += 1
    return k


# --- the sync -------------------------------------------------------------------------------------------------------


@dataclass
class LipSyncFigures:
    """What the picture's mouths do against the sound (frames are (frame, character) readings)."""

    seen: int = 0  # mouths on screen, frame by frame
    open: int = 0  # ... of them open
    open_voiced: int = 0  # ... of those, on a frame that overlaps voiced sound
    outside_own_lines: int = 0  # open on a frame outside every line of its owner
    during_narrator: int = 0  # ... of those, during a narrator's line
    during_others: int = 0  # ... of those, during another character's line
    seen_during_narrator: int = 0  # mouths on screen during a narrator's line (open or not)
    seen_during_others: int = 0  # mouths on screen during another character's line, not their own
    speaking_seen: int = 0  # voiced frames of a character's own lines with its mouth on screen
    speaking_open: int = 0  # ... with its mouth open
    per_character: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def share_voiced(self) -> float | None:
        """Share of open-mouth frames that overlap voiced sound (None: no mouth opened)."""
        return self.open_voiced / self.open if self.open else None

    @property
    def talking(self) -> float | None:
        """Share of a speaking character's voiced frames, mouth on screen, with its mouth open (None: never seen)."""
        return self.speaking_open / self.speaking_seen if self.speaking_seen else None

    def as_metrics(self) -> dict[str, float]:
        """The figures as a verdict's metrics (shares only where they apply)."""
        out = {k: float(v) for k, v in asdict(self).items() if isinstance(v, int)}
        for key in ("share_voiced", "talking"):
            value = getattr(self, key)
            if value is not None:
                out[key] = round(float(value), 4)
        return out


def _overlaps(a: float, b: float, spans: Sequence[Interval]) -> bool:
    return any(s < b and e > a for s, e in spans)


def lip_sync_figures(readings: Sequence[MouthReading], fps: int, voiced: Sequence[Interval],
                     cues: Sequence[Cue]) -> LipSyncFigures:
    """The sync of the mouths read on the picture with the voiced sound and the lines (a frame counts as in a span
    when the time it is shown, [k/fps, (k+1)/fps), overlaps it)."""
    fig = LipSyncFigures()
    lines: dict[str, list[Interval]] = {}
    for cue in cues:
        lines.setdefault(cue.speaker, []).append((cue.start, cue.end))
    for r in readings:
        a, b = r.frame / fps, (r.frame + 1) / fps
        mine = _overlaps(a, b, lines.get(r.slug, []))
        voice = _overlaps(a, b, voiced)
        narrated = _overlaps(a, b, lines.get("narrator", []))
        others = any(_overlaps(a, b, spans) for who, spans in lines.items() if who not in (r.slug, "narrator"))
        own = fig.per_character.setdefault(r.slug, {"seen": 0, "open": 0, "outside_own_lines": 0,
                                                    "speaking_seen": 0, "speaking_open": 0})
        fig.seen += 1
        own["seen"] += 1
        fig.seen_during_narrator += narrated and not mine
        fig.seen_during_others += others and not mine
        if mine and voice:
            fig.speaking_seen += 1
            own["speaking_seen"] += 1
        if not r.open:
            continue
        fig.open += 1
        own["open"] += 1
        fig.open_voiced += voice
        if mine:
            fig.speaking_open += voice
            own["speaking_open"] += voice
            continue
        fig.outside_own_lines += 1
        own["outside_own_lines"] += 1
        fig.during_narrator += narrated
        fig.during_others += others
    return fig


def judge_lip_sync(fig: LipSyncFigures, names: Mapping[str, str] | None = None) -> Verdict:
    """A verdict on the reel's lip-sync: 10 when every open mouth is its owner's and in voiced sound."""
    names = names or {}
    defects: list[Defect] = []
    reasons: list[str] = []
    share = fig.share_voiced
    if fig.outside_own_lines or (share is not None and share < SHARE_MIN):
        defects.append("lips_out_of_sync")
        if share is not None and share < SHARE_MIN:
            reasons.append(f"only {share:.0%} of open-mouth frames fall in voiced sound (at least "
                           f"{SHARE_MIN:.0%} should)")
        for slug, own in fig.per_character.items():
            if own["outside_own_lines"]:
                reasons.append(f"{names.get(slug, slug)}'s mouth moves on {own['outside_own_lines']} frame(s) "
                               "outside their own lines")
    still = [slug for slug, own in fig.per_character.items()
             if own["speaking_seen"] >= MIN_SEEN and own["speaking_open"] < STILL_MAX * own["speaking_seen"]]
    if still:
        defects.append("lips_still")
        reasons += [f"{names.get(s, s)} speaks on screen but their mouth barely moves "
                    f"({fig.per_character[s]['speaking_open']} of {fig.per_character[s]['speaking_seen']} "
                    "voiced frames open)" for s in still]
    if not fig.seen:
        reasons.append("no mouth on screen to measure")
    return Verdict(score=max(0.0, 10.0 - 4.0 * len(defects)), defects=defects, reasons=reasons[:12],
                   metrics=fig.as_metrics(), critic="heuristic lip-sync")
