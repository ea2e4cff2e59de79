"""The API's connections to PostgreSQL, lent to callers in order of arrival, and the one way the HTTP layer talks to
PostgreSQL: a lending function call."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request

from .errors import CONNECTION_LOST, DatabaseUnavailable, Problem
from .settings import Settings

_ARGUMENT = re.compile(r"query argument \$(\d+)")
CLOSE_TIMEOUT_S = 5.0
# A connection idle longer than this is closed rather than lent: a firewall or NAT may have dropped it silently, and
# a query on it would hang until TCP gave up. asyncpg's pool used the same limit.
IDLE_LIFETIME_S = 300.0


class Database:
    """Up to `size` connections, each lent to one caller at a time, to callers in order of arrival.

    Lendgres keeps no session state (settings are transaction-local, nothing is LISTENed here, every call is one
    statement), so a connection needs nothing done to it between callers. That is all a pool has to do here, and
    asyncpg's does more on every call: a task to shield each release, a timer for idle connections, a proxy object,
    a reset query unless told otherwise. It also hands a returned connection to whoever asks first, so a caller
    that was already waiting can lose it to a newcomer and queue again at the back (a p99 ten times the median
    under wrk at 64 connections). This one serves waiters strictly in turn, and costs a GET about a sixth less
    Python time (bench/README.md).

    A connection goes back to the idle list only as it came: open, outside a transaction, not in the middle of a
    statement. One that the server closed, or that was left in a transaction, is dropped, and its place goes to the
    next caller, who opens a new one. One whose caller was cancelled mid-statement keeps its place while the driver
    cancels the statement on the server, and is lent again once it answers. Connections are opened on demand;
    `connect` opens the first few (pool_min_size) at once, so that a wrong URL fails the start. `close` closes the
    idle ones; one still lent is closed as it comes back (uvicorn finishes its requests before the app shuts down)."""

    def __init__(self, url: str, size: int, statement_cache_size: int = 100) -> None:
        self._url = url
        self._size = size
        self._statement_cache_size = statement_cache_size
        # Idle connections and when each became idle; the last one returned is lent first: its backend is warmest.
        self._idle: list[tuple[asyncpg.Connection, float]] = []
        # Callers waiting for a connection, first come first served. A waiter is handed a connection, or None: the
        # place of a dropped connection, in which it opens a new one.
        self._waiters: collections.deque[asyncio.Future[asyncpg.Connection | None]] = collections.deque()
        self._places_taken = 0  # connections open, being opened, lent, or recovering from a cancelled caller
        self._recovering: set[asyncio.Task[None]] = set()
        self._closing = False

    async def open(self, count: int) -> None:
        """Opens `count` connections now (at most the pool's size), so that an unreachable database fails here."""
        for _ in range(min(count, self._size) - self._places_taken):
            self._places_taken += 1
            self._return(await self._connect_in_place())

    async def fetchval(self, statement: str, *values: Any) -> Any:
        """Runs one statement on a connection lent in turn, and returns the first column of its first row."""
        connection = await self._lend()
        try:
            value = await connection.fetchval(statement, *values)
        except BaseException as exc:
            lost = _lost_with(connection, exc)  # before _take_back, which may close it for reasons of its own
            self._take_back(connection, exc)
            if lost:
                raise DatabaseUnavailable("the connection to the database was lost") from exc
            raise
        self._take_back(connection, None)
        return value

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection lent in turn, for a caller that needs several statements on one (tests do). Unlike the
        proxies of asyncpg's pool, it is the connection itself: it must not be used after the block."""
        connection = await self._lend()
        try:
            yield connection
        except BaseException as exc:
            lost = _lost_with(connection, exc)  # before _take_back, which may close it for reasons of its own
            self._take_back(connection, exc)
            if lost:
                raise DatabaseUnavailable("the connection to the database was lost") from exc
            raise
        self._take_back(connection, None)

    async def close(self) -> None:
        """Closes the idle connections, refuses waiters and new callers; a lent connection closes when it comes
        back."""
        self._closing = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(_closing())
        for task in list(self._recovering):
            task.cancel()
        await asyncio.gather(*self._recovering, return_exceptions=True)
        idle, self._idle = self._idle, []
        self._places_taken -= len(idle)
        closing = (connection.close(timeout=CLOSE_TIMEOUT_S) for connection, _ in idle)
        await asyncio.gather(*closing, return_exceptions=True)

    async def _lend(self) -> asyncpg.Connection:
        if self._closing:
            raise _closing()
        if not self._waiters:
            while self._idle:
                connection, idle_since = self._idle.pop()
                if not connection.is_closed() and time.monotonic() - idle_since < IDLE_LIFETIME_S:
                    return connection
                connection.terminate()
                self._places_taken -= 1
            if self._places_taken < self._size:
                self._places_taken += 1
                return await self._connect_in_place()
        waiter: asyncio.Future[asyncpg.Connection | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            connection = await waiter
        except asyncio.CancelledError:
            if waiter.cancelled():
                # Usually still queued; but a return or close() may have passed over it since it was cancelled.
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            elif waiter.exception() is None:
                self._return(waiter.result())  # handed over as this caller was cancelled: pass it on
            raise
        if self._closing:  # handed over just before close(), which then could not see it
            self._return(connection)
            raise _closing()
        if connection is None or connection.is_closed():
            return await self._connect_in_place()
        return connection

    async def _connect_in_place(self) -> asyncpg.Connection:
        """Opens a connection in a place the caller has taken; gives the place up if that fails."""
        try:
            connection: asyncpg.Connection = await asyncpg.connect(
                self._url, statement_cache_size=self._statement_cache_size
            )
        except BaseException:
            self._return(None)
            raise
        return connection

    def _take_back(self, connection: asyncpg.Connection, failure: BaseException | None) -> None:
        if isinstance(failure, asyncio.CancelledError) and not (self._closing or connection.is_closed()):
            # The caller was cancelled, perhaps mid-statement: the driver is asking the server to cancel it. The
            # connection keeps its place until it answers again, so that the server never runs more statements
            # than the pool has places.
            task = asyncio.get_running_loop().create_task(self._recover(connection))
            self._recovering.add(task)
            task.add_done_callback(self._recovering.discard)
        elif (failure is None or isinstance(failure, Exception)) and not (
            isinstance(failure, CONNECTION_LOST) or connection.is_closed() or connection.is_in_transaction()
        ):
            # A statement that failed in the database leaves its connection ready for the next one. (A closing
            # pool keeps nothing: _return closes it then.)
            self._return(connection)
        else:
            if isinstance(failure, CONNECTION_LOST):
                self._drop_idle()
            connection.terminate()
            self._return(None)

    def _drop_idle(self) -> None:
        """Closes every idle connection. One connection lost to a server restart or crash means the others were
        lost too (PostgreSQL ends every session when a backend crashes), though the driver may not know yet: the
        next statement on one could fail, or find its protocol in a state it cannot leave. New ones are opened on
        demand."""
        idle, self._idle = self._idle, []
        for connection, _ in idle:
            connection.terminate()
        self._places_taken -= len(idle)

    async def _recover(self, connection: asyncpg.Connection) -> None:
        """Lends a connection again once it answers a statement (asyncpg runs it after the cancellation it has
        under way); drops it if it does not answer in time."""
        try:
            await asyncio.wait_for(connection.fetchval("select 1"), CLOSE_TIMEOUT_S)
        except BaseException as exc:
            connection.terminate()
            self._return(None)
            if not isinstance(exc, Exception):
                raise  # cancelled by close()
            return
        self._take_back(connection, None)

    def _return(self, connection: asyncpg.Connection | None) -> None:
        """Hands a connection, or the place of a dropped one (None), to the first waiter; else keeps it idle."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if connection is None:
            self._places_taken -= 1
        elif self._closing:
            connection.terminate()
            self._places_taken -= 1
        else:
            self._idle.append((connection, time.monotonic()))


def _lost_with(connection: asyncpg.Connection, failure: BaseException) -> bool:
    """Whether `failure` lost the connection (the server, or its backend, is gone): the caller may retry, and
    nothing about this connection's state is worth reporting. Whether a write committed just before is unknown, so
    its idempotency key decides on the retry."""
    return isinstance(failure, CONNECTION_LOST) or (isinstance(failure, Exception) and connection.is_closed())


def _closing() -> DatabaseUnavailable:
    """What a caller gets from a closing pool: the process is shutting down, and another replica can answer."""
    return DatabaseUnavailable("the database pool is closing")


async def connect(settings: Settings) -> Database:
    """The API's connections, the first pool_min_size of them open."""
    database = Database(settings.database_url, settings.pool_max_size, settings.statement_cache_size)
    try:
        await database.open(settings.pool_min_size)
    except BaseException:
        await database.close()
        raise
    return database


async def database(request: Request) -> Database:
    """The app's database, the one way every handler reaches it: as a FastAPI dependency (DatabaseDep), or awaited
    with the request (the operations' endpoints and MCP tools, see operations.http_route). A coroutine, because
    FastAPI runs a plain function dependency in a worker thread: a thread switch per request, for a field lookup."""
    found: Database = request.app.state.database
    return found


DatabaseDep = Annotated[Database, Depends(database)]


@functools.lru_cache(maxsize=256)
def _call_statement(function: str, names: tuple[str, ...]) -> str:
    arguments = ", ".join(f'"{name}" => ${position}' for position, name in enumerate(names, 1))
    return f"select {function}({arguments})"


def named_call(function: str, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The statement that calls `function` with named arguments, and the arguments it passes, in order. Arguments
    that are None are left out, so that the function's own defaults apply."""
    given = {name: value for name, value in arguments.items() if value is not None}
    return _call_statement(function, tuple(given)), given


async def call(database: Database, function: str, **arguments: Any) -> str:
    """Calls `function` with named arguments in one round trip and returns its jsonb result as JSON text."""
    statement, given = named_call(function, arguments)
    try:
        result: str = await database.fetchval(statement, *given.values())
    except asyncpg.InterfaceError as exc:
        if not isinstance(exc, ValueError):
            raise
        raise _unencodable(exc, list(given)) from exc
    return result


def _unencodable(exc: Exception, names: list[str]) -> Problem:
    """The driver could not encode an argument for PostgreSQL: the caller's value, so a 422 naming it."""
    match = _ARGUMENT.search(str(exc))
    field = names[int(match.group(1)) - 1] if match else ""
    return Problem.invalid(
        "request", field, "cannot be stored in the database", f"{field or 'an argument'} cannot be stored"
    )
