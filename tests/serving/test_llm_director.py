"""The LLM Director against a real vLLM server (CPU build, tiny steered model): a whole reel, repairs, failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from reelgraph_serving_support import MODEL_NAME, TinyServer, llm_profile, record

from reelgraph.agents.critic.heuristic import HeuristicCritic
from reelgraph.agents.director import llm as llm_director
from reelgraph.agents.director.brief import ShotBrief
from reelgraph.agents.director.llm import LLMDirector, script_schema
from reelgraph.agents.director.offline import write_script
from reelgraph.config import AgentConfig
from reelgraph.errors import ReelgraphError
from reelgraph.run import lifecycle as runner
from reelgraph.schema import Artifact, ReelRequest, Script, Take, Verdict, VoiceLine
from reelgraph.serving.vllm_server import free_port
from reelgraph.tools import SHOT_TOOLS

pytestmark = pytest.mark.timeout(1800)  # the first run installs vLLM (minutes)
TINY = {"shot_seconds": 1.0, "width": 160, "height": 90, "fps": 8, "seed": 1}


def director(server: TinyServer, **kw: Any) -> LLMDirector:
    settings = {"model": server.name, "temperature": 0.0, "max_tokens": 1024, "timeout": 60.0, "max_retries": 1, **kw}
    return LLMDirector(AgentConfig(kind="llm", base_url=server.url, **settings))


def _calls_of(out: Path) -> list[AIMessage]:
    """Every Director message of the run, read from the checkpoint history (each once)."""
    from reelgraph.graph import build_graph

    run = runner.read_run(out)
    seen: dict[str, AIMessage] = {}
    with runner.checkpointer(out) as saver:
        for snap in build_graph(checkpointer=saver).get_state_history(runner.run_config(out, run)):
            for m in snap.values.get("messages", []):
                if isinstance(m, AIMessage) and m.id not in seen:
                    seen[m.id] = m
    return list(seen.values())


def _tool_errors(out: Path) -> list[ToolMessage]:
    from reelgraph.graph import build_graph

    run = runner.read_run(out)
    with runner.checkpointer(out) as saver:
        snaps = list(build_graph(checkpointer=saver).get_state_history(runner.run_config(out, run)))
    found = {m.id: m for s in snaps for m in s.values.get("messages", [])
             if isinstance(m, ToolMessage) and m.status == "error"}
    return list(found.values())


def test_script_comes_back_through_structured_output(server: TinyServer) -> None:
    d = director(server)
    request = ReelRequest(prompt="A lighthouse keeper befriends a stray robot", shots=2, languages=["en", "fr"], **TINY)
    script = d.write_script(request)
    assert isinstance(script, Script) and [s.index for s in script.shots] == [1, 2]
    assert script.languages == ["en", "fr"] and all(s.duration == 1.0 for s in script.shots)
    assert all([line.language for line in s.lines] == ["en", "fr"] for s in script.shots)
    assert len(d.calls) == 1  # valid at once: no repair round
    record("director", [{**c, "kind": "script (2 shots, 2 languages)"} for c in d.calls])


def test_a_voice_line_is_shortened_through_structured_output(server: TinyServer) -> None:
    d = director(server)
    line = VoiceLine(language="en", text="Mara walks slowly along the old pier while the storm gathers over the sea.")
    shorter = d.shorten_line(line, ["Mara"], 0.5)
    assert 1 <= len(shorter) <= len(line.text) // 2
    record("director", [{**c, "kind": "shorten a line"} for c in d.calls])


def test_reel_with_the_llm_director_survives_a_killed_server(server: TinyServer, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole reel through the server; the server dies after shot 1: a clear error, then resume finishes the reel.

    The animatic's takes all pass the heuristic critic, so its verdict on every first take is lowered here (a named
    defect, score 3) to send a critique back to the real Director; what the Director is shown is recorded."""
    real_judge = HeuristicCritic.judge

    def strict_judge(self: HeuristicCritic, review: Any) -> Verdict:
        verdict = real_judge(self, review)
        if review.clip.name.startswith("take1"):
            verdict = verdict.model_copy(update={"score": 3.0, "defects": ["underexposed"],
                                                 "reasons": ["the lantern light is too dim"]})
        return verdict

    shown: list[tuple[int, int, str]] = []
    real_messages = LLMDirector.shot_messages

    def spy(self: LLMDirector, brief: ShotBrief) -> list[Any]:
        messages = real_messages(self, brief)
        shown.append((brief.shot.index, brief.attempt, messages[1].content))
        return messages

    monkeypatch.setattr(HeuristicCritic, "judge", strict_judge)
    monkeypatch.setattr(LLMDirector, "shot_messages", spy)
    profile = llm_profile(tmp_path / "llm.toml", server)
    request = runner.parse_request(prompt="A fox and a robot cross a desert", shots=2, languages=["en"],
                                   critic=True, max_attempts=2, **TINY)
    out = tmp_path / "run"
    killed: list[int] = []

    def kill_after_shot_1(mode: str, chunk: Any) -> None:
        if mode == "custom" and chunk.get("stage") == "commit" and chunk.get("shot") == 1 and not killed:
            killed.append(1)
            server.kill()

    with pytest.raises(ReelgraphError) as err:
        runner.generate(request, out, str(profile), on_event=kill_after_shot_1)
    message = str(err.value)
    assert killed and "cannot reach the director's server" in message and "reelgraph serve director" in message
    kept1 = out / "shots" / "shot01" / "kept.json"
    assert kept1.is_file() and not (out / "shots" / "shot02" / "kept.json").exists()
    before = kept1.stat().st_mtime_ns

    server.ensure_up()
    state, worked = runner.resume(out)
    assert worked and state.final is not None and (out / state.final.path).is_file()
    assert kept1.stat().st_mtime_ns == before  # shot 1 was not made again

    script = Script.model_validate_json((out / "script.json").read_text())  # the plan validates
    assert len(script.shots) == 2 and script.languages == ["en"]

    # Every tool call of the run is valid against its tool's schema, and none came back as an error.
    tools = {t.name: t for t in SHOT_TOOLS}
    messages = _calls_of(out)
    calls = [c for m in messages for c in m.tool_calls]
    assert len(calls) >= 8  # 2 shots x 2 takes x (keyframe + clip)
    for call in calls:
        assert call["name"] in tools
        tools[call["name"]].args_schema.model_validate(call["args"])
    assert not _tool_errors(out)
    for shot in (1, 2):
        kept = json.loads((out / "shots" / f"shot{shot:02d}" / "kept.json").read_text())
        assert len(kept["takes"]) == 2  # the critique went back to the Director once
        for take in kept["takes"]:
            assert [r["name"] for r in take["requests"]][0] == "render_keyframe"
            for r in take["requests"]:
                tools[r["name"]].args_schema.model_validate(r["args"])
    finished = [m for m in messages if not m.tool_calls]
    assert len(finished) == 4  # each take ended with a plain answer once it had its clip
    second = [text for shot, attempt, text in shown if attempt == 2]
    assert second and all("3/10" in t and "underexposed" in t and "too dim" in t for t in second)
    assert not any("underexposed" in text for _, attempt, text in shown if attempt == 1)
    record("director", [{"kind": "shot step (tool call or done)", "seconds": m.response_metadata["seconds"],
                         "input_tokens": m.usage_metadata["input_tokens"],
                         "output_tokens": m.usage_metadata["output_tokens"]} for m in messages])


def test_an_invalid_script_is_repaired_once_then_a_clear_error(server: TinyServer) -> None:
    d = director(server, max_tokens=40)  # the script is cut at 40 tokens: invalid JSON, twice
    request = ReelRequest(prompt="A fox", shots=2, **TINY)
    with pytest.raises(ReelgraphError, match="still invalid after a repair") as err:
        d.write_script(request)
    assert "max_tokens=40" in str(err.value)
    assert [c["what"] for c in d.calls] == ["script", "script repair"]


def test_an_invalid_tool_call_goes_back_once_then_the_shot_fails(server: TinyServer, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The model sees a looser schema than the tools enforce (an empty prompt is allowed): the tool node refuses the
    call, the error goes back to the Director as a tool message, it repeats it, and the graph fails the shot."""
    real = llm_director.tool_specs

    def loose(tools: list[Any]) -> list[dict[str, Any]]:
        specs = real(tools)
        for spec in specs:
            spec["function"]["parameters"]["properties"]["prompt"].pop("minLength", None)
        return specs

    monkeypatch.setattr(llm_director, "tool_specs", loose)
    profile = llm_profile(tmp_path / "llm.toml", server)
    request = runner.parse_request(prompt="A fox", shots=1, critic=False, **TINY)
    out = tmp_path / "run"
    with pytest.raises(ReelgraphError, match="failed after a repair") as err:
        runner.generate(request, out, str(profile))
    assert "prompt" in str(err.value) and "at least 1 character" in str(err.value)
    errors = _tool_errors(out)
    assert len(errors) == 2 and all(e.name == "render_keyframe" for e in errors)
    assert not list((out / "shots").glob("**/*.png"))  # nothing was drawn from an invalid call


def test_server_down_wrong_model_and_timeout_are_clear_errors(server: TinyServer) -> None:
    request = ReelRequest(prompt="A fox", shots=1, **TINY)
    down = LLMDirector(AgentConfig(kind="llm", base_url=f"http://127.0.0.1:{free_port()}/v1", model="x",
                                   max_retries=0))
    with pytest.raises(ReelgraphError, match="cannot reach the director's server") as err:
        down.write_script(request)
    assert "reelgraph serve director --model PATH" in str(err.value)
    wrong = director(server, model="no-such-model", max_retries=0)
    with pytest.raises(ReelgraphError, match="does not serve model 'no-such-model'") as err:
        wrong.write_script(request)
    assert MODEL_NAME in str(err.value)
    slow = director(server, timeout=0.001, max_retries=0)
    with pytest.raises(ReelgraphError, match="did not answer within"):
        slow.write_script(request)
    unnamed = LLMDirector(AgentConfig(kind="llm", base_url=server.url, max_tokens=1024))
    assert unnamed.llm.model_name == MODEL_NAME  # no model named: the one the server serves


def test_the_take_context_is_bounded_and_carries_the_critique() -> None:
    request = ReelRequest(prompt="A miner and her dog in the dark", shots=3, **TINY)
    script = write_script(request)
    clip = Artifact(id="c", kind="clip", path="c.mp4", sha256="0" * 64)
    verdict = Verdict(score=2.5, defects=["underexposed", "identity_drift"], reasons=["too dark to read"],
                      frames=[0, 7], critic="tiny")
    take = Take(shot=2, attempt=1, clip=clip, requests=[{"name": "render_keyframe", "args": {"prompt": "dark mine"}}],
                verdict=verdict)
    brief = ShotBrief(script=script, shot=script.shots[1], attempt=2, seed=77, takes=[take])
    d = LLMDirector(AgentConfig(kind="llm", base_url="http://127.0.0.1:9/v1", model="m"))
    system, user = d.shot_messages(brief)
    assert "revise" in user.content.lower() and "seed alone" in user.content
    for text in ("2.5/10", "underexposed, identity_drift", "too dark to read", "Frames judged: 0, 7", "dark mine",
                 "Seed for this take: 77", script.shots[1].beat):
        assert text in user.content
    assert script.shots[0].beat not in user.content and script.shots[2].beat not in user.content
    assert d.step_tools(brief)[1] == "required"
    schema = script_schema(request)
    assert schema["properties"]["shots"]["minItems"] == schema["properties"]["shots"]["maxItems"] == 3
