"""Liveness and readiness: for load balancers and orchestrators (/healthz, /readyz), and for `lendgres serve`, which
refuses to serve a database that is not ready. Readiness is decided here only."""

from __future__ import annotations

import json
from dataclasses import dataclass

import asyncpg
from fastapi import FastAPI
from starlette.responses import Response

from . import db, migrations
from .errors import Problem
from .http import LendgresRoute, json_text


@dataclass(frozen=True)
class Readiness:
    """Whether a database has every migration this code needs."""

    schema_version: str | None  # the newest migration applied; None when Lendgres was never migrated there
    expected_schema_version: str

    @property
    def ready(self) -> bool:
        return not migrations.is_behind(self.schema_version)

    @property
    def detail(self) -> str:
        if self.schema_version is None:
            return f"The database has no Lendgres migration; this code needs {self.expected_schema_version}"
        return f"The database is at migration {self.schema_version}, this code needs {self.expected_schema_version}"


async def readiness(database: db.Database) -> Readiness:
    """Asks the database which migration it is at (lending.schema_version). Failing to reach it raises."""
    try:
        found = json.loads(await db.call(database, "lending.schema_version"))["version"]
    except (asyncpg.UndefinedFunctionError, asyncpg.InvalidSchemaNameError):
        found = None  # a database Lendgres was never migrated in
    return Readiness(found, migrations.latest_version())


def add_routes(app: FastAPI) -> None:
    """Serves /healthz and /readyz, without keys."""
    app.router.add_api_route(
        "/healthz",
        healthz,
        operation_id="check_liveness",
        summary="Whether the process is alive (no database call)",
        responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
        tags=["health"],
        route_class_override=LendgresRoute,
    )
    app.router.add_api_route(
        "/readyz",
        readyz,
        operation_id="check_readiness",
        summary="Whether the database is reachable and has every migration this code needs (503 if not)",
        responses=READINESS_RESPONSES,
        tags=["health"],
        route_class_override=LendgresRoute,
    )


async def healthz() -> Response:
    return json_text('{"status": "ok"}')


READINESS_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"application/json": {"example": {"status": "ready", "schema_version": "20261125160700"}}}},
    503: {
        "content": {
            "application/problem+json": {
                "example": {
                    "type": "urn:lendgres:problem:not_ready",
                    "title": "Not ready",
                    "status": 503,
                    "detail": "The database is at migration 20261125160600, this code needs 20261125160700",
                    "code": "not_ready",
                    "schema_version": "20261125160600",
                    "expected_schema_version": "20261125160700",
                    "request_id": "5f0c7c2e9b1d4f7a",
                }
            }
        },
        "description": "Not ready (code not_ready); retry after Retry-After.",
    },
}


async def readyz(database: db.DatabaseDep) -> Response:
    try:
        state = await readiness(database)
    except Exception as exc:
        raise Problem(
            503,
            "not_ready",
            "Not ready",
            f"The database cannot be queried: {type(exc).__name__}",
            headers={"Retry-After": "5"},
        ) from exc
    if not state.ready:
        raise Problem(
            503,
            "not_ready",
            "Not ready",
            state.detail,
            {"schema_version": state.schema_version, "expected_schema_version": state.expected_schema_version},
            {"Retry-After": "5"},
        )
    return json_text(json.dumps({"status": "ready", "schema_version": state.schema_version}))
