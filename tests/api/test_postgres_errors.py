"""PostgreSQL's own errors, as the API maps them: the SQLSTATEs of errors.py's table are raised for real by the
test's database, through asyncpg as the API meets it, and must come out as the problems the table promises. (Two are
not: 2202E, an array subscript error, which no lending function's argument can reach, and 53300, too many
connections, which is raised at connect time.) Lendgres' functions raise their own LN codes first, so these are the
safety net for what they miss."""

from __future__ import annotations

from typing import Any

import asyncpg
import psycopg
import pytest

from lendgres import errors
from tests.conftest import role_url

pytestmark = pytest.mark.anyio

SETUP = """
create temp table parent (id int primary key);
create temp table child (
  id int primary key,
  parent_id int references parent,
  name varchar(5) not null,
  amount int constraint amount_is_positive check (amount > 0)
);
insert into parent values (1);
insert into child values (1, 1, 'first', 1);
"""


async def error_of(postgresql: psycopg.Connection, statement: str) -> asyncpg.PostgresError:
    """The error `statement` raises, after SETUP, on the test's database as asyncpg hands it to the API."""
    connection = await asyncpg.connect(role_url(postgresql, postgresql.info.user))
    try:
        await connection.execute(SETUP)
        with pytest.raises(asyncpg.PostgresError) as raised:
            await connection.execute(statement)
    finally:
        await connection.close()
    return raised.value


async def problem_of(postgresql: psycopg.Connection, statement: str) -> errors.Problem:
    error = await error_of(postgresql, statement)
    problem = errors.from_postgres(error)
    assert problem is not None, f"{error.sqlstate} is not mapped"
    assert problem.extensions["sqlstate"] == error.sqlstate
    return problem


def invalid(field: str, message: str, **facts: Any) -> tuple[int, str, dict[str, Any]]:
    """A 422 validation_failed naming the field at fault (empty when PostgreSQL names none)."""
    return 422, "validation_failed", {"errors": [{"field": field, "message": message}], **facts}


@pytest.mark.parametrize(
    ("statement", "sqlstate", "expected"),
    [
        (
            "insert into child values (1, 1, 'again', 1)",
            "23505",
            (409, "conflict", {"constraint": "child_pkey"}),
        ),
        (
            "insert into child values (2, 7, 'lost', 1)",
            "23503",
            invalid(
                "",
                'insert or update on table "child" violates foreign key constraint "child_parent_id_fkey"',
                constraint="child_parent_id_fkey",
            ),
        ),
        (
            "insert into child values (2, 1, 'minus', -1)",
            "23514",
            invalid(
                "",
                'new row for relation "child" violates check constraint "amount_is_positive"',
                constraint="amount_is_positive",
            ),
        ),
        (
            "insert into child values (2, 1, null, 1)",
            "23502",
            invalid("name", 'null value in column "name" of relation "child" violates not-null constraint'),
        ),
        (
            "insert into child values (2, 1, 'too long', 1)",
            "22001",
            invalid("", "value too long for type character varying(5)"),
        ),
        ("select 2147483647::int + 1", "22003", invalid("", "integer out of range")),
        ("select 'twelve'::int", "22P02", invalid("", 'invalid input syntax for type integer: "twelve"')),
        ("select 'someday'::date", "22007", invalid("", 'invalid input syntax for type date: "someday"')),
        ("select '2026-02-30'::date", "22008", invalid("", 'date/time field value out of range: "2026-02-30"')),
        ("select generate_series(1, 3, 0)", "22023", invalid("", "step size cannot equal zero")),
        (
            "select convert_from('\\xff'::bytea, 'UTF8')",
            "22021",
            invalid("", 'invalid byte sequence for encoding "UTF8": 0xff'),
        ),
        (
            "select convert_to('€', 'LATIN1')",
            "22P05",
            invalid(
                "",
                'character with byte sequence 0xe2 0x82 0xac in encoding "UTF8" has no equivalent in encoding "LATIN1"',
            ),
        ),
    ],
)
async def test_input_errors_are_client_problems(
    postgresql: psycopg.Connection, statement: str, sqlstate: str, expected: tuple[int, str, dict[str, Any]]
) -> None:
    problem = await problem_of(postgresql, statement)
    status, code, facts = expected
    assert (problem.status, problem.code, problem.extensions["sqlstate"]) == (status, code, sqlstate)
    assert {key: value for key, value in problem.extensions.items() if key != "sqlstate"} == facts
    assert "Retry-After" not in problem.headers


@pytest.mark.parametrize(
    ("statement", "status", "code"),
    [
        ("set local statement_timeout = '10ms'; select pg_sleep(1)", 503, "service_unavailable"),
        (
            "do $$ begin raise exception 'stand-in' using errcode = 'serialization_failure'; end $$",
            409,
            "concurrent_update",
        ),
        (
            "do $$ begin raise exception 'stand-in' using errcode = 'deadlock_detected'; end $$",
            409,
            "concurrent_update",
        ),
        (
            "do $$ begin raise exception 'stand-in' using errcode = 'lock_not_available'; end $$",
            409,
            "concurrent_update",
        ),
    ],
)
async def test_contention_and_timeouts_say_retry(
    postgresql: psycopg.Connection, statement: str, status: int, code: str
) -> None:
    problem = await problem_of(postgresql, f"begin; {statement}")
    assert (problem.status, problem.code) == (status, code)
    assert problem.headers == ({"Retry-After": "1"} if status == 503 else {})


async def test_an_error_no_client_can_cause_is_not_mapped(postgresql: psycopg.Connection) -> None:
    """A real 500: from_exception logs it with the request id and answers without internals."""
    assert errors.from_postgres(await error_of(postgresql, "select * from no_such_table")) is None
