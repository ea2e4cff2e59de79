"""The `lendgres` command as an operator uses it: the embedded default end to end, an external database, and an
installed wheel that carries its migrations. These start real processes, so they are in the slow suite."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from lendgres import migrations
from lendgres.devtools.server import Server
from tests.conftest import role_url

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def lendgres(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lendgres.cli", *args], capture_output=True, text=True, env=env or _env(), timeout=120
    )


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LENDGRES_ADMIN_DATABASE_URL")}
    return {**env, **overrides}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _request(url: str, body: dict[str, object] | None = None, key: str | None = None) -> tuple[int, dict[str, object]]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


KEY = re.compile(r"lgk_[A-Za-z0-9_-]{64}")


class Serving:
    def __init__(self, data_dir: Path | None, *options: str, env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        where = ["--data-dir", str(data_dir)] if data_dir else []
        self.output = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lendgres.cli", "serve", *where, "--port", str(self.port), *options],
            env=env or _env(),
            stdout=self.output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.printed()
            try:
                if _request(f"{self.base}/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("lendgres serve did not become ready")

    def printed(self) -> str:
        self.output.seek(0)
        return self.output.read()

    def stop(self, how: signal.Signals = signal.SIGINT) -> str:
        self.process.send_signal(how)
        self.process.wait(timeout=60)
        return self.printed()


def test_the_embedded_default_serves_persists_and_hands_out_an_api_url(data_dir: Path) -> None:
    server = Serving(data_dir)
    try:
        # The first start made the admin actor and printed its key, once.
        (admin_key,) = set(KEY.findall(server.printed()))
        assert "lendgres actors create" in server.printed() and f"Bearer {admin_key}" in server.printed()
        status, _ = _request(f"{server.base}/loans/apply", {"applicant_name": "Jane Doe", "amount": 15000})
        assert status == 401
        status, created = _request(
            f"{server.base}/loans/apply", {"applicant_name": "Jane Doe", "amount": 15000}, admin_key
        )
        assert (status, created["status"], created["amount"]) == (201, "pending", "15000.00")

        # An agent of its own, made with the CLI while the server runs.
        made = lendgres(
            "actors",
            "create",
            "--name",
            "intake-bot",
            "--kind",
            "agent",
            "--role",
            "intake",
            "--data-dir",
            str(data_dir),
        )
        assert made.returncode == 0, made.stderr
        assert json.loads(made.stdout)["role"] == "intake"
        issued = lendgres("keys", "create", "--actor", "intake-bot", "--label", "cli test", "--data-dir", str(data_dir))
        assert issued.returncode == 0, issued.stderr
        bot_key = issued.stdout.strip()
        assert KEY.fullmatch(bot_key) and bot_key not in issued.stderr
        status, me = _request(f"{server.base}/me", key=bot_key)
        assert (status, me["name"], me["role"]) == (200, "intake-bot", "intake")
        status, refused = _request(
            f"{server.base}/loans/{created['application_id']}/decision", {"outcome": "approved", "reason": "x"}, bot_key
        )
        assert (status, refused["code"]) == (403, "forbidden")
        listed = lendgres("keys", "list", "--actor", "intake-bot", "--data-dir", str(data_dir))
        assert listed.returncode == 0, listed.stderr
        [bot_key_row] = json.loads(listed.stdout)["items"]
        assert bot_key not in listed.stdout and bot_key_row["prefix"] == bot_key[:12]
        revoked = lendgres("keys", "revoke", str(bot_key_row["key_id"]), "--data-dir", str(data_dir))
        assert revoked.returncode == 0 and json.loads(revoked.stdout)["state"] == "revoked", revoked.stderr
        deadline = time.monotonic() + 5
        while _request(f"{server.base}/me", key=bot_key)[0] != 401:
            assert time.monotonic() < deadline, "the revoked key still works"
            time.sleep(0.05)
        duplicate = lendgres(
            "actors",
            "create",
            "--name",
            "intake-bot",
            "--kind",
            "agent",
            "--role",
            "intake",
            "--data-dir",
            str(data_dir),
        )
        assert duplicate.returncode == 1 and "already exists" in duplicate.stderr

        url = lendgres("db-url", "--data-dir", str(data_dir))
        assert url.returncode == 0, url.stderr
        assert url.stdout.startswith("postgresql://lendgres_client:")
        mapped = lendgres(
            "actors",
            "create",
            "--name",
            "billing",
            "--kind",
            "service",
            "--role",
            "reader",
            "--db-role",
            "lendgres_client",
            "--data-dir",
            str(data_dir),
        )
        assert mapped.returncode == 0, mapped.stderr
        with psycopg.connect(url.stdout.strip(), autocommit=True) as connection:
            assert connection.execute("select rolsuper from pg_roles where rolname = current_user").fetchone() == (
                False,
            )
            read = connection.execute(
                "select lending.get_application(application_id => %s)", [created["application_id"]]
            ).fetchone()
            assert read is not None and read[0]["applicant_name"] == "Jane Doe"
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute("select * from lending_private.application")
        with pytest.raises(psycopg.OperationalError):  # the password is required, not decorative
            psycopg.connect(url.stdout.strip().replace(url.stdout.split(":")[2].split("@")[0], "wrong"))
    finally:
        output = server.stop()
    hba = [line.split() for line in (data_dir / "pgdata" / "pg_hba.conf").read_text().splitlines()]
    assert [line[3] for line in hba if line and not line[0].startswith("#")] == ["peer", "scram-sha-256"]
    assert f"embedded PostgreSQL data in {data_dir}" in output
    assert not (data_dir / "pgdata" / "postmaster.pid").exists(), "the embedded server outlived serve"

    again = Serving(data_dir)  # the second start reuses the data, and makes no second admin
    try:
        status, read = _request(f"{again.base}/loans/{created['application_id']}", key=admin_key)
        assert (status, read["applicant_name"]) == (200, "Jane Doe")
        assert not KEY.search(again.printed())
    finally:
        again.stop(signal.SIGTERM)  # as docker and systemd stop it
    assert not (data_dir / "pgdata" / "postmaster.pid").exists(), "the embedded server outlived a SIGTERM"


def _postmaster_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().split()[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def _wait_for_readiness(base: str, status: int, printed: Callable[[], str] = str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if _request(f"{base}/readyz")[0] == status:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"/readyz never answered {status}:\n{printed()}"
        time.sleep(0.1)


def test_a_serve_killed_with_sigkill_does_not_keep_the_server_alive(data_dir: Path) -> None:
    """The OOM killer's way: the killed process never lets go of the server. The next serve's clean stop stops it
    anyway; and `db-stop` stops one that nothing will stop."""
    killed = Serving(data_dir)
    killed.process.kill()
    killed.process.wait(timeout=10)
    assert _postmaster_pid(data_dir) is not None, "the server went down with serve: nothing to prove"
    again = Serving(data_dir)
    output = again.stop()
    assert _postmaster_pid(data_dir) is None, f"a dead serve kept the server alive:\n{output}"

    killed = Serving(data_dir)
    killed.process.kill()
    killed.process.wait(timeout=10)
    stopped = lendgres("db-stop", "--data-dir", str(data_dir))
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped" in stopped.stdout and _postmaster_pid(data_dir) is None
    again = lendgres("db-stop", "--data-dir", str(data_dir))
    assert again.returncode == 0 and "was not running" in again.stdout


def test_db_start_brings_back_a_server_that_died_under_serve(data_dir: Path) -> None:
    """kill -9 of the postmaster: serve answers 503 until `db-start` runs it again, then serves without a restart;
    its clean stop then stops the server that db-start started. Only an actual migration says "migrated"."""
    server = Serving(data_dir)
    try:
        assert "migrated" in server.printed()
        keys = lendgres("keys", "list", "--data-dir", str(data_dir))
        assert keys.returncode == 0 and "migrat" not in keys.stdout + keys.stderr, keys.stderr
        postmaster = _postmaster_pid(data_dir)
        assert postmaster is not None
        os.kill(postmaster, signal.SIGKILL)
        _wait_for_readiness(server.base, 503)
        started = lendgres("db-start", "--data-dir", str(data_dir))
        assert started.returncode == 0, started.stderr
        assert "migrat" not in started.stdout + started.stderr
        _wait_for_readiness(server.base, 200, server.printed)
        assert _postmaster_pid(data_dir) not in (None, postmaster)
    finally:
        output = server.stop()
    assert _postmaster_pid(data_dir) is None, f"the restarted server outlived serve:\n{output}"


def test_serve_refuses_an_external_database_whose_migrations_are_behind(postgresql: psycopg.Connection) -> None:
    postgresql.autocommit = True
    env = _env(DATABASE_URL=role_url(postgresql, "lendgres_test_http"))
    postgresql.execute("delete from public.schema_migrations where version = %s", [migrations.latest_version()])
    refused = lendgres("serve", "--port", str(_free_port()), env=env)
    assert refused.returncode == 1
    assert "run `lendgres migrate`" in refused.stderr


def test_only_a_role_with_just_the_api_rights_is_handed_out_or_served(postgresql: psycopg.Connection) -> None:
    for role in ("postgres", "lendgres_test_reporting", "lendgres_test_nobody"):
        refused = lendgres("db-url", env=_env(DATABASE_URL=role_url(postgresql, role)))
        assert refused.returncode == 1 and "granted lending_api and nothing more" in refused.stderr, role
    refused = lendgres("serve", "--port", str(_free_port()), env=_env(DATABASE_URL=role_url(postgresql, "postgres")))
    assert refused.returncode == 1 and "granted lending_api and nothing more" in refused.stderr
    allowed = lendgres("db-url", env=_env(DATABASE_URL=role_url(postgresql, "lendgres_test_client")))
    assert allowed.returncode == 0 and allowed.stdout.strip() == role_url(postgresql, "lendgres_test_client")


def test_an_installed_wheel_carries_and_applies_its_migrations(pg_server: Server, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("lendgres-*.whl")
    packaged = {
        Path(name).name for name in zipfile.ZipFile(wheel).namelist() if name.startswith("lendgres/migrations/")
    }
    assert packaged == {path.name for path in (ROOT / "db" / "migrations").glob("*.sql")}

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    database = f"lendgres_wheel_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server.superuser_url("postgres"), autocommit=True) as connection:
        connection.execute(f"create database {database}")
    try:
        env = _env(DATABASE_URL=pg_server.dbmate_url(database), PYTHONPATH=str(target))
        migrated = subprocess.run(
            [
                sys.executable,
                "-c",
                "from lendgres import cli, migrations; "
                "print(migrations.migrations_dir()); raise SystemExit(cli.main(['migrate']))",
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert migrated.returncode == 0, migrated.stderr
        assert migrated.stdout.splitlines()[0] == str(target / "lendgres" / "migrations")
        with psycopg.connect(pg_server.superuser_url(database)) as connection:
            version = connection.execute("select max(version) from public.schema_migrations").fetchone()
        assert version == (migrations.latest_version(),)
    finally:
        with psycopg.connect(pg_server.superuser_url("postgres"), autocommit=True) as connection:
            connection.execute(f"drop database {database} with (force)")


def test_serve_migrates_an_external_database_when_asked_and_runs_workers(
    pg_server: Server, postgresql_noproc: object
) -> None:
    """postgresql_noproc is asked for the login roles it provisions."""
    database = f"lendgres_serve_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server.superuser_url("postgres"), autocommit=True) as connection:
        connection.execute(f"create database {database}")
    api_url = f"postgresql://lendgres_test_http@/{database}?host={pg_server.socket_dir}"
    try:
        env = _env(DATABASE_URL=api_url, LENDGRES_ADMIN_DATABASE_URL=pg_server.dbmate_url(database))
        refused = lendgres("serve", "--port", str(_free_port()), env=env)
        assert refused.returncode == 1 and "run `lendgres migrate`" in refused.stderr  # empty: not without --migrate

        server = Serving(None, "--migrate", "--workers", "2", env=env)
        try:
            made = lendgres("actors", "create", "--name", "intake-bot", "--kind", "agent", "--role", "intake", env=env)
            assert made.returncode == 0, made.stderr
            issued = lendgres("keys", "create", "--actor", "intake-bot", env=env)
            assert issued.returncode == 0, issued.stderr
            key = issued.stdout.strip()
            ids = set()
            for _ in range(6):
                status, created = _request(
                    f"{server.base}/loans/apply", {"applicant_name": "Jane Doe", "amount": 5}, key
                )
                assert status == 201
                ids.add(created["application_id"])
            assert len(ids) == 6
        finally:
            output = server.stop()
        assert output.count("Started server process") == 2, output
    finally:
        with psycopg.connect(pg_server.superuser_url("postgres"), autocommit=True) as connection:
            connection.execute(f"drop database {database} with (force)")


def test_the_cli_as_the_superuser_recovers_administration_whatever_the_actors_table_says(
    postgresql: psycopg.Connection,
) -> None:
    """The lockout of the issue, reached by a superuser's raw SQL (the API refuses every step of it): no admin left,
    the operator demoted and deactivated. `lendgres actors update` run with a superuser login still recovers."""
    postgresql.autocommit = True
    postgresql.execute("update lending_private.actor set role = 'reader' where role = 'admin'")
    postgresql.execute("update lending_private.actor set active = false where name = 'operator'")
    env = _env(
        DATABASE_URL=role_url(postgresql, "lendgres_test_http"),
        LENDGRES_ADMIN_DATABASE_URL=role_url(postgresql, postgresql.info.user),
    )
    recovered = lendgres("actors", "update", "--name", "test-admin", "--role", "admin", env=env)
    assert recovered.returncode == 0, recovered.stderr
    assert (json.loads(recovered.stdout)["name"], json.loads(recovered.stdout)["role"]) == ("test-admin", "admin")
    restored = lendgres("actors", "update", "--name", "operator", "--role", "admin", "--active", "yes", env=env)
    assert restored.returncode == 0, restored.stderr
    admins = postgresql.execute(
        "select string_agg(name, ',' order by name) from lending_private.actor where role = 'admin' and active"
    ).fetchone()
    assert admins == ("operator,test-admin",)
