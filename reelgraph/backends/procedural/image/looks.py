"""A character's drawing (Look) from its bible entry: kind, species, age, build, features and colours.

Colours: palette[0] top/coat (animals: fur/body), palette[1] trousers/legs (animals: belly, muzzle, paws),
palette[2] hair/accent (robots: eye light), palette[3] trim (belt, collar, hat). Missing palette colours come from
colour words of `look`/`wardrobe` ("yellow oilskin coat" -> top yellow), then from a stable hash of the slug.
Nothing here depends on a seed: the same character is drawn the same way in its master and in every keyframe.
"""

from __future__ import annotations

import colorsys
import hashlib
import re
from dataclasses import dataclass

from reelgraph.backends.procedural.image.paint import COLOURS, RGB, hexrgb
from reelgraph.schema import Character

ANIMALS = ("dog", "cat", "fox", "horse", "bird", "bear", "rabbit", "wolf", "mouse", "owl")
CREATURES = ("dragon", "creature")
SPECIES_WORDS: dict[str, str] = {
    "dog": r"dogs?|pupp(?:y|ies)|hound|terrier|spaniel", "cat": r"cats?|kittens?|kitty", "fox": r"fox(?:es)?",
    "horse": r"horses?|pony|mare|stallion|foal", "bird": r"birds?|crow|raven|gull|seagull|sparrow|parrot|robin",
    "owl": r"owls?", "bear": r"bears?", "rabbit": r"rabbits?|bunny|hare", "wolf": r"wol(?:f|ves)",
    "mouse": r"mouse|mice|rat", "dragon": r"dragons?|wyvern",
}
HUMAN_WORDS = r"\b(?:woman|man|girl|boy|person|lady|gentleman|child|kid|keeper|he|she|his|her|old|young)\b"
ROBOT_WORDS = r"\b(?:robot|android|droid|automaton|cyborg)"
FEATURES: dict[str, str] = {
    "beard": r"beard(?:ed)?", "moustache": r"moustache|mustache", "glasses": r"glasses|spectacles|goggles",
    "hat": r"hat|sou'?wester|beret|fedora|bowler|top hat", "cap": r"cap\b|caps\b", "helmet": r"helmet",
    "hood": r"hood(?:ed|ie)?", "braids": r"braids?|plaits?|pigtails?", "ponytail": r"ponytail",
    "long_hair": r"long hair|long-haired|flowing hair", "bald": r"bald", "apron": r"apron",
    "scarf": r"scarf|scarves", "tie": r"necktie|\btie\b", "cape": r"cape|cloak", "skirt": r"skirt|dress|gown",
    "robe": r"coat|robe|oilskin|trench|overcoat|habit|kimono|raincoat|parka|cassock",
    "eyepatch": r"eye ?patch", "one_eye": r"one eye|one glowing eye|single eye|cyclops|one-eyed",
    "backpack": r"backpack|rucksack", "stick": r"walking stick|cane|staff", "crown": r"crown|tiara",
    "antenna": r"antenna", "wheels": r"wheels?", "collar": r"collar", "spots": r"spots|spotted",
    "stripes": r"stripes|striped|tabby", "horns": r"horns?|horned", "wings": r"wings?|winged",
}
TOP = r"coat|jacket|shirt|sweater|jumper|dress|robe|cloak|hoodie|vest|blouse|oilskin|tunic|uniform|top|" \
      r"cardigan|gown|overalls|apron|body|fur|feathers|scales|raincoat|parka|suit|t-shirt|tee|kimono"
LEGS = r"trousers|pants|jeans|skirt|shorts|boots|leggings|legs|trunks|belly|paws"
ACCENT = r"hair|hat|cap|scarf|beard|helmet|hood|beret|eye|eyes|light|visor|ribbon|mane|tie|crown|braids?"
TRIM = r"belt|collar|trim|buttons|shoes|bow|sash"
SKINS: list[RGB] = [(244, 208, 180), (226, 178, 142), (198, 138, 98), (150, 96, 62), (104, 66, 44)]
BLOND: RGB = (226, 192, 112)
GREY_HAIR: RGB = (200, 200, 204)


@dataclass(frozen=True)
class Look:
    """How a character is drawn: kind (humanoid | robot | animal | creature), species, proportions, colours."""

    kind: str
    species: str
    rel: float  # height relative to an adult person
    girth: float
    head: float  # humanoids: head radius / figure height
    age: str
    features: frozenset[str]
    colours: tuple[RGB, RGB, RGB, RGB]
    hair: RGB
    skin: RGB

    @property
    def old(self) -> bool:
        """Whether the character is an elder (drawn leaning, with a walking stick)."""
        return self.age == "elder"

    @property
    def aspect(self) -> float:
        """Width of the drawing over its height."""
        if self.kind in ("animal", "creature"):
            return ASPECTS.get(self.species, 1.4)
        if self.kind == "robot":
            return 0.44 * self.girth + 0.04
        return 0.26 * self.girth + 0.17 + (0.06 if self.old else 0.0)


ASPECTS = {"dog": 1.45, "cat": 1.5, "fox": 1.6, "wolf": 1.5, "horse": 1.25, "bear": 1.45, "mouse": 1.8,
           "rabbit": 0.9, "bird": 1.0, "owl": 0.75, "dragon": 1.6, "creature": 0.9}
RELS = {"dog": 0.46, "cat": 0.32, "fox": 0.38, "wolf": 0.52, "horse": 1.05, "bear": 0.8, "mouse": 0.16,
        "rabbit": 0.3, "bird": 0.24, "owl": 0.34, "dragon": 1.15, "creature": 0.75}


def _kw(text: str, pattern: str) -> bool:
    return re.search(rf"\b(?:{pattern})", text) is not None


def _derived_palette(slug: str) -> list[RGB]:
    """Four stable, distinct colours from a hash of the slug."""
    d = hashlib.sha256(slug.encode()).digest()
    hue = d[0] / 255
    out = []
    for i, (dh, s, v) in enumerate([(0.0, 0.62, 0.78), (0.5, 0.45, 0.45), (0.12, 0.55, 0.4), (0.33, 0.7, 0.9)]):
        h = (hue + dh + (d[i + 1] / 255 - 0.5) * 0.06) % 1.0
        r, g, b = colorsys.hsv_to_rgb(h, s, v)
        out.append((round(r * 255), round(g * 255), round(b * 255)))
    return out


def word_colours(text: str) -> list[RGB | None]:
    """Colours named in a description, by slot: 'yellow oilskin coat' -> slot 0, 'grey trousers' -> slot 1."""
    slots: list[RGB | None] = [None, None, None, None]
    loose: list[RGB] = []
    words = re.findall(r"[a-z'-]+", text.lower())
    for i, word in enumerate(words):
        base = word.removesuffix("ish")
        colour = COLOURS.get(base) or (BLOND if base in ("blond", "blonde") else None)
        if colour is None:
            continue
        after = " ".join(words[i + 1:i + 4])
        for slot, nouns in ((2, ACCENT), (0, TOP), (1, LEGS), (3, TRIM)):
            m = re.search(rf"\b(?:{nouns})\b", after)
            if m and slots[slot] is None and not re.search(r"\b(?:and|with|,)\b", after[:m.start()]):
                slots[slot] = colour
                break
        else:
            loose.append(colour)
    for colour in loose:  # a colour not attached to a garment: the main colour first ('orange cat')
        free = next((k for k in (0, 1, 3) if slots[k] is None), None)
        if free is not None:
            slots[free] = colour
    return slots


def _species(character: Character, text: str) -> tuple[str, str]:
    if character.kind != "person":
        k = character.kind
        kind = "robot" if k == "robot" else "creature" if k in CREATURES else "animal"
        return kind, k
    if _kw(text, ROBOT_WORDS):
        return "robot", "robot"
    if not re.search(HUMAN_WORDS, text):
        for sp, pattern in SPECIES_WORDS.items():
            if _kw(text, pattern):
                return ("creature" if sp == "dragon" else "animal"), sp
    return "humanoid", "person"


def _age(character: Character, text: str) -> str:
    if character.age != "adult":
        return character.age
    if _kw(text, r"old|elder|elderly|aged|grandm|grandf|grey-haired|gray-haired|white-haired|wrinkl"):
        return "elder"
    if _kw(text, r"child|kid|little girl|little boy|young girl|young boy|boy\b|girl\b|toddler"):
        return "child"
    return "teen" if _kw(text, r"teen|teenage") else "adult"


def _build(character: Character, text: str) -> str:
    if character.build != "average":
        return character.build
    for build, pattern in (("broad", r"round|stout|plump|fat|chubby|burly|broad|stocky|bulky|big"),
                           ("tall", r"tall|giant|towering|lanky"), ("slight", r"thin|slim|skinny|slender|slight"),
                           ("short", r"short\b|small|little|tiny")):
        if _kw(text, pattern):
            return build
    return "average"


def look_of(character: Character) -> Look:
    """The drawing of a character, from its bible entry (never from a seed)."""
    text = " ".join(t.lower() for t in (character.look, character.wardrobe) if t)
    kind, species = _species(character, text)
    named = word_colours(text)
    derived = _derived_palette(character.slug)
    pal = [hexrgb(c) for c in character.palette]
    colours = tuple((pal[i] if i < len(pal) else named[i] or derived[i]) for i in range(4))
    age, build = _age(character, text), _build(character, text)
    feats = {f for f, pattern in FEATURES.items() if _kw(text, pattern)}
    feats |= {f for f, pattern in FEATURES.items() for given in character.features if _kw(given.lower(), pattern)}
    rel = RELS.get(species, 1.0) if kind != "robot" else 1.0
    rel *= {"child": 0.62, "teen": 0.9, "elder": 0.94}.get(age, 1.0) if kind == "humanoid" else 1.0
    rel *= {"tall": 1.12, "short": 0.85}.get(build, 1.0) * (0.8 if kind == "robot" and build == "short" else 1.0)
    girth = {"slight": 0.82, "broad": 1.36, "tall": 0.95, "short": 1.1}.get(build, 1.0)
    if kind == "robot" and _kw(text, r"round|stout|squat"):
        girth = max(girth, 1.3)
    head = {"child": 0.105, "teen": 0.082, "elder": 0.078}.get(age, 0.075) * (0.92 if build == "tall" else 1.0)
    hair = colours[2]
    hair_named = named[2] is not None and re.search(r"hair|blond|redhead|ginger|brunette", text)
    if age == "elder" and not hair_named:
        hair = GREY_HAIR
    digest = hashlib.sha256(character.slug.encode()).digest()
    skin = SKINS[0 if _kw(text, r"pale|fair-skinned|freckl") else 2 if _kw(text, r"olive|tanned") else
                 4 if _kw(text, r"dark skin|dark-skinned|brown skin|deep skin|black skin") else digest[5] % len(SKINS)]
    return Look(kind=kind, species=species, rel=rel, girth=girth, head=head, age=age, features=frozenset(feats),
                colours=colours, hair=hair, skin=skin)  # type: ignore[arg-type]
