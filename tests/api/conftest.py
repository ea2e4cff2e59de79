"""The HTTP layer against a real database: the app runs its lifespan (pool included) on each test's own
database, connected as the HTTP service's login role, and is driven through httpx in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from lendgres.app import create_app
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
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app that sends test-admin's API key; pass headers=bearer("...") to act as another actor."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lendgres.test", headers=bearer()) as client:
        yield client
