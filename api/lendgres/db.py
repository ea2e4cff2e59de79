"""The connection pool, and the one way the HTTP layer talks to PostgreSQL: a call of one lending function."""

from __future__ import annotations

import functools
import re
from typing import Any

import asyncpg

from .errors import Problem
from .settings import Settings

_ARGUMENT = re.compile(r"query argument \$(\d+)")


async def _nothing_to_reset(connection: asyncpg.Connection) -> None:
    """Lendgres keeps no session state: settings are transaction-local and nothing is LISTENed on pooled
    connections. So a connection goes back to the pool without asyncpg's reset query, which would cost every
    request a second round trip. (An unfinished transaction is still rolled back by the pool itself.)"""


async def create_pool(settings: Settings) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        statement_cache_size=settings.statement_cache_size,
        reset=_nothing_to_reset,
    )
    assert pool is not None
    return pool


@functools.lru_cache(maxsize=256)
def _call_statement(function: str, names: tuple[str, ...]) -> str:
    arguments = ", ".join(f'"{name}" => ${position}' for position, name in enumerate(names, 1))
    return f"select {function}({arguments})"


def named_call(function: str, arguments: dict[str, Any]) -> tuple[str, list[Any]]:
    """The statement that calls `function` with named arguments, and its values. Arguments that are None are left
    out, so that the function's own defaults apply."""
    given = {name: value for name, value in arguments.items() if value is not None}
    return _call_statement(function, tuple(given)), list(given.values())


async def call(pool: asyncpg.Pool, function: str, **arguments: Any) -> str:
    """Calls `function` with named arguments in one round trip and returns its jsonb result as JSON text."""
    statement, values = named_call(function, arguments)
    async with pool.acquire() as connection:
        try:
            result: str = await connection.fetchval(statement, *values)
        except asyncpg.InterfaceError as exc:
            if not isinstance(exc, ValueError):
                raise
            raise _unencodable(exc, [name for name, value in arguments.items() if value is not None]) from exc
    return result


def _unencodable(exc: Exception, names: list[str]) -> Problem:
    """The driver could not encode an argument for PostgreSQL: the caller's value, so a 422 naming it."""
    match = _ARGUMENT.search(str(exc))
    field = names[int(match.group(1)) - 1] if match else ""
    return Problem.invalid(
        "request", field, "cannot be stored in the database", f"{field or 'an argument'} cannot be stored"
    )
