"""Directors: who writes the script and asks the tools for each take. Chosen by the profile."""

from __future__ import annotations

from typing import Protocol

from langchain_core.messages import AIMessage

from reelgraph.agents.director.brief import ShotBrief
from reelgraph.config import Profile
from reelgraph.errors import UsageError
from reelgraph.schema import ReelRequest, Script, VoiceLine


class Director(Protocol):
    """What every Director does: write the script, direct each take with tool calls, shorten a voice line."""

    @property
    def name(self) -> str:
        """Which Director this is: 'offline', 'llm' or 'replay'."""

    def write_script(self, request: ReelRequest) -> Script:
        """A validated script for the request."""

    def direct(self, brief: ShotBrief) -> AIMessage:
        """The next message of this take: tool calls, or none when the take is ready for the critic."""

    def shorten_line(self, line: VoiceLine, names: list[str], keep: float) -> str:
        """The same line said in about `keep` of its length (the voice-over must fit its shot)."""


_made: dict[str, Director] = {}


def make_director(profile: Profile) -> Director:
    """The Director the profile names (the offline story reader, an LLM behind an OpenAI-compatible server, or a
    recorded conversation), made once per process and profile: clients and recordings are reused across steps."""
    key = profile.director.model_dump_json()
    if key not in _made:
        _made[key] = _new_director(profile)
    return _made[key]


def _new_director(profile: Profile) -> Director:
    kind = profile.director.kind
    if kind in ("offline", "template"):  # 'template': the name of the offline Director in earlier profiles
        from reelgraph.agents.director.offline import OfflineDirector

        return OfflineDirector(profile.director)
    if kind == "llm":
        from reelgraph.agents.director.llm import LLMDirector

        return LLMDirector(profile.director)
    if kind == "replay":
        from reelgraph.agents.director.replay import ReplayDirector

        return ReplayDirector(profile.director)
    raise UsageError(f"director kind {kind!r} is not a Director (use 'offline', 'llm' or 'replay')")
