"""The process side of serving many requests: the pool is entered in order of arrival, and garbage collection
leaves the startup objects alone."""

from __future__ import annotations

import asyncio
import gc

import psycopg
import pytest

from lendgres import db
from lendgres.app import create_app
from lendgres.settings import Settings
from tests.conftest import role_url

pytestmark = pytest.mark.anyio

WAITERS = 8
LATECOMERS = 4


async def test_callers_get_connections_in_order_of_arrival(postgresql: psycopg.Connection) -> None:
    postgresql.autocommit = True
    settings = Settings(database_url=role_url(postgresql, "lendgres_test_http"), pool_min_size=1, pool_max_size=1)
    database = await db.connect(settings)
    served: list[int] = []

    async def use(caller: int) -> None:
        async with database.connection() as connection:
            served.append(caller)
            await connection.fetchval("select 1")

    try:
        release = asyncio.Event()
        latecomers: list[asyncio.Task[None]] = []

        async def hold() -> None:
            async with database.connection():
                await release.wait()
                # These arrive as the connection is given back, and run before the waiter that its return wakes:
                # the moment at which a bare asyncpg pool hands it to whoever asks first, and the waiter queues
                # again at the back.
                asyncio.get_running_loop().call_soon(
                    lambda: latecomers.extend(asyncio.create_task(use(WAITERS + n)) for n in range(LATECOMERS))
                )

        holder = asyncio.create_task(hold())
        await asyncio.sleep(0.05)
        waiters = []
        for caller in range(WAITERS):
            waiters.append(asyncio.create_task(use(caller)))
            await asyncio.sleep(0.01)  # each is queued before the next arrives
        release.set()
        await asyncio.gather(holder, *waiters)
        await asyncio.gather(*latecomers)
    finally:
        await database.close()
    assert served == list(range(WAITERS + LATECOMERS))


async def test_startup_leaves_its_objects_out_of_garbage_collection(postgresql: psycopg.Connection) -> None:
    """A full collection would otherwise walk everything the app made at startup, a pause every request waits out."""
    postgresql.autocommit = True
    gc.unfreeze()
    application = create_app(Settings(database_url=role_url(postgresql, "lendgres_test_http"), pool_min_size=1))
    async with application.router.lifespan_context(application):
        assert gc.get_freeze_count() > 10_000
