"""Who acts: the caller's own identity, and the actors and API keys that admins manage. The same functions back the
`lendgres actors` and `lendgres keys` commands."""

from __future__ import annotations

from ..models import NoArguments
from ..operations import Operation
from .models import (
    Actor,
    ActorList,
    ActorName,
    ApiKey,
    ApiKeyList,
    CreateActorRequest,
    CreateKeyRequest,
    KeyId,
    ListKeysQuery,
    Me,
    NewApiKey,
    UpdateActorRequest,
)

WHO_AM_I = Operation(
    name="who_am_i",
    summary="Tell which actor the API key acts as, its role and the operations that role may perform",
    description="Use first, to check the key works and to learn what you may do (e.g. whether `decide` is among "
    "your operations) before you try.",
    function="lending.whoami",
    method="GET",
    path="/me",
    result=Me,
    tag="identity",
    query=NoArguments,
)

LIST_ACTORS = Operation(
    name="list_actors",
    summary="List every actor with its kind, role and whether it is active (admins)",
    description="For admins: every agent, person and service that may act, with its role.",
    function="lending.list_actors",
    method="GET",
    path="/actors",
    result=ActorList,
    tag="admin",
    query=NoArguments,
)

CREATE_ACTOR = Operation(
    name="create_actor",
    summary="Create an actor (agent, human or service) with one role (admins)",
    description="Then give it a key (create_api_key; POST /keys). Use the least role the actor needs.",
    function="lending.create_actor",
    method="POST",
    path="/actors",
    result=Actor,
    tag="admin",
    body=CreateActorRequest,
    writes=True,
    idempotency="key",
    location="/actors/{name}",
    status_code=201,
    problems=(409,),
)

UPDATE_ACTOR = Operation(
    name="update_actor",
    summary="Change an actor's role, or deactivate or reactivate it (admins)",
    description="Takes effect on the actor's next call, whatever key it uses. Administration cannot lock itself "
    "out: only a PostgreSQL superuser may change the built-in operator (403 operator_protected), no actor takes "
    "itself out of admin (409 admin_self_demotion), and the last active admin apart from the operator stays one "
    "(409 last_admin).",
    function="lending.update_actor",
    method="PATCH",
    path="/actors/{name}",
    result=Actor,
    tag="admin",
    path_parameters={"name": ActorName},
    body=UpdateActorRequest,
    writes=True,
    destructive=True,
    problems=(404, 409),
)

LIST_API_KEYS = Operation(
    name="list_api_keys",
    summary="List API keys, all or one actor's, without their secrets (admins)",
    description="Each key shows its prefix, label, dates and state (active, expired or revoked); never its secret.",
    function="lending.list_api_keys",
    method="GET",
    path="/keys",
    result=ApiKeyList,
    tag="admin",
    query=ListKeysQuery,
)

CREATE_API_KEY = Operation(
    name="create_api_key",
    summary="Make an API key for an actor; its secret is in this answer and never again (admins)",
    description="Not idempotent on purpose: a replay would have to keep the secret, so an idempotency key is "
    "refused (422) rather than ignored. Keep api_key now.",
    function="lending.create_api_key",
    method="POST",
    path="/keys",
    result=NewApiKey,
    tag="admin",
    body=CreateKeyRequest,
    writes=True,
    idempotency="refused",
    status_code=201,
    problems=(404,),
)

REVOKE_API_KEY = Operation(
    name="revoke_api_key",
    summary="Revoke an API key for good (admins)",
    description="Every worker stops accepting it as soon as the revocation commits. Revoking it again changes "
    "nothing and answers the same, so a retry is safe without an idempotency key.",
    function="lending.revoke_api_key",
    method="POST",
    path="/keys/{key_id}/revoke",
    result=ApiKey,
    tag="admin",
    path_parameters={"key_id": KeyId},
    body=NoArguments,
    body_optional=True,
    writes=True,
    destructive=True,
    problems=(404,),
)

OPERATIONS = [WHO_AM_I, LIST_ACTORS, CREATE_ACTOR, UPDATE_ACTOR, LIST_API_KEYS, CREATE_API_KEY, REVOKE_API_KEY]
