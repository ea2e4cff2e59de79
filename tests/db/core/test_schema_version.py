"""lending.schema_version, which readiness checks read."""

from __future__ import annotations

import psycopg

from lendgres import migrations
from tests.db.conftest import call


def test_schema_version_names_the_newest_migration(client: psycopg.Connection) -> None:
    assert call(client, "lending.schema_version") == {"version": migrations.latest_version()}
