"""reelgraph: a multi-agent film studio on LangGraph. A prompt goes in, a finished short film comes out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["build_graph", "__version__"]

if TYPE_CHECKING:
    from reelgraph.graph import build_graph


def __getattr__(name: str) -> Any:
    if name == "build_graph":
        from reelgraph.graph import build_graph

        return build_graph
    raise AttributeError(name)
