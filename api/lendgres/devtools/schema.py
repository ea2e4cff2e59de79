"""db/schema.sql: dbmate's dump of a database the migrations made, committed so that every schema change shows in
review (`make schema` writes it; tests/test_migrations.py checks it is current).

    python -m lendgres.devtools.schema db/schema.sql
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from lendgres import migrations

from . import server as throwaway


def dump_schema(schema_file: Path, folder: Path | None = None, server: throwaway.Server | None = None) -> None:
    """Writes dbmate's dump of a database migrated with the migrations in `folder` (the package's by default), on
    `server` or on a throwaway one."""
    own = server is None
    server = server or throwaway.start()
    database = f"lendgres_schema_{uuid.uuid4().hex[:8]}"
    try:
        server.create_database(database)
        url = server.dbmate_url(database)
        migrations.dbmate(url, "up", folder=folder)
        migrations.dbmate(url, "dump", schema_file=schema_file, folder=folder)
    finally:
        if own:
            server.stop()
        else:
            server.drop_database(database)


if __name__ == "__main__":
    dump_schema(Path(sys.argv[1]))
