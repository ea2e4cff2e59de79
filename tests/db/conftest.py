"""The SQL API as other services call it, with named arguments: as the HTTP service's role, which names the acting
actor, or as a service's own login role, which acts as the actor mapped to it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.conftest import role_url


def call(connection: psycopg.Connection, function: str, **arguments: Any) -> Any:
    """Calls a lending function with named arguments; returns its jsonb result as Python data. On the `client`
    connection (the gateway) the actor is test-admin unless the test names another."""
    if connection.info.user == "lendgres_test_http" and function not in (
        "lending.schema_version",
        "lending.authenticate",
    ):
        arguments.setdefault("actor", "test-admin")
    placeholders = ", ".join(f'"{name}" => %({name})s' for name in arguments)
    values = {name: Jsonb(value) if isinstance(value, dict) else value for name, value in arguments.items()}
    row = connection.execute(f"select {function}({placeholders})", values).fetchone()
    assert row is not None
    return row[0]


@pytest.fixture
def client(postgresql: psycopg.Connection) -> Iterator[psycopg.Connection]:
    """A connection as lendgres_test_http, the HTTP service's role (lending_gateway): it names the acting actor."""
    with psycopg.connect(role_url(postgresql, "lendgres_test_http"), autocommit=True) as connection:
        yield connection


@pytest.fixture
def service(postgresql: psycopg.Connection) -> Iterator[psycopg.Connection]:
    """A connection as lendgres_test_client, another service's login (lending_api), which acts as test-service."""
    with psycopg.connect(role_url(postgresql, "lendgres_test_client"), autocommit=True) as connection:
        yield connection


@pytest.fixture
def superuser(postgresql: psycopg.Connection) -> psycopg.Connection:
    """The test database as its superuser, for setting up and for tampering."""
    postgresql.autocommit = True
    return postgresql


def apply(connection: psycopg.Connection, **arguments: Any) -> dict[str, Any]:
    """Files an application for Jane Doe (unless told otherwise) and returns it."""
    arguments = {"applicant_name": "Jane Doe", "amount": 15000, "actor": "intake-agent", **arguments}
    if "applicant_id" in arguments:
        arguments.pop("applicant_name")
    result = call(connection, "lending.apply", **arguments)
    assert result["status"] == 201, result
    body: dict[str, Any] = result["body"]
    return body


def refusal(connection: psycopg.Connection, function: str, **arguments: Any) -> tuple[str, str, dict[str, Any]]:
    """Calls a function that must fail; returns (SQLSTATE, message, detail)."""
    with pytest.raises(psycopg.Error) as failed:
        call(connection, function, **arguments)
    error = failed.value
    assert error.sqlstate is not None
    return error.sqlstate, error.diag.message_primary or "", json.loads(error.diag.message_detail or "{}")


def call_until_it_waits(
    superuser: psycopg.Connection, login_role: str, work: Callable[[], Any]
) -> tuple[threading.Thread, list[Any]]:
    """Starts `work` (a call on a connection of `login_role`) in a thread and returns once that role's session waits
    for a lock, so that a test can let the lock go and see what the waiting call then does. The thread appends the
    call's result, or the psycopg.Error it raised, to the list."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(work())
        except psycopg.Error as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 30
    while not superuser.execute(
        "select exists (select from pg_stat_activity where usename = %s and wait_event_type = 'Lock')", [login_role]
    ).fetchone()[0]:  # type: ignore[index]
        assert thread.is_alive() and time.monotonic() < deadline, outcome
        time.sleep(0.02)
    return thread, outcome
