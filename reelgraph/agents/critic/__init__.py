"""Vision Critics: score a take 0–10 with named defects. Chosen by the profile."""

from __future__ import annotations

from reelgraph.agents.critic.base import Critic, TakeReview
from reelgraph.config import Profile
from reelgraph.errors import UsageError

__all__ = ["Critic", "TakeReview", "make_critic"]

_made: dict[str, Critic] = {}


def make_critic(profile: Profile) -> Critic:
    """The critic the profile names (the heuristic one, or a VLM behind an OpenAI-compatible server), made once per
    process and profile."""
    key = profile.critic.model_dump_json()
    if key not in _made:
        _made[key] = _new_critic(profile)
    return _made[key]


def _new_critic(profile: Profile) -> Critic:
    kind = profile.critic.kind
    if kind == "heuristic":
        from reelgraph.agents.critic.heuristic import HeuristicCritic

        return HeuristicCritic(profile.critic)
    if kind == "vlm":
        from reelgraph.agents.critic.vlm import VLMCritic

        return VLMCritic(profile.critic)
    raise UsageError(f"critic kind {kind!r} is not a Critic (use 'heuristic' or 'vlm')")
