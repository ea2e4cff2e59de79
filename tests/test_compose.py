"""The docker compose setup agrees with the code: images, start order, roles, URLs and the init script's variables.

No Docker and no database needed: the files are parsed, not run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from lendgres import embedded

ROOT = Path(__file__).resolve().parents[1]
INIT_SCRIPT = ROOT / "docker" / "initdb" / "10-lendgres-login-roles.sh"

# ${NAME}, ${NAME:-default}, ${NAME:?message} or $NAME, as both compose and the shell write them.
VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?")


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return dict(compose["services"])


@pytest.fixture(scope="module")
def dbmate_env() -> dict[str, str]:
    lines = (ROOT / "dbmate.env").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment, whether compose has it as a mapping or as a list of NAME=value."""
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def defaults(value: str) -> dict[str, str]:
    """The variables that a compose value interpolates, with their defaults."""
    return {name: default for name, default in VARIABLE.findall(value)}


def volume_targets(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> source of each short-syntax volume."""
    targets = {}
    for volume in service["volumes"]:
        source, target, *_ = volume.split(":")
        targets[target] = source
    return targets


def depends_on(service: dict[str, Any], other: str) -> str:
    return str(service["depends_on"][other]["condition"])


def test_db_is_postgres_18_with_its_data_volume_and_a_readiness_check(services: dict[str, Any]) -> None:
    db = services["db"]
    assert db["image"] == "postgres:18"
    targets = volume_targets(db)
    assert "/var/lib/postgresql" in targets, "postgres 18 images keep their data below /var/lib/postgresql"
    assert targets["/docker-entrypoint-initdb.d"] == "./docker/initdb"
    assert INIT_SCRIPT.stat().st_mode & 0o111, "the postgres image runs only executable scripts as programs"
    test = db["healthcheck"]["test"]
    assert "pg_isready" in (test if isinstance(test, str) else " ".join(test))
    assert environment(db)["POSTGRES_DB"] == embedded.DATABASE


def test_dbmate_migrates_once_the_database_is_healthy(services: dict[str, Any], dbmate_env: dict[str, str]) -> None:
    dbmate = services["dbmate"]
    assert dbmate["image"].startswith("ghcr.io/amacneil/dbmate:2")
    assert dbmate["env_file"] in ("dbmate.env", ["dbmate.env"])
    assert {"--wait", "--no-dump-schema"} <= set(dbmate["command"])
    assert dbmate["command"][-1] == "up"
    assert depends_on(dbmate, "db") == "service_healthy"

    url = urlsplit(dbmate_env["DATABASE_URL"])
    assert url.hostname == "db"
    assert url.path.lstrip("/") == environment(services["db"])["POSTGRES_DB"]
    assert url.username == environment(services["db"])["POSTGRES_USER"]
    assert url.password == defaults(environment(services["db"])["POSTGRES_PASSWORD"])["POSTGRES_PASSWORD"]

    # The migrations dir is where the compose volume puts the repository's db/migrations.
    migrations = Path(dbmate_env["DBMATE_MIGRATIONS_DIR"])
    mounts = volume_targets(dbmate)
    mount = next(target for target in mounts if migrations.is_relative_to(target))
    repo_dir = ROOT / mounts[mount] / migrations.relative_to(mount)
    assert repo_dir == ROOT / "db" / "migrations"
    assert sorted(repo_dir.glob("*.sql"))


def test_api_waits_for_the_migrations_and_connects_as_its_own_login_role(services: dict[str, Any]) -> None:
    api = services["api"]
    assert depends_on(api, "dbmate") == "service_completed_successfully"
    assert depends_on(api, "db") == "service_healthy"

    url = urlsplit(environment(api)["DATABASE_URL"])
    assert url.username == "lendgres_http" != embedded.SUPERUSER
    assert embedded.LOGIN_ROLES[url.username] == "lending_gateway"
    init_script = (ROOT / "docker" / "initdb" / "10-lendgres-login-roles.sh").read_text()
    assert f"grant lending_gateway to {url.username};" in init_script
    assert url.hostname == "db"
    assert url.path.lstrip("/") == embedded.DATABASE

    assert api["command"][-2:] == ["--port", "8000"]
    assert "8000:8000" in api["ports"]
    assert "/healthz" in " ".join(api["healthcheck"]["test"])


def test_init_script_provisions_the_login_roles_from_variables_the_db_service_passes(
    services: dict[str, Any],
) -> None:
    script = INIT_SCRIPT.read_text()
    assert "set -euo pipefail" in script
    statements = [line.strip().lower() for line in script.splitlines() if not line.lstrip().startswith("#")]
    roles = [line for line in statements if re.search(r"\b(create|alter) role\b", line)]
    assert roles and not any(re.search(r"(?<!no)superuser", line) for line in roles), "no superuser login"
    for role, group in embedded.LOGIN_ROLES.items():
        assert f"create role {role} login" in script
        assert f"grant {group} to {role};" in script

    db_env = environment(services["db"])
    read = set(defaults(script))
    assert {"LENDGRES_HTTP_PASSWORD", "LENDGRES_CLIENT_PASSWORD"} <= read
    assert read <= set(db_env), f"not passed to the db service: {sorted(read - set(db_env))}"

    # The password the API connects with is the one the init script gave lendgres_http, set or defaulted.
    api_password = unquote(urlsplit(environment(services["api"])["DATABASE_URL"]).password or "")
    assert defaults(api_password) == defaults(db_env["LENDGRES_HTTP_PASSWORD"])
    assert defaults(api_password)["LENDGRES_HTTP_PASSWORD"]
