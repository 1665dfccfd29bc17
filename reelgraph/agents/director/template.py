"""The template Director of the offline animatic: a deterministic script from the prompt, then tool calls per shot.

It is no language model: it picks characters, settings and lighting from keywords of the prompt, lays the shots on
a fixed story arc, takes voice-over lines from per-language templates, and revises its tool requests from the
critic's named defects. Its path through the graph (AIMessage tool calls → tool node) is the one an LLM Director uses.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from typing import Any

from langchain_core.messages import AIMessage

from reelgraph.agents.director.brief import ShotBrief
from reelgraph.schema import Character, MusicBrief, ReelRequest, Script, Shot, VoiceLine

ROLES: dict[str, str] = {
    "lighthouse keeper": "weathered, tall, grey beard, yellow oilskin coat",
    "keeper": "weathered, tall, grey beard, yellow oilskin coat",
    "robot": "small round robot, metal body, one glowing eye, antenna",
    "astronaut": "white spacesuit, round helmet, tall",
    "detective": "tall, long trench coat, hat",
    "girl": "small child, red coat, braids",
    "boy": "small child, blue jacket, messy hair",
    "child": "small child, green raincoat",
    "old man": "old, stooped, white hair, brown cardigan",
    "old woman": "old, white bun, purple shawl",
    "woman": "tall, dark hair, orange jacket",
    "man": "tall, short hair, blue coat",
    "cat": "cat, orange fur, four legs, long tail",
    "dog": "dog, brown fur, four legs, floppy ears",
    "fox": "fox, red fur, four legs, bushy tail",
    "dragon": "dragon, green scales, wings, four legs",
    "knight": "armoured knight, silver armour, red plume",
    "witch": "witch, pointed hat, black robe",
    "chef": "round, white chef's hat and apron",
    "pilot": "leather jacket, goggles, scarf",
    "scientist": "white lab coat, glasses",
    "sailor": "striped shirt, navy cap",
    "fisherman": "yellow raincoat, rubber boots, beard",
    "painter": "paint-stained smock, beret",
    "bear": "bear, brown fur, four legs, round",
    "owl": "owl, brown feathers, big eyes, small",
}
NAMES = ["Mara", "Bolt", "Ines", "Tobias", "Yuki", "Ravi", "Lena", "Odo", "Sami", "Juno", "Pip", "Nadia"]
PALETTES = [["#d4a017", "#3b3b3b", "#f2d7b6"], ["#9aa7b0", "#3fc1ff", "#5a6a75"], ["#c0392b", "#2c3e50", "#f5cba7"],
            ["#27ae60", "#1e3d2f", "#f0e0c0"], ["#8e44ad", "#2d1b3d", "#e8d0f0"], ["#e67e22", "#4a2c10", "#fde3c8"]]
SETTINGS = [
    (("lighthouse",), "a lighthouse on a rocky coast"),
    (("sea", "ocean", "ship", "boat", "harbour", "harbor"), "the open sea"),
    (("space", "planet", "star", "moon"), "a station among the stars"),
    (("forest", "wood", "tree"), "a deep forest"),
    (("city", "street", "town", "cafe", "café"), "a city street"),
    (("desert", "sand", "dune"), "a desert of dunes"),
    (("mountain", "snow", "peak"), "a snowy mountain pass"),
    (("kitchen", "house", "room", "home", "library"), "a warm room"),
    (("mine", "cave", "tunnel"), "a narrow cave"),
]
STAGES = ["establish", "intro", "meet", "journey", "conflict", "together", "end"]
STAGE_SHOT: dict[str, dict[str, Any]] = {
    "establish": {"camera": "push_in", "framing": "wide", "cast": 0},
    "intro": {"camera": "static", "framing": "medium", "cast": 1},
    "meet": {"camera": "pan_right", "framing": "wide", "cast": 2},
    "journey": {"camera": "pan_left", "framing": "medium", "cast": 2},
    "conflict": {"camera": "tilt_up", "framing": "close", "cast": 2},
    "together": {"camera": "static", "framing": "medium", "cast": 2},
    "end": {"camera": "pull_out", "framing": "wide", "cast": 2},
}
BEATS = {
    "establish": "We discover {place}.", "intro": "{a} goes about the day.", "meet": "{a} comes face to face with {b}.",
    "journey": "{a} and {b} set out together.", "conflict": "The world turns against them.",
    "together": "{a} and {b} hold on together.", "end": "{a} and {b} look out at {place}, changed.",
}
DARK_WORDS = ("darkness", "pitch black", "pitch-black", "blackout", "power cut", "in the dark")


def _stable(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)


def _templates() -> dict[str, list[str]]:
    return json.loads(resources.files("reelgraph.agents.prompts").joinpath("voiceover.json").read_text("utf-8"))


def _stages(n: int) -> list[str]:
    """The story arc laid over n shots: first establishes, last ends, the middle follows the arc in order."""
    if n == 1:
        return ["establish"]
    middle = STAGES[1:-1]
    picks = [middle[round(i * (len(middle) - 1) / max(1, n - 3))] if n > 2 else "meet" for i in range(n - 2)]
    return ["establish", *picks, "end"]


def _characters(prompt: str) -> list[Character]:
    low = prompt.lower()
    found: list[tuple[int, str]] = []
    for role in sorted(ROLES, key=len, reverse=True):
        for m in re.finditer(rf"\b{re.escape(role)}s?\b", low):
            if not any(s <= m.start() < s + len(r) for s, r in found):
                found.append((m.start(), role))
    roles = [r for _, r in sorted(found)][:3] or ["woman", "robot"]
    if len(roles) == 1:
        roles.append("robot" if roles[0] != "robot" else "child")
    chars = []
    for i, role in enumerate(roles):
        name = NAMES[(_stable(prompt) + i * 5) % len(NAMES)]
        chars.append(Character(name=name, slug=f"{name.lower()}", look=f"the {role}: {ROLES[role]}",
                               wardrobe=ROLES[role].split(", ")[-1], voice="narrator",
                               palette=PALETTES[(_stable(role) + i) % len(PALETTES)]))
    return chars


def _setting(prompt: str) -> str:
    low = prompt.lower()
    return next((place for words, place in SETTINGS if any(w in low for w in words)), "an open landscape")


def _lighting(prompt: str, stage: str) -> str:
    low = prompt.lower()
    if stage not in ("establish", "end") and any(w in low for w in DARK_WORDS):
        return "darkness"
    if "storm" in low or "rain" in low:
        return "storm" if stage in ("conflict", "journey", "meet") else "dusk"
    if "night" in low:
        return "night"
    if any(w in low for w in ("room", "kitchen", "house", "library", "cave", "mine")):
        return "interior"
    return {"establish": "golden", "end": "golden", "conflict": "dusk"}.get(stage, "day")


def _music(prompt: str) -> MusicBrief:
    low = prompt.lower()
    if any(w in low for w in ("storm", "danger", "chase", "dark", "war")):
        return MusicBrief(mood="tense", tempo_bpm=112, key="Dm", instrumentation=["pad", "bass", "drums", "strings"])
    if any(w in low for w in ("sad", "lost", "alone", "grief")):
        return MusicBrief(mood="melancholic", tempo_bpm=72, key="Am", instrumentation=["pad", "piano", "bass"])
    if any(w in low for w in ("funny", "play", "cat", "dog", "silly")):
        return MusicBrief(mood="playful", tempo_bpm=120, key="G", instrumentation=["bells", "bass", "drums"])
    return MusicBrief(mood="hopeful", tempo_bpm=96, key="C", instrumentation=["pad", "bass", "drums", "piano"])


def _title(chars: list[Character], prompt: str) -> str:
    words = re.findall(r"[A-Za-z']+", prompt)
    return f"{chars[0].name} and {chars[1].name}" if len(chars) > 1 else " ".join(words[:4]).title() or "Untitled"


def write_script(request: ReelRequest) -> Script:
    """The deterministic animatic script for a request."""
    chars = _characters(request.prompt)
    place = _setting(request.prompt)
    names = {"a": chars[0].name, "b": chars[1].name if len(chars) > 1 else chars[0].name, "place": place}
    templates = _templates()
    shots = []
    for i, stage in enumerate(_stages(request.shots), start=1):
        look = STAGE_SHOT[stage]
        cast = [c.slug for c in chars[: look["cast"]]] if look["cast"] else []
        if stage in ("together", "end") and len(chars) > 2:
            cast = [c.slug for c in chars]
        line_idx = STAGES.index(stage)
        lines = [VoiceLine(language=lang, text=templates[lang][line_idx].format(**names)) for lang in request.languages]
        transition = "cut"
        if stage == "together" and shots and shots[-1].setting == place and i > 1:
            transition = "continuous"
        elif stage == "end" and i > 1:
            transition = "fade"
        shots.append(Shot(index=i, beat=BEATS[stage].format(**names), setting=place,
                          action=f"{BEATS[stage].format(**names)} ({stage})", characters=cast,
                          camera=look["camera"], framing=look["framing"], lighting=_lighting(request.prompt, stage),
                          duration=request.shot_seconds, transition=transition, lines=lines))
    return Script(title=_title(chars, request.prompt)[:120], logline=request.prompt[:500], characters=chars,
                  shots=shots, music=_music(request.prompt), languages=request.languages)


REVISIONS: dict[str, dict[str, Any]] = {
    "underexposed": {"exposure": +2.0, "add": "brighter, lit by a warm practical light"},
    "overexposed": {"exposure": -1.5, "add": "darker, controlled highlights"},
    "low_contrast": {"lighting": "golden", "add": "strong contrast, clear silhouettes"},
    "blurry": {"camera": "static", "add": "crisp focus"},
    "flicker": {"camera": "static", "add": "steady light"},
    "frozen": {"camera": "push_in", "add": "visible camera movement"},
    "identity_drift": {"framing": "medium", "add": "characters exactly as in their masters"},
    "off_brief": {"add": "follow the shot's beat closely"},
    "seam_mismatch": {"add": "match the previous shot's last frame"},
}


class TemplateDirector:
    """Deterministic Director of the animatic (no language model)."""

    name = "template"

    def __init__(self, config: Any = None):
        self.config = config

    def write_script(self, request: ReelRequest) -> Script:
        return write_script(request)

    def shorten_line(self, line: VoiceLine, names: list[str], keep: float) -> str:
        """A shorter line (about `keep` of its length): its first sentence, else the names of who is in frame."""
        first = re.split(r"(?<=[.!?。！？])\s*", line.text.strip())[0].strip()
        if first and len(first) <= keep * len(line.text):
            return first
        return " & ".join(names) if names else "…"

    def direct(self, brief: ShotBrief) -> AIMessage:
        """The next step of this take: a keyframe call, then a motion call, then 'take ready'."""
        made = brief.made
        if "keyframe" not in made:
            return self._call("render_keyframe", self._keyframe_args(brief), brief)
        if "clip" not in made:
            tool = "bridge_from_previous" if brief.continues_previous else "animate_keyframe"
            return self._call(tool, self._motion_args(brief), brief)
        return AIMessage(content=f"Take {brief.attempt} of shot {brief.shot.index} is ready for review.")

    def _revised(self, brief: ShotBrief) -> tuple[dict[str, Any], list[str]]:
        """Changes asked by every earlier verdict of this shot (cumulative), and the words they add."""
        change: dict[str, Any] = {"exposure": 0.0}
        words: list[str] = []
        for verdict in brief.verdicts:
            exposure_wrong = {"underexposed", "overexposed"} & set(verdict.defects)
            for defect in verdict.defects:
                if exposure_wrong and defect == "low_contrast":
                    continue  # flat because of the exposure: fix that first
                rev = REVISIONS.get(defect, {})
                for key, value in rev.items():
                    if key == "exposure":
                        change["exposure"] = max(-3.0, min(3.0, change["exposure"] + value))
                    elif key == "add":
                        words.append(value)
                    else:
                        change[key] = value
        if brief.note:
            words.append(brief.note)
        return change, words

    def _keyframe_args(self, brief: ShotBrief) -> dict[str, Any]:
        shot = brief.shot
        change, words = self._revised(brief)
        prompt = "; ".join([shot.beat, *dict.fromkeys(words)])[:600]
        return {"prompt": prompt, "setting": shot.setting[:200], "characters": shot.characters,
                "lighting": change.get("lighting", shot.lighting), "framing": change.get("framing", shot.framing),
                "exposure": change["exposure"], "seed": brief.seed}

    def _motion_args(self, brief: ShotBrief) -> dict[str, Any]:
        change, _ = self._revised(brief)
        return {"prompt": brief.shot.action[:600], "camera": change.get("camera", brief.shot.camera),
                "seed": brief.seed}

    @staticmethod
    def _call(name: str, args: dict[str, Any], brief: ShotBrief) -> AIMessage:
        call_id = f"s{brief.shot.index:02d}a{brief.attempt}-{name}"
        return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": call_id, "type": "tool_call"}])
