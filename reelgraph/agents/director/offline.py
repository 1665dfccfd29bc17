"""The offline Director of the animatic: it reads the story (reelgraph.story) into a script, then makes each take
with tool calls, revising its requests from the critic's named defects and from a person's notes.

It is no language model: the script comes from the prompt's own words (cast, places, events, lines), and its path
through the graph (AIMessage tool calls → tool node) is the one an LLM Director uses.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import AIMessage

from reelgraph.agents.director.brief import ShotBrief
from reelgraph.schema import ReelRequest, Script, VoiceLine
from reelgraph.story import write_script
from reelgraph.story.lines import terse

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
    "missing_character": {"framing": "wider", "composition": True, "add": "every character in full view"},
    "covered_face": {"composition": True, "add": "faces clear, nothing in front of them"},
    "extra_character": {"composition": True, "add": "only the listed characters in frame"},
    "caption_illegible": {"composition": True, "exposure": -0.5, "add": "a clear caption band"},
}
WIDER = {"close": "medium", "over_shoulder": "medium", "two_shot": "medium", "medium": "wide", "wide": "wide"}
CLOSER = {"wide": "medium", "medium": "close", "two_shot": "close", "over_shoulder": "close", "close": "close"}
# a person's note, word by word: (pattern, change); exposure adds up, the rest is set
NOTE_WORDS: list[tuple[str, dict[str, Any]]] = [
    (r"\b(less dark|not so dark|too dark)\b", {"exposure": +1.5}),
    (r"\b(less bright|not so bright|too bright)\b", {"exposure": -1.5}),
    (r"\b(much )?(darker|dimmer|moodier|gloomier)\b", {"exposure": -1.5}),
    (r"\b(dim|dark|shadowy)\b(?! to)", {"exposure": -1.0}),
    (r"\b(brighter|lighter|more light|sunnier)\b", {"exposure": +1.5}),
    (r"\b(bright|sunny|well lit)\b", {"exposure": +1.0}),
    (r"\b(night|nighttime|night-time)\b", {"lighting": "night"}),
    (r"\b(warmer|warm|golden|sunset)\b", {"lighting": "golden"}),
    (r"\b(colder|cooler|cold|blue|bluer)\b", {"lighting": "dusk"}),
    (r"\b(stormy|storm|rain|rainy)\b", {"lighting": "storm"}),
    (r"\b(closer|close-up|close up|closeup|tighter|nearer|zoom in|push in)\b", {"framing": "closer"}),
    (r"\b(wider|further|farther|pull back|zoom out|step back|more of the (place|scene|setting))\b",
     {"framing": "wider"}),
    (r"\b(calmer|calm|steady|steadier|still|stiller|no camera move(ment)?|static)\b", {"camera": "static"}),
    (r"\b(push(es)? in|move(s)? in|dolly in)\b", {"camera": "push_in"}),
    (r"\b(pull(s)? out|dolly out)\b", {"camera": "pull_out"}),
    (r"\bpan(s|ning)? (to the )?left\b", {"camera": "pan_left"}),
    (r"\bpan(s|ning)? (to the )?right\b", {"camera": "pan_right"}),
    (r"\b(more movement|more motion|livelier|dynamic)\b", {"camera": "push_in"}),
]


def note_changes(note: str) -> dict[str, Any]:
    """What a person's note asks of the picture: exposure (EV), framing ('closer'/'wider'), lighting, camera."""
    low = " ".join(note.lower().split())
    change: dict[str, Any] = {}
    used: list[tuple[int, int]] = []
    for pattern, rev in NOTE_WORDS:
        for m in re.finditer(pattern, low):
            if any(a <= m.start() < b for a, b in used):
                continue  # "less dark" is not also "dark"
            used.append(m.span())
            for key, value in rev.items():
                if key == "exposure":
                    change["exposure"] = max(-3.0, min(3.0, change.get("exposure", 0.0) + value))
                else:
                    change[key] = value
    return change


def _step(framing: str, way: str) -> str:
    return (WIDER if way == "wider" else CLOSER).get(framing, "medium")


class OfflineDirector:
    """Deterministic Director of the animatic (no language model): it reads the story."""

    name = "offline"

    def __init__(self, config: Any = None):
        self.config = config

    def write_script(self, request: ReelRequest) -> Script:
        """The script the story's own words give (reelgraph.story)."""
        return write_script(request)

    def shorten_line(self, line: VoiceLine, names: list[str], keep: float) -> str:
        """A shorter line (about `keep` of its length), always in the line's own words: its first sentence, else its
        first clause, else the line said tersely (articles and auxiliaries dropped) up to a word that carries meaning;
        "" (the shot goes silent) when fewer than two such words fit: "Gwen has" says nothing."""
        text, limit = line.text.strip(), keep * len(line.text)
        for cut in (r"(?<=[.!?。！？])\s*", r"(?<=[,;:、，；])\s*"):
            first = re.split(cut, text)[0].strip().rstrip(",;:、，；")
            if first and len(first) <= limit:
                return first
        if " " not in text:
            return text[: max(1, int(limit))]
        return terse(text, line.language, lambda t: len(t) <= limit)[0]

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
        """Changes asked by the person's note and by every earlier verdict of this shot (cumulative), and the words
        they add. The note sets the start; each verdict's defects move on from there."""
        shot = brief.shot
        change: dict[str, Any] = {"exposure": 0.0, "framing": shot.framing, "lighting": shot.lighting,
                                  "camera": shot.camera, "composition": 0}
        words: list[str] = []
        if brief.note:
            for key, value in note_changes(brief.note).items():
                change[key] = _step(change["framing"], value) if key == "framing" else value
        rerolls = 0
        for verdict in brief.verdicts:
            exposure_wrong = {"underexposed", "overexposed"} & set(verdict.defects)
            reroll = False
            for defect in dict.fromkeys(verdict.defects):
                if exposure_wrong and defect == "low_contrast":
                    continue  # flat because of the exposure: fix that first
                rev = REVISIONS.get(defect, {})
                for key, value in rev.items():
                    if key == "exposure":
                        change["exposure"] = max(-3.0, min(3.0, change["exposure"] + value))
                    elif key == "add":
                        words.append(value)
                    elif key == "composition":
                        reroll = True
                    elif key == "framing" and value == "wider":
                        change["framing"] = _step(change["framing"], "wider")
                    else:
                        change[key] = value
            rerolls += reroll
        if rerolls:  # another arrangement per failed take: 1, 2, ... (0 is the renderer's own pick)
            change["composition"] = 1 + (max(rerolls, brief.attempt - 1) - 1) % 7
        if brief.note:
            words.append(brief.note)
        return change, words

    def _keyframe_args(self, brief: ShotBrief) -> dict[str, Any]:
        shot = brief.shot
        change, words = self._revised(brief)
        prompt = "; ".join([shot.beat, *dict.fromkeys(words)])[:600]
        return {"prompt": prompt, "setting": shot.setting[:200], "characters": shot.characters,
                "lighting": change["lighting"], "framing": change["framing"], "exposure": change["exposure"],
                "composition": change["composition"], "seed": brief.seed}

    def _motion_args(self, brief: ShotBrief) -> dict[str, Any]:
        change, _ = self._revised(brief)
        return {"prompt": brief.shot.action[:600], "camera": change["camera"], "seed": brief.seed}

    @staticmethod
    def _call(name: str, args: dict[str, Any], brief: ShotBrief) -> AIMessage:
        call_id = f"s{brief.shot.index:02d}a{brief.attempt}-{name}"
        return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": call_id, "type": "tool_call"}])
