"""The studio's LangGraph tools. Each has a pydantic argument schema and writes only inside the run folder."""

from reelgraph.tools.audio import compose_music, speak_line
from reelgraph.tools.compose import compose_reel
from reelgraph.tools.image import render_keyframe, render_master
from reelgraph.tools.video import animate_keyframe, bridge_from_previous

SHOT_TOOLS = [render_keyframe, animate_keyframe, bridge_from_previous]
"""The tools a Director calls while making a shot."""

ALL_TOOLS = [render_master, *SHOT_TOOLS, compose_music, speak_line, compose_reel]

__all__ = ["ALL_TOOLS", "SHOT_TOOLS", "animate_keyframe", "bridge_from_previous", "compose_music", "compose_reel",
           "render_keyframe", "render_master", "speak_line"]
