"""PostgreSQL's own errors, as the API maps them: the SQLSTATEs of errors.py's table are raised for real by the
test's database, through asyncpg as the API meets it, and must come out as the problems the table promises. (Two are
not: 2202E, an array subscript error, which no lending function's argument can reach, and 53300, too many
connections, which is raised at connect time.) Lendgres' functions raise their own LN codes first, so these are the
safety net for what they miss."""

from __future__ import annotations

import json

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
    # What PostgreSQL said names private tables and constraints: it is logged, never answered.
    answered = json.dumps(problem.body("request-id"))
    assert error.sqlstate not in answered
    assert (getattr(error, "message", None) or "") not in answered
    for internal in ("child", "parent", "amount_is_positive", "sqlstate", "constraint"):
        assert internal not in answered, answered
    return problem


@pytest.mark.parametrize(
    ("statement", "sqlstate", "detail"),
    [
        ("insert into child values (2, 7, 'lost', 1)", "23503", "The request refers to a record that does not exist."),
        (
            "insert into child values (2, 1, 'minus', -1)",
            "23514",
            "A value breaks a rule of the record it would be stored in.",
        ),
        ("insert into child values (2, 1, null, 1)", "23502", "A required value is missing."),
        ("insert into child values (2, 1, 'too long', 1)", "22001", "A value is too long."),
        ("select 2147483647::int + 1", "22003", "A number is out of range."),
        ("select 'twelve'::int", "22P02", "A value is not written in the form its type needs."),
        ("select 'someday'::date", "22007", "A date or time is not valid."),
        ("select '2026-02-30'::date", "22008", "A date or time is out of range."),
        ("select generate_series(1, 3, 0)", "22023", "A value is not valid here."),
        ("select convert_from('\\xff'::bytea, 'UTF8')", "22021", "Text contains bytes that are not valid UTF-8."),
        ("select convert_to('€', 'LATIN1')", "22P05", "Text contains characters that cannot be stored."),
    ],
)
async def test_input_errors_are_client_problems(
    postgresql: psycopg.Connection, statement: str, sqlstate: str, detail: str
) -> None:
    assert (await error_of(postgresql, statement)).sqlstate == sqlstate
    problem = await problem_of(postgresql, statement)
    assert (problem.status, problem.code, problem.detail) == (422, "validation_failed", detail)
    assert problem.extensions == {"errors": [{"field": "", "message": detail}]}
    assert "Retry-After" not in problem.headers


async def test_a_taken_unique_key_is_a_conflict_that_names_no_constraint(postgresql: psycopg.Connection) -> None:
    problem = await problem_of(postgresql, "insert into child values (1, 1, 'again', 1)")
    assert (problem.status, problem.code, problem.extensions) == (409, "conflict", {})


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
