"""Script approval: what the graph's interrupt shows a person, and how an answer (approve, or an edited script) is read.

The interrupt's value is a `HumanInterrupt` (the shape Agent Inbox and LangGraph Studio render as a form: accept, or
edit the script in `action_request.args`), with the fields earlier clients read (`kind`, `script`, `how`, `error`).

An answer is `True`, `None` or `{"approved": true}` (keep the Director's script), or `{"script": {...}}` (the edited
script; approving it); or a `HumanResponse`, alone or in a one-item list as Agent Inbox sends it:
`{"type": "accept"}`, or `{"type": "edit", "args": {"action": "approve_script", "args": {"script": {...}}}}`. An edit
is validated with the same pydantic `Script` model as the Director's output, plus the request's own limits (the number
of shots, the languages). A wrong edit is a `ScriptEditError` naming the field.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from pydantic import ValidationError

from reelgraph.errors import UsageError, first_error
from reelgraph.schema import ReelRequest, Script

APPROVE_KIND = "approve_script"
HOW = ('resume with {"approved": true} to keep this script, or {"script": {...}} with an edited script '
       "(same fields; the number of shots and the languages must stay)")


class ActionRequest(TypedDict):
    """What a person is asked to act on: the action's name and its (editable) arguments."""

    action: str
    args: dict[str, Any]


class HumanInterruptConfig(TypedDict):
    """Which answers the form offers."""

    allow_ignore: bool
    allow_respond: bool
    allow_edit: bool
    allow_accept: bool


class ApprovalRequest(TypedDict):
    """The approval interrupt's value: a `HumanInterrupt` plus the fields earlier clients read."""

    action_request: ActionRequest
    config: HumanInterruptConfig
    description: str
    kind: str
    script: dict[str, Any]
    how: str
    error: str | None
    folder: str


class HumanResponse(TypedDict):
    """An answer from an Agent Inbox form: accept, or edit (the action request with edited arguments)."""

    type: Literal["accept", "ignore", "response", "edit"]
    args: None | str | ActionRequest


class ScriptEditError(UsageError):
    """An edited script that cannot be used; the message starts with the wrong field."""


FOLDER_WHILE_PAUSED = ("While paused, no run holds the run folder `{folder}`, and it stays this thread's: a run of "
                       "another thread is refused it.")


def _description(script: Script, error: str | None, folder: str) -> str:
    shots = "\n".join(f"{s.index}. {s.beat}" for s in script.shots)
    refused = f"**The last answer was refused:** {error}\n\n" if error else ""
    return (f"{refused}Approve the script of **{script.title}** ({len(script.shots)} shots, "
            f"{', '.join(script.languages)}), or edit it (the number of shots and the languages stay).\n\n{shots}"
            f"\n\n{FOLDER_WHILE_PAUSED.format(folder=folder)}")


def approval_request(script: Script, error: str | None = None, folder: str = "") -> ApprovalRequest:
    """The interrupt's value: the script to approve, how to answer, why the last answer was refused, and the run
    folder (the paused thread's own; no run holds it while paused)."""
    data = script.model_dump(mode="json")
    return ApprovalRequest(
        action_request=ActionRequest(action=APPROVE_KIND, args={"script": data}),
        config=HumanInterruptConfig(allow_ignore=False, allow_respond=False, allow_edit=True, allow_accept=True),
        description=_description(script, error, folder), kind=APPROVE_KIND, script=data, how=HOW, error=error,
        folder=folder)


def validate_script(data: Any, request: ReelRequest) -> Script:
    """An edited script, validated like the Director's (the Script model) and against the request."""
    if isinstance(data, Script):
        data = data.model_dump()
    if not isinstance(data, dict):
        raise ScriptEditError(f"script: expected a JSON object, got {type(data).__name__}")
    try:
        script = Script.model_validate(data)
    except ValidationError as e:
        raise ScriptEditError(first_error(e, root="script")) from None
    if len(script.shots) != request.shots:
        raise ScriptEditError(f"script.shots: {len(script.shots)} shots; the request asks for {request.shots}")
    if script.languages != request.languages:
        raise ScriptEditError(f"script.languages: {script.languages}; the request asks for {request.languages}")
    return script


def _from_human_response(answer: dict[str, Any]) -> dict[str, Any]:
    """A `HumanResponse` as the plain answer it means (`{"approved": true}`, with the edited script if any)."""
    kind, args = answer.get("type"), answer.get("args")
    if set(answer) - {"type", "args"}:
        raise ScriptEditError(f"answer: unknown keys {sorted(set(answer) - {'type', 'args'})}; {HOW}")
    if kind == "accept":
        return {"approved": True}
    if kind == "edit":
        edited = args.get("args") if isinstance(args, dict) else None
        if not isinstance(edited, dict) or "script" not in edited:
            raise ScriptEditError('answer.args: an edit carries {"action": "approve_script", "args": '
                                  '{"script": {...}}}')
        return {"approved": True, "script": edited["script"]}
    raise ScriptEditError(f"answer.type: {kind!r}; only accept or edit resumes the run; {HOW}")


def read_answer(answer: Any, request: ReelRequest, planned: Script) -> tuple[Script, bool]:
    """The approved script and whether it was edited, from a resume value; refuses anything else."""
    if isinstance(answer, list) and len(answer) == 1 and isinstance(answer[0], dict) and "type" in answer[0]:
        answer = answer[0]  # Agent Inbox answers with a list of responses
    if isinstance(answer, dict) and "type" in answer:
        answer = _from_human_response(answer)
    if answer is None or answer is True:
        return planned, False
    if isinstance(answer, dict):
        unknown = set(answer) - {"approved", "script"}
        if unknown:
            raise ScriptEditError(f"answer: unknown keys {sorted(unknown)}; {HOW}")
        if answer.get("approved", True) is not True:
            raise ScriptEditError(f"answer.approved: only approval resumes the run; {HOW}")
        if answer.get("script") is None:
            return planned, False
        script = validate_script(answer["script"], request)
        return script, script != planned
    raise ScriptEditError(f"answer: expected true or an object; {HOW}")


def pending_approval(interrupts: Any) -> dict[str, Any] | None:
    """The approval request among a state snapshot's interrupts, if the run waits for one."""
    for item in interrupts or ():
        value = item.get("value") if isinstance(item, dict) else getattr(item, "value", None)
        if isinstance(value, dict) and value.get("kind") == APPROVE_KIND:
            return value
    return None
