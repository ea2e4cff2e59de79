"""Who acts, and the actors and API keys admins manage."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ..models import Int32, PathId, Strict, Text, checked_range, checked_text

# The form of an actor's name (lending_private.actor_name_error), for the schema.
ACTOR_NAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$"
ActorKind = Literal["agent", "human", "service"]
ActorRole = Literal["reader", "intake", "underwriter", "reviewer", "servicer", "admin"]


class Me(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "actor_id": 2,
                    "name": "underwriter-1",
                    "kind": "agent",
                    "role": "underwriter",
                    "active": True,
                    "version": 1,
                    "created_at": "2026-11-25T16:00:00.000000Z",
                    "updated_at": "2026-11-25T16:00:00.000000Z",
                    "operations": ["apply", "assess", "decide", "read_applications", "read_events"],
                }
            ]
        }
    )

    actor_id: int
    name: str
    kind: ActorKind
    role: ActorRole
    active: bool
    version: int
    created_at: str
    updated_at: str
    operations: list[str] = Field(description="Every operation the role permits.")


# In paths: /actors/{name}, /keys/{key_id}/revoke.
ActorName = Annotated[Text, Field(description="The actor's name.")]
KeyId = Annotated[PathId, Field(description="The key's id.")]


# Actors and API keys, for admins --------------------------------------------------------------------------------


_ACTOR_EXAMPLE: dict[str, Any] = {
    "actor_id": 4,
    "name": "intake-bot",
    "kind": "agent",
    "role": "intake",
    "db_role": None,
    "active": True,
    "version": 1,
    "created_at": "2026-11-25T16:00:00.000000Z",
    "updated_at": "2026-11-25T16:00:00.000000Z",
}
_KEY_EXAMPLE: dict[str, Any] = {
    "key_id": 9,
    "actor": "intake-bot",
    "prefix": "lgk_3q0VbX1a",
    "label": "intake agent, prod",
    "created_at": "2026-11-25T16:00:00.000000Z",
    "expires_at": "2027-02-23T16:00:00.000000Z",
    "revoked_at": None,
    "state": "active",
}


class CreateActorRequest(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "intake-bot", "kind": "agent", "role": "intake"},
                {"name": "billing", "kind": "service", "role": "servicer"},
            ]
        }
    )

    name: Annotated[Text, checked_text(pattern=ACTOR_NAME)] = Field(
        description="1-100 letters, digits and . _ @ -; unique."
    )
    kind: ActorKind
    role: ActorRole
    db_role: Text | None = Field(None, description="A PostgreSQL login (granted lending_api) that acts as this actor.")


class UpdateActorRequest(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "underwriter"}, {"active": False}]})

    role: ActorRole | None = None
    # Strict, as integers are: 0, "no" or "off" would otherwise deactivate an actor.
    active: StrictBool | None = Field(None, description="false deactivates the actor: every key of it stops working.")


class Actor(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ACTOR_EXAMPLE]})

    actor_id: int
    name: str
    kind: ActorKind
    role: ActorRole
    db_role: str | None
    active: bool
    version: int
    created_at: str
    updated_at: str


class ActorList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_ACTOR_EXAMPLE]}]})

    items: list[Actor]


class CreateKeyRequest(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"actor": "intake-bot", "label": "intake agent, prod"},
                {"actor": "intake-bot", "expires_in_days": 7},
            ]
        }
    )

    for_actor: Annotated[Text, checked_text(pattern=ACTOR_NAME)] = Field(
        alias="actor", description="The actor the key acts as."
    )
    expires_in_days: Annotated[Int32, checked_range(1, 3650)] = Field(90, description="Days until the key expires.")
    label: Annotated[Text, checked_text(100)] | None = Field(
        None, description="What the key is for, at most 100 characters."
    )


class ApiKey(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_KEY_EXAMPLE]})

    key_id: int
    actor: str
    prefix: str = Field(description="The key's first characters, to recognise it.")
    label: str | None
    created_at: str
    expires_at: str
    revoked_at: str | None
    state: Literal["active", "expired", "revoked"]


class NewApiKey(ApiKey):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_KEY_EXAMPLE, "api_key": "lgk_3q0VbX1a..."}]})

    api_key: str = Field(description="The secret, shown this once: send it as `Authorization: Bearer <api_key>`.")


class ApiKeyList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_KEY_EXAMPLE]}]})

    items: list[ApiKey]


class ListKeysQuery(Strict):
    for_actor: Text | None = Field(None, alias="actor", description="Only this actor's keys.")
