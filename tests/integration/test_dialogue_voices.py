"""A tiny run of a scene with dialogue: each character's line is spoken in its own voice, and subtitles name them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from reel_helpers import cli

from reelgraph.schema import Script

PROMPT = ('Mara and her brother Tom reach the old bridge at dusk. "Run!" says Mara. Tom asks: "Where are we going?" '
          'She whispers "Home, before the storm." They cross the river together.')


def median_f0(path: Path) -> float:
    """Median pitch (Hz) of the voiced frames of a WAV, by autocorrelation."""
    audio, rate = sf.read(str(path), dtype="float32")
    frame, hop = int(0.04 * rate), int(0.02 * rate)
    lo, hi = int(rate / 400), int(rate / 60)
    floor = 0.3 * float(np.sqrt(np.mean(audio**2)))
    found = []
    for s in range(0, len(audio) - frame, hop):
        w = audio[s:s + frame] * np.hanning(frame)
        if np.sqrt(np.mean(w**2)) < floor:
            continue
        ac = np.correlate(w, w, "full")[frame - 1:]
        k = lo + int(np.argmax(ac[lo:hi]))
        if ac[0] > 0 and ac[k] / ac[0] > 0.4:
            found.append(rate / k)
    return float(np.median(found))


def test_characters_speak_in_their_own_voices(tmp_path: Path) -> None:
    out = tmp_path / "dialogue"
    proc = cli("generate", "--prompt", PROMPT, "--out", str(out), "--shots", "5", "--seconds", "2", "--width", "160",
               "--height", "90", "--fps", "8", "--no-critic")
    assert proc.returncode == 0, proc.stderr[-3000:]
    script = Script.model_validate_json((out / "script.json").read_text(encoding="utf-8"))
    spoken = {line.speaker: shot.index for shot in script.shots for line in shot.lines}
    assert {"mara", "tom", "narrator"} <= set(spoken)
    pitch = {who: median_f0(out / "audio" / "voice" / "en" / f"shot{spoken[who]:02d}.wav") for who in ("mara", "tom")}
    assert pitch["mara"] > 1.4 * pitch["tom"], pitch  # her voice is clearly higher than her brother's
    subtitles = (out / "subtitles" / "en.srt").read_text(encoding="utf-8")
    assert "Mara: Run!" in subtitles and "Tom: Where are we going?" in subtitles
    narrated = next(line.text for shot in script.shots for line in shot.lines if line.speaker == "narrator")
    assert narrated in subtitles and f": {narrated}" not in subtitles
