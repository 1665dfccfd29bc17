"""The LangChain tools the Director calls while making a shot. Each has a pydantic argument schema; none takes a
file path: every path is derived from the run state, inside the run folder."""

from reelgraph.tools.image import render_keyframe
from reelgraph.tools.video import animate_keyframe, bridge_from_previous

SHOT_TOOLS = [render_keyframe, animate_keyframe, bridge_from_previous]
"""The tools a Director calls while making a shot."""

__all__ = ["SHOT_TOOLS", "animate_keyframe", "bridge_from_previous", "render_keyframe"]
