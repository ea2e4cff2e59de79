"""db/src and db/migrations describe the same database: one built from each is the same, object by object and as
pg_dump sees it. A change to one line of one source file that no migration makes is found, and named."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lendgres import migrations
from lendgres.devtools import source
from lendgres.devtools.new_migration import functions_in
from lendgres.devtools.server import Server


@pytest.fixture(scope="module")
def migrated(pg_server: Server) -> Iterator[str]:
    """A database the migrations made, for the whole module."""
    name = f"lendgres_migrated_{uuid.uuid4().hex[:8]}"
    pg_server.create_database(name)
    try:
        migrations.migrate(pg_server.dbmate_url(name))
        yield name
    finally:
        pg_server.drop_database(name)


@pytest.fixture
def built_from(pg_server: Server) -> Iterator[object]:
    """Builds a database from a source folder; the databases are dropped after the test."""
    made: list[str] = []

    def build(source_dir: Path) -> str:
        name = f"lendgres_source_{uuid.uuid4().hex[:8]}"
        made.append(name)
        source.build(pg_server, name, source_dir)
        return name

    yield build
    for name in made:
        pg_server.drop_database(name)


def test_the_source_builds_the_database_the_migrations_make(pg_server: Server, migrated: str, built_from) -> None:
    found = source.differences(pg_server, migrated, built_from(source.SOURCE_DIR))

    assert not found, "db/src and db/migrations differ; write a migration (`make migration NAME=...`):\n\n" + (
        "\n\n".join(map(str, found))
    )


def test_every_source_file_is_in_the_manifest_once() -> None:
    manifest = (source.SOURCE_DIR / source.MANIFEST).read_text()
    included = [line.split(maxsplit=1)[1] for line in manifest.splitlines() if line.startswith("\\ir ")]
    files = sorted(str(path.relative_to(source.SOURCE_DIR)) for path in source.SOURCE_DIR.rglob("*.sql"))

    assert sorted(included) == [name for name in files if name != source.MANIFEST]


def test_each_function_has_its_own_file_named_after_it() -> None:
    """One file per function name, <schema>.<name>.sql, holding every overload of that name and nothing else."""
    function_files = [path for path in source.SOURCE_DIR.rglob("*.sql") if source.is_function_file(path)]
    assert len(function_files) > 50
    for path in function_files:
        defined = {function.name for function in functions_in(path.read_text())}
        assert defined == {path.name.removesuffix(".sql")}, path


# One line of one file changed, for each kind of object: the comparison must find it and name the file.
ONE_LINE_CHANGES = [
    pytest.param(
        "applications/lending.withdraw.sql",
        "  v_application := lending_private.lock_application(application_id, expected_version);",
        "  v_application := lending_private.lock_application(application_id, null);",
        "function lending.withdraw",
        id="a line of a function's body",
    ),
    pytest.param(
        "core/lending_private.json_time.sql",
        """  select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');""",
        """  select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');""",
        "function lending_private.json_time",
        id="a standard SQL body",
    ),
    pytest.param(
        "applications/lending.get_application.sql",
        "Reads one application with its applicant, latest decision and decision history.",
        "Reads one application.",
        "function lending.get_application",
        id="a line of a function's comment",
    ),
    pytest.param(
        "events/lending.watch_events.sql",
        "grant execute on function lending.watch_events(integer, text) to lending_api;",
        "",
        "function lending.watch_events",
        id="a grant",
    ),
    pytest.param(
        "access/lending_private.authorize.sql",
        "set enable_seqscan = off",
        "",
        "function lending_private.authorize",
        id="a SET clause",
    ),
    pytest.param(
        "applications/party.sql",
        "  for each row execute function lending_private.record_audit('party', 'party_id', 'party_id');",
        "  for each row execute function lending_private.record_audit('party', 'party_id', 'name');",
        "trigger _900_audit on lending_private.party",
        id="a trigger",
    ),
    pytest.param(
        "core/domains.sql",
        "  constraint row_version_is_positive check (value >= 1);",
        "  constraint row_version_is_positive check (value >= 0);",
        "domain lending_private.row_version",
        id="a domain's constraint",
    ),
    pytest.param(
        "access/api_key.sql",
        "  constraint api_key_expires_after_creation check (expires_at > created_at)",
        "  constraint api_key_expires_after_creation check (expires_at >= created_at)",
        "constraint lending_private.api_key api_key_expires_after_creation",
        id="a table's constraint",
    ),
    pytest.param(
        "applications/status_machine.sql",
        "  ('pending_confirmation', 'withdrawn'),",
        "",
        "rows of lending_private.status_transition",
        id="a reference row",
    ),
    pytest.param(
        "events/lending.unwatch_events.sql",
        "create or replace function lending.unwatch_events(listener_pid integer, actor text default null)",
        "reset role; create or replace function lending.unwatch_events(listener_pid integer, actor text default null)",
        "function lending.unwatch_events",
        id="an owner",
    ),
    pytest.param(
        "events/event_watcher.sql",
        "  watching_since timestamptz not null default now()",
        "  watching_since timestamptz not null default clock_timestamp()",
        "the schema dump",
        id="a column default",
    ),
]


@pytest.mark.parametrize(("file", "line", "changed_to", "reported_as"), ONE_LINE_CHANGES)
def test_a_one_line_change_is_found_and_its_file_named(
    pg_server: Server,
    migrated: str,
    built_from,
    tmp_path: Path,
    file: str,
    line: str,
    changed_to: str,
    reported_as: str,
) -> None:
    changed = tmp_path / "src"
    shutil.copytree(source.SOURCE_DIR, changed)
    text = (changed / file).read_text()
    assert text.count(line + "\n") == 1, f"{file} no longer holds the line this test changes"
    (changed / file).write_text(text.replace(line + "\n", changed_to + "\n" if changed_to else ""))

    found = source.differences(pg_server, migrated, built_from(changed), changed)

    reported = [difference for difference in found if difference.what.startswith(reported_as)]
    assert reported, f"not reported as {reported_as}: {[difference.what for difference in found]}"
    assert all(difference.source_files == (file,) for difference in reported), reported
    assert all(difference.diff for difference in found)
    assert any(difference.what == "the schema dump" for difference in found) or "rows of" in reported_as
