"""The events feed over HTTP, with long polling."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ..auth import AuthenticatedRoute, acting_actor
from ..events import read_events
from ..http import json_text
from ..models import EventPage, Text
from . import problems

router = APIRouter(route_class=AuthenticatedRoute, tags=["events"])


@router.get(
    "/events",
    operation_id="wait_for_events",
    summary="Read what changed since a cursor, in commit order, optionally waiting for the next change",
    description="Use to follow applications without polling them one by one: pass the next_cursor of your last "
    "call as `after`, and `wait` (up to 30 s) to have the call return as soon as something new commits. Filter by "
    "application_id or type (application.filed, application.decided, application.withdrawn, application.updated). "
    "You see the events of what your role may read.",
    response_model=EventPage,
    responses=problems(422),
)
async def wait_for_events(
    request: Request,
    after: Annotated[
        Text | None, Query(description="next_cursor of your previous call; omit to start at the beginning.")
    ] = None,
    limit: Annotated[int, Query(ge=-(2**31), le=2**31 - 1, description="Events per call, 1-1000.")] = 100,
    wait: Annotated[float, Query(ge=0, le=30, description="Seconds to wait for a change when there is none.")] = 0,
    application_id: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Only this application's.")] = None,
    event_type: Annotated[Text | None, Query(alias="type", description="Only events of this type.")] = None,
) -> Response:
    return json_text(
        await read_events(request.app, acting_actor(request), after, limit, wait, application_id, event_type)
    )
