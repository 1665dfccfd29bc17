"""The eval's parts without running the studio: the prompt set, the gate, the replay Director, measures, TOML."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from langchain_core.messages import AIMessage

from reelgraph.agents.director.brief import ShotBrief
from reelgraph.agents.director.offline import write_script
from reelgraph.agents.director.replay import FORMAT as RECORDING
from reelgraph.agents.director.replay import ReplayDirector, prompt_digest
from reelgraph.config import Profile
from reelgraph.errors import ReelgraphError, UsageError
from reelgraph.evals.audio_metrics import _placement, parse_srt
from reelgraph.evals.cases import load_cases, select
from reelgraph.evals.cli import parse_sets
from reelgraph.evals.gate import DEFAULT_TOLERANCES, FORMAT, Tolerance, compare
from reelgraph.evals.metrics import flicker, seam
from reelgraph.evals.profiles import dump_toml, replay_kind_supported
from reelgraph.run.lifecycle import parse_request
from reelgraph.schema import ReelRequest


def test_prompt_set_covers_what_users_send() -> None:
    cases = load_cases()
    assert len(cases) >= 24
    reqs = {c.id: c.request_fields() for c in cases}
    shots = {r["shots"] for r in reqs.values()}
    assert min(shots) == 1 and max(shots) == 12
    langs = {lang.split("-")[0].split("_")[0].lower() for r in reqs.values() for lang in r["languages"]}
    assert {"zh", "ja", "ar", "hi", "en"} <= langs
    assert max(len(r["languages"]) for r in reqs.values()) == 5
    prompts = [r["prompt"] for r in reqs.values()]
    assert min(map(len, prompts)) <= 8 and any(len(p) == 20_000 for p in prompts)
    assert any(ch in p for p in prompts for ch in ("\u202e", "\u001b", "\u0007"))
    assert any("shell" in p and "/tmp/" in p for p in prompts)
    assert any(len(r["languages"]) == 1 for r in reqs.values()) and any(c.expect.continuous_seams for c in cases)
    ci = {c.id for c in select(cases, "tag:ci")}
    assert {"ci-power-cut", "ci-hostile-escape", "ci-bilingual-ja"} <= ci and len(ci) <= 12
    for case in cases:
        if case.expect.refused:
            with pytest.raises(UsageError, match=case.expect.refused):
                parse_request(**reqs[case.id])
        else:
            req = parse_request(**reqs[case.id])
            assert req.width * req.height <= 160 * 96 and req.shot_seconds <= 1.5, "cases stay small"


def test_case_filter() -> None:
    cases = load_cases()
    assert [c.id for c in select(cases, "lang-zh")] == ["lang-zh"]
    assert {c.id for c in select(cases, "lang-*,tag:ci")} >= {"lang-zh", "lang-hi", "ci-power-cut"}
    with pytest.raises(UsageError):
        select(cases, "no-such-case")


def test_tolerance_directions() -> None:
    assert Tolerance(better="higher", abs=0.5).worse(9.0, 8.4) and not Tolerance(better="higher", abs=0.5).worse(9, 8.6)
    assert Tolerance(better="lower", rel=0.5).worse(100, 151) and not Tolerance(better="lower", rel=0.5).worse(100, 149)
    assert Tolerance(better="near", abs=1).worse(-16, -17.5) and not Tolerance(better="near", abs=1).worse(-16, -15.2)


def _doc(status: str = "passed", **metrics: float | None) -> dict:
    return {"profile": "animatic", "cases": [{"id": "a", "status": status, "metrics": metrics}]}


def test_gate_compare() -> None:
    base = {"format": FORMAT, "profile": "animatic", "tolerances": {k: v.model_dump()
                                                                    for k, v in DEFAULT_TOLERANCES.items()},
            "cases": {"a": {"status": "passed", "metrics": {"score_mean": 9.0, "wall_s": 10.0}},
                      "gone": {"status": "passed", "metrics": {}}}}
    ok = compare(_doc(score_mean=8.8, wall_s=25.0), base)
    assert ok["passed"] and ok["skipped"] == ["gone"] and ok["checked"] == 2
    bad = compare(_doc(score_mean=8.0, wall_s=10.0), base)
    assert [r["metric"] for r in bad["regressions"]] == ["score_mean"]
    missing = compare(_doc(status="error", wall_s=None), base)
    assert {r["metric"] for r in missing["regressions"]} == {"status", "score_mean", "wall_s"}


def _brief(script, shot: int, attempt: int, messages: list) -> ShotBrief:
    return ShotBrief(script=script, shot=script.shots[shot - 1], attempt=attempt, seed=1, messages=messages)


def test_replay_director_replays_the_recorded_calls_in_order(tmp_path: Path) -> None:
    request = ReelRequest(prompt="A fox and a bear in a forest", shots=2)
    script = write_script(request)
    calls = [{"name": "render_keyframe", "args": {"prompt": "x", "seed": 3}},
             {"name": "animate_keyframe", "args": {"prompt": "y", "camera": "static", "seed": 3}}]
    rec = {"format": RECORDING, "prompt_sha256": prompt_digest(request.prompt), "request": request.model_dump(),
           "script": script.model_dump(), "takes": [{"shot": 1, "attempt": 1, "calls": calls}]}
    path = tmp_path / "rec.json"
    path.write_text(json.dumps(rec), encoding="utf-8")
    director = ReplayDirector(recording=path)
    assert director.write_script(request).model_dump_json() == script.model_dump_json()
    messages: list = []
    for call in calls:
        msg = director.direct(_brief(script, 1, 1, messages))
        assert [(c["name"], c["args"]) for c in msg.tool_calls] == [(call["name"], call["args"])]
        messages.append(msg)
    assert not director.direct(_brief(script, 1, 1, messages)).tool_calls
    with pytest.raises(ReelgraphError, match="no take 2 of shot 1"):
        director.direct(_brief(script, 1, 2, []))
    with pytest.raises(ReelgraphError, match="another prompt"):
        director.write_script(ReelRequest(prompt="Something else", shots=2))
    assert isinstance(msg, AIMessage)


def test_replay_director_selected_by_profile(tmp_path: Path) -> None:
    assert replay_kind_supported()
    from reelgraph.agents.director import make_director
    from reelgraph.evals.profiles import replay_profile

    rec = tmp_path / "rec.json"
    rec.write_text(json.dumps({"format": RECORDING, "prompt_sha256": "", "script": {}, "takes": []}), "utf-8")
    from reelgraph.config import load_profile

    profile = load_profile(replay_profile("animatic", rec, tmp_path / "p.toml"))
    assert isinstance(make_director(profile), ReplayDirector)


def test_dump_toml_round_trips_a_profile() -> None:
    data = {"name": "x", "ffmpeg_timeout": 60.0, "director": {"kind": "template"},
            "image": {"backend": "procedural", "options": {"steps": 4, "guidance": 1.5, "tiled": True,
                                                           "tags": ["a", "b"]}, "models": {"en": "/m/en"}},
            "speech": {"backend": "offline", "model": None}}
    text = dump_toml(data)
    back = tomllib.loads(text)
    assert back == {**data, "speech": {"backend": "offline"}}
    Profile.model_validate(back)


def test_frame_and_sync_measures() -> None:
    steady = np.full((10, 8, 8, 3), 100, np.uint8)
    assert flicker(steady) == (0.0, 0.0)
    jumpy = steady.copy()
    jumpy[1::2] = 140
    assert flicker(jumpy)[0] > 50 and flicker(jumpy)[1] == pytest.approx(40, abs=0.5)
    assert seam(steady[0], steady[0]) == 0 and seam(steady[0], jumpy[1]) == pytest.approx(40)
    rate = 16_000
    line = np.sin(np.linspace(0, 900, rate // 2)).astype(np.float32) * np.hanning(rate // 2).astype(np.float32)
    track = np.zeros(rate * 3, np.float32)
    at = int(1.37 * rate)
    track[at: at + len(line)] += line
    assert _placement(track, line, rate, 1.2) == pytest.approx(1.37, abs=1e-3)


def test_parse_srt(tmp_path: Path) -> None:
    srt = tmp_path / "x.srt"
    srt.write_text("1\n00:00:00,300 --> 00:00:01,250\nhello\n\n2\n00:01:02,000 --> 00:01:03,500\n世界\n", "utf-8")
    assert parse_srt(srt) == [(0.3, 1.25, "hello"), (62.0, 63.5, "世界")]


def test_parse_sets() -> None:
    assert parse_sets(["max_attempts=1", "critic=false", "languages=[\"en\",\"fr\"]", "prompt=hi"]) == {
        "max_attempts": 1, "critic": False, "languages": ["en", "fr"], "prompt": "hi"}
    with pytest.raises(UsageError):
        parse_sets(["nothing"])
