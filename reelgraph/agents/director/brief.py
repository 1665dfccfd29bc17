"""What a Director sees while making one shot: a bounded context, not the whole run's history."""

from __future__ import annotations

from dataclasses import dataclass, field

from langchain_core.messages import AnyMessage

from reelgraph.schema import Artifact, Script, Shot, Take, Verdict
from reelgraph.state import ReelState


@dataclass
class ShotBrief:
    """The script, this shot, earlier takes of it with their verdicts, and this take's messages so far."""

    script: Script
    shot: Shot
    attempt: int
    seed: int
    takes: list[Take] = field(default_factory=list)
    messages: list[AnyMessage] = field(default_factory=list)
    made: dict[str, Artifact] = field(default_factory=dict)
    continues_previous: bool = False
    note: str | None = None

    @property
    def verdicts(self) -> list[Verdict]:
        """The critic's verdicts on earlier takes of this shot, in order."""
        return [t.verdict for t in self.takes if t.verdict is not None]

    @classmethod
    def from_state(cls, st: ReelState) -> ShotBrief:
        """The brief of the state's current shot and take."""
        from reelgraph.tools.common import current_shot, script_of, take_artifacts

        shot = current_shot(st)
        return cls(
            script=script_of(st), shot=shot, attempt=st.attempt, seed=take_seed(st.seed, shot.index, st.attempt),
            takes=list(st.takes), messages=list(st.messages), made=take_artifacts(st),
            continues_previous=shot.transition == "continuous" and bool(st.done) and st.done[-1].shot == shot.index - 1,
            note=st.notes.get(shot.index),
        )


def take_seed(seed: int, shot: int, attempt: int) -> int:
    """A distinct, reproducible seed per shot and attempt."""
    return (seed * 1_000_003 + shot * 10_007 + attempt * 101) % (2**31 - 1)
