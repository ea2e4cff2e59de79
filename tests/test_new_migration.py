"""`make migration`: a migration written from the source files changed since the branch point, in a repository of
its own, then finished and applied to a database, up and down."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lendgres import migrations
from lendgres.devtools import new_migration, source
from lendgres.devtools.new_migration import Repository, functions_in, replace_function_file
from lendgres.devtools.server import Server

ROOT = Path(__file__).resolve().parents[1]


def test_a_function_file_lists_its_functions_with_their_identities() -> None:
    (function,) = functions_in((ROOT / "db/src/applications/lending.apply.sql").read_text())

    assert function.signature == (
        "lending.apply(numeric, text, bigint, text, text, text, text, integer, text, text, text, numeric, numeric,"
        " text, integer, text, integer, text, date, date, boolean, boolean, text, text, text)"
    )
    text = """create or replace function s.f(in a integer, out b text, variadic c numeric[] default '{1,2}')
returns record
language sql
as $$ select 'x' $$;"""
    (function,) = functions_in(text)
    assert function.signature == "s.f(integer, numeric[])"
    assert [(p.mode, p.name, p.type, p.has_default) for p in function.parameters] == [
        ("in", "a", "integer", False),
        ("out", "b", "text", False),
        ("variadic", "c", "numeric[]", True),
    ]
    assert function.result == "record"
    with pytest.raises(RuntimeError, match="does not close"):
        functions_in("create or replace function s.g(a integer\nreturns integer")


F = """create or replace function s.f(a integer{extra})
returns {returns}
language sql
as $$ select {body} $$;
{comment}grant execute on function s.f(integer{types}) to {grantees};
"""
PLAIN = {"extra": "", "returns": "integer", "body": "1", "types": "", "comment": "", "grantees": "lending_api"}


@pytest.mark.parametrize(
    ("before", "after", "drops"),
    [
        pytest.param({}, {"body": "2"}, [], id="a new body replaces the old"),
        pytest.param({}, {"extra": " default 1"}, [], id="a default added"),
        pytest.param({"extra": " default 1"}, {}, ["drop function s.f(integer);"], id="a default taken away"),
        pytest.param({}, {"extra": ", b text", "types": ", text"}, ["drop function s.f(integer);"], id="a parameter"),
        pytest.param({}, {"returns": "bigint"}, ["drop function s.f(integer);"], id="another result"),
        pytest.param({}, {"returns": "table(n numeric(10, 2))"}, ["drop function s.f(integer);"], id="a table"),
        pytest.param(
            {"extra": ", b text", "types": ", text"}, {}, ["drop function s.f(integer, text);"], id="one less"
        ),
    ],
)
def test_create_or_replace_is_preceded_by_a_drop_when_it_cannot_replace(before, after, drops) -> None:
    old = F.format(**{**PLAIN, **before})
    new = F.format(**{**PLAIN, **after})

    assert replace_function_file(old, new) == "\n".join([*drops, new.rstrip("\n")])
    assert replace_function_file(old, None) == f"drop function {functions_in(old)[0].signature};"
    assert replace_function_file(None, new) == new.rstrip("\n")


def test_grants_and_comments_the_new_text_no_longer_states_are_taken_back() -> None:
    old = F.format(**{**PLAIN, "comment": "comment on function s.f(integer) is 'F.';\n", "grantees": "a, b"})
    new = F.format(**{**PLAIN, "body": "2", "grantees": "b"})

    assert replace_function_file(old, new).splitlines()[-2:] == [
        "revoke execute on function s.f(integer) from a;",
        "comment on function s.f(integer) is null;",
    ]
    assert "revoke" not in replace_function_file(new, old)


def git(repository: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        cwd=repository,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def repository(tmp_path: Path) -> Repository:
    """A repository holding this checkout's db/ (source, migrations, dump) on its main branch."""
    shutil.copytree(ROOT / "db", tmp_path / "db")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "db")
    git(tmp_path, "commit", "-q", "-m", "db as on main")
    return Repository(tmp_path)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new))


def test_a_migration_is_written_from_the_changed_source_finished_and_applied(
    repository: Repository, pg_server: Server
) -> None:
    src = repository.source_dir
    base = git(repository.root, "rev-parse", "HEAD").strip()
    git(repository.root, "checkout", "-q", "-b", "feature")
    # A body changed, a signature changed, a function removed, a function added, one moved to another folder, and a
    # table changed.
    edit(src / "applications/lending.withdraw.sql", "Withdraws an application at", "Withdraws an application, at")
    edit(
        src / "events/lending.watch_events.sql",
        "listener_pid integer, actor text default null)",
        "listener_pid integer, actor text default null, note text default null)",
    )
    watch = src / "events/lending.watch_events.sql"
    watch.write_text(watch.read_text().replace("watch_events(integer, text)", "watch_events(integer, text, text)"))
    (src / "events/lending.unwatch_events.sql").unlink()
    edit(src / "build.sql", "\\ir events/lending.unwatch_events.sql\n", "")
    (src / "core/lending.ping.sql").write_text(
        "create or replace function lending.ping()\nreturns jsonb\nlanguage sql\nimmutable\n"
        "as $$ select '{\"pong\": true}'::jsonb $$;\n"
        "comment on function lending.ping() is 'Answers pong.';\n"
        "grant execute on function lending.ping() to lending_api;\n"
    )
    edit(
        src / "build.sql",
        "\\ir core/lending.schema_version.sql\n",
        "\\ir core/lending.schema_version.sql\n\\ir core/lending.ping.sql\n",
    )
    (src / "events/lending_private.event_cursor.sql").rename(src / "core/lending_private.event_cursor.sql")
    edit(
        src / "build.sql", "\\ir events/lending_private.event_cursor.sql", "\\ir core/lending_private.event_cursor.sql"
    )
    edit(
        src / "events/event_watcher.sql",
        "  watching_since timestamptz not null default now()\n",
        "  watching_since timestamptz not null default now(),\n  note text\n",
    )
    git(repository.root, "add", "-A")
    git(repository.root, "commit", "-q", "-m", "the change")
    assert repository.last_migrated() == base

    migration = new_migration.write(repository, "rework_watching", base, datetime(2026, 12, 31, tzinfo=timezone.utc))

    assert migration.name == "20261231000000_rework_watching.sql"
    up, down = migration.read_text().split("-- migrate:down")
    assert "Withdraws an application, at" in up and "Withdraws an application at" in down
    assert up.index("drop function lending.watch_events(integer, text);") < up.index("note text default null)")
    assert "drop function lending.watch_events(integer, text, text);" in down
    assert "drop function lending.unwatch_events(integer, text);" in up
    assert "create or replace function lending.unwatch_events" in down
    assert "create or replace function lending.ping()" in up and "drop function lending.ping();" in down
    assert "event_cursor" not in up + down  # moved, not changed
    assert [
        line.split(" changed.")[0]
        for line in migration.read_text().splitlines()
        if line.startswith(new_migration.PLACEHOLDER)
    ] == ["-- WRITE BY HAND: db/src/events/event_watcher.sql"] * 2
    with pytest.raises(RuntimeError, match="already being written"):
        new_migration.write(repository, "again", base)
    with pytest.raises(RuntimeError, match=f"(?s)placeholders are left.*{migration.name}:"):
        new_migration.finish(repository, pg_server)

    # The person writes the table change, in both directions, where the placeholders were.
    placeholder = re.compile(re.escape(new_migration.PLACEHOLDER) + r".*\n(?:--.*\n)*")
    by_hand = iter(
        [
            "alter table lending_private.event_watcher add column note text;\n",
            "alter table lending_private.event_watcher drop column note;\n",
        ]
    )
    migration.write_text(placeholder.sub(lambda _: next(by_hand), migration.read_text()))
    assert new_migration.finish(repository, pg_server) == [migration]
    assert "('20261231000000')" in (repository.root / "db/schema.sql").read_text()

    # Up, down and up again on a database the earlier migrations made.
    database = "lendgres_new_migration"
    pg_server.create_database(database)
    try:
        url = pg_server.dbmate_url(database)
        landed = repository.root / "landed"
        landed.mkdir()
        for path in sorted(repository.migrations_dir.glob("*.sql")):
            if path != migration:
                shutil.copy(path, landed)
        migrations.dbmate(url, "up", folder=landed)
        before = source.schema_dump(pg_server, database)
        migrations.dbmate(url, "up", folder=repository.migrations_dir)
        after = source.schema_dump(pg_server, database)
        assert "note text" in after and "FUNCTION lending.unwatch_events" not in after
        migrations.dbmate(url, "rollback", folder=repository.migrations_dir)
        assert source.schema_dump(pg_server, database) == before
    finally:
        pg_server.drop_database(database)

    # The migration is committed with its source; the next change on the branch is the next migration, from there.
    git(repository.root, "add", "-A")
    git(repository.root, "commit", "-q", "-m", "the migration")
    edit(src / "applications/lending.withdraw.sql", "Withdraws an application, at", "Withdraws an application; at")
    second = new_migration.write(
        repository, "reword_withdraw", repository.last_migrated(), datetime(2027, 1, 1, tzinfo=timezone.utc)
    )
    up, down = second.read_text().split("-- migrate:down")
    assert "Withdraws an application; at" in up and "Withdraws an application, at" in down
    assert "watch_events" not in up + down
    assert new_migration.finish(repository, pg_server) == [second]


def test_nothing_changed_writes_nothing(repository: Repository) -> None:
    base = git(repository.root, "rev-parse", "HEAD").strip()

    with pytest.raises(RuntimeError, match="nothing in db/src changed"):
        new_migration.write(repository, "nothing", base)
    with pytest.raises(RuntimeError, match="lower case words"):
        new_migration.write(repository, "Bad Name", base)
    assert not repository.being_written()
