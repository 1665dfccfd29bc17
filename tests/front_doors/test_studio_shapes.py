"""What Studio draws and renders: every node with its incoming edges, the chain loop as a subgraph, described input
fields with the language codes as an enum, a slim output, a context form, and an approval interrupt that is a form."""

from __future__ import annotations

import pytest

from reelgraph.agents.director.offline import write_script
from reelgraph.graph import graph
from reelgraph.hitl.interrupts import ScriptEditError, approval_request, read_answer
from reelgraph.languages import LANGUAGES
from reelgraph.schema import ReelRequest

REQUEST = ReelRequest(prompt="A lighthouse keeper befriends a stray robot during a storm", shots=2)
SCRIPT = write_script(REQUEST)


def test_every_node_is_drawn_with_its_incoming_edges() -> None:
    drawn = graph.get_graph()
    targets = {e.target for e in drawn.edges}
    assert set(drawn.nodes) - {"__start__"} <= targets
    assert ("cast", "parallel_music") in {(e.source, e.target) for e in drawn.edges}


def test_the_chain_loop_is_a_subgraph_seen_with_xray() -> None:
    assert [name for name, _ in graph.get_subgraphs()] == ["chain"]
    nodes = set(graph.get_graph(xray=True).nodes)
    assert {"chain:direct", "chain:tools", "chain:critic", "chain:commit"} <= nodes


def test_input_output_and_context_schemas() -> None:
    fields = graph.get_input_jsonschema()["properties"]
    assert [k for k, v in fields.items() if not v.get("description")] == []
    assert fields["languages"]["items"]["enum"] == list(LANGUAGES)
    assert set(graph.get_output_jsonschema()["properties"]) == {"prompt", "done", "reels", "final"}
    context = graph.get_context_jsonschema()["properties"]
    assert set(context) == {"out_dir", "profile"} and context["profile"]["type"] == "string"


def test_the_approval_interrupt_is_a_human_interrupt_form() -> None:
    asked = approval_request(SCRIPT, "script.title: too long")
    assert asked["action_request"] == {"action": "approve_script", "args": {"script": SCRIPT.model_dump(mode="json")}}
    assert asked["config"] == {"allow_accept": True, "allow_edit": True, "allow_respond": False,
                               "allow_ignore": False}
    assert SCRIPT.title in asked["description"] and "too long" in asked["description"]
    assert (asked["kind"], asked["error"]) == ("approve_script", "script.title: too long")


def test_form_answers_and_earlier_answers_are_read_alike() -> None:
    edit = SCRIPT.model_dump(mode="json") | {"title": "New title"}
    for accept in ({"type": "accept", "args": None}, [{"type": "accept", "args": None}], True, {"approved": True}):
        assert read_answer(accept, REQUEST, SCRIPT) == (SCRIPT, False)
    for edited in ({"type": "edit", "args": {"action": "approve_script", "args": {"script": edit}}},
                   [{"type": "edit", "args": {"action": "approve_script", "args": {"script": edit}}}],
                   {"script": edit}):
        script, changed = read_answer(edited, REQUEST, SCRIPT)
        assert changed and script.title == "New title"
    for refused in ({"type": "ignore", "args": None}, {"type": "response", "args": "later"},
                    {"type": "edit", "args": {"action": "approve_script", "args": {}}},
                    {"type": "edit", "args": {"action": "approve_script", "args": {"script": edit | {"shots": []}}}}):
        with pytest.raises(ScriptEditError):
            read_answer(refused, REQUEST, SCRIPT)
