"""Write a Script from a read Story: cast bible, shots laid on the story's own events, voice-over, music, title.

Voice-over method: in the prompt's language the lines are the story's own clauses, shortened by clauses to fit the
shot (about 2.6 words a second). For other requested languages no offline translation model is available, so lines
come from sentence frames per language (``data/frames.json``) filled with the story's names and places; a shot whose
line would repeat in any language stays silent. Words the story quotes and gives to a cast member ('"Run!" says
Mara') are that character's line in the prompt's language (``VoiceLine.speaker`` is its slug; the narrator speaks
the rest). Each character gets a voice of its own in the bible (``Character.voice``), chosen from its kind, age and
gender.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import NotRequired, TypedDict, cast

from reelgraph.backends.audio.offline_speech import character_voice
from reelgraph.schema import Character, MusicBrief, ReelRequest, Script, Shot, VoiceLine
from reelgraph.schema.base import MAX_TEXT
from reelgraph.schema.places import FALLBACK_PLACE, PLACES
from reelgraph.schema.script import Age, Camera, CharacterKind, Framing, Lighting, Mood, Transition
from reelgraph.story import lexicon
from reelgraph.story.lines import meaningful, terse
from reelgraph.story.reader import STOP, Event, Member, Story

ANIMAL_COLOURS = {
    "fox": ["#d2691e", "#f3e9cf", "#222222"], "dog": ["#8b5a2b", "#f0e0c0", "#3b2a1a"],
    "cat": ["#e08a2e", "#f5f0dc", "#4a3a2a"], "horse": ["#6b3e1f", "#2b1a0e", "#222222"],
    "bird": ["#3a8ee6", "#f1c40f", "#222222"], "bear": ["#5b3a1e", "#8b6a4a", "#222222"],
    "rabbit": ["#c8b8a0", "#f5f0dc", "#e87aa4"], "wolf": ["#7d7f82", "#d0d0d0", "#333333"],
    "mouse": ["#9a8f88", "#e8c8c8", "#333333"], "owl": ["#7a5a3a", "#e6cf8b", "#f1c40f"],
    "dragon": ["#2e8b57", "#c0392b", "#f1c40f"], "robot": ["#9aa7b0", "#5a6a75", "#3fc1ff"],
    "creature": ["#6a5acd", "#2d1b3d", "#e8d0f0"],
}
PERSON_COLOURS = ["#2e6fd0", "#c0392b", "#27ae60", "#e67e22", "#8e44ad", "#138d90", "#d4a017", "#e87aa4",
                  "#1f2f5a", "#7a4a25"]
LEGS = ["#3b3b3b", "#1f2f5a", "#5a4632", "#2c3e50", "#4a4a4a", "#6b5b45"]
HAIR = ["#3b2a1a", "#e6cf8b", "#222222", "#8b4513", "#b87333", "#5a3a22"]  # grey is for elders
MOODS: dict[Mood, tuple[int, str, list[str]]] = {
    "hopeful": (100, "D", ["piano", "strings", "acoustic guitar"]),
    "tense": (128, "Dm", ["low strings", "synth pulse", "percussion"]),
    "melancholic": (68, "Am", ["piano", "cello", "pad"]),
    "playful": (116, "F", ["pizzicato strings", "marimba", "clarinet"]),
    "epic": (140, "Cm", ["brass", "taiko drums", "choir"]),
    "calm": (72, "G", ["felt piano", "pad", "soft guitar"]),
}
AND = {"en": " and ", "fr": " et ", "de": " und ", "es": " y ", "it": " e ", "pt": " e ", "nl": " en ", "sv": " och ",
       "pl": " i ", "tr": " ve ", "ru": " и ", "zh": "和", "ja": "と", "ko": "와 ", "ar": " و", "hi": " और "}
AGES: dict[str, Age] = {"child": "child", "teen": "teen", "adult": "adult", "elder": "elder"}
FADE_END = {"end", "finally", "last", "home", "sleep", "goodbye", "together", "enfin", "schließlich", "fin"}
FUNCTION_END = STOP["en"] | STOP["fr"] | STOP["de"] | STOP["es"] | {
    "près", "loin", "vers", "chez", "devant", "derrière", "contre", "entre", "parmi", "depuis", "pendant",  # a line
    "cerca", "lejos", "hacia", "junto", "neben", "hinter", "vor", "zwischen", "gegenüber"}  # never ends on these


DARK = re.compile(r"\b(darkness|blackout|pitch[- ]black|power cut|power outage|in the dark|lights go out)\b", re.I)


CONTRACTIONS: dict[str, list[tuple[re.Pattern[str], str]]] = {
    "fr": [(re.compile(r"\b([àÀ]) le\b"), "au"), (re.compile(r"\b([àÀ]) les\b"), "aux"),
           (re.compile(r"\b([dD])e le\b"), "du"), (re.compile(r"\b([dD])e les\b"), "des")],
    "de": [(re.compile(r"\b([iI])n dem\b"), "im"), (re.compile(r"\b([iI])n das\b"), "ins"),
           (re.compile(r"\b([zZ])u dem\b"), "zum"), (re.compile(r"\b([zZ])u der\b"), "zur")],
    "es": [(re.compile(r"\b([aA]) el\b"), "al"), (re.compile(r"\b([dD])e el\b"), "del")],
}
"""Article contractions a sentence frame can produce ("à le village" is "au village", "in dem Hof" is "im Hof")."""


def contract(lang: str, text: str) -> str:
    """`text` with its language's obligatory contractions of a preposition and an article (the case kept)."""
    for pattern, short in CONTRACTIONS.get(lang, []):
        text = pattern.sub(_keep_case(short), text)
    return text


def _keep_case(short: str) -> Callable[[re.Match[str]], str]:
    """A replacement that writes `short` with the first letter's case of what it replaces."""
    def replace(m: re.Match[str]) -> str:
        return (short[0].upper() if m.group(1).isupper() else short[0]) + short[1:]
    return replace


class PlanItem(TypedDict):
    """One planned shot: what kind of shot, on which event, and what it shows."""

    kind: str  # "event", "establish", "insert", "reaction", "closing" or "angle"
    ev: Event | None
    before: NotRequired[bool]  # an establishing shot placed before its event
    obj: NotRequired[str]  # an insert's object
    angle: NotRequired[str]  # an angle shot's angle


def _in_the_dark(text: str) -> bool:
    """Whether the story says this happens in the dark (a dark room is dim; 'darkness' is darkness)."""
    return DARK.search(text) is not None


def _h(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def _slug(name: str, used: set[str]) -> str:
    import unicodedata

    base = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "-", base).strip("-")[:40] or "character"
    slug, n = base, 2
    while slug in used:
        slug = f"{base}-{n}"
        n += 1
    used.add(slug)
    return slug


def _cut(text: str, limit: int, lang: str = "en") -> tuple[str, str]:
    """Fit text to about `limit` words: whole clauses first, else whole words ending on a meaningful one, else the
    text said tersely (see lines.terse); returns (line, rest), line "" when nothing meaningful fits."""
    words = text.split()
    if len(words) <= limit:
        text = text[:1].upper() + text[1:]
        return text + ("" if text.endswith((".", "!", "?", "…")) else "."), ""
    clauses = re.split(r"(?<=[,;:])\s+", text)
    out: list[str] = []
    for c in clauses:
        if len(" ".join(out + [c]).split()) <= limit:
            out.append(c)
        else:
            break
    used = 0
    if out and len(" ".join(out).split()) >= max(3, limit // 2):
        line = " ".join(out)
        used = len(line.split())
    else:
        keep = words[:limit]
        # cutting inside a phrase ("a broken music| box"): end before the last function word instead
        if words[limit].lower().strip(",;:.") not in FUNCTION_END:
            for j in range(limit - 1, max(4, limit // 2) - 1, -1):
                if (words[j].lower().strip(",;:.") in FUNCTION_END
                        and words[j - 1].lower().strip(",;:.") not in FUNCTION_END):
                    keep = words[:j]
                    break
        while len(keep) > 3 and keep[-1].lower().strip(",;:") in FUNCTION_END:
            keep.pop()
        line, used = " ".join(keep), len(keep)
        if len(keep) <= 3 or sum(meaningful(w, lang) for w in keep) < 2 or not meaningful(keep[-1], lang):
            line, used = terse(text, lang, lambda t: len(t.split()) <= limit)
    rest = " ".join(words[used:]) if line else text
    if not line:
        return "", rest
    line = line.rstrip(",;:—– ")
    line = line[:1].upper() + line[1:]
    return line + ("" if line.endswith((".", "!", "?", "…")) else "."), rest


INTRO_WORDS = {
    "en": "on|in|at|one|early|late|after|before|during|that|this|last|every|once|long ago|later",
    "fr": "un|une|au|à|dans|en|le soir|le matin|la nuit|chaque|pendant|après|avant|ce|cette|il était une fois",
    "es": "en|un|una|al|a la|cada|durante|después|antes|esa|ese|esta|este|había una vez",
    "de": "am|an|im|in|eines|einer|jeden|jede|nach|während|vor|es war einmal",
}
# words after which an -s or -ed word is a noun or an adjective, not a verb ("in the woods", "his cluttered")
LEADS = {"the", "a", "an", "his", "her", "their", "its", "our", "my", "of", "in", "on", "at", "les", "des", "ses",
         "leurs", "mes", "los", "las", "sus", "unos", "unas", "de", "en", "dans", "die", "der", "den", "im"}
INTRO = {lang: re.compile(rf"^(?:{words})\b[^,;:.!?\"“«]{{4,70}}[,;:]\s+", re.I) for lang, words in INTRO_WORDS.items()}


def intro_clause(text: str, lang: str = "en") -> str:
    """The scene-setting clause a sentence opens with ("On a snowy evening in Prague, …", "En un pequeño pueblo de
    la costa, …"), or ""."""
    pattern = INTRO.get(lang)
    m = pattern.match(text) if pattern else None
    if not m or len(m.group(0).split()) < 3 or len(text) - m.end() <= 20:
        return ""
    words = m.group(0).lower().rstrip(",;: ").split()
    for prev, word in zip(words, words[1:], strict=False):
        if word.endswith(("s", "ed")) and prev not in LEADS:
            return ""  # "At sunrise the tram rattles up the hill,": a clause with its own verb, the action itself
    return m.group(0)


def _pick(story: Story, n: int) -> list[Event]:
    """Choose n events covering the arc (first, the most eventful middle ones, the end)."""
    evs = story.events
    if len(evs) <= n:
        return evs
    if n == 1:
        return [evs[0]]
    score = [(e.emotion + e.meet + e.travel + e.new_place + e.passing + len(e.members) * 0.2 + 1.5 * bool(e.said))
             for e in evs]  # a line a character says is the story too
    chosen = {0, len(evs) - 1}
    # spread: one per segment, best scoring inside it
    for s in range(1, n - 1):
        lo = round(s * (len(evs) - 1) / (n - 1) - (len(evs) - 1) / (2 * (n - 1)))
        hi = round(s * (len(evs) - 1) / (n - 1) + (len(evs) - 1) / (2 * (n - 1)))
        cands = [i for i in range(max(1, lo), min(len(evs) - 1, hi + 1)) if i not in chosen]
        if cands:
            chosen.add(max(cands, key=lambda i: (score[i], -i)))
    rest = [i for i in range(len(evs)) if i not in chosen]
    while len(chosen) < n and rest:
        chosen.add(rest.pop(len(rest) // 2))
    return [evs[i] for i in sorted(chosen)][:n]


class Writer:
    """Turns a Story into a Script for one request."""

    def __init__(self, story: Story, request: ReelRequest) -> None:
        self.story = story
        self.req = request
        self.lang = story.lang
        self.voices_taken: list[str] = []
        self.slugs: dict[int, str] = {}

    # -- cast ---------------------------------------------------------------------------------------------
    def characters(self) -> tuple[list[Character], dict[int, str]]:
        """Up to six cast members, most prominent first, as Characters, and their slugs by cast index."""
        cast = self.story.cast
        order = sorted(range(len(cast)), key=lambda i: (-(cast[i].mentions + cast[i].subject + cast[i].named * 0.5),
                                                         cast[i].first, i))
        keep = [i for i in order if cast[i].mentions > 0][:6]
        keep.sort(key=lambda i: order.index(i))
        used_slugs: set[str] = set()
        used_main: set[str] = set()
        chars: list[Character] = []
        slugs: dict[int, str] = {}
        names_seen: dict[str, int] = {}
        for i in keep:
            m = cast[i]
            name = m.name if m.named else (m.role or m.name).capitalize()
            names_seen[name] = names_seen.get(name, 0) + 1
            if names_seen[name] > 1 or sum(1 for j in keep if not cast[j].named and
                                            (cast[j].role or cast[j].name).capitalize() == name) > 1:
                name = f"{name} {names_seen[name]}"
            chars.append(self._character(m, name[:40], used_slugs, used_main))
            slugs[i] = chars[-1].slug
            self.voices_taken.append(chars[-1].voice)
        if not chars:
            role = "traveller"
            chars.append(Character(name="The traveller", slug="traveller", role=role,
                                   look="a lone traveller, as the story leaves them unnamed", kind="person",
                                   voice=character_voice("person", "adult"),
                                   palette=["#2e6fd0", "#3b3b3b", "#3b2a1a"]))
        return chars, slugs

    def _character(self, m: Member, name: str, used: set[str], used_main: set[str]) -> Character:
        """One Character from a cast member: slug, look, palette and a voice no other character has."""
        seed = self.req.seed
        if m.kind != "person":
            base = list(ANIMAL_COLOURS.get(m.kind, ANIMAL_COLOURS["creature"]))
            if base[0] in used_main:  # a second fox: a shade apart
                r, g, b = (int(base[0][k:k + 2], 16) for k in (1, 3, 5))
                f = 0.7 if len(used_main) % 2 else 1.25
                base[0] = "#{:02x}{:02x}{:02x}".format(*tuple(max(0, min(255, int(c * f))) for c in (r, g, b)))
        else:
            h = _h(seed, name, m.role)
            free = [c for c in PERSON_COLOURS if c not in used_main] or PERSON_COLOURS
            base = [free[h % len(free)], LEGS[(h >> 8) % len(LEGS)], HAIR[(h >> 16) % len(HAIR)]]
            if m.age == "elder":
                base[2] = "#d0d0d0"
        for slot, colour in m.colours.items():
            base[slot] = colour
        if base[0] in used_main and 0 not in m.colours:
            base[0] = next((c for c in PERSON_COLOURS if c not in used_main), base[0])
        used_main.add(base[0])
        # a readable description from the story's own words: "old woman, runs a tiny repair shop", "grey cat"
        kind_word = m.kind if m.kind != "person" else ""
        gendered = {"f": {"child": "girl", "teen": "teenage girl"}, "m": {"child": "boy", "teen": "teenage boy"}}
        person_word = gendered.get(m.gender, {}).get(m.age) or {"f": "woman", "m": "man"}.get(m.gender, "")
        head = m.role or kind_word or person_word
        adjs = [w.lower() if w[:1].isupper() and w.lower() == w.lower().capitalize().lower() else w
                for w in m.look[:4]]
        if m.build != "average" and m.build not in adjs:
            adjs.insert(0, m.build)
        look_bits = [" ".join(dict.fromkeys([*adjs, head]))]
        if kind_word and kind_word not in look_bits[0]:
            look_bits.append(kind_word)
        if m.features:
            look_bits.append(", ".join(m.features))
        if m.doing:
            look_bits.append(m.doing)
        look = ", ".join(dict.fromkeys(b.strip() for b in look_bits if b.strip())) or (m.role or name)
        return Character(name=name, slug=_slug(name, used), look=look[:600], wardrobe="; ".join(m.wardrobe)[:600],
                         kind=cast(CharacterKind, m.kind),  # the lexicon's animal codes; Character validates it
                         age=AGES.get(m.age, "adult"),
                         build=m.build, role=(m.role or ("person" if m.kind == "person" else m.kind))[:60],
                         features=[f[:30] for f in m.features[:8]], palette=base[:4],
                         voice=character_voice(m.kind, m.age, m.gender, self.voices_taken))

    # -- shots --------------------------------------------------------------------------------------------
    def plan(self, slugs: dict[int, str], fallback: str) -> list[PlanItem]:
        """The shot items: the picked events, then extra establishing, insert, reaction, closing or angle shots."""
        n = self.req.shots
        evs = _pick(self.story, n)
        items: list[PlanItem] = [{"kind": "event", "ev": e} for e in evs]
        if not items:
            items = [{"kind": "event", "ev": None}]
        extra = n - len(items)
        if extra > 0:
            # candidates: establishing wides on new places, inserts of objects, reaction close-ups, rest
            cands: list[tuple[float, int, PlanItem]] = []
            for k, it in enumerate(items):
                e = it["ev"]
                if e is None:
                    break
                if e.new_place or (k == 0 and e.place):
                    cands.append((0, k, {"kind": "establish", "ev": e, "before": True}))
                for obj in e.objects[:1]:
                    cands.append((1, k, {"kind": "insert", "ev": e, "obj": obj}))
                if e.emotion or e.meet:
                    cands.append((2, k, {"kind": "reaction", "ev": e}))
            for k, it in enumerate(items):
                e = it["ev"]
                if e is not None and not (e.emotion or e.meet) and e.members:
                    cands.append((3, k, {"kind": "reaction", "ev": e}))
            if items[0]["ev"] is not None and not any(c[2]["kind"] == "establish" for c in cands):
                cands.append((0.5, 0, {"kind": "establish", "ev": items[0]["ev"], "before": True}))
            cands.append((4, len(items) - 1, {"kind": "closing", "ev": items[-1]["ev"]}))
            cands.sort(key=lambda c: (c[0], c[1]))
            chosen = cands[:extra]
            # still short: detail shots of each event with varied angles
            angles = ["from above", "from across the room", "in silhouette", "from behind", "at eye level",
                      "from low down", "through a doorway", "from far off", "from the side", "up close",
                      "from a distance", "against the sky"]
            a = 0
            while len(chosen) < extra:
                k = a % len(items)
                chosen.append((5, k, {"kind": "angle", "ev": items[k]["ev"], "angle": angles[(a // len(items))
                                                                                            % len(angles)]}))
                a += 1
            out: list[PlanItem] = []
            for k, it in enumerate(items):
                out.extend(c[2] for c in chosen if c[1] == k and c[2].get("before"))
                out.append(it)
                out.extend(c[2] for c in chosen if c[1] == k and not c[2].get("before"))
            items = out
        return items[:n]

    def shots(self, chars: list[Character], slugs: dict[int, str]) -> list[Shot]:
        """The Script's shots: beat, action, framing, camera, transition and voice lines for each planned item."""
        self.slugs = slugs
        items = self.plan(slugs, FALLBACK_PLACE)
        secs = self.req.shot_seconds
        limit = max(2, int(2.6 * secs))
        shots: list[Shot] = []
        used_lines: dict[str, set[str]] = {lang: set() for lang in self.req.languages}
        used_beats: set[str] = set()
        prev_place = None
        prev_members: list[str] = []
        prev_event: Event | None = None
        rest_after: dict[int, str] = {}
        self._intro_told: set[int] = set()  # events whose opening clause an establishing shot already said
        frame_i = 0
        names = {c.slug: c.name for c in chars}
        for i, it in enumerate(items, start=1):
            e: Event | None = it["ev"]
            kind = it["kind"]
            members = [slugs[m] for m in (e.members if e else []) if m in slugs][:6]
            if not members and not slugs and chars:
                members = [chars[0].slug]
            place = e.place if e and e.place in PLACES else FALLBACK_PLACE
            fallback = not (e and e.place in PLACES)
            own_words = fallback and e is not None and bool(e.place_words)  # "the old observatory": drawn as labelled
            setting = (e.place_words if e and e.place_words else PLACES[place][0]) + (
                " (fallback: the story names no place)" if fallback and not own_words else "")
            who = " and ".join(names[s] for s in members[:3]) or ""
            framing: Framing
            camera: Camera
            framing, camera = "medium", "static"
            if kind == "event" and e is not None:
                beat = e.text
                action = e.text
                if e.new_place and not members:
                    framing, camera = "wide", "push_in"
                elif e.meet and len(members) >= 2:
                    framing = "two_shot"
                elif e.emotion:
                    framing, camera = "close", "push_in"
                elif e.look:
                    framing = "over_shoulder"
                elif e.new_place:
                    framing, camera = "wide", "pan_right"
                if e.travel and framing != "close":
                    camera = "pan_left" if _h(self.req.seed, i) % 2 else "pan_right"
                elif e.rise and camera == "static":
                    camera = "tilt_up"
                elif e.fall and camera == "static":
                    camera = "tilt_down"
            elif kind == "establish" and e is not None:
                label = e.place_words or PLACES[place][0]
                beat = f"Establishing: {label}."
                intro = intro_clause(e.text, self.lang).rstrip(",;: ")
                # the caption: the story's own opening words, else the place (in the story's language)
                action = (intro[:1].upper() + intro[1:] if intro else f"Wide on {label}" if self.lang == "en"
                          else label[:1].upper() + label[1:])
                framing, camera, members = "wide", "pull_out" if i > 1 else "push_in", []
            elif kind == "insert" and e is not None:
                beat = f"Insert: the {it['obj']}."
                action = f"Close on the {it['obj']}"
                framing, camera, members = "close", "push_in", []
            elif kind == "reaction" and e is not None:
                face = names[members[-1]] if members else "the scene"
                beat = f"Reaction: {face}, after {e.text[:80].rstrip(' ,')}."
                action = f"Close on {face}: {e.text}"
                if len(action) > 90:
                    action = action[:88].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
                framing, camera = "close", "push_in"
                members = members[-1:]
            elif kind == "closing" and e is not None:
                beat = f"Closing: {who or 'the place'} at {e.place_words or PLACES[place][0]}."
                action = f"Pull back from {who or 'the place'}"
                framing, camera = "wide", "pull_out"
            elif kind == "angle" and e is None:
                beat = f"The open fields, seen {it['angle']}."
                action = f"{who or 'The traveller'}, {it['angle']}"
                framing = "wide"
            elif kind == "angle" and e is not None:
                beat = f"{e.text[:120]} — seen {it['angle']}."
                action = f"{who or 'The scene'}, {it['angle']}"
            else:
                beat = "The story begins."
                action = f"{who or 'The traveller'} in the open fields"
                framing = "wide"
            key = beat.lower()
            if key in used_beats:
                beat = f"{beat} (again, {i})"
            used_beats.add(beat.lower())
            action = action if len(action) <= 90 else _cut(action, 14)[0]
            # transition
            transition: Transition = "cut"
            if i > 1 and e is not None and kind == "event":
                if e.passing:
                    transition = "fade"
                elif place == prev_place and members == prev_members and e.goes_on:
                    transition = "continuous"
            elif i > 1 and e is not None and e is prev_event and kind in ("angle", "closing", "reaction") \
                    and place == prev_place and members and set(members) <= set(prev_members):
                transition = "continuous"  # the same action goes on in the same place: the camera keeps moving
            if i == len(items) and len(items) > 2 and e is not None and (
                    e.passing or set(e.lemmas) & FADE_END or kind == "closing"):
                transition = "fade"  # the film closes
            interior = PLACES[place][1]
            tod = e.time_of_day if e else None
            weather = e.weather if e else None
            lighting: Lighting = ("storm" if weather == "storm" else tod if tod in {"night", "dusk", "golden"}
                        else "interior" if interior else "day")
            if tod == "night" and interior:
                lighting = "night"
            if e is not None and kind != "establish" and _in_the_dark(e.text):
                lighting = "darkness"
            if own_words:
                place, interior = "", True  # the renderer draws a set labelled with the story's own words
            lines = self._lines(i, kind, e, it, members, names, place, limit, used_lines, rest_after, frame_i)
            if lines:
                frame_i += 1
            shots.append(Shot(index=i, beat=beat[:600], setting=setting[:600], action=action[:600],
                              characters=members, camera=camera, framing=framing, lighting=lighting,
                              duration=secs, transition=transition, place=place, interior=interior,
                              time_of_day=tod, weather=weather, season=e.season if e else None,
                              crowd=bool(e and e.crowd), lines=lines))
            prev_place, prev_members, prev_event = place, members, e
        return shots

    def _lines(self, i: int, kind: str, e: Event | None, it: PlanItem, members: list[str], names: dict[str, str],
               place: str, limit: int, used: dict[str, set[str]], rest_after: dict[int, str],
               frame_i: int) -> list[VoiceLine]:
        story_line = None
        speaker = "narrator"
        slugs = self.slugs
        said = [(slugs[k], words) for k, words in (e.said if e is not None and kind == "event" else [])
                if k in slugs and slugs[k] in members]
        if said:  # the character says the story's quoted words, in the story's language
            speaker, story_line = said[0][0], " ".join(w for s, w in said if s == said[0][0])[:MAX_TEXT]
        elif e is not None:
            if kind == "event":
                intro = intro_clause(e.text, self.lang)
                told = e.text
                if intro and (id(e) in self._intro_told or len(e.text.split()) > limit):
                    told = e.text[len(intro):]  # said by the establishing shot, or too long: the action (the picture
                    # shows the time and the place)
                story_line, rest = _cut(told, limit, self.lang)
                if not story_line.rstrip(".").strip():
                    story_line = None
                if rest and len(rest.split()) >= 3:
                    rest_after[id(e)] = rest
            elif kind in {"reaction", "insert", "closing", "angle"} and id(e) in rest_after:
                story_line, rest = _cut(rest_after.pop(id(e)), limit, self.lang)
                if rest and len(rest.split()) >= 3:
                    rest_after[id(e)] = rest
            elif kind == "establish" and (opening := intro_clause(e.text, self.lang)):
                story_line = _cut(opening.rstrip(",;: "), limit, self.lang)[0]
                self._intro_told.add(id(e))
            elif kind == "establish" and e.place_words and len(e.place_words.split()) >= 2:
                story_line = e.place_words[0].upper() + e.place_words[1:] + "."
        if story_line is None or not story_line.strip(" ."):
            return []  # nothing meaningful fits: the shot is silent
        out: list[VoiceLine] = []
        text: str | None
        for lang in self.req.languages:
            if lang == self.lang:
                text = story_line
                if text.lower() in used[lang]:
                    return []
                out.append(VoiceLine(language=lang, text=text, speaker=speaker))
                continue
            else:
                who = AND.get(lang, " & ").join(names[s] for s in members[:3])
                text = self._frame(lang, kind, who, place, used[lang], frame_i)
                if text is None:
                    return []
            if text.lower() in used[lang]:
                return []
            out.append(VoiceLine(language=lang, text=text))
        for v in out:
            used[v.language].add(v.text.lower())
        return out

    def _frame(self, lang: str, kind: str, who: str, place: str, used: set[str], frame_i: int) -> str | None:
        fr = lexicon.frames().get(lang, {})
        words = lexicon.hand()["place_words"].get(lang, {})
        pl = words.get(place) or (PLACES[place][0] if lang == "en" and place in PLACES else "")
        options: list[str] = []
        if who and pl and "who_place" in fr:
            options += fr["who_place"]
        if who:
            options += fr.get("who", [])
        if pl and "place" in fr:
            options += fr["place"]
        for k in range(len(options)):
            tmpl = options[(frame_i + k) % len(options)]
            text = contract(lang, tmpl.format(who=who, place=pl))
            text = text[0].upper() + text[1:] if text else text
            if text.lower() not in used and text.strip(" .。।"):
                return text
        return None

    # -- the rest -----------------------------------------------------------------------------------------
    def music(self) -> MusicBrief:
        """The score brief for the mood whose words the story uses most (hopeful if none, or tied with the best)."""
        moods = lexicon.hand()["mood"].get(self.lang, {})
        lems = self.story.lemmas
        counts = {m: sum(1 for w in lems if w in {x.lower() for x in words}) for m, words in moods.items()}
        mood = max(counts, key=lambda m: (counts[m], m == "hopeful")) if counts and max(counts.values()) else "hopeful"
        tempo, key, inst = MOODS[mood]
        return MusicBrief(mood=mood, tempo_bpm=tempo, key=key, instrumentation=inst)

    def title(self, chars: list[Character]) -> str:
        """The title: the lead (and the second character), then the first place the story names; at most 120 chars."""
        main = chars[0].name
        place_words = next((e.place_words for e in self.story.events if e.place_words), "")
        named = [c.name for c in chars if c.name != main][:1]
        t = f"{main} and {named[0]}" if named and len(chars) >= 2 else main
        if place_words:
            pw = re.sub(r"^(?:a|an|the|his|her|their|its|my|our|your|une?|la|le|les|el|los|las|der|die|das|ein|eine|"
                        r"son|sa|ses|leur|su|sus|sein|seine|ihr|ihre)\s+", "", place_words, flags=re.IGNORECASE)
            t += f": {pw[:1].upper()}{pw[1:]}"
        return t[:120]

    def logline(self) -> str:
        """The story as the user told it (its opening, up to the length of a logline), as plain text."""
        s = re.sub(r"\s+", " ", self.req.prompt).strip()
        if len(s) > 500:
            s = s[:500].rsplit(" ", 1)[0] + "…"
        if len(s) > 590:
            s = s[:590].rsplit(" ", 1)[0] + "…"
        return s or "A short film."


def write(story: Story, request: ReelRequest) -> Script:
    """Write a validated Script for the request from a read Story."""
    w = Writer(story, request)
    chars, slugs = w.characters()
    shots = w.shots(chars, slugs)
    return Script(title=w.title(chars), logline=w.logline(), characters=chars, shots=shots, music=w.music(),
                  languages=list(request.languages))
