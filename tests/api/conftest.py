"""The HTTP layer against a real database: the app runs its lifespan (pool included) on each test's own
database, connected as the HTTP service's login role, and is driven through httpx in-process."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest
import uvicorn
from fastapi import FastAPI

from lendgres.app import create_app
from lendgres.serving import LimitedHttpToolsProtocol
from lendgres.settings import Settings
from tests.conftest import bearer, role_url


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def app(postgresql: psycopg.Connection) -> AsyncIterator[FastAPI]:
    postgresql.autocommit = True
    # Enough connections for the concurrency tests to hold one per request.
    settings = Settings(database_url=role_url(postgresql, "lendgres_test_http"), pool_min_size=1, pool_max_size=24)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app (its lifespan already running) behind a real HTTP server on a free local port, for MCP clients."""
    async with serving(app) as base:
        yield base


@contextlib.asynccontextmanager
async def serving(app: FastAPI, protocol: type[asyncio.Protocol] = LimitedHttpToolsProtocol) -> AsyncIterator[str]:
    """Serves `app` (its lifespan already running) with uvicorn as `lendgres serve` does, on a free local port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", http=protocol)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # uvicorn exposes startup only as a flag
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app that sends test-admin's API key; pass headers=bearer("...") to act as another actor."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lendgres.test", headers=bearer()) as client:
        yield client
