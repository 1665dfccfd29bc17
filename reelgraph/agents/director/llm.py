"""The LLM Director: a chat model behind an OpenAI-compatible server (vLLM), through LangChain.

- `write_script`: structured output (`with_structured_output(..., method="json_schema")`, which vLLM turns into guided
  decoding) with Script's JSON schema tightened to the request: exactly the asked shots, numbered in order, of the
  asked length, one voice-over line per asked language. The reply is parsed strictly and validated by pydantic; an
  invalid reply goes back once with the validation error ("repair"), then the plan fails with a ReelgraphError.
- `direct`: tool calls (`bind_tools`) for one take, from a bounded context: the system prompt, a summary of the script,
  this shot, the verdicts of this shot's earlier takes and this take's own messages — never the whole run. Until the
  take has a clip a tool call is required (and only the tools of that step are offered); then the Director may answer
  without tools, which sends the take to the critic. Tool arguments are validated by the graph's tool node; its
  errors come back to the Director as tool messages (the graph fails the shot after a second one).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from reelgraph.agents.director.brief import ShotBrief
from reelgraph.agents.llm.served import ServedAgent
from reelgraph.agents.llm.structured import Invalid, ask_with_repair, invoke_structured, render, reply_text
from reelgraph.errors import ReelgraphError
from reelgraph.schema import ReelRequest, Script, VoiceLine, clean_text
from reelgraph.schema.places import PLACES

log = logging.getLogger(__name__)

def _const(value: Any, kind: str) -> dict[str, Any]:
    return {"type": kind, "enum": [value]}


def _exact_array(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "array", "prefixItems": items, "items": False, "minItems": len(items), "maxItems": len(items)}


def script_schema(request: ReelRequest) -> dict[str, Any]:
    """Script's JSON schema, tightened to the request, for guided decoding (pydantic still validates the reply)."""
    schema = Script.model_json_schema()
    defs = schema["$defs"]
    defs["Character"]["properties"]["palette"]["items"] = {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}
    line = defs["VoiceLine"]
    shots = []
    for i in range(1, request.shots + 1):
        shot = json.loads(json.dumps(defs["Shot"]))
        props = shot["properties"]
        props["index"] = _const(i, "integer")
        props["duration"] = _const(request.shot_seconds, "number")
        if i == 1:
            props["transition"] = {"type": "string", "enum": ["cut", "fade"]}
        lines = []
        for lang in request.languages:
            one = json.loads(json.dumps(line))
            one["properties"]["language"] = _const(lang, "string")
            one["properties"]["text"]["minLength"] = 1
            one["required"] = ["language", "text"]
            lines.append(one)
        props["lines"] = _exact_array(lines)
        shot["required"] = sorted({*shot.get("required", []), "index", "duration", "lines", "characters"})
        shots.append(shot)
    schema["properties"]["shots"] = _exact_array(shots)
    schema["properties"]["languages"] = _exact_array([_const(lang, "string") for lang in request.languages])
    schema["required"] = sorted({*schema.get("required", []), "music"})
    schema["title"] = "Script"
    return schema


def check_script(script: Script, request: ReelRequest) -> list[str]:
    """What the script gets wrong about the request (beyond Script's own validation)."""
    problems = []
    if len(script.shots) != request.shots:
        problems.append(f"the script has {len(script.shots)} shots; exactly {request.shots} were asked for")
    if script.languages != request.languages:
        problems.append(f"languages must be {request.languages}, not {script.languages}")
    for shot in script.shots:
        if abs(shot.duration - request.shot_seconds) > 1e-6:
            problems.append(f"shot {shot.index} lasts {shot.duration} s; every shot lasts {request.shot_seconds} s")
        have = [line.language for line in shot.lines]
        if sorted(have) != sorted(request.languages):
            problems.append(f"shot {shot.index} needs one voice-over line in each of {request.languages}, has {have}")
    return problems


def tool_specs(tools: list[Any]) -> list[dict[str, Any]]:
    """The OpenAI function schemas the model sees (the injected graph state is not among the arguments)."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return [convert_to_openai_tool(t) for t in tools]


class LLMDirector(ServedAgent):
    """A Director that is a language model behind an OpenAI-compatible server (see `reelgraph serve director`)."""

    name = "llm"
    role = "director"

    def _invoke(self, runnable: Any, messages: list[BaseMessage], what: str, structured: bool = False) -> AIMessage:
        from reelgraph.serving.vllm_server import server_errors

        t0 = time.perf_counter()
        with server_errors(self.role, self.config):
            raw = invoke_structured(runnable, messages) if structured else runnable.invoke(messages)
        seconds = time.perf_counter() - t0
        usage = getattr(raw, "usage_metadata", None) or {}
        call = {"what": what, "seconds": round(seconds, 3), "input_tokens": usage.get("input_tokens"),
                "output_tokens": usage.get("output_tokens")}
        self.calls.append(call)
        raw.response_metadata["seconds"] = call["seconds"]
        log.info("director %s: %.2fs, %s prompt + %s completion tokens", what, seconds, call["input_tokens"],
                 call["output_tokens"])
        return raw

    # --- the script ---------------------------------------------------------------------------------------------

    def script_messages(self, request: ReelRequest) -> list[BaseMessage]:
        """The prompt that asks for the script: the system message and the request's prompt and limits."""
        values = {"shots": request.shots, "seconds": f"{request.shot_seconds:g}",
                  "languages": ", ".join(request.languages), "prompt": request.prompt, "places": ", ".join(PLACES)}
        return [SystemMessage(render("director.md", "script-system", **values)),
                HumanMessage(render("director.md", "script-user", **values))]

    def write_script(self, request: ReelRequest) -> Script:
        """A validated script for the request; one repair round, then a ReelgraphError."""
        runnable = self.llm.with_structured_output(script_schema(request), method="json_schema", include_raw=True)
        messages = self.script_messages(request)

        def accept(raw: AIMessage) -> Script:
            script = Script.model_validate_json(reply_text(raw))
            problems = check_script(script, request)
            if problems:
                raise Invalid("; ".join(problems))
            return script

        return ask_with_repair(
            lambda msgs, r: self._invoke(runnable, msgs, "script" if r == 1 else "script repair", structured=True),
            messages, accept, repair=self._repair_prompt, max_tokens=self.config.max_tokens, what="director script",
            echo=lambda raw: reply_text(raw)[: self.config.max_tokens * 8],
            fail=lambda e: ReelgraphError(f"the Director's script is still invalid after a repair: {e}"))

    @staticmethod
    def _repair_prompt(error: str) -> str:
        return render("director.md", "repair", error=error)

    # --- a shorter voice-over line ------------------------------------------------------------------------------

    def shorten_line(self, line: VoiceLine, names: list[str], keep: float) -> str:
        """The line said in at most about `keep` of its length (structured output, validated; one repair)."""
        from pydantic import BaseModel, ConfigDict, Field

        limit = max(1, int(len(line.text) * keep))

        class Shorter(BaseModel):
            model_config = ConfigDict(extra="forbid")
            text: str = Field(min_length=1, max_length=limit)

        schema = {"title": "ShorterLine", "type": "object", "additionalProperties": False, "required": ["text"],
                  "properties": {"text": {"type": "string", "minLength": 1, "maxLength": limit}}}
        runnable = self.llm.with_structured_output(schema, method="json_schema", include_raw=True)
        values = {"language": line.language, "limit": limit, "names": ", ".join(names) or "none",
                  "length": len(line.text), "text": line.text}
        messages: list[BaseMessage] = [SystemMessage(render("director.md", "shorten-system", **values)),
                                       HumanMessage(render("director.md", "shorten-user", **values))]

        def accept(raw: AIMessage) -> str:
            text = clean_text(Shorter.model_validate_json(reply_text(raw)).text)
            if not text:
                raise Invalid("text: the line is empty")
            return text

        return ask_with_repair(
            lambda msgs, r: self._invoke(runnable, msgs, "shorten line" + (" repair" if r == 2 else ""),
                                         structured=True),
            messages, accept, repair=self._repair_prompt, echo=lambda raw: reply_text(raw)[:2000],
            what="director shorten line",
            fail=lambda e: ReelgraphError(f"the Director's shorter line for {line.text[:60]!r} is still invalid "
                                          f"after a repair: {e}"))

    # --- one take -----------------------------------------------------------------------------------------------

    def step_tools(self, brief: ShotBrief) -> tuple[list[Any], str]:
        """The tools offered at this step of the take, and the tool choice."""
        from reelgraph.tools import animate_keyframe, bridge_from_previous, render_keyframe

        motion = bridge_from_previous if brief.continues_previous else animate_keyframe
        if "keyframe" not in brief.made:
            return [render_keyframe], "required"
        if "clip" not in brief.made:
            return [motion], "required"
        return [render_keyframe, motion], "auto"

    def shot_messages(self, brief: ShotBrief) -> list[BaseMessage]:
        """The bounded context of one take: system, script summary + shot + critiques, this take's messages."""
        script, shot = brief.script, brief.shot
        motion = "bridge_from_previous" if brief.continues_previous else "animate_keyframe"
        characters = "\n".join(f"- {c.slug}: {c.look}; {c.wardrobe}".rstrip("; ") for c in script.characters)
        previous = ""
        if brief.continues_previous and shot.index > 1:
            prev = script.shots[shot.index - 2]
            previous = render("director.md", "previous", index=prev.index, beat=prev.beat, motion_tool=motion)
        verdicts = []
        for take in brief.takes:
            v = take.verdict
            if v is None:
                continue
            requests = json.dumps(take.requests, ensure_ascii=False)[:800]
            verdicts.append(render("director.md", "verdict", attempt=take.attempt, score=f"{v.score:g}",
                                   defects=", ".join(v.defects) or "none", reasons=" | ".join(v.reasons)[:800],
                                   frames=", ".join(map(str, v.frames)) or "-", requests=requests))
        critiques = render("director.md", "critiques", verdicts="\n".join(verdicts)) if verdicts else ""
        note = render("director.md", "note", note=brief.note) if brief.note else ""
        user = render("director.md", "shot-user", title=script.title, logline=script.logline, characters=characters,
                      count=len(script.shots), index=shot.index, previous=previous, attempt=brief.attempt,
                      shot_json=shot.model_dump_json(exclude={"lines"}), seed=brief.seed, note=note,
                      critiques=critiques)
        system = render("director.md", "shot-system", motion_tool=motion)
        return [SystemMessage(system), HumanMessage(user.strip()), *brief.messages]

    def direct(self, brief: ShotBrief) -> AIMessage:
        """The next message of this take: one tool call, or (once the take has its clip) a plain answer."""
        tools, choice = self.step_tools(brief)
        bound = self.llm.bind_tools(tool_specs(tools), tool_choice=choice, parallel_tool_calls=False)
        messages = self.shot_messages(brief)
        what = f"shot {brief.shot.index} take {brief.attempt} step {sum(isinstance(m, AIMessage) for m in messages)}"

        def accept(reply: AIMessage) -> AIMessage:
            problem = self._reply_problem(reply, choice)
            if problem:
                raise Invalid(problem)
            if len(reply.tool_calls) > 1:
                log.warning("director: %d tool calls in one message; keeping the first", len(reply.tool_calls))
                reply.tool_calls = reply.tool_calls[:1]
            return reply

        return ask_with_repair(
            lambda msgs, r: self._invoke(bound, msgs, what if r == 1 else f"{what} repair"), messages, accept,
            repair=self._repair_prompt, echo=self._describe, what=f"director {what}",
            fail=lambda e: ReelgraphError(f"shot {brief.shot.index}: the Director's reply is still invalid after a "
                                          f"repair: {e}"))

    @staticmethod
    def _reply_problem(reply: AIMessage, choice: str) -> str:
        if reply.invalid_tool_calls:
            bad = reply.invalid_tool_calls[0]
            return (f"the arguments of your call to {bad.get('name')!r} are not a valid JSON object "
                    f"({bad.get('error') or 'unparseable'}): {str(bad.get('args'))[:300]}")
        if choice == "required" and not reply.tool_calls:
            return "this step needs a tool call, and the reply had none"
        return ""

    @staticmethod
    def _describe(reply: AIMessage) -> str:
        """The invalid reply as plain text (its broken tool calls cannot be sent back as calls)."""
        calls = [f"<call {c.get('name')} {str(c.get('args'))[:300]}>" for c in reply.invalid_tool_calls]
        text = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
        return " ".join([text[:1000], *calls]).strip() or "(empty reply)"
