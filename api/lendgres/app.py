"""The FastAPI application: a pool made once in the lifespan, thin routes, one problem mapping."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from . import __version__, access, auth, db, docs, events, health, loans, mcp_server, underwriting
from .auth import AuthenticatedRoute, Authenticator
from .events import EventsListener
from .http import HeadAsGet, RequestIdMiddleware, RequestLimits, StandardOutput, access_log, problem_response
from .operations import http_route
from .settings import Settings

# Every operation of the API, by domain: each is served as an HTTP route and as an MCP tool.
OPERATIONS = [*loans.OPERATIONS, *underwriting.OPERATIONS, *events.OPERATIONS, *access.OPERATIONS]

DESCRIPTION = """\
Lendgres files loan applications, assesses them against their product's policy, records decisions with their
reasons (with a person's review or second confirmation where the policy asks), fixes offers, audits every change,
and feeds what changed to those who follow it. PostgreSQL is the source of truth: every call is one database
function, every change leaves a hash-chained audit row, and every error is a problem document
(`application/problem+json`) with a stable `code` and the facts needed to correct the request.

Every route but the health checks, this document and its pages (/docs, /redoc) needs an API key:
`Authorization: Bearer <key>`. A key acts as one actor, whose role (reader, intake, underwriter, reviewer, servicer,
admin) says what it may do; `GET /me` tells which. A missing or bad key is 401 (`unauthenticated`), an operation
outside the role 403 (`forbidden`).

Each write says how it treats an `Idempotency-Key` header: most replay the first response to a retry with the same
key and body (`Idempotent-Replayed: true`) and write nothing; creating an API key refuses one. Send `X-Request-Id`
to trace a call through the audit trail.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    _log_requests_to_stdout()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as resources:
            app.state.database = await db.connect(settings)
            resources.push_async_callback(app.state.database.close)
            app.state.authenticator = Authenticator(app.state.database, settings.key_cache_seconds)
            app.state.events_listener = EventsListener(
                settings.listen_database_url or settings.database_url,
                app.state.database,
                key_revoked=app.state.authenticator.forget,
                keys_unknown=app.state.authenticator.forget_all,
            )
            await app.state.events_listener.start()
            resources.push_async_callback(app.state.events_listener.stop)
            await resources.enter_async_context(mcp.session_manager.run())
            _exempt_startup_objects_from_collection()
            yield

    # FastAPI asks OpenTelemetry's global providers on every request whether anyone listens, even when none was ever
    # configured: about 7% of a request's own Python time (in process, the database call stubbed). So it is on only
    # when the operator asks for it.
    telemetry = settings.telemetry
    app = FastAPI(
        title="Lendgres",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # /loans/ would redirect to /loans on the host the request's Host header names, which a client chooses.
        redirect_slashes=False,
        docs_url=None,  # docs.add_routes serves the pages, from local assets
        redoc_url=None,
        telemetry={"tracing": telemetry, "metrics": telemetry, "logs": telemetry},
    )

    def openapi() -> dict[str, Any]:
        """FastAPI's document, plus the bearer scheme that AuthenticatedRoute names (it is not a dependency)."""
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            schema.setdefault("components", {}).setdefault("securitySchemes", {})[auth.SCHEME] = auth.SECURITY_SCHEME
            app.openapi_schema = docs.mend(schema, OPERATIONS)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    for operation in OPERATIONS:
        app.router.add_api_route(**http_route(operation), route_class_override=AuthenticatedRoute)
    health.add_routes(app)
    docs.add_routes(app)
    mcp = mcp_server.mount(app, OPERATIONS, list(settings.allowed_hosts))
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        RequestLimits, max_body_bytes=settings.max_body_bytes, body_timeout=settings.body_timeout_seconds
    )
    app.add_middleware(RequestIdMiddleware)  # added last, so it runs first: its log line sees the request as sent

    # Routes answer their own failures (LendgresRoute); these cover what happens before a route is found.
    app.add_exception_handler(HTTPException, problem_response)
    app.add_exception_handler(RequestValidationError, problem_response)
    return app


def _exempt_startup_objects_from_collection() -> None:
    """What exists once the app has started (the framework, the routes, the models: some 100,000 objects) lives as
    long as the process, yet every full garbage collection walks it: about 70 ms on a small machine, which every
    request in flight waits out. Freezing it leaves the collector only what requests allocate.

    The freeze is process-wide: in a process that hosts this app among others, their startup objects are frozen too,
    and a frozen object that later becomes part of a reference cycle is never collected (such as a first pool
    connection closed as idle): a bounded cost, paid once per start."""
    gc.collect()
    gc.freeze()


def _log_requests_to_stdout() -> None:
    """One JSON line per request on standard output, unless the host application configured the log itself."""
    if not access_log.handlers:
        handler = StandardOutput()
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
