"""The events feed: what changed, in commit order, and waiting for the next change."""

from __future__ import annotations

from typing import Any

from ..operations import Caller, Operation
from .listener import EventsListener, read_events
from .models import EventPage, EventsQuery

__all__ = ["OPERATIONS", "EventsListener"]


async def wait_for_events(caller: Caller, function: str, arguments: dict[str, Any]) -> str:
    """The feed after a cursor; with `wait`, as soon as something new commits (see listener.read_events)."""
    listener: EventsListener = caller.request.app.state.events_listener
    return await read_events(listener, caller.database, function, caller.actor, **arguments)


WAIT_FOR_EVENTS = Operation(
    name="wait_for_events",
    summary="Read what changed since a cursor, in commit order, optionally waiting for the next change",
    description="Use to follow applications without polling them one by one: pass the next_cursor of your last "
    "call as `after`, and `wait` (up to 30 s) to have the call return as soon as something new commits. Filter by "
    "application_id or type. You see the events of what your role may read.",
    function="lending.events_after",
    method="GET",
    path="/events",
    result=EventPage,
    tag="events",
    query=EventsQuery,
    perform=wait_for_events,
)

OPERATIONS = [WAIT_FOR_EVENTS]
