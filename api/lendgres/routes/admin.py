"""Actors and their API keys over HTTP, for admins (operations manage_actors and manage_keys). The same functions
back the `lendgres actors` and `lendgres keys` commands."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from .. import db
from ..auth import AuthenticatedRoute, acting_actor
from ..errors import Problem
from ..http import envelope, json_text
from ..models import (
    Actor,
    ActorList,
    ApiKey,
    ApiKeyList,
    CreateActorRequest,
    CreateKeyRequest,
    NewApiKey,
    Text,
    UpdateActorRequest,
)
from . import IDEMPOTENT, idempotency_key, problems

router = APIRouter(route_class=AuthenticatedRoute, tags=["admin"])

ActorName = Annotated[Text, Path(description="The actor's name.")]


@router.get(
    "/actors",
    operation_id="list_actors",
    summary="List every actor with its kind, role and whether it is active (admins)",
    response_model=ActorList,
    responses=problems(),
)
async def list_actors(request: Request) -> Response:
    return json_text(await db.call(request.app.state.database, "lending.list_actors", actor=acting_actor(request)))


@router.post(
    "/actors",
    status_code=201,
    operation_id="create_actor",
    summary="Create an actor (agent, human or service) with one role (admins)",
    description="Then give it a key with POST /keys. Use the least role the actor needs.",
    response_model=Actor,
    responses=problems(409, 422),
    openapi_extra=IDEMPOTENT,
)
async def create_actor(request: Request, actor: CreateActorRequest) -> Response:
    result = await db.call(
        request.app.state.database,
        "lending.create_actor",
        **actor.model_dump(exclude_none=True),
        actor=acting_actor(request),
        request_id=request.state.request_id,
        idempotency_key=idempotency_key(request),
    )
    return envelope(result, location="/actors/{name}")


@router.patch(
    "/actors/{name}",
    operation_id="update_actor",
    summary="Change an actor's role, or deactivate or reactivate it (admins)",
    description="Takes effect on the actor's next call, whatever key it uses.",
    response_model=Actor,
    responses=problems(404, 422),
)
async def update_actor(request: Request, name: ActorName, change: UpdateActorRequest) -> Response:
    result = await db.call(
        request.app.state.database,
        "lending.update_actor",
        name=name,
        role=change.role,
        active=change.active,
        actor=acting_actor(request),
        request_id=request.state.request_id,
    )
    return envelope(result)


@router.get(
    "/keys",
    operation_id="list_api_keys",
    summary="List API keys, all or one actor's, without their secrets (admins)",
    response_model=ApiKeyList,
    responses=problems(422),
)
async def list_api_keys(
    request: Request, actor: Annotated[Text | None, Query(description="Only this actor's keys.")] = None
) -> Response:
    result = await db.call(
        request.app.state.database, "lending.list_api_keys", for_actor=actor, actor=acting_actor(request)
    )
    return json_text(result)


@router.post(
    "/keys",
    status_code=201,
    operation_id="create_api_key",
    summary="Make an API key for an actor; its secret is in this answer and never again (admins)",
    description="Not idempotent on purpose: a replay would have to keep the secret, so an Idempotency-Key is refused "
    "(422) rather than ignored. Keep api_key now.",
    response_model=NewApiKey,
    responses=problems(404, 422),
)
async def create_api_key(request: Request, key: CreateKeyRequest) -> Response:
    if "idempotency-key" in request.headers:
        # Ignoring it would let a client believe its retry safe, and each retry would make one more live key.
        message = (
            "is not accepted here: a replay would have to keep the key's secret. Send the request without it; "
            "if an earlier attempt may have made a key, GET /keys?actor=... lists it and "
            "POST /keys/{key_id}/revoke revokes it"
        )
        raise Problem.invalid("header", "Idempotency-Key", message, f"Idempotency-Key {message}")
    result = await db.call(
        request.app.state.database,
        "lending.create_api_key",
        for_actor=key.actor,
        expires_in_days=key.expires_in_days,
        label=key.label,
        actor=acting_actor(request),
        request_id=request.state.request_id,
    )
    return envelope(result)


@router.post(
    "/keys/{key_id}/revoke",
    operation_id="revoke_api_key",
    summary="Revoke an API key for good (admins)",
    description="Every worker stops accepting it as soon as the revocation commits. Revoking it again changes "
    "nothing and answers the same, so a retry is safe without an Idempotency-Key.",
    response_model=ApiKey,
    responses=problems(404, 422),
)
async def revoke_api_key(
    request: Request, key_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="The key's id.")]
) -> Response:
    result = await db.call(
        request.app.state.database,
        "lending.revoke_api_key",
        key_id=key_id,
        actor=acting_actor(request),
        request_id=request.state.request_id,
    )
    return envelope(result)
