"""The events feed over HTTP, with long polling."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from starlette.responses import Response

from .. import db
from ..http import LendgresRoute, json_text
from ..models import EventPage, Text
from .loans import problems

router = APIRouter(route_class=LendgresRoute, tags=["events"])


@router.get(
    "/events",
    operation_id="wait_for_events",
    summary="Read what changed since a cursor, in commit order, optionally waiting for the next change",
    description="Use to follow applications without polling them one by one: pass the next_cursor of your last "
    "call as `after`, and `wait` (up to 30 s) to have the call return as soon as something new commits. Filter by "
    "application_id or type (application.filed, application.decided, application.withdrawn, application.updated).",
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
    return json_text(await read_events(request.app, after, limit, wait, application_id, event_type))


async def read_events(
    app: FastAPI, after: str | None, limit: int, wait: float, application_id: int | None, event_type: str | None
) -> str:
    """Reads the feed; when it has nothing new and `wait` allows, waits for the next commit and reads it again."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    listener = app.state.events_listener
    while True:
        changed = listener.next_change()
        result = await db.call(
            app.state.pool,
            "lending.events_after",
            after=after,
            limit=limit,
            application_id=application_id,
            event_type=event_type,
        )
        remaining = deadline - loop.time()
        if remaining <= 0 or json.loads(result)["events"]:
            return result
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), remaining)
