"""Fidelity to the story: the measures on hand-built run folders, the gate's targets, and the stored story cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reelgraph.evals import fidelity
from reelgraph.evals.cases import CastRole, Fidelity, load_cases, select
from reelgraph.evals.gate import DEFAULT_TOLERANCES, FORMAT, NOT_REGRESSIONS, check, compare
from reelgraph.schema import Character, Script, Shot, ShotResult, VoiceLine
from reelgraph.schema.takes import Artifact, Take, Verdict

PROMPT = ("Amara runs a tiny bakery. Every morning her cat, Biscuit, watches her knead the dough. "
          "Her neighbour Mr. Hale fixes the oven by torchlight.")
FID = Fidelity(cast=["Amara", "Biscuit", "Mr. Hale"], cast_size=3, kinds={"cat": 1}, place=["bakery"],
               places=["city_street"], not_cast=["robot"], not_places=["forest"])


def _char(name: str, kind: str = "person", role: str = "", look: str = "plain") -> Character:
    return Character(name=name, slug=fidelity.fold(name).replace(" ", "-"), look=look, kind=kind,
                     role=role)  # type: ignore[arg-type]


def _shot(i: int, beat: str, place: str, lines: list[str], chars: list[str]) -> Shot:
    return Shot(index=i, beat=beat, setting=place or "somewhere", action=beat, place=place, characters=chars,
                lines=[VoiceLine(language="en", text=t) for t in lines])


def faithful() -> Script:
    chars = [_char("Amara", role="the baker"), _char("Biscuit", kind="cat"), _char("Mr. Hale", role="the neighbour")]
    shots = [
        _shot(1, "Amara runs her tiny bakery every morning.", "bakery", ["Amara runs a tiny bakery."], ["amara"]),
        _shot(2, "Biscuit the cat watches her knead the dough.", "bakery",
              ["Every morning her cat, Biscuit, watches her knead the dough."], ["amara", "biscuit"]),
        _shot(3, "Her neighbour Mr. Hale fixes the oven by torchlight.", "bakery",
              ["Her neighbour Mr. Hale fixes the oven by torchlight."], ["mr-hale", "amara"]),
    ]
    return Script(title="The Oven", logline=PROMPT, characters=chars, shots=shots, languages=["en"])


def invented() -> Script:
    chars = [_char("Mara", look="tall, orange jacket"), _char("Bolt", kind="robot", look="small round robot")]
    shots = [_shot(i, f"Mara and Bolt look out at a deep forest ({i}).", "forest", ["And so it began."], ["mara"])
             for i in range(1, 4)]
    return Script(title="Mara and Bolt", logline=PROMPT, characters=chars, shots=shots, languages=["en"])


def _take(shot: int, attempt: int, score: float) -> Take:
    clip = Artifact(id=f"clip-{shot}-{attempt}", kind="clip", path=f"shots/shot{shot:02d}/take{attempt}.mp4",
                    sha256="0" * 64)
    return Take(shot=shot, attempt=attempt, clip=clip, verdict=Verdict(score=score, critic="heuristic"))


def write_run(root: Path, script: Script, scores: list[list[float]], threshold: float = 7.0) -> Path:
    """A run folder as the studio leaves it: script.json, run.json and shots/shotNN/kept.json."""
    root.mkdir(parents=True)
    (root / "script.json").write_text(script.model_dump_json(), encoding="utf-8")
    (root / "run.json").write_text(json.dumps({"request": {"critic_threshold": threshold}}), encoding="utf-8")
    for shot, takes in zip(script.shots, scores, strict=True):
        kept = max(range(len(takes)), key=lambda i: takes[i]) + 1
        result = ShotResult(shot=shot.index, kept=kept, takes=[_take(shot.index, i + 1, s) for i, s in
                                                                enumerate(takes)])
        folder = root / "shots" / f"shot{shot.index:02d}"
        folder.mkdir(parents=True)
        (folder / "kept.json").write_text(result.model_dump_json(), encoding="utf-8")
    return root


def test_faithful_script_scores_full_marks(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", faithful(), [[8.0], [5.0, 7.5], [9.0]])
    f = fidelity.measure(run, PROMPT, FID, "en")
    assert f["cast_recall"] == 1.0 and f["cast_precision"] == 1.0 and f["cast_invented"] == []
    assert f["place_main"] == "bakery" and f["place_accuracy"] == 1.0 and f["place_shot_share"] == 1.0
    assert f["coverage"] == 1.0 and f["distinct_lines"] == 1.0
    assert f["constraints"] == 1.0 and all(c["ok"] for c in f["checks"].values())
    assert f["first_pass_rate"] == pytest.approx(2 / 3, abs=1e-3) and f["final_pass_rate"] == 1.0
    assert f["attempts_mean"] == pytest.approx(4 / 3, abs=1e-3)


def test_invented_robot_and_stock_names_score_low(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", invented(), [[5.0, 6.0, 6.5], [8.0], [8.0]])
    f = fidelity.measure(run, PROMPT, FID, "en")
    assert f["cast_recall"] == 0.0 and f["cast_precision"] == 0.0
    assert f["cast_missing"] == ["Amara", "Biscuit", "Mr. Hale"] and len(f["cast_invented"]) == 2
    assert f["place_main"] == "forest" and f["place_accuracy"] == 0.0 and f["place_shot_share"] == 0.0
    assert f["distinct_lines"] == 0.0 and f["repeated_lines"] == ["en: and so it began"]
    assert f["coverage"] < 0.2
    checks = f["checks"]
    assert not checks["cast_size"]["ok"] and not checks["kinds"]["ok"]
    assert not checks["not_cast"]["ok"] and "Bolt: robot" in checks["not_cast"]["detail"]
    assert not checks["not_places"]["ok"] and f["constraints"] == 0.0
    assert f["final_pass_rate"] == pytest.approx(2 / 3, abs=1e-3)


def test_names_match_case_accent_and_title_insensitively() -> None:
    assert fidelity.name_matches("Mr. Hale", _char("Hale"))
    assert fidelity.name_matches("Hale", _char("Arthur Hale"))
    assert fidelity.name_matches("chloé", _char("Chloe"))
    assert fidelity.name_matches("Inés Roldán", _char("Dra. Inés"))
    assert not fidelity.name_matches("Hale", _char("Hal"))
    assert not fidelity.name_matches("Mr. Hale", _char("Mrs. Gale"))
    guard = CastRole(role=["guard", "watchman"])
    assert fidelity.role_matches(guard, _char("Walter", role="the night guard"))
    assert fidelity.role_matches(CastRole(role="dog"), _char("Rex", kind="dog"))
    assert not fidelity.role_matches(guard, _char("Walter", role="the lifeguard"))
    assert fidelity.describes("robot", _char("Bolt", look="a small round robot, one eye"))
    assert not fidelity.describes("bird", _char("Rosa", look="holds a birdhouse"))


def test_precision_counts_allowed_minor_characters(tmp_path: Path) -> None:
    script = faithful()
    script = script.model_copy(update={"characters": [*script.characters, _char("Flo", role="the florist")]})
    fid = FID.model_copy(update={"cast_size": [3, 4]})
    f = fidelity.measure(write_run(tmp_path / "a", script, [[8.0]] * 3), PROMPT, fid, "en")
    assert f["cast_recall"] == 1.0 and f["cast_precision"] == 0.75
    assert f["cast_invented"] == ["Flo (person, the florist)"]
    fid = fid.model_copy(update={"also": ["florist"]})
    assert fidelity.measure(tmp_path / "a", PROMPT, fid, "en")["cast_precision"] == 1.0


def test_main_place_and_coverage_as_defined() -> None:
    script = faithful()
    shots = [s.model_copy(update={"place": p}) for s, p in zip(script.shots, ["", "kitchen", "bakery"], strict=True)]
    assert fidelity.main_place(script.model_copy(update={"shots": shots})) == "kitchen", "ties: first seen"
    shots = [s.model_copy(update={"place": ""}) for s in script.shots]
    assert fidelity.main_place(script.model_copy(update={"shots": shots})) == ""
    words = fidelity.content_words("The dogs were searching the streets, and the dog found it.", "en")
    assert words == {"dog", "search", "street", "find"}
    fr = fidelity.content_words("Chloé ouvre sa boulangerie à cinq heures", "fr")
    assert {"chloe", "boulangerie", "heure"} <= fr and "sa" not in fr
    cov, missing = fidelity.coverage("Amara kneads dough; Biscuit sleeps.", script, "en")
    assert missing == ["sleep"] and cov == 0.8
    told = Script(title="t", logline="", characters=[_char("Amara")], languages=["en"],
                  shots=[_shot(1, "A bakery at dawn.", "bakery", ["Amara kneads."], ["amara"])])
    assert fidelity.coverage("Amara kneads in a bakery", told, "en")[0] == 1.0
    assert fidelity.coverage("Amara kneads in a bakery", told, "fr")[0] == pytest.approx(1 / 3, abs=1e-3), \
        "only voice-over lines in the prompt's language count"


def test_overall_pools_cases_and_counts_unmeasured_as_misses(tmp_path: Path) -> None:
    good = fidelity.measure(write_run(tmp_path / "g", faithful(), [[8.0]] * 3), PROMPT, FID, "en")
    bad = fidelity.measure(write_run(tmp_path / "b", invented(), [[8.0]] * 3), PROMPT, FID, "en")
    rows = [{"id": "g", "fidelity": good, "shots": [{}] * 3}, {"id": "b", "fidelity": bad, "shots": [{}] * 3},
            {"id": "u", "fidelity": fidelity.unmeasured(FID, "en")},
            {"id": "plain", "fidelity": fidelity.measure(tmp_path / "g", PROMPT, None, "en")}]
    over = fidelity.overall(rows)
    fig = over["figures"]
    assert over["cases"] == 3 and over["measured"] == 2 and over["unmeasured"] == ["u"]
    assert fig["cast_recall"] == pytest.approx(3 / 9, abs=1e-3)
    assert fig["cast_precision"] == pytest.approx(3 / 5, abs=1e-3)
    assert fig["place_accuracy"] == pytest.approx(1 / 3, abs=1e-3)
    assert fig["distinct_lines"] == 0.5 and fig["final_pass_rate"] == 1.0
    assert not over["targets"]["cast_recall"]["ok"] and over["targets"]["final_pass_rate"]["ok"]
    assert fidelity.overall([rows[0]])["targets"]["cast_recall"]["ok"]
    assert fidelity.overall([rows[3]])["targets"] == {}, "no annotated case: nothing to hold to the targets"


def _doc(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"profile": "animatic", "cases": rows, "fidelity": fidelity.overall(rows)}


def test_gate_fails_when_a_fidelity_target_is_missed(tmp_path: Path) -> None:
    good = fidelity.measure(write_run(tmp_path / "g", faithful(), [[8.0]] * 3), PROMPT, FID, "en")
    bad = fidelity.measure(write_run(tmp_path / "b", invented(), [[8.0]] * 3), PROMPT, FID, "en")
    base = {"format": FORMAT, "profile": "animatic", "cases": {},
            "tolerances": {k: v.model_dump() for k, v in DEFAULT_TOLERANCES.items()}}
    row = {"id": "a", "status": "passed", "metrics": {k: good[k] for k in fidelity.CASE_METRICS}, "fidelity": good,
           "shots": [{}] * 3}
    assert check(_doc([row]), base)["passed"]
    worse = {**row, "fidelity": bad, "metrics": {k: bad[k] for k in fidelity.CASE_METRICS}}
    verdict = check(_doc([worse]), base)
    assert not verdict["passed"] and not verdict["regressions"]
    assert {m["metric"] for m in verdict["targets_missed"]} >= {"cast_recall", "cast_precision", "place_accuracy",
                                                                 "coverage", "distinct_lines"}
    base["cases"] = {"a": {"status": "passed", "metrics": row["metrics"]}}
    regressed = check(_doc([worse]), base)
    assert {r["metric"] for r in regressed["regressions"]} >= {"cast_recall", "place_accuracy", "coverage"}


def test_first_pass_rate_going_down_is_no_regression() -> None:
    assert {"first_pass_rate", "attempts_mean"} <= NOT_REGRESSIONS
    tol = {"first_pass_rate": {"better": "higher", "abs": 0.15, "rel": 0.0},
           "attempts_mean": {"better": "lower", "abs": 0.5, "rel": 0.0}}
    base = {"format": FORMAT, "profile": "animatic", "tolerances": tol,
            "cases": {"a": {"status": "passed", "metrics": {"first_pass_rate": 1.0, "attempts_mean": 1.0}}}}
    doc = {"profile": "animatic", "cases": [{"id": "a", "status": "passed",
                                             "metrics": {"first_pass_rate": 0.2, "attempts_mean": 2.8}}]}
    assert compare(doc, base)["passed"] and compare(doc, base)["checked"] == 0


STORIES = select(load_cases(), "tag:story")


def test_story_cases_are_annotated_and_varied() -> None:
    assert len(STORIES) >= 40
    assert all(c.fidelity is not None and c.fidelity.cast and c.fidelity.place for c in STORIES)
    langs = [c.prompt_language for c in STORIES]
    assert sum(lang != "en" for lang in langs) >= 5 and {"fr", "es", "de"} <= set(langs)
    assert all(c.prompt_language in c.request["languages"] for c in STORIES), "the story's own words can be voiced"
    assert sum(3 <= len(c.fidelity.cast) <= 5 for c in STORIES if c.fidelity) >= 8
    assert any(len(c.request["languages"]) > 1 for c in STORIES if c.prompt_language != "en")
    roles = [e for c in STORIES if c.fidelity for e in c.fidelity.cast if isinstance(e, CastRole)]
    kinds = {k for c in STORIES if c.fidelity and c.fidelity.kinds for k in c.fidelity.kinds}
    assert roles and {"dog", "cat", "fox", "horse", "bird"} <= kinds
    places = {p for c in STORIES if c.fidelity for p in c.fidelity.place}
    assert {"kitchen", "bakery", "gym", "office", "classroom", "hospital", "station", "museum", "concert_hall",
            "garage", "workshop", "bookshop", "beach", "forest", "market"} <= places
    prompts = " ".join(c.request["prompt"].lower() for c in STORIES)
    for word in ("brainstorming", "woodworking", "searches the streets", "trains every morning", "warm reunion",
                 "start", "boulangerie", "night guard"):
        assert word in prompts, word
    assert len(select(STORIES, "tag:ci")) > 0 and len(select(load_cases(), "tag:ci")) <= 12
    shots = {c.request["shots"] for c in STORIES}
    assert min(shots) >= 3 and 12 in shots


def test_fidelity_block_is_strict() -> None:
    with pytest.raises(ValueError, match="unknown place"):
        Fidelity(place=["bakery_shop"])
    with pytest.raises(ValueError, match="unknown character kinds"):
        Fidelity(kinds={"unicorn": 1})
    with pytest.raises(ValueError):
        Fidelity.model_validate({"cast": ["A"], "casts": ["B"]})
    assert Fidelity.model_validate({"cast": [{"role": "guard"}]}).cast[0] == CastRole(role=["guard"])
