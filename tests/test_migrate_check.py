"""`make migrate-check` passes on the repository's migrations and notices a migration whose down section does not
undo its up."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from lendgres import migrations
from lendgres.devtools import migrate_check
from lendgres.devtools import server as throwaway

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[throwaway.Server]:
    server = throwaway.start()
    yield server
    server.stop()


def test_the_migrations_apply_once_and_the_newest_round_trips(server: throwaway.Server) -> None:
    report = migrate_check.check(server, migrations.migrations_dir(), "migrate_check_ok")
    count = len(list(migrations.migrations_dir().glob("*.sql")))
    assert report[0] == f"up: applied {count} migrations"
    assert report[1:3] == ["status: Pending: 0", "up again: nothing to apply"]
    assert report[3].endswith(": the same schema")


def test_a_down_section_that_leaves_something_behind_is_found(server: throwaway.Server, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.migrations_dir(), folder)
    newest = max(folder.glob("*.sql"))
    text = newest.read_text()
    assert text.count("-- migrate:down\n") == 1
    newest.write_text(text.replace("-- migrate:down\n", "-- migrate:down\ncreate table public.left_behind (x int);\n"))
    with pytest.raises(migrate_check.CheckFailed, match="changed the schema"):
        migrate_check.check(server, folder, "migrate_check_broken")
