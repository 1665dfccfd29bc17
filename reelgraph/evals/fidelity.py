"""Fidelity to the story: is the film's cast, place and telling the prompt's own? Read from a finished run folder.

Per case (a run folder's `script.json`, `shots/shotNN/kept.json`, `run.json`, and the case's `Fidelity` block):

- cast recall: share of the annotated cast (names, or roles of unnamed characters) that some script character
  matches. Names match case- and accent-insensitively with titles dropped ("Mr. Hale" = "Hale" = "hale"), one name's
  words within the other's; a role matches when one of its words (or its plural) is a word of the character's name,
  role or kind.
- cast precision: correct / script characters, where a character is correct when it matches an annotated cast entry
  or an `also` entry (minor characters the story allows).
- place accuracy: 1 when the script's main place (the most frequent non-empty `Shot.place`, first-seen on ties;
  the first shot's when none is set) is one of the accepted keys, else 0; place shot share: share of shots whose
  place is an accepted key or one of the story's other places.
- coverage: share of the prompt's content words (simplemma's lemmas; stopwords of the prompt's language and words
  under 3 letters left out) found among the lemmas of the shots' beats and actions and of the voice-over lines
  in the prompt's language.
- distinct lines: share of shots none of whose voice-over lines (language, normalised text) is spoken in another.
- critic: first-pass rate (first take scored ≥ threshold), final pass rate (kept take ≥ threshold), takes per shot.
- constraints: cast_size, kinds, not_cast, not_places, each ok or not.

Overall (over the cases with a fidelity block; a case that did not finish counts as zero found, main place missed,
zero coverage): recall and precision pooled over characters, place accuracy and coverage averaged over cases,
distinct lines and final pass rate pooled over shots, constraints pooled over checks. `TARGETS` are what the gate asks.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import simplemma

from reelgraph.evals.cases import CastRole, Fidelity
from reelgraph.schema import Character, Script, ShotResult

TARGETS: dict[str, float] = {
    "cast_recall": 0.95,
    "cast_precision": 0.9,
    "place_accuracy": 0.85,
    "coverage": 0.6,
    "distinct_lines": 1.0,
    "final_pass_rate": 0.95,
    "constraints": 0.9,
}
"""The gate's floor for each overall fidelity figure (over the cases with a fidelity block)."""

CASE_METRICS = ("cast_recall", "cast_precision", "place_accuracy", "place_shot_share", "coverage", "distinct_lines",
                "final_pass_rate", "constraints")
"""Per-case fidelity figures copied into the case's metrics (so baselines and the gate see them)."""

TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "doctor", "prof", "professor", "sir", "dame", "lady", "lord",
          "madam", "madame", "mme", "mlle", "monsieur", "m", "herr", "frau", "fraulein", "senor", "senora",
          "senorita", "sr", "sra", "srta", "don", "dona", "signor", "signora", "sig", "nonno", "nonna", "the", "le",
          "la", "el", "der", "die", "das", "old", "little", "young", "captain", "capt", "nurse", "chef", "uncle",
          "aunt", "grandpa", "grandma", "farmer", "doctora", "dra", "docteur", "abuelo", "abuela", "oma", "opa"}
"""Words dropped from names before matching (kept when nothing else is left)."""

def _words(text: str) -> set[str]:
    return set(text.split())


STOPWORDS: dict[str, set[str]] = {
    "en": _words("""a about above after again against all almost also am an and any are as at away back be because been
        before being below between both but by can could did do does doing done down during each either else even ever
        every few for from further get gets got had has have having he her here hers herself him himself his how i if
        in into is it its itself just let like made make makes many may me might more most much must my myself never
        no nor not now of off on once one only onto or other our ours out over own really same says said she should
        since so some still such than that the their theirs them then there these they this those though through to
        too under until up upon us very was we were what when where which while who whom whose why will with without
        would yet you your yours won don didn isn wasn doesn couldn wouldn go goes going went come comes came take
        takes took tell tells told know knows knew day days time way thing things another around anything nothing
        something someone everyone"""),
    "fr": _words("""a à au aux avec ce ces cet cette comme dans de des du elle elles en et être eux il ils je la le les
        leur leurs lui ma mais me même mes moi mon ne nos notre nous on ou où par pas pour qu que qui sa se ses son
        sur ta te tes toi ton tu un une vos votre vous y est sont était avait ont a été fait plus tout tous toute
        toutes très bien aussi alors puis quand chaque sans sous entre vers chez depuis encore jamais rien
        avoir faire aller venir dire"""),
    "es": _words("""a al algo ante como con contra cual cuando de del desde donde durante e el ella ellas ellos en entre
        era es esa ese eso esta este esto estos estas fue ha han hasta la las le les lo los más me mi mis muy nada ni
        no nos nuestro o os para pero poco por porque que quien se sea ser si sí sin sobre su sus también tan te tiene
        todo todos tu tus un una uno unos y ya yo hay está están estar haber hacer tener ir decir cada"""),
    "de": _words("""aber alle allem allen aller alles als also am an auch auf aus bei bin bis bist da damit dann das
        dass dein dem den der des die dies diese diesem diesen dieser dir doch dort du durch ein eine einem einen einer
        eines er es etwas für gegen hat hatte hier ich ihm ihn ihr ihre im in ist ja jede jeden jeder jedes kein
        keine man mein mich mir mit nach nicht noch nun nur ob oder ohne schon sehr sein seine seinem seinen seiner
        sich sie sind so über um und uns unter vom von vor war waren was weil wenn wer wie wir wird wo zu zum zur
        haben werden sein immer wieder"""),
    "it": _words("""a al alla alle anche che chi ci come con da dal dalla dei del della delle di e è ed era gli ha hanno
        i il in io la le lei li lo loro lui ma mi mia mio ne nel nella non noi o per più quando quello questa questo
        se si sono su sua suo sul sulla tra tu un una uno essere avere fare ogni"""),
    "pt": _words("""a ao aos as à com como da das de do dos e é ela ele eles em entre era essa esse está foi isso já lhe
        mais mas me meu minha muito na nas no nos não o os ou para pela pelo por que quando se sem ser seu sua
        também te tem um uma você cada"""),
}
"""Function words left out of the prompt's content words (lemmas of auxiliaries too)."""


def fold(text: str) -> str:
    """Lowercase, accents stripped, anything but letters and digits a space, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).replace("ß", "ss")
    return re.sub(r"[\W_]+", " ", text).strip()


def name_words(name: str) -> set[str]:
    """The words of a name without titles (all of them when only titles are left)."""
    words = set(fold(name).split())
    return (words - TITLES) or words


def name_matches(annotated: str, character: Character) -> bool:
    """Whether a character's name is the annotated name (one's words within the other's, titles ignored)."""
    a, c = name_words(annotated), name_words(character.name)
    return bool(a and c) and (a <= c or c <= a)


def _has_word(phrase: str, text: str) -> bool:
    p = fold(phrase)
    return bool(p) and re.search(rf"(?<!\w){re.escape(p)}(?:s|es)?(?!\w)", text) is not None


def role_matches(role: CastRole, character: Character) -> bool:
    """Whether a role word (or its plural) is a word of the character's name, role or kind."""
    text = fold(f"{character.name} {character.role} {character.kind}")
    return any(_has_word(r, text) for r in role.role)


def entry_matches(entry: str | CastRole, character: Character) -> bool:
    """Whether a character is this cast entry: by role words for a `CastRole`, else by name."""
    return role_matches(entry, character) if isinstance(entry, CastRole) else name_matches(entry, character)


def _label(entry: str | CastRole) -> str:
    return entry if isinstance(entry, str) else "/".join(entry.role)


def describes(word: str, character: Character) -> bool:
    """Whether a word names or describes the character (name, role, kind, look, wardrobe, features)."""
    text = fold(" ".join([character.name, character.role, character.kind, character.look, character.wardrobe,
                          *character.features]))
    return _has_word(word, text)


def lemma(word: str, lang: str) -> str:
    """The word's lemma by simplemma (independent of the story reader's own lexicon), folded."""
    try:
        return fold(simplemma.lemmatize(word, lang=lang)) or fold(word)
    except (ValueError, KeyError):
        return fold(word)


def lemmas(text: str, lang: str) -> set[str]:
    """Lemmas of the words of a text (letters only)."""
    return {lemma(w, lang) for w in re.findall(r"[^\W\d_]+", text)}


def content_words(prompt: str, lang: str) -> set[str]:
    """The prompt's content lemmas: stopwords of its language and words under 3 letters left out."""
    stop = {fold(w) for w in STOPWORDS.get(lang, set())}
    out = set()
    for w in re.findall(r"[^\W\d_]+", prompt):
        if len(w) < 3 or fold(w) in stop:
            continue
        lem = lemma(w, lang)
        if len(lem) >= 3 and lem not in stop:
            out.add(lem)
    return out


def coverage(prompt: str, script: Script, lang: str) -> tuple[float | None, list[str]]:
    """Share of the prompt's content words told by some beat, action or voice-over line in the prompt's language."""
    words = content_words(prompt, lang)
    if not words:
        return None, []
    told = " ".join([s.beat for s in script.shots] + [s.action for s in script.shots]
                    + [line.text for s in script.shots for line in s.lines if line.language == lang])
    found = lemmas(told, lang)
    missing = sorted(words - found)
    return round(1 - len(missing) / len(words), 3), missing


def main_place(script: Script) -> str:
    """The most frequent non-empty `Shot.place` (first seen on ties), else the first shot's ('' when unset)."""
    counts = Counter(s.place for s in script.shots if s.place)
    if not counts:
        return script.shots[0].place
    top = max(counts.values())
    return next(s.place for s in script.shots if counts.get(s.place) == top)


def distinct_lines(script: Script) -> tuple[float, list[str]]:
    """Share of shots none of whose (language, text) voice-over lines another shot also speaks; the repeats."""
    said: dict[tuple[str, str], set[int]] = {}
    for s in script.shots:
        for line in s.lines:
            said.setdefault((line.language, fold(line.text)), set()).add(s.index)
    repeated = {k for k, shots in said.items() if len(shots) > 1}
    shots_ok = [s for s in script.shots if not any((ln.language, fold(ln.text)) in repeated for ln in s.lines)]
    return round(len(shots_ok) / len(script.shots), 3), sorted(f"{lang}: {text}" for lang, text in repeated)


def critic_figures(results: list[ShotResult], threshold: float) -> dict[str, Any]:
    """First-pass rate, final pass rate (kept take ≥ threshold) and takes per shot; None without verdicts."""
    first = [r.takes[0].verdict.score >= threshold for r in results if r.takes and r.takes[0].verdict]
    final = [r.best.verdict.score >= threshold for r in results if r.best.verdict]
    n = len(results)
    return {"first_pass_rate": round(sum(first) / len(first), 3) if first else None,
            "final_pass_rate": round(sum(final) / len(final), 3) if final else None,
            "attempts_mean": round(sum(len(r.takes) for r in results) / n, 3) if n else None,
            "shots_with_verdict": len(final), "shots_passed": sum(final)}


def _size_ok(size: int | tuple[int, int], n: int) -> bool:
    return n == size if isinstance(size, int) else size[0] <= n <= size[1]


def constraints(fid: Fidelity, script: Script) -> dict[str, dict[str, Any]]:
    """The fidelity block's yes/no constraints: cast size, kinds, words no character may be, places no shot may be,
    characters who must speak a line of their own."""
    out: dict[str, dict[str, Any]] = {}
    chars = script.characters
    if fid.cast_size is not None:
        out["cast_size"] = {"ok": _size_ok(fid.cast_size, len(chars)),
                            "detail": f"{len(chars)} characters, wanted {fid.cast_size}"}
    if fid.kinds is not None:
        have = Counter(c.kind for c in chars)
        if isinstance(fid.kinds, dict):
            ok = all(have.get(k, 0) == n for k, n in fid.kinds.items())
        else:
            ok = all(have.get(k, 0) >= 1 for k in fid.kinds)
        out["kinds"] = {"ok": ok, "detail": f"have {dict(have)}, wanted {fid.kinds}"}
    if fid.not_cast:
        hits = [f"{c.name}: {w}" for c in chars for w in fid.not_cast if describes(w, c)]
        out["not_cast"] = {"ok": not hits, "detail": "; ".join(hits) or "none"}
    if fid.not_places:
        hits = sorted({s.place for s in script.shots if s.place in fid.not_places})
        out["not_places"] = {"ok": not hits, "detail": ", ".join(hits) or "none"}
    if fid.speakers:
        speaking = {line.speaker for shot in script.shots for line in shot.lines}
        silent = [_label(e) for e in fid.speakers if not any(entry_matches(e, c) and c.slug in speaking for c in chars)]
        out["speakers"] = {"ok": not silent, "detail": f"not speaking: {', '.join(silent)}" if silent else "all speak"}
    return out


def _cast(fid: Fidelity, script: Script) -> dict[str, Any]:
    found = [e for e in fid.cast if any(entry_matches(e, c) for c in script.characters)]
    allowed = [*fid.cast, *fid.also, *(CastRole(role=[a]) for a in fid.also)]
    correct = [c for c in script.characters if any(entry_matches(e, c) for e in allowed)]
    return {"cast_recall": round(len(found) / len(fid.cast), 3) if fid.cast else None,
            "cast_precision": round(len(correct) / len(script.characters), 3) if fid.cast else None,
            "cast_wanted": len(fid.cast), "cast_found": len(found), "characters_correct": len(correct),
            "characters_total": len(script.characters),
            "cast_missing": [_label(e) for e in fid.cast if e not in found],
            "cast_invented": [f"{c.name} ({c.kind}{', ' + c.role if c.role else ''})" for c in script.characters
                              if c not in correct]}


def _place(fid: Fidelity, script: Script) -> dict[str, Any]:
    main = main_place(script)
    if not fid.place:
        return {"place_main": main, "place_accuracy": None, "place_shot_share": None}
    ok = set(fid.place) | set(fid.places)
    return {"place_main": main, "place_wanted": fid.place, "place_accuracy": float(main in fid.place),
            "place_shot_share": round(sum(s.place in ok for s in script.shots) / len(script.shots), 3),
            "places_seen": [s.place for s in script.shots]}


def load_run(run: Path) -> tuple[Script, list[ShotResult], dict[str, Any]]:
    """A finished run folder's script, kept shots (in order) and request."""
    script = Script.model_validate_json((run / "script.json").read_text(encoding="utf-8"))
    results = [ShotResult.model_validate_json((run / f"shots/shot{s.index:02d}/kept.json").read_text("utf-8"))
               for s in script.shots]
    request = json.loads((run / "run.json").read_text(encoding="utf-8")).get("request", {})
    return script, results, request


def measure(run: Path, prompt: str, fid: Fidelity | None, lang: str) -> dict[str, Any]:
    """Every fidelity figure of one finished run folder; annotation-bound figures are None without a block."""
    script, results, request = load_run(run)
    threshold = float(request.get("critic_threshold", 7.0))
    lines_share, repeats = distinct_lines(script)
    out: dict[str, Any] = {"annotated": fid is not None, "measured": True, "language": lang,
                           "shots": len(script.shots), "distinct_lines": lines_share, "repeated_lines": repeats[:10],
                           **critic_figures(results, threshold), "place_main": main_place(script),
                           "cast_recall": None, "cast_precision": None, "place_accuracy": None,
                           "place_shot_share": None, "coverage": None, "constraints": None, "checks": {}}
    if fid is None:
        return out
    cov, missing = coverage(prompt, script, lang)
    checks = constraints(fid, script)
    out.update(_cast(fid, script), **_place(fid, script), coverage=cov, coverage_missing=missing[:40],
               checks=checks, constraints_ok=sum(c["ok"] for c in checks.values()), constraints_total=len(checks),
               constraints=round(sum(c["ok"] for c in checks.values()) / len(checks), 3) if checks else None)
    return out


def unmeasured(fid: Fidelity | None, lang: str) -> dict[str, Any]:
    """The fidelity entry of a case that did not finish."""
    return {"annotated": fid is not None, "measured": False, "language": lang,
            "cast_wanted": len(fid.cast) if fid else 0,
            "constraints_total": len(constraints(fid, _EMPTY)) if fid else 0}


_EMPTY = Script.model_construct(characters=[], shots=[])


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 3) if den else None


def _pooled(done: list[dict[str, Any]], key: str, weight: str = "shots") -> float | None:
    pairs = [(f[key], f[weight]) for f in done if f.get(key) is not None]
    return _ratio(sum(v * n for v, n in pairs), sum(n for _, n in pairs))


def overall(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The overall figures over the annotated cases (see the module docstring), each with its target and verdict.

    With no annotated case in the run there is nothing to hold to the targets: `targets` is empty.
    """
    fids = [r["fidelity"] for r in rows if (r.get("fidelity") or {}).get("annotated")]
    done = [f for f in fids if f["measured"]]
    cast = [f for f in done if f.get("cast_wanted")]
    placed = [f for f in fids if not f["measured"] or f.get("place_accuracy") is not None]
    covered = [f for f in fids if not f["measured"] or f.get("coverage") is not None]
    figures: dict[str, float | None] = {
        "cast_recall": _ratio(sum(f.get("cast_found", 0) for f in fids), sum(f.get("cast_wanted", 0) for f in fids)),
        "cast_precision": _ratio(sum(f["characters_correct"] for f in cast), sum(f["characters_total"] for f in cast)),
        "place_accuracy": _ratio(sum(f.get("place_accuracy") or 0 for f in placed), len(placed)),
        "place_shot_share": _pooled(done, "place_shot_share"),
        "coverage": _ratio(sum(f.get("coverage") or 0 for f in covered), len(covered)),
        "distinct_lines": _pooled(done, "distinct_lines"),
        "final_pass_rate": _ratio(sum(f["shots_passed"] for f in done), sum(f["shots_with_verdict"] for f in done)),
        "first_pass_rate": _pooled(done, "first_pass_rate"),
        "attempts_mean": _pooled(done, "attempts_mean"),
        "constraints": _ratio(sum(f.get("constraints_ok", 0) for f in fids),
                              sum(f.get("constraints_total", 0) for f in fids)),
    }
    targets = {} if not fids else {
        k: {"target": t, "value": figures[k], "ok": figures[k] is not None and figures[k] >= t - 1e-9}
        for k, t in TARGETS.items() if figures[k] is not None or k in ("cast_recall", "place_accuracy", "coverage")}
    return {"cases": len(fids), "measured": len(done),
            "unmeasured": [r["id"] for r in rows if (r.get("fidelity") or {}).get("annotated")
                           and not r["fidelity"]["measured"]],
            "figures": figures, "targets": targets}
