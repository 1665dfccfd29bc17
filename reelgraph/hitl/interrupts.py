"""Script approval: what the graph's interrupt shows a person, and how an answer (approve, or an edited script) is read.

An answer is `True`, `None` or `{"approved": true}` (keep the Director's script), or `{"script": {...}}` (the edited
script; approving it). An edit is validated with the same pydantic `Script` model as the Director's output, plus the
request's own limits (the number of shots, the languages). A wrong edit is a `ScriptEditError` naming the field.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from reelgraph.errors import UsageError, first_error
from reelgraph.schema import ReelRequest, Script

APPROVE_KIND = "approve_script"
HOW = ('resume with {"approved": true} to keep this script, or {"script": {...}} with an edited script '
       "(same fields; the number of shots and the languages must stay)")


class ScriptEditError(UsageError):
    """An edited script that cannot be used; the message starts with the wrong field."""


def approval_request(script: Script, error: str | None = None) -> dict[str, Any]:
    """The interrupt's value: the script to approve, how to answer, and why the last answer was refused."""
    return {"kind": APPROVE_KIND, "script": script.model_dump(mode="json"), "how": HOW, "error": error}


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


def read_answer(answer: Any, request: ReelRequest, planned: Script) -> tuple[Script, bool]:
    """The approved script and whether it was edited, from a resume value; refuses anything else."""
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
