"""A Director that replays a recorded conversation: the script and, per take, the tool calls, in their order.

A recording is read from a finished run folder (script.json and the `requests` of every take in kept.json), so an
LLM Director's run can be replayed without the LLM. The profile selects it with `[director] kind = "replay"` and
`model = "<path of the recording .json>"`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage

from reelgraph.agents.director.brief import ShotBrief
from reelgraph.errors import ReelgraphError, UsageError
from reelgraph.schema import ReelRequest, Script, ShotResult, VoiceLine

FORMAT = "reelgraph-director-recording/1"


def prompt_digest(prompt: str) -> str:
    """The sha256 of a prompt (a recording names its prompt by it)."""
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


def record_run(run: Path) -> dict[str, Any]:
    """The Director's conversation of a finished run: its script and every take's tool calls."""
    meta = json.loads((run / "run.json").read_text(encoding="utf-8"))
    script = json.loads((run / "script.json").read_text(encoding="utf-8"))
    takes = []
    for shot in range(1, len(script["shots"]) + 1):
        result = ShotResult.model_validate_json((run / f"shots/shot{shot:02d}/kept.json").read_text("utf-8"))
        takes += [{"shot": t.shot, "attempt": t.attempt, "calls": t.requests} for t in result.takes]
    return {"format": FORMAT, "prompt_sha256": prompt_digest(meta["request"]["prompt"]),
            "request": meta["request"], "script": script, "takes": takes}


def write_recording(run: Path, dest: Path) -> Path:
    """Record a finished run's conversation to `dest` (JSON)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.write_text(json.dumps(record_run(run), indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(dest)
    return dest


class ReplayDirector:
    """Replays a recording: the same script, and per take the same tool calls one step at a time."""

    name = "replay"

    def __init__(self, config: Any = None, recording: Path | str | None = None):
        self.config = config
        source = recording or getattr(config, "model", None)
        if not source:
            raise UsageError("the replay Director needs a recording: set [director] model to its path")
        self.path = Path(source)
        try:
            self.recording = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise UsageError(f"recording {str(self.path)!r} cannot be read: {e}") from None
        if self.recording.get("format") != FORMAT:
            raise UsageError(f"{self.path} is not a Director recording ({FORMAT})")
        self.calls = {(t["shot"], t["attempt"]): t["calls"] for t in self.recording["takes"]}

    def write_script(self, request: ReelRequest) -> Script:
        """The recorded script (an error when the recording was made for another prompt)."""
        if prompt_digest(request.prompt) != self.recording["prompt_sha256"]:
            raise ReelgraphError(f"recording {self.path.name} was made for another prompt")
        return Script.model_validate(self.recording["script"])

    def shorten_line(self, line: VoiceLine, names: list[str], keep: float) -> str:
        """The recorded script already holds every line as it was finally spoken: keep it."""
        return line.text

    def direct(self, brief: ShotBrief) -> AIMessage:
        """The next recorded call of this take, or 'ready' once they are all made."""
        shot, attempt = brief.shot.index, brief.attempt
        if (shot, attempt) not in self.calls:
            raise ReelgraphError(f"recording {self.path.name} has no take {attempt} of shot {shot}")
        step = sum(1 for m in brief.messages if isinstance(m, AIMessage) and m.tool_calls)
        calls = self.calls[(shot, attempt)]
        if step >= len(calls):
            return AIMessage(content=f"Take {attempt} of shot {shot} is ready for review (replayed).")
        call = calls[step]
        return AIMessage(content="", tool_calls=[{"name": call["name"], "args": call["args"],
                                                  "id": f"replay-s{shot:02d}a{attempt}-{step}", "type": "tool_call"}])
