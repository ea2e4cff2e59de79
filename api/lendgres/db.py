"""The connection pool, entered in turn, and the one way the HTTP layer talks to PostgreSQL: a lending function call."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from .errors import Problem
from .settings import Settings

_ARGUMENT = re.compile(r"query argument \$(\d+)")


async def _nothing_to_reset(connection: asyncpg.Connection) -> None:
    """Lendgres keeps no session state: settings are transaction-local and nothing is LISTENed on pooled
    connections. So a connection goes back to the pool without asyncpg's reset query, which would cost every
    request a second round trip. (An unfinished transaction is still rolled back by the pool itself.)"""


class Database:
    """The pool, entered in order of arrival.

    asyncpg hands a released connection to whichever caller asks next. A waiter woken for it can find it taken by
    a request that has just arrived, and then waits again at the back of the queue: with more requests in flight
    than connections, a few wait many turns (a p99 ten times the median, under wrk at 64 connections). A FIFO
    semaphore as wide as the pool lets callers reach it in turn, so the pool itself never has a queue."""

    def __init__(self, pool: asyncpg.Pool, size: int) -> None:
        self.pool = pool
        self._turns = asyncio.Semaphore(size)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._turns, self.pool.acquire() as connection:
            yield connection

    async def fetchval(self, statement: str, *values: Any) -> Any:
        """Runs one statement on a connection taken in turn: connection() without a generator's cost per call."""
        async with self._turns, self.pool.acquire() as connection:
            return await connection.fetchval(statement, *values)

    async def close(self) -> None:
        await self.pool.close()


async def connect(settings: Settings) -> Database:
    pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        statement_cache_size=settings.statement_cache_size,
        reset=_nothing_to_reset,
    )
    assert pool is not None
    return Database(pool, settings.pool_max_size)


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
