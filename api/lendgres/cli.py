"""The `lendgres` command: serve the API, migrate a database, print the SQL API's connection URL, and manage the
actors and API keys that may use it.

Without DATABASE_URL, everything runs on an embedded PostgreSQL kept in a data folder (default ./.lendgres); the
first `serve` there creates an `admin` actor and prints its first key. With DATABASE_URL, that database is used as
it is: `serve` migrates it only with --migrate (using LENDGRES_ADMIN_DATABASE_URL when set, since the API's own role
may not create objects) and refuses to serve a database whose migrations are behind the code's. `actors` and `keys`
act as the `operator` actor, through LENDGRES_ADMIN_DATABASE_URL (an owner or superuser login) there.
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
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from . import db, embedded, health, migrations
from .settings import Settings

log = logging.getLogger("lendgres")

DEFAULT_DATA_DIR = Path(".lendgres")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    log.setLevel(logging.INFO)
    try:
        return {
            "serve": _serve,
            "migrate": _migrate,
            "db-url": _db_url,
            "db-start": _db_start,
            "db-stop": _db_stop,
            "actors": _actors,
            "keys": _keys,
        }[args.command](args)
    except (RuntimeError, subprocess.CalledProcessError, OSError, asyncpg.PostgresError) as exc:
        detail = getattr(exc, "stderr", None) or getattr(exc, "stdout", None) or getattr(exc, "detail", None) or ""
        print(f"lendgres {args.command}: {exc}\n{detail}".rstrip(), file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    """The commands and their options, with the defaults the README promises: `serve` on 127.0.0.1:8000, one
    worker, the embedded database in ./.lendgres."""
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

    db_start = commands.add_parser(
        "db-start", help="start the embedded PostgreSQL of a data folder and leave it running (after a crash)"
    )
    db_start.add_argument("--data-dir", type=Path, default=None)
    db_stop = commands.add_parser(
        "db-stop", help="stop the embedded PostgreSQL of a data folder (after `serve` was killed)"
    )
    db_stop.add_argument("--data-dir", type=Path, default=None)

    actors = commands.add_parser("actors", help="create, change and list actors").add_subparsers(
        dest="action", required=True
    )
    create_actor = actors.add_parser("create", help="create an actor")
    create_actor.add_argument("--name", required=True)
    create_actor.add_argument("--kind", required=True, choices=("agent", "human", "service"))
    create_actor.add_argument("--role", required=True, help="reader, intake, underwriter, reviewer, servicer or admin")
    create_actor.add_argument("--db-role", help="a PostgreSQL login role (granted lending_api) that acts as it")
    update_actor = actors.add_parser("update", help="change an actor's role, or deactivate or reactivate it")
    update_actor.add_argument("--name", required=True)
    update_actor.add_argument("--role")
    update_actor.add_argument("--active", choices=("yes", "no"))
    actors.add_parser("list", help="list the actors")

    keys = commands.add_parser("keys", help="create, revoke and list API keys").add_subparsers(
        dest="action", required=True
    )
    create_key = keys.add_parser("create", help="make an API key for an actor; its secret is printed once")
    create_key.add_argument("--actor", required=True)
    create_key.add_argument("--expires-in-days", type=int, default=90)
    create_key.add_argument("--label")
    revoke_key = keys.add_parser("revoke", help="revoke an API key")
    revoke_key.add_argument("key_id", type=int)
    list_keys = keys.add_parser("list", help="list API keys (never their secrets)")
    list_keys.add_argument("--actor")
    for command in (create_actor, update_actor, create_key, revoke_key, list_keys, *actors.choices.values()):
        if not any(action.dest == "data_dir" for action in command._actions):
            command.add_argument("--data-dir", type=Path, default=None)
    return parser


def _external_url() -> str | None:
    return os.environ.get("DATABASE_URL") or None


def _data_dir(args: argparse.Namespace) -> Path:
    return args.data_dir or Path(os.environ.get("LENDGRES_DATA_DIR", DEFAULT_DATA_DIR))


def _admin_url() -> str:
    url = os.environ.get("LENDGRES_ADMIN_DATABASE_URL") or _external_url()
    assert url is not None
    return url


def _libpq_url(url: str) -> str:
    """The admin URL is also dbmate's, which names a unix socket folder `socket=`; libpq and asyncpg say `host=`."""
    parts = urlsplit(url)
    query = [("host" if name == "socket" else name, value) for name, value in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    external = _external_url()
    database = None
    if external is None:
        database = embedded.EmbeddedDatabase(_data_dir(args))
        print(f"lendgres: embedded PostgreSQL data in {database.data_dir}", flush=True)
        database.start()
        api_url = database.url("lendgres_http")
        asyncio.run(_first_admin(database.superuser_url(), args.host, args.port))
    else:
        if args.migrate:
            print(migrations.migrate(_admin_url()), end="", flush=True)
        api_url = external
        asyncio.run(_require_api_role(api_url, gateway=True))
        state = asyncio.run(_readiness(api_url))
        if not state.ready:
            raise RuntimeError(f"{state.detail}: run `lendgres migrate` (or serve --migrate)")
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
            http="lendgres.serving:LimitedHttpToolsProtocol",
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


def _db_start(args: argparse.Namespace) -> int:
    """Starts the embedded server without migrating or serving: a `serve` whose server died (a crash, the OOM
    killer) answers 503 until then, and carries on once it runs again. The server stops with the last `serve`."""
    _require_embedded("db-start")
    database = embedded.EmbeddedDatabase(_data_dir(args))
    database.start_server(keep_running=True)
    print(f"lendgres: the embedded PostgreSQL of {database.data_dir} is running")
    return 0


def _db_stop(args: argparse.Namespace) -> int:
    """Stops the embedded server, whoever started it: for a server left running by a `serve` that was killed."""
    _require_embedded("db-stop")
    database = embedded.EmbeddedDatabase(_data_dir(args))
    stopped = database.stop_server()
    print(f"lendgres: the embedded PostgreSQL of {database.data_dir} {'stopped' if stopped else 'was not running'}")
    return 0


def _require_embedded(command: str) -> None:
    if _external_url() is not None:
        raise RuntimeError(f"{command} acts on the embedded PostgreSQL; unset DATABASE_URL")


async def _readiness(url: str) -> health.Readiness:
    database = db.Database(url, size=1)
    try:
        return await health.readiness(database)
    finally:
        await database.close()


async def _require_api_role(url: str, gateway: bool = False) -> None:
    """The API and other services connect with lending_api's rights and no more: never as a superuser or as a
    member of the owner role, which could bypass the functions. The HTTP service's role is also a member of
    lending_gateway, which lets it name the actor of each call (the one whose API key it checked)."""
    connection = await asyncpg.connect(url)
    try:
        role = await connection.fetchrow(
            """select current_user as name, rolsuper,
                      pg_has_role(current_user, 'lending_api', 'member') as api,
                      pg_has_role(current_user, 'lending_owner', 'member') as owner,
                      pg_has_role(current_user, 'lending_gateway', 'member') as gateway
                 from pg_roles where rolname = current_user"""
        )
    finally:
        await connection.close()
    if role["rolsuper"] or role["owner"] or not role["api"]:
        raise RuntimeError(
            f"DATABASE_URL logs in as {role['name']}, which is a superuser, owns Lendgres or lacks lending_api: "
            "point it at a login role granted lending_api and nothing more"
        )
    if gateway and not role["gateway"]:
        raise RuntimeError(
            f"DATABASE_URL logs in as {role['name']}, which is not a member of lending_gateway: the HTTP service's "
            f"role needs it to act for the actors whose keys it checks (grant lending_gateway to {role['name']})"
        )


# Managing actors and keys -----------------------------------------------------------------------------------


def _admin_database(args: argparse.Namespace) -> tuple[str, embedded.EmbeddedDatabase | None]:
    """The URL the CLI manages actors and keys through, as an operator; and the embedded database it started."""
    if _external_url() is not None:
        return _libpq_url(_admin_url()), None
    database = embedded.EmbeddedDatabase(_data_dir(args))
    database.start()
    return database.superuser_url(), database


async def _call(url: str, function: str, **arguments: object) -> dict[str, object]:
    """Calls one lending function as the operator; a writing function's envelope is unpacked to its body."""
    statement, given = db.named_call(function, arguments)
    connection = await asyncpg.connect(url)
    try:
        result: dict[str, object] = json.loads(await connection.fetchval(statement, *given.values()))
    finally:
        await connection.close()
    body = result.get("body", result)
    assert isinstance(body, dict)
    return body


def _manage(args: argparse.Namespace, function: str, **arguments: object) -> dict[str, object]:
    url, database = _admin_database(args)
    try:
        return asyncio.run(_call(url, function, **arguments))
    finally:
        if database is not None:
            database.stop()


def _actors(args: argparse.Namespace) -> int:
    if args.action == "create":
        result = _manage(
            args, "lending.create_actor", name=args.name, kind=args.kind, role=args.role, db_role=args.db_role
        )
    elif args.action == "update":
        active = None if args.active is None else args.active == "yes"
        result = _manage(args, "lending.update_actor", name=args.name, role=args.role, active=active)
    else:
        result = _manage(args, "lending.list_actors")
    print(json.dumps(result, indent=2))
    return 0


def _keys(args: argparse.Namespace) -> int:
    if args.action == "create":
        key = _manage(
            args,
            "lending.create_api_key",
            for_actor=args.actor,
            expires_in_days=args.expires_in_days,
            label=args.label,
        )
        secret = key.pop("api_key")
        print(json.dumps(key, indent=2), file=sys.stderr)
        print("lendgres: the key is shown this once; keep it: Authorization: Bearer <key>", file=sys.stderr)
        print(secret)
    elif args.action == "revoke":
        print(json.dumps(_manage(args, "lending.revoke_api_key", key_id=args.key_id), indent=2))
    else:
        print(json.dumps(_manage(args, "lending.list_api_keys", for_actor=args.actor), indent=2))
    return 0


async def _first_admin(url: str, host: str, port: int) -> None:
    """On the embedded database's first start, makes the `admin` actor and its first key, and says so once."""
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            # Two serve processes starting together create one admin.
            await connection.execute("select pg_advisory_xact_lock(hashtext('lendgres first admin'))")
            exists = await connection.fetchval(
                "select exists (select from jsonb_array_elements(lending.list_actors() -> 'items') as a "
                "where a ->> 'name' = 'admin')"
            )
            if exists:
                return
            await connection.fetchval("select lending.create_actor(name => 'admin', kind => 'human', role => 'admin')")
            created = json.loads(
                await connection.fetchval(
                    "select lending.create_api_key(for_actor => 'admin', expires_in_days => 365, "
                    "label => 'first key, made by lendgres serve')"
                )
            )
    finally:
        await connection.close()
    key = created["body"]["api_key"]
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(
        "lendgres: created the admin actor. Its API key, shown this once (keep it):\n"
        f"\n    {key}\n\n"
        f"lendgres: try  curl -H 'Authorization: Bearer {key}' http://{shown_host}:{port}/me\n"
        "lendgres: more actors and keys:  lendgres actors create --name NAME --kind agent --role intake"
        "  &&  lendgres keys create --actor NAME",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
