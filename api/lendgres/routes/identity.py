"""Who the caller is, for an agent checking its key before it starts work."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from .. import db
from ..auth import AuthenticatedRoute, acting_actor
from ..http import json_text
from ..models import Me
from . import problems

router = APIRouter(route_class=AuthenticatedRoute, tags=["identity"])


@router.get(
    "/me",
    operation_id="who_am_i",
    summary="Tell which actor the API key acts as, its role and the operations that role may perform",
    description="Use first, to check the key works and to learn what you may do (e.g. whether `decide` is among "
    "your operations) before you try.",
    response_model=Me,
    responses=problems(),
)
async def who_am_i(request: Request) -> Response:
    return json_text(await db.call(request.app.state.database, "lending.whoami", actor=acting_actor(request)))
