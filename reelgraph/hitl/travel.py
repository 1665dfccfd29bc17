"""Time travel the LangGraph way: `graph.update_state(past_config, values)`, then `graph.invoke(None, fork_config)`.

The reel's nodes route with `Command(goto=...)`. A state update applied as the node that wrote a checkpoint (what
LangGraph infers when no `as_node` is given) carries no route, so the fork would have nothing to run. The reel graph
gives such an update the route its checkpoint was taking (`continue_update`): the fork runs the same next nodes, on
the edited state.
"""

from __future__ import annotations

from typing import Any

from langgraph.types import Command, StateSnapshot

from reelgraph.errors import UsageError

_PULL = "__pregel_pull"
"""The path tag of a task that an edge or a `goto` started (langgraph's PULL); a `Send` starts the others."""


def continue_update(snapshot: StateSnapshot, values: Any) -> Any:
    """`values` as an update that goes on where `snapshot` was going (its next nodes).

    Unchanged for a `Command` (it routes itself) and at the end of a run (nothing was next). A checkpoint whose next
    tasks were sent (the parallel chains) cannot be re-sent from values: that is refused, naming what works.
    """
    if isinstance(values, Command) or not snapshot.next:
        return values
    sent = sorted({t.name for t in snapshot.tasks if not t.path or t.path[0] != _PULL})
    if sent:
        raise UsageError(f"this checkpoint sends {sent} out in parallel, which a state update cannot send again: "
                         "update the checkpoint before it, or redo a shot (reelgraph.hitl.api.redo_shot)")
    return Command(update=values, goto=list(snapshot.next))
