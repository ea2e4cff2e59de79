"""The SQL API as another service calls it: logged in as a role with lending_api's rights, named arguments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.conftest import role_url


def call(connection: psycopg.Connection, function: str, **arguments: Any) -> Any:
    """Calls a lending function with named arguments; returns its jsonb result as Python data."""
    placeholders = ", ".join(f'"{name}" => %({name})s' for name in arguments)
    values = {name: Jsonb(value) if isinstance(value, dict) else value for name, value in arguments.items()}
    row = connection.execute(f"select {function}({placeholders})", values).fetchone()
    assert row is not None
    return row[0]


@pytest.fixture
def client(postgresql: psycopg.Connection) -> Iterator[psycopg.Connection]:
    """A connection as lendgres_test_client: a login role granted lending_api, as other services get."""
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
