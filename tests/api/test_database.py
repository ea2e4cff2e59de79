"""The process side of serving many requests: connections are lent in order of arrival, within the pool's size,
and come back only in a state the next caller can use; garbage collection leaves the startup objects alone."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable

import asyncpg
import psycopg
import pytest

from lendgres import db, errors
from lendgres.app import create_app
from lendgres.errors import DatabaseUnavailable
from lendgres.settings import Settings
from tests.conftest import role_url

pytestmark = pytest.mark.anyio

WAITERS = 8
LATECOMERS = 4


async def _database(postgresql: psycopg.Connection, size: int) -> db.Database:
    postgresql.autocommit = True
    return await db.connect(
        Settings(database_url=role_url(postgresql, "lendgres_test_http"), pool_min_size=1, pool_max_size=size)
    )


async def test_callers_get_connections_in_order_of_arrival(postgresql: psycopg.Connection) -> None:
    database = await _database(postgresql, 1)
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


def _backends(postgresql: psycopg.Connection) -> set[int]:
    rows = postgresql.execute(
        "select pid from pg_stat_activity where usename = 'lendgres_test_http' and pid <> pg_backend_pid()"
    ).fetchall()
    return {pid for (pid,) in rows}


class Holder:
    """Takes the pool's one connection and keeps it until release(); `inside` runs on it first, and `after` runs
    the moment it is given back (when a waiter has been handed it but has not run yet)."""

    def __init__(
        self,
        database: db.Database,
        inside: Callable[[asyncpg.Connection], Awaitable[object]] | None = None,
        after: Callable[[asyncpg.Connection], Awaitable[object]] | None = None,
    ) -> None:
        self._release = asyncio.Event()
        self._database, self._inside, self._after = database, inside, after

    async def __aenter__(self) -> Holder:
        self._task = asyncio.create_task(self._hold())
        await asyncio.sleep(0.05)
        return self

    async def _hold(self) -> None:
        async with self._database.connection() as connection:
            if self._inside is not None:
                await self._inside(connection)
            await self._release.wait()
        if self._after is not None:
            await self._after(connection)

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        await self._task

    def release(self) -> None:
        self._release.set()


async def queued(call: Awaitable[int]) -> asyncio.Task[int]:
    """A call started now, and queued for a connection before this returns."""
    task = asyncio.ensure_future(call)
    await asyncio.sleep(0.05)
    return task


async def test_no_more_connections_than_the_pool_size(postgresql: psycopg.Connection) -> None:
    database = await _database(postgresql, 3)
    try:
        pids = await asyncio.gather(
            *(database.fetchval("select pg_backend_pid() from pg_sleep(0.02)") for _ in range(30))
        )
        assert len(set(pids)) == 3
        assert _backends(postgresql) == set(pids)
    finally:
        await database.close()
    assert _backends(postgresql) == set()


async def test_a_failed_statement_leaves_its_connection_for_the_next_caller(postgresql: psycopg.Connection) -> None:
    database = await _database(postgresql, 1)
    try:
        pid = await database.fetchval("select pg_backend_pid()")
        with pytest.raises(asyncpg.DivisionByZeroError):
            await database.fetchval("select 1 / 0")
        assert await database.fetchval("select pg_backend_pid()") == pid
    finally:
        await database.close()


async def test_a_cancelled_call_is_cancelled_on_the_server_and_its_connection_lent_again(
    postgresql: psycopg.Connection,
) -> None:
    """The statement of a caller cancelled mid-way does not go on running beside the pool's other connections."""
    database = await _database(postgresql, 1)
    try:
        pid = await database.fetchval("select pg_backend_pid()")
        sleeper = asyncio.create_task(database.fetchval("select pg_sleep(30)"))
        await asyncio.sleep(0.2)
        sleeper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sleeper
        assert await asyncio.wait_for(database.fetchval("select pg_backend_pid()"), 5) == pid
        assert _backends(postgresql) == {pid}
    finally:
        await database.close()


async def test_a_cancelled_waiter_does_not_keep_its_turn(postgresql: psycopg.Connection) -> None:
    database = await _database(postgresql, 1)
    try:
        async with Holder(database):
            cancelled = await queued(database.fetchval("select 1"))
            later = await queued(database.fetchval("select 2"))
            cancelled.cancel()
        assert await asyncio.wait_for(later, 5) == 2
        assert cancelled.cancelled()
    finally:
        await database.close()


async def test_a_waiter_cancelled_as_its_turn_came_passes_the_connection_on(postgresql: psycopg.Connection) -> None:
    database = await _database(postgresql, 1)
    try:
        waiters: list[asyncio.Task[int]] = []

        async def cancel_the_first(_: asyncpg.Connection) -> None:
            waiters[0].cancel()  # it was just handed the connection, and has not run since

        async with Holder(database, after=cancel_the_first):
            waiters.append(await queued(database.fetchval("select 1")))
            waiters.append(await queued(database.fetchval("select 2")))
        with pytest.raises(asyncio.CancelledError):
            await waiters[0]
        assert await asyncio.wait_for(waiters[1], 5) == 2
    finally:
        await database.close()


async def test_a_waiter_cancelled_after_its_turn_was_skipped_ends_cancelled(postgresql: psycopg.Connection) -> None:
    database = await _database(postgresql, 1)
    try:
        async with Holder(database) as holder:
            waiter = await queued(database.fetchval("select 1"))
            holder.release()
            waiter.cancel()  # the connection comes back before the waiter runs again, and passes it over
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert await asyncio.wait_for(database.fetchval("select 2"), 5) == 2
    finally:
        await database.close()


async def test_a_failed_connect_gives_its_place_to_the_next_caller(postgresql: psycopg.Connection) -> None:
    """Nobody listens on port 1: each caller in turn tries, and fails, rather than waiting forever for a place."""
    database = db.Database("postgresql://nobody@127.0.0.1:1/nothing", 1)
    try:
        calls = [database.fetchval("select 1") for _ in range(3)]
        results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 10)
        assert all(isinstance(result, OSError) for result in results), results
    finally:
        await database.close()


async def test_a_connection_left_in_a_transaction_is_dropped(postgresql: psycopg.Connection) -> None:
    database = await _database(postgresql, 1)
    try:
        async with database.connection() as connection:
            pid = await connection.fetchval("select pg_backend_pid()")
            await connection.execute("begin")
        assert await database.fetchval("select pg_backend_pid()") != pid
    finally:
        await database.close()


async def test_a_connection_closed_as_it_was_handed_over_is_replaced(postgresql: psycopg.Connection) -> None:
    async def close_it(connection: asyncpg.Connection) -> None:
        connection.terminate()  # already handed to the waiter, which has not run since

    database = await _database(postgresql, 1)
    try:
        async with Holder(database, after=close_it):
            waiter = await queued(database.fetchval("select 1"))
        assert await asyncio.wait_for(waiter, 5) == 1
    finally:
        await database.close()


async def test_a_place_handed_over_just_before_close_opens_nothing(postgresql: psycopg.Connection) -> None:
    database = await _database(postgresql, 1)

    async def begin(connection: asyncpg.Connection) -> None:
        await connection.execute("begin")  # left in a transaction, it is dropped: its place goes to the waiter

    async def close(_: asyncpg.Connection) -> None:
        await database.close()  # before the waiter runs again

    async with Holder(database, inside=begin, after=close):
        waiter = await queued(database.fetchval("select 1"))
    with pytest.raises(DatabaseUnavailable, match="closing"):
        await asyncio.wait_for(waiter, 5)
    await asyncio.sleep(0.2)
    assert _backends(postgresql) == set()


async def test_a_connection_idle_too_long_is_closed_instead_of_lent(
    postgresql: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A firewall may have dropped it without a word, and a query on it would hang."""
    monkeypatch.setattr(db, "IDLE_LIFETIME_S", 0.2)
    database = await _database(postgresql, 1)
    try:
        pid = await database.fetchval("select pg_backend_pid()")
        assert await database.fetchval("select pg_backend_pid()") == pid
        await asyncio.sleep(0.3)
        assert await database.fetchval("select pg_backend_pid()") != pid
    finally:
        await database.close()


async def test_a_connection_the_server_closed_is_replaced(postgresql: psycopg.Connection) -> None:
    database = await _database(postgresql, 1)
    try:
        pid = await database.fetchval("select pg_backend_pid()")
        postgresql.execute("select pg_terminate_backend(%s, 5000)", (pid,))
        await asyncio.sleep(0.2)  # the driver reads the server's goodbye and marks the connection closed
        assert await database.fetchval("select pg_backend_pid()") not in (None, pid)
    finally:
        await database.close()


async def test_closing_refuses_waiters_and_closes_every_connection(postgresql: psycopg.Connection) -> None:
    database = await _database(postgresql, 1)
    async with Holder(database):
        waiter = await queued(database.fetchval("select 1"))
        await database.close()
        with pytest.raises(DatabaseUnavailable, match="closing"):
            await asyncio.wait_for(waiter, 5)
        with pytest.raises(DatabaseUnavailable, match="closing"):
            await database.fetchval("select 1")
    await asyncio.sleep(0.2)
    assert _backends(postgresql) == set()


async def test_startup_leaves_its_objects_out_of_garbage_collection(postgresql: psycopg.Connection) -> None:
    """A full collection would otherwise walk everything the app made at startup, a pause every request waits out."""
    postgresql.autocommit = True
    gc.unfreeze()
    application = create_app(Settings(database_url=role_url(postgresql, "lendgres_test_http"), pool_min_size=1))
    async with application.router.lifespan_context(application):
        assert gc.get_freeze_count() > 10_000


async def test_a_connection_lost_mid_statement_is_unavailable_and_never_lent_again(
    postgresql: psycopg.Connection,
) -> None:
    """The server ends the session under a running statement (57P01, as a shutdown or a crash of another backend
    does): the caller may retry, so it is a 503, and neither that connection nor the idle ones lost with it are
    lent again."""
    database = await _database(postgresql, 2)
    try:
        async with database.connection() as first, database.connection() as second:
            lost = await first.fetchval("select pg_backend_pid()")
            idle = await second.fetchval("select pg_backend_pid()")
        sleeper = asyncio.create_task(database.fetchval("select pg_sleep(30)"))
        await asyncio.sleep(0.2)
        running = _backends(postgresql) & {lost, idle}
        assert len(running) == 2
        postgresql.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where pid = any(%s) and query like '%%pg_sleep%%'",
            (list(running),),
        )
        with pytest.raises(DatabaseUnavailable) as raised:
            await asyncio.wait_for(sleeper, 5)
        assert isinstance(raised.value.__cause__, errors.CONNECTION_LOST)
        problem = errors.known_problem(raised.value)
        assert problem is not None
        assert (problem.status, problem.code, problem.headers) == (503, "service_unavailable", {"Retry-After": "1"})
        assert await database.fetchval("select pg_backend_pid()") not in (lost, idle)
    finally:
        await database.close()


@pytest.mark.parametrize(
    "lost",
    [
        asyncpg.CannotConnectNowError("the database system is in recovery mode"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.CrashShutdownError("terminating connection because of crash of another server process"),
        asyncpg.ConnectionFailureError("server closed the connection unexpectedly"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        ConnectionRefusedError(111, "Connection refused"),
        DatabaseUnavailable("the connection to the database was lost"),
    ],
    ids=type,
)
def test_every_loss_of_the_database_says_retry(lost: Exception) -> None:
    """Most of these are PostgreSQL errors too, with SQLSTATEs of their own: none of them may be a 500."""
    problem = errors.known_problem(lost)
    assert problem is not None
    assert (problem.status, problem.code, problem.headers) == (503, "service_unavailable", {"Retry-After": "1"})


async def test_a_failure_inside_a_transaction_is_itself_though_the_connection_is_dropped(
    postgresql: psycopg.Connection,
) -> None:
    """The pool drops a connection left in a transaction; the caller's own error must still reach it, not a 503."""
    database = await _database(postgresql, 1)
    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            async with database.connection() as connection:
                await connection.execute("begin")
                await connection.execute("select 1 / 0")
        assert await database.fetchval("select 1") == 1
    finally:
        await database.close()
