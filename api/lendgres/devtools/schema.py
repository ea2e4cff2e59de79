"""db/schema.sql: dbmate's dump of a database the migrations made, committed so that every schema change shows in
review (`make schema` writes it; tests/test_migrations.py checks it is current).

    python -m lendgres.devtools.schema db/schema.sql
"""

from __future__ import annotations

import sys
from pathlib import Path

from lendgres import migrations

from . import server as throwaway


def dump_schema(schema_file: Path) -> None:
    """Writes dbmate's dump of a freshly migrated database to `schema_file`."""
    server = throwaway.start()
    try:
        server.create_database("lendgres_schema")
        url = server.dbmate_url("lendgres_schema")
        migrations.migrate(url)
        migrations.dbmate(url, "dump", schema_file=schema_file)
    finally:
        server.stop()


if __name__ == "__main__":
    dump_schema(Path(sys.argv[1]))
