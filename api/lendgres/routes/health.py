"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from .. import db, migrations
from ..errors import Problem
from ..http import LendgresRoute, json_text

router = APIRouter(route_class=LendgresRoute, tags=["health"])


@router.get(
    "/healthz",
    operation_id="check_liveness",
    summary="Whether the process is alive (no database call)",
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
async def healthz() -> Response:
    return json_text('{"status": "ok"}')


@router.get(
    "/readyz",
    operation_id="check_readiness",
    summary="Whether the database is reachable and has every migration this code needs (503 if not)",
    responses={
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
    },
)
async def readyz(request: Request) -> Response:
    try:
        found = json.loads(await db.call(request.app.state.database, "lending.schema_version"))["version"]
    except Exception as exc:
        raise Problem(
            503,
            "not_ready",
            "Not ready",
            f"The database cannot be queried: {type(exc).__name__}",
            headers={"Retry-After": "5"},
        ) from exc
    if migrations.is_behind(found):
        expected = migrations.latest_version()
        raise Problem(
            503,
            "not_ready",
            "Not ready",
            f"The database is at migration {found}, this code needs {expected}",
            {"schema_version": found, "expected_schema_version": expected},
            {"Retry-After": "5"},
        )
    return json_text(json.dumps({"status": "ready", "schema_version": found}))
