"""Settings of the HTTP service, read from the environment once per process."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TypeVar

_Number = TypeVar("_Number", int, float)


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, as a container's CPU set limits it), else the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# A PostgreSQL server gets no more done with more busy connections than about four per core: past that its backends
# preempt each other, some while holding a lock the others then wait for, and every extra wake-up costs CPU. On the
# 2-core development machine, with the database on the same cores, 8 connections took about 9% less CPU per request
# than 16 and kept apply's p99 at 64 concurrent requests lower (bench/README.md). The default assumes the database
# has as many cores as this machine, as the embedded one does; set LENDGRES_POOL_MAX_SIZE for one that has more.
DEFAULT_POOL_MAX_SIZE = min(16, 4 * usable_cpus())


def pool_max_size_from_env() -> int:
    """The API's pool size per worker: LENDGRES_POOL_MAX_SIZE, else the default above. The benchmark's direct
    callers and its reference app size themselves by it too."""
    return int(os.environ.get("LENDGRES_POOL_MAX_SIZE", DEFAULT_POOL_MAX_SIZE))


@dataclass(frozen=True)
class Settings:
    # The API's own connection: a login role with lending_api's rights, never the superuser.
    database_url: str
    pool_min_size: int = 2
    pool_max_size: int = DEFAULT_POOL_MAX_SIZE
    # asyncpg prepares each statement once per connection. Behind PgBouncer in transaction mode without prepared
    # statement support, set LENDGRES_STATEMENT_CACHE_SIZE=0.
    statement_cache_size: int = 100
    # The events feed's LISTEN connection needs a session of its own: behind PgBouncer in transaction mode, point
    # this at PostgreSQL directly (or at a session-mode pool). Defaults to database_url.
    listen_database_url: str | None = None
    # How long a worker trusts a resolved API key without asking the database again. Revocations reach the workers
    # at once by NOTIFY; this bounds the delay when a notification is missed.
    key_cache_seconds: float = 10.0
    # FastAPI's native OpenTelemetry (spans, metrics and logs of each request, to the globally configured providers).
    # Off unless asked for: when on, every request asks the providers whether anyone listens, configured or not.
    telemetry: bool = False
    # Host headers the MCP endpoint answers to (DNS rebinding protection); "host:*" allows any port.
    allowed_hosts: tuple[str, ...] = ("127.0.0.1:*", "localhost:*", "[::1]:*")
    # The largest request body taken, in bytes: a larger one is refused (413) before a byte of it is read. The
    # largest real request, a decision with its reason, is a few kilobytes.
    max_body_bytes: int = 1024 * 1024
    # How long a request's body may pause between two pieces before the request is refused (408) and its connection
    # closed: a client that announces more than it sends would otherwise hold a connection and a task for ever.
    body_timeout_seconds: float = 30.0

    @classmethod
    def from_env(cls) -> Settings:
        url = os.environ.get("LENDGRES_API_DATABASE_URL") or os.environ.get("DATABASE_URL")
        if not url:
            raise RuntimeError("set DATABASE_URL (or run `lendgres serve`, which starts an embedded database)")
        return cls(
            database_url=url,
            listen_database_url=os.environ.get("LENDGRES_LISTEN_DATABASE_URL") or None,
            pool_min_size=int(os.environ.get("LENDGRES_POOL_MIN_SIZE", cls.pool_min_size)),
            pool_max_size=pool_max_size_from_env(),
            key_cache_seconds=float(os.environ.get("LENDGRES_KEY_CACHE_SECONDS", cls.key_cache_seconds)),
            statement_cache_size=int(os.environ.get("LENDGRES_STATEMENT_CACHE_SIZE", cls.statement_cache_size)),
            telemetry=_boolean("LENDGRES_TELEMETRY", cls.telemetry),
            max_body_bytes=_positive("LENDGRES_MAX_BODY_BYTES", cls.max_body_bytes, int),
            body_timeout_seconds=_positive("LENDGRES_BODY_TIMEOUT", cls.body_timeout_seconds, float),
            allowed_hosts=tuple(
                host.strip()
                for host in os.environ.get("LENDGRES_ALLOWED_HOSTS", ",".join(cls.allowed_hosts)).split(",")
                if host.strip()
            ),
        )


# How long a client may take to send a request's headers, from the moment its connection opens or its previous
# response ends, before the connection is closed: a client that sends nothing, or a header line now and then,
# would otherwise hold a socket for ever. Read by the HTTP protocol (serving.py), which has no Settings.
DEFAULT_HEADER_TIMEOUT_SECONDS = 10.0


def header_timeout_from_env() -> float:
    return _positive("LENDGRES_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT_SECONDS, float)


def _positive(name: str, default: _Number, kind: type[_Number]) -> _Number:
    """A positive number setting; anything else stops the start."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise RuntimeError(f"{name} must be a positive number, not {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise RuntimeError(f"{name} must be a positive number, not {text!r}")
    return value


def _boolean(name: str, default: bool) -> bool:
    """A true/false setting; anything else stops the start rather than silently meaning one of them."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in ("true", "false"):
        raise RuntimeError(f"{name} must be true or false, not {value!r}")
    return value == "true"
