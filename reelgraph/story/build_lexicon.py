"""Generate ``reelgraph/story/data/lexicon.json.gz`` from WordNet 3.0 and simplemma (run by hand, never at runtime).

Needs: Debian's ``wordnet-base`` (``apt-get install wordnet-base``: /usr/share/wordnet), ``nltk``, ``simplemma`` and
``names`` (its US census first-name lists, MIT licensed)::

    python -m reelgraph.story.build_lexicon

The extract holds, for single-word English noun lemmas, what their first senses are (proper-name instances skipped;
a word mostly used as an adjective/verb/adverb by WordNet's sense counts gets none; a figurative person sense just
ahead of an animal one gives the animal): a person (with an age where
WordNet's hypernyms say child/teen/elder), an animal (with the renderer's kind), a place (with a PLACES key found via
hypernyms), a group of people, or an artifact; the set of English words WordNet knows (to tell names from words);
WordNet's morphological exceptions; and, for French, German and Spanish, simplemma's inflected forms of the lemmas
that the hand map (``data/multilingual.json``) knows, so the runtime never loads simplemma's large dictionaries for
those languages.
"""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from pathlib import Path

WORDNET = Path("/usr/share/wordnet")
OUT = Path(__file__).parent / "data" / "lexicon.json.gz"
LEXNAMES = str.split(
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
    "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location "
    "noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process "
    "noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change "
    "verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation "
    "verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather "
    "adj.ppl "
)

# WordNet synsets -> renderer keys. Checked nearest-first along the hypernym paths.
ANIMAL_KINDS = {
    "fox.n.01": "fox", "wolf.n.01": "wolf", "dog.n.01": "dog", "canine.n.02": "dog", "cat.n.01": "cat",
    "feline.n.01": "cat", "equine.n.01": "horse", "owl.n.01": "owl", "bird.n.01": "bird", "bear.n.01": "bear",
    "leporid.n.01": "rabbit", "rodent.n.01": "mouse", "dragon.n.02": "dragon", "animal.n.01": "creature",
}
PLACE_KEYS = {
    "kitchen.n.01": "kitchen", "galley.n.01": "kitchen", "restaurant.n.01": "restaurant", "cafe.n.01": "cafe",
    "bakery.n.01": "bakery", "bookshop.n.01": "bookshop", "mercantile_establishment.n.01": "shop",
    "shop.n.01": "shop", "office.n.01": "office", "conference_room.n.01": "office", "classroom.n.01": "classroom",
    "school.n.02": "classroom", "library.n.01": "library", "library.n.02": "library", "gymnasium.n.02": "gym",
    "hospital.n.01": "hospital", "clinic.n.03": "hospital", "ward.n.03": "hospital", "museum.n.01": "museum",
    "gallery.n.04": "museum", "concert_hall.n.01": "concert_hall", "theater.n.01": "theatre",
    "stage.n.03": "theatre", "garage.n.01": "garage", "garage.n.02": "garage", "workshop.n.01": "workshop",
    "bedroom.n.01": "bedroom", "living_room.n.01": "home", "dwelling.n.01": "home", "house.n.01": "home",
    "apartment.n.01": "home", "laboratory.n.01": "laboratory", "station.n.01": "station",
    "railway_station.n.01": "station", "train.n.01": "station", "platform.n.02": "station",
    "warehouse.n.01": "warehouse", "place_of_worship.n.01": "church", "barroom.n.01": "bar", "cave.n.01": "cave",
    "marketplace.n.01": "market", "marketplace.n.02": "market", "street.n.01": "city_street",
    "road.n.01": "city_street", "city.n.01": "city_street", "town.n.01": "city_street",
    "municipality.n.01": "city_street", "harbor.n.01": "harbour", "port.n.01": "harbour",
    "lighthouse.n.01": "coast", "coast.n.02": "coast", "shore.n.01": "coast", "cliff.n.01": "coast",
    "beach.n.01": "beach", "sea.n.01": "sea", "ocean.n.01": "sea", "body_of_water.n.01": "sea",
    "forest.n.01": "forest", "forest.n.02": "forest", "jungle.n.01": "forest", "desert.n.01": "desert",
    "snowfield.n.01": "snow", "mountain.n.01": "mountain", "garden.n.01": "garden", "park.n.02": "park",
    "field.n.01": "field", "meadow.n.01": "field", "farm.n.01": "farm", "river.n.01": "river",
    "stream.n.01": "river", "village.n.02": "village", "village.n.01": "village", "castle.n.02": "castle",
    "castle.n.01": "castle", "palace.n.01": "castle", "roof.n.01": "rooftop", "outer_space.n.01": "space",
    "room.n.01": "home", "ship.n.01": "sea", "boat.n.01": "sea", "spacecraft.n.01": "space",
    "planet.n.01": "space", "store.n.01": "shop", "shop.n.02": "workshop", "boxing_ring.n.01": "gym",
    "stadium.n.01": "field", "tavern.n.01": "bar", "bar.n.02": "bar", "bar.n.03": "bar",
}
PLACE_LEXNAMES = {"noun.artifact", "noun.location", "noun.object", "noun.group"}
AGE = {"child.n.01": "child", "juvenile.n.01": "child", "baby.n.01": "child",
       "adolescent.n.01": "teen", "old_person.n.01": "elder", "grandparent.n.01": "elder"}
GROUP_ROOTS = {"people.n.01", "crowd.n.01", "social_group.n.01", "gathering.n.01", "community.n.02",
               "family.n.01", "team.n.01", "audience.n.01"}


def _reader():
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    root = Path(tempfile.mkdtemp()) / "corpora" / "wordnet"
    root.mkdir(parents=True)
    for f in WORDNET.iterdir():
        if f.is_file():
            shutil.copy(f, root / f.name)
    (root / "lexnames").write_text("".join(f"{i:02d}\t{n}\t{i}\n" for i, n in enumerate(LEXNAMES)))
    import nltk

    nltk.data.path.insert(0, str(root.parent.parent))
    return WordNetCorpusReader(nltk.data.find("corpora/wordnet"), None)


def _closure(s) -> list[str]:
    """Hypernym names, nearest first (instance hypernyms included)."""
    seen: list[str] = []
    frontier = [s]
    while frontier:
        nxt = []
        for x in frontier:
            for h in x.hypernyms() + x.instance_hypernyms():
                if h.name() not in seen:
                    seen.append(h.name())
                    nxt.append(h)
        frontier = nxt
    return seen


def _category(s) -> str | None:
    lex = s.lexname()
    chain = [s.name(), *_closure(s)]
    if lex == "noun.person":
        age = next((AGE[c] for c in chain if c in AGE), "")
        return "p:" + age if age else "p"
    if lex == "noun.animal":
        return "a:" + next((ANIMAL_KINDS[c] for c in chain if c in ANIMAL_KINDS), "creature")
    if lex == "noun.group" and any(c in GROUP_ROOTS for c in chain):
        return "g"
    if lex in PLACE_LEXNAMES:
        key = next((PLACE_KEYS[c] for c in chain if c in PLACE_KEYS), None)
        if key:
            return "l:" + key
        if lex == "noun.artifact":
            return "o"
    return None


def build() -> dict:
    """The lexicon extract (nouns, words, geo, exc, cues, only_nouns, given, forms) from WordNet and simplemma."""
    wn = _reader()
    nouns: dict[str, str] = {}
    words: set[str] = set()
    geo: set[str] = set()
    for pos in "nvasr":
        for lemma in wn.all_lemma_names(pos):
            if (lemma.isalpha() or lemma.replace("-", "").isalpha()) and lemma.islower() and (
                    pos != "n" or any(not s.instance_hypernyms() for s in wn.synsets(lemma, "n"))):
                words.add(lemma)  # a lemma that is only a proper name ("lucas", "dana") is no common word
    for lemma in wn.all_lemma_names("n"):
        if not (lemma.replace("-", "").isalpha()):
            continue
        # proper names (WordNet's instances: "Grey" the statesman) are not what a lower-case word means
        synsets = [s for s in wn.synsets(lemma, "n") if not s.instance_hypernyms()]
        if lemma[0].isupper() or not lemma.islower():
            continue
        # the first sense decides; a second sense may make a place ("woods") when the first is a material
        cat = _category(synsets[0]) if synsets else None
        if cat is None and len(synsets) > 1 and synsets[0].lexname() in {"noun.substance", "noun.act"}:
            c2 = _category(synsets[1])
            cat = c2 if c2 and c2.startswith("l:") else None
        # "whale", "vixen": a figurative person sense first, the animal close behind: the animal is meant
        if cat and cat.startswith("p") and any(s.lexname() == "noun.animal" for s in synsets[1:3]):
            cat = _category(next(s for s in synsets[1:3] if s.lexname() == "noun.animal"))
        # a word mostly used as an adjective, verb or adverb ("grey", "have", "same", "dry") is no person/animal
        if cat and cat[0] in "pag":
            n_count = sum(x.count() for s in synsets for x in s.lemmas() if x.name().lower() == lemma)
            other = sum(x.count() for pos in "vasr" for s in wn.synsets(lemma, pos) for x in s.lemmas()
                        if x.name().lower() == lemma)
            if other > 3 * (n_count + 1):
                cat = None
        if cat:
            nouns[lemma] = cat
    # proper place names (cities, countries, regions) so they are not taken for people
    for s in wn.all_synsets("n"):
        if s.lexname() == "noun.location" and s.instance_hypernyms():
            for lem in s.lemma_names():
                if lem[0].isupper() and lem.replace("-", "").isalpha():
                    geo.add(lem)
    exc = {}
    for name in ("noun.exc", "verb.exc"):
        for line in (WORDNET / name).read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].isalpha():
                exc[parts[0]] = parts[1]
    # words that are only nouns (no verb/adjective/adverb sense): "skeleton", "door"; a person or animal noun just
    # before one of these is its modifier ("dinosaur skeleton", "fish shop"), not a character
    only_nouns = {w for w in wn.all_lemma_names("n") if w.isalpha() and w.islower() and w in words
                  and not any(wn.synsets(w, pos) for pos in "vasr")}
    return {"nouns": nouns, "words": sorted(words - set(nouns)), "geo": sorted(geo), "exc": exc,
            "cues": _cues(wn, nouns), "buildings": _buildings(wn, nouns),
            "only_nouns": sorted(only_nouns), "given": _given_names(), "given_gender": _given_genders(),
            "forms": _forms()}


PARTS = {"barrier.n.01", "framework.n.03", "supporting_structure.n.01", "partition.n.01", "structural_member.n.01",
         "building_material.n.01", "opening.n.10", "fastener.n.02"}  # parts of a building, not places


def _buildings(wn, nouns: dict[str, str]) -> list[str]:
    """Nouns whose first sense is a building or a room the place keys do not cover ("observatory", "lighthouse
    keeper's cottage" aside): where a story happens when it says "at the old observatory"."""
    out = []
    for lemma in wn.all_lemma_names("n"):
        if not lemma.isalpha() or not lemma.islower() or nouns.get(lemma, "").startswith("l:"):
            continue
        synsets = [s for s in wn.synsets(lemma, "n") if not s.instance_hypernyms()]
        up = set(_closure(synsets[0])) if synsets and synsets[0].lexname() == "noun.artifact" else set()
        if up & {"building.n.01", "room.n.01", "structure.n.01", "establishment.n.04"} and not up & PARTS:
            out.append(lemma)
    return sorted(out)


def _cues(wn, nouns: dict[str, str]) -> dict[str, str]:
    """Noun -> the place its WordNet definition names: "bartender" (...serves drinks at a bar) -> bar,
    "astronaut" (...travel in a spacecraft) -> space, "fridge" (a kitchen appliance...) -> kitchen.

    Lets the reader see where a story happens when it never names the place ("Chef Rocco", "the walk-in fridge").
    Only a noun's first sense is read, and only nouns that are not places themselves.
    """
    out: dict[str, str] = {}
    for lemma in wn.all_lemma_names("n"):
        if not lemma.isalpha() or not lemma.islower() or nouns.get(lemma, "").startswith("l:"):
            continue
        synsets = [s for s in wn.synsets(lemma, "n") if not s.instance_hypernyms()]
        if not synsets:
            continue
        for word in synsets[0].definition().replace(";", " ").replace(",", " ").split():
            base = wn.morphy(word.lower(), "n") or word.lower()
            if nouns.get(base, "").startswith("l:") and base not in {"room", "house", "home", "place", "building"}:
                out[lemma] = nouns[base][2:]
                break
    return out


def _given_names() -> list[str]:
    """First names of the US census lists (the ``names`` package's data files), lower case."""
    import names

    root = Path(names.__file__).parent
    out: set[str] = set()
    for name in ("dist.female.first", "dist.male.first"):
        for line in (root / name).read_text().splitlines():
            if line.split():
                out.add(line.split()[0].lower())
    return sorted(out)


def _given_genders() -> dict[str, str]:
    """First names the census lists give to one sex far more than the other (9 to 1 by frequency): name -> f or m."""
    import names

    root = Path(names.__file__).parent
    share: dict[str, dict[str, float]] = {}
    for sex, name in (("f", "dist.female.first"), ("m", "dist.male.first")):
        for line in (root / name).read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2:
                share.setdefault(parts[0].lower(), {})[sex] = float(parts[1]) or 0.0005
    out = {}
    for first, by_sex in share.items():
        f, m = by_sex.get("f", 0.0), by_sex.get("m", 0.0)
        if f >= 9 * m or m >= 9 * f:
            out[first] = "f" if f > m else "m"
    return dict(sorted(out.items()))


def _forms() -> dict[str, dict[str, str]]:
    """simplemma's inflected forms -> lemma, kept only for the lemmas the multilingual hand map knows."""
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    hand = json.loads((Path(__file__).parent / "data" / "multilingual.json").read_text())
    factory = DefaultDictionaryFactory()
    out: dict[str, dict[str, str]] = {}
    for lang in ("fr", "de", "es"):
        wanted = {w.lower() for table in hand["nouns"].get(lang, {}).values() for w in table}
        wanted |= {w.lower() for w in hand.get("mood", {}).get(lang, {})}
        d = factory.get_dictionary(lang)
        out[lang] = {form: lemma for form, lemma in d.items() if lemma.lower() in wanted and form != lemma}
    return out


def main() -> None:
    """Build the extract, write it gzipped to OUT and print its size and counts."""
    data = build()
    OUT.write_bytes(gzip.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), 9))
    print(OUT, OUT.stat().st_size, "bytes;", len(data["nouns"]), "nouns,", len(data["words"]), "words,",
          len(data["geo"]), "places")


if __name__ == "__main__":
    main()
