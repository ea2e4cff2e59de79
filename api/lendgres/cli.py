"""The `lendgres` command: serve the API, migrate a database, print the SQL API's connection URL.

Without DATABASE_URL, everything runs on an embedded PostgreSQL kept in a data folder (default ./.lendgres).
With DATABASE_URL, that database is used as it is: `serve` migrates it only with --migrate (using
LENDGRES_ADMIN_DATABASE_URL when set, since the API's own role may not create objects) and refuses to serve a
database whose migrations are behind the code's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg

from . import embedded, migrations
from .settings import Settings

log = logging.getLogger("lendgres")

DEFAULT_DATA_DIR = Path(".lendgres")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lendgres", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API (docs at /docs)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    serve.add_argument("--data-dir", type=Path, default=None, help="embedded database folder (default ./.lendgres)")
    serve.add_argument("--migrate", action="store_true", help="with DATABASE_URL: apply pending migrations first")

    migrate = commands.add_parser("migrate", help="apply pending migrations")
    migrate.add_argument("--data-dir", type=Path, default=None)

    db_url = commands.add_parser("db-url", help="print the URL that services and psql use to call the SQL API")
    db_url.add_argument("--data-dir", type=Path, default=None)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    log.setLevel(logging.INFO)
    try:
        return {"serve": _serve, "migrate": _migrate, "db-url": _db_url}[args.command](args)
    except (RuntimeError, subprocess.CalledProcessError, OSError, asyncpg.PostgresError) as exc:
        detail = getattr(exc, "stderr", None) or getattr(exc, "stdout", None) or ""
        print(f"lendgres {args.command}: {exc}\n{detail}".rstrip(), file=sys.stderr)
        return 1


def _external_url() -> str | None:
    return os.environ.get("DATABASE_URL") or None


def _data_dir(args: argparse.Namespace) -> Path:
    return args.data_dir or Path(os.environ.get("LENDGRES_DATA_DIR", DEFAULT_DATA_DIR))


def _admin_url() -> str:
    url = os.environ.get("LENDGRES_ADMIN_DATABASE_URL") or _external_url()
    assert url is not None
    return url


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    external = _external_url()
    database = None
    if external is None:
        database = embedded.EmbeddedDatabase(_data_dir(args))
        print(f"lendgres: embedded PostgreSQL data in {database.data_dir}", flush=True)
        database.start()
        api_url = database.url("lendgres_http")
    else:
        if args.migrate:
            print(migrations.migrate(_admin_url()), end="", flush=True)
        api_url = external
        asyncio.run(_require_api_role(api_url))
        found = asyncio.run(_schema_version(api_url))
        if migrations.is_behind(found):
            raise RuntimeError(
                f"the database is at migration {found}, this code needs {migrations.latest_version()}: "
                "run `lendgres migrate` (or serve --migrate)"
            )
    os.environ["LENDGRES_API_DATABASE_URL"] = api_url
    if (
        args.host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::")
        and "LENDGRES_ALLOWED_HOSTS" not in os.environ
    ):
        os.environ["LENDGRES_ALLOWED_HOSTS"] = ",".join((*Settings.allowed_hosts, f"{args.host}:*"))
    # uvicorn shuts down gracefully on SIGTERM, then raises it again with the handler it found: by default that
    # kills the process before the embedded server is stopped. Make it an exit, so the finally below runs.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    print(f"lendgres: serving on http://{args.host}:{args.port} (docs at /docs)", flush=True)
    try:
        uvicorn.run(
            "lendgres.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            loop="uvloop",
            http="httptools",
            log_level="info",
            access_log=False,
        )
    finally:
        if database is not None:
            database.stop()  # the embedded server lives as long as the API it serves
    return 0


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _migrate(args: argparse.Namespace) -> int:
    if _external_url() is None:
        database = embedded.EmbeddedDatabase(_data_dir(args))
        database.start()  # migrates
        database.stop()
        print(f"lendgres: {database.data_dir} is at migration {migrations.latest_version()}")
    else:
        print(migrations.migrate(_admin_url()), end="")
    return 0


def _db_url(args: argparse.Namespace) -> int:
    external = _external_url()
    if external is None:
        print(embedded.EmbeddedDatabase(_data_dir(args)).url("lendgres_client"))
        return 0
    asyncio.run(_require_api_role(external))
    print(external)
    return 0


async def _schema_version(url: str) -> str | None:
    connection = await asyncpg.connect(url)
    try:
        version: str | None = json.loads(await connection.fetchval("select lending.schema_version()"))["version"]
        return version
    except asyncpg.UndefinedFunctionError:
        return None
    except asyncpg.InvalidSchemaNameError:
        return None
    finally:
        await connection.close()


async def _require_api_role(url: str) -> None:
    """The API and other services connect with lending_api's rights and no more: never as a superuser or as a
    member of the owner role, which could bypass the functions."""
    connection = await asyncpg.connect(url)
    try:
        role = await connection.fetchrow(
            """select current_user as name, rolsuper,
                      pg_has_role(current_user, 'lending_api', 'member') as api,
                      pg_has_role(current_user, 'lending_owner', 'member') as owner
                 from pg_roles where rolname = current_user"""
        )
    finally:
        await connection.close()
    if role["rolsuper"] or role["owner"] or not role["api"]:
        raise RuntimeError(
            f"DATABASE_URL logs in as {role['name']}, which is a superuser, owns Lendgres or lacks lending_api: "
            "point it at a login role granted lending_api and nothing more"
        )


if __name__ == "__main__":
    sys.exit(main())
