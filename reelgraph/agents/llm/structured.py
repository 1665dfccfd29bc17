"""Talking to a served model in structured replies: prompt files with sections, model-readable validation errors,
the raw reply of a structured-output call (also when it was cut at max_tokens), and the one repair loop."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import cache
from importlib import resources
from string import Template
from typing import Any, TypeVar

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import ValidationError

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_ERROR_CHARS = 1500


@cache
def prompt_sections(filename: str) -> dict[str, str]:
    """The `## name` sections of a prompt file in reelgraph/agents/prompts."""
    text = resources.files("reelgraph.agents.prompts").joinpath(filename).read_text("utf-8")
    sections: dict[str, str] = {}
    name: str | None = None
    lines: list[str] = []
    for line in [*text.splitlines(), "## "]:
        if line.startswith("## "):
            if name:
                sections[name] = "\n".join(lines).strip()
            name, lines = line[3:].strip(), []
        elif name:
            lines.append(line)
    return sections


def render(filename: str, section: str, **values: Any) -> str:
    """A prompt section with its `$placeholders` filled (a missing value is an error, not a blank)."""
    return Template(prompt_sections(filename)[section]).substitute({k: str(v) for k, v in values.items()})


def validation_text(error: Exception) -> str:
    """A short, model-readable account of what was wrong with a reply."""
    if isinstance(error, ValidationError):
        parts = []
        for err in error.errors()[:12]:
            where = ".".join(str(p) for p in err["loc"]) or "reply"
            parts.append(f"{where}: {err['msg']}")
        text = "; ".join(parts)
    else:
        text = str(error)
    return text[:MAX_ERROR_CHARS]


def invoke_structured(runnable: Any, messages: list[BaseMessage]) -> AIMessage:
    """The raw reply of a `with_structured_output(..., include_raw=True)` runnable, also when the reply was cut at
    max_tokens (the OpenAI client raises on that; the cut text is still the reply to repair)."""
    import openai

    try:
        raw: AIMessage = runnable.invoke(messages)["raw"]
        return raw
    except openai.LengthFinishReasonError as e:
        choice = e.completion.choices[0]
        usage = e.completion.usage
        return AIMessage(content=choice.message.content or "", response_metadata={"finish_reason": "length"},
                         usage_metadata={"input_tokens": usage.prompt_tokens, "output_tokens": usage.completion_tokens,
                                         "total_tokens": usage.total_tokens} if usage else None)


class Invalid(ValueError):
    """A reply that parsed but does not do what was asked (the reason goes back to the model)."""


def reply_text(raw: AIMessage) -> str:
    """The reply's text (JSON of its parts when the content is a list)."""
    return raw.content if isinstance(raw.content, str) else json.dumps(raw.content)


def ask_with_repair(ask: Callable[[list[BaseMessage], int], AIMessage], messages: list[BaseMessage],
                    accept: Callable[[AIMessage], T], *, repair: Callable[[str], str], fail: Callable[[str], Exception],
                    echo: Callable[[AIMessage], str], max_tokens: int | None = None, what: str = "reply") -> T:
    """Ask; a reply `accept` refuses (pydantic's ValidationError or `Invalid`) goes back once with the reason
    ("repair"); a second refusal raises `fail(reason)`. `ask(messages, round)` makes the call (round 1 or 2)."""
    error = ""
    for round_ in (1, 2):
        raw = ask(messages, round_)
        try:
            return accept(raw)
        except (ValidationError, Invalid) as e:
            error = validation_text(e)
        if max_tokens and raw.response_metadata.get("finish_reason") == "length":
            error = f"the reply was cut at max_tokens={max_tokens} ({error})"
        log.warning("%s round %d invalid: %s", what, round_, error)
        messages = [*messages, AIMessage(content=echo(raw)), HumanMessage(repair(error))]
    raise fail(error)
