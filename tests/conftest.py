"""Fixtures shared by every suite: one PostgreSQL server per session, one migrated template database, and a
fresh database cloned from it for each test (pytest-postgresql's `postgresql` fixture)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from pytest_postgresql import factories
from pytest_postgresql.executors.noop import NoopExecutor
from pytest_postgresql.janitor import DatabaseJanitor

from lendgres import migrations
from tests import pgserver

# Login roles of the tests (roles are cluster-wide, so they are created once, if missing): the HTTP service's,
# another service's calling the SQL API, the reporting role's, and one with no grant at all.
TEST_ROLES = {
    "lendgres_test_http": "lending_api",
    "lendgres_test_client": "lending_api",
    "lendgres_test_reporting": "lending_reporting",
    "lendgres_test_nobody": None,
}


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.Server]:
    server = pgserver.start()
    try:
        yield server
    finally:
        server.stop()


def migrate_template(host: str, port: int, user: str, dbname: str, **_: object) -> None:
    migrations.migrate(f"postgres://{user}@/{dbname}?socket={host}&port={port}&sslmode=disable")
    with psycopg.connect(host=host, port=port, user=user, dbname=dbname, autocommit=True) as connection:
        for role, group in TEST_ROLES.items():
            connection.execute(
                f"do $$ begin if not exists (select from pg_roles where rolname = '{role}') then "
                f"create role {role} login; end if; end $$"
            )
            if group:
                connection.execute(f"grant {group} to {role}")


@pytest.fixture(scope="session")
def postgresql_noproc(pg_server: pgserver.Server) -> Iterator[NoopExecutor]:
    executor = NoopExecutor(
        host=str(pg_server.socket_dir), port=pgserver.PORT, user="postgres", options="", dbname="lendgres_test"
    )
    janitor = DatabaseJanitor(
        user=executor.user, host=executor.host, port=executor.port, dbname=executor.template_dbname, as_template=True
    )
    with janitor:
        janitor.load(migrate_template)
        yield executor


postgresql = factories.postgresql("postgresql_noproc")


def role_url(connection: psycopg.Connection, role: str) -> str:
    """A libpq/asyncpg URL for `role` on the database of `connection` (a test's own database)."""
    info = connection.info
    return f"postgresql://{role}@/{info.dbname}?host={info.host}&port={info.port}"
