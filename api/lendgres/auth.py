"""Who is calling: API keys from `Authorization: Bearer`, resolved to actors.

The database decides. A key is resolved by `lending.authenticate` (which only the HTTP service's role may call),
and every other function is then called with the key's actor, which the database believes only from this service.
Whether that actor may perform the operation is checked by the function itself, against the current role.

Resolving a key costs a round trip, so each worker remembers resolved keys for a short while (`key_cache_seconds`).
A revocation reaches the workers at once through NOTIFY on the `lending_keys` channel (events/listener.py); the cache
period only bounds how late a worker that missed the notification can be. Deactivating an actor or changing its
role needs no notification: the database looks the actor up on every call.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from fastapi import Request

from . import db
from .errors import Problem
from .http import LendgresRoute

# What lending.create_api_key makes: anything else is refused without asking the database.
KEY_SHAPE = re.compile(r"lgk_[A-Za-z0-9_-]{64}")

# Keys held per worker at most; past it the oldest go first. Each entry is small; this bounds a flood of keys.
CACHE_LIMIT = 10_000


@dataclass(frozen=True)
class Identity:
    actor: str
    role: str
    key_id: int
    expires_at: float  # seconds since the epoch
    resolved_at: float  # time.monotonic()
    digest: str  # key_digest() of the key


def unauthenticated(detail: str) -> Problem:
    return Problem(
        401,
        "unauthenticated",
        "Not authenticated",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="lendgres"'},
    )


def key_digest(api_key: str) -> str:
    """The key's sha256 in hex: what the database stores, and what a revocation notification names."""
    return hashlib.sha256(api_key.encode()).hexdigest()


class Authenticator:
    """Resolves keys, remembering each for `cache_seconds`. The cache is keyed by the key itself, as sent: hashing
    it on every request cost more than the lookup (cProfile); its sha256 is taken only to ask the database, and kept
    to match revocation notifications."""

    def __init__(self, database: db.Database, cache_seconds: float) -> None:
        self._database = database
        self._cache_seconds = cache_seconds
        self._cache: dict[str, Identity] = {}

    async def identify(self, api_key: str, fresh: bool = False) -> Identity:
        """The key's identity; from the cache unless `fresh`, when the database is asked again."""
        now = time.monotonic()
        cached = None if fresh else self._cache.get(api_key)
        if cached is not None and now - cached.resolved_at < self._cache_seconds and cached.expires_at > time.time():
            return cached
        if not KEY_SHAPE.fullmatch(api_key):
            raise unauthenticated("That is not a Lendgres API key: keys look like lgk_ followed by 64 characters")
        self._cache.pop(api_key, None)
        try:
            resolved = json.loads(await db.call(self._database, "lending.authenticate", api_key=api_key))
        except asyncpg.PostgresError as exc:
            if exc.sqlstate == "LN401":
                raise unauthenticated(
                    "The API key is unknown, expired or revoked, or its actor is deactivated; ask an admin for a "
                    "new key (`lendgres keys create --actor NAME`)"
                ) from exc
            raise
        expires_at = datetime.fromisoformat(resolved["expires_at"].replace("Z", "+00:00")).timestamp()
        identity = Identity(
            resolved["actor"], resolved["role"], resolved["key_id"], expires_at, now, key_digest(api_key)
        )
        self._cache[api_key] = identity
        if len(self._cache) > CACHE_LIMIT:
            del self._cache[next(iter(self._cache))]
        return identity

    def forget(self, digest: str) -> None:
        """Drops a key from the cache: its revocation committed."""
        for api_key in [key for key, identity in self._cache.items() if identity.digest == digest]:
            del self._cache[api_key]

    def forget_all(self) -> None:
        """Drops every key: revocations may have been missed (the listening connection was lost)."""
        self._cache.clear()


# The OpenAPI security scheme every authenticated route names.
SCHEME = "api_key"
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "An API key: `Authorization: Bearer lgk_...`. Made with `lendgres keys create --actor NAME`.",
}


def bearer_key(request: Request) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, or None."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else None


async def identify(request: Request, api_key: str | None, fresh: bool = False) -> Identity:
    """The identity behind a bearer key, remembered in request.state for the handler and the request log. `fresh`
    asks the database even when the key was resolved a moment ago."""
    if not api_key:
        raise unauthenticated("Send an API key: `Authorization: Bearer <key>`")
    identity: Identity = await request.app.state.authenticator.identify(api_key, fresh)
    request.state.actor = identity.actor
    return identity


def acting_actor(request: Request) -> str:
    """The authenticated actor's name, to pass to the lending function as `actor` (AuthenticatedRoute set it)."""
    actor: str = request.state.actor
    return actor


class AuthenticatedRoute(LendgresRoute):
    """A route that needs an API key. The key is checked before the handler runs (401 otherwise), and the handler
    reads the actor with acting_actor(request). Not a FastAPI dependency: solving dependencies cost a GET about an
    eighth of its Python time (py-spy, under wrk)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        kwargs["openapi_extra"] = {"security": [{SCHEME: []}], **(kwargs.get("openapi_extra") or {})}
        super().__init__(path, endpoint, **kwargs)

    async def admit(self, request: Request) -> None:
        await identify(request, bearer_key(request))
