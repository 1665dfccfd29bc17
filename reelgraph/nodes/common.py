"""What the nodes share: the request out of the state, and the update that clears a take's conversation."""

from __future__ import annotations

from typing import Final, Literal, cast

from langchain_core.messages import RemoveMessage
from langgraph.graph import END as _END
from langgraph.graph.message import REMOVE_ALL_MESSAGES

from reelgraph.schema import ReelRequest
from reelgraph.state import ReelState

CLEAR = [RemoveMessage(id=REMOVE_ALL_MESSAGES)]
"""A `messages` update that empties the Director's conversation (each take starts from a bounded context)."""

END: Final = cast(Literal["__end__"], _END)
"""LangGraph's END, typed as the literal it is (LangGraph declares it a plain `str`), for `Command[Literal[...]]`."""


def request_of(st: ReelState) -> ReelRequest:
    """The user's request, as it is in the state."""
    return ReelRequest.model_validate(st.model_dump(include=set(ReelRequest.model_fields)))
