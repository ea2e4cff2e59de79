"""The migrations: an empty database migrates, a second run does nothing, every down migration really undoes its
up, and db/schema.sql is exactly what dbmate dumps today."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from lendgres import migrations
from lendgres.devtools.new_migration import placeholders
from lendgres.devtools.server import Server
from lendgres.devtools.source import schema_dump

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "db" / "schema.sql"


@pytest.fixture
def empty_database(pg_server: Server) -> Iterator[str]:
    name = f"lendgres_migrations_{uuid.uuid4().hex[:8]}"
    pg_server.create_database(name)
    try:
        yield name
    finally:
        pg_server.drop_database(name)


def test_no_migration_keeps_a_placeholder_to_write_by_hand() -> None:
    """`make migration` leaves placeholders for what only a person can write, and refuses to finish while one is
    left; none may reach main."""
    left = {path.name: placeholders(path) for path in migrations.migrations_dir().glob("*.sql")}

    assert not {name: lines for name, lines in left.items() if lines}


def test_an_empty_database_migrates_once(pg_server: Server, empty_database: str) -> None:
    url = pg_server.dbmate_url(empty_database)
    first = migrations.migrate(url)
    count = len(list(migrations.migrations_dir().glob("*.sql")))
    assert first.count("Applied:") == count
    migrated = schema_dump(pg_server, empty_database)
    second = migrations.migrate(url)
    assert "Applied" not in second
    assert schema_dump(pg_server, empty_database) == migrated


def test_each_down_migration_restores_the_schema_its_up_found(
    pg_server: Server, empty_database: str, tmp_path: Path
) -> None:
    """Migration by migration: up, down, up again. The down must leave exactly the schema the up started from (a
    down that forgot an object would otherwise go unseen, as an earlier migration's down drops it anyway), and the
    second up the schema of the first."""
    url = pg_server.dbmate_url(empty_database)
    applied = tmp_path / "migrations"
    applied.mkdir()

    def dbmate(command: str) -> None:
        # The real migrations, handed to dbmate one more at a time through a folder of their own.
        migrations.dbmate(url, command, folder=applied)

    def schema() -> str:
        # dbmate's own table appears with the first up and outlives the downs.
        return schema_dump(pg_server, empty_database)

    before = schema()
    for migration in sorted(migrations.migrations_dir().glob("*.sql")):
        (applied / migration.name).write_text(migration.read_text())
        dbmate("up")
        after = schema()
        assert after != before, f"{migration.name} changed nothing"
        dbmate("rollback")
        assert schema() == before, f"{migration.name}: its down is not its up undone"
        dbmate("up")
        assert schema() == after, f"{migration.name}: a second up differs"
        before = after


def test_every_down_migration_undoes_its_up(pg_server: Server, empty_database: str) -> None:
    url = pg_server.dbmate_url(empty_database)
    migrations.migrate(url)
    migrated = schema_dump(pg_server, empty_database)
    for _ in migrations.migrations_dir().glob("*.sql"):
        migrations.dbmate(url, "rollback")
    with psycopg.connect(pg_server.superuser_url(empty_database)) as connection:
        leftovers = connection.execute(
            """select (select count(*) from pg_namespace where nspname like 'lending%%'),
                      (select count(*) from pg_default_acl),
                      (select count(*) from public.schema_migrations)"""
        ).fetchone()
    assert leftovers == (0, 0, 0)
    migrations.migrate(url)
    assert schema_dump(pg_server, empty_database) == migrated


@pytest.mark.skipif(
    bool(os.environ.get("LENDGRES_TEST_PG_BINDIR")),
    reason="db/schema.sql is the dump of the embedded PostgreSQL 18, and names its version",
)
def test_schema_sql_is_what_dbmate_dumps_now(pg_server: Server, empty_database: str, tmp_path: Path) -> None:
    url = pg_server.dbmate_url(empty_database)
    migrations.migrate(url)
    dumped = tmp_path / "schema.sql"
    migrations.dbmate(url, "dump", schema_file=dumped)
    assert dumped.read_text() == SCHEMA_FILE.read_text(), "db/schema.sql is stale: run `make schema`"
