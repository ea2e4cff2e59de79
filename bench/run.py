"""HTTP benchmark of Lendgres against a no-op FastAPI baseline measured in the same run.

Starts `lendgres serve` on a fresh embedded database, a no-op uvicorn app and the issue's reference app (one insert,
bench/bare_app.py) on the same database server, then drives them with wrk and prints one JSON line per scenario and
connection count; the `-sql` scenarios make the API's database calls without HTTP, to show how much of the ceiling
the database alone leaves. Requests carry the API key the first `serve` prints for its
admin (when it prints one: older commits, benchmarked for comparison, had no keys). See bench/README.md for the
targets.

    .venv/bin/python bench/run.py [--duration 10] [--connections 16,64] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from lendgres import db, embedded
from lendgres.settings import pool_max_size_from_env, usable_cpus

BENCH_DIR = Path(__file__).resolve().parent
HOST = "127.0.0.1"
APPLY_BODY = '{"applicant_name":"Bench Borrower","amount":"15000.00"}'
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0

# wrk runs this in one Lua state per thread. Idempotency keys must never repeat: a repeat would be answered by
# a replay instead of a write, and the benchmark would measure the cheaper path. So a key combines a nonce that
# is new for every wrk invocation (warm-ups included; passed after `--`), the thread's number and a counter.
APPLY_LUA = """\
local body = '%(body)s'
local authorization = '%(authorization)s'
local next_thread = 1
local nonce = "bench"
local counter = 0

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  nonce = args[1] or nonce
end

function request()
  counter = counter + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("%%s-%%d-%%d", nonce, thread_id, counter),
  }
  if authorization ~= "" then
    headers["Authorization"] = authorization
  end
  return wrk.format("POST", "/loans/apply", headers, body)
end
"""

KEY = re.compile(r"lgk_[A-Za-z0-9_-]{64}")

# wrk prints times with these units (see format_time in its units.c).
TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
TIME = r"([\d.]+)(us|ms|s|m|h)\b"


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int = 0
    # CPU time the scenario's server (with its database) spent per request: unlike requests per second, it barely
    # moves when other work on a shared host takes CPUs away.
    cpu_us_per_request: float | None = None
    # Its parts: the database server's alone (None where the scenario has none), and what drove the load (wrk, or
    # this script for the `-sql` scenarios), which shares the same CPUs.
    database_cpu_us_per_request: float | None = None
    client_cpu_us_per_request: float | None = None


@dataclass(frozen=True)
class CpuTimes:
    """CPU seconds used so far by a scenario's server process, by its PostgreSQL (None if it has none), and by the
    load's driver: this script and the children it has reaped (each wrk run is reaped as it ends)."""

    server: float
    database: float | None
    client: float


@dataclass(frozen=True)
class Server:
    """A server this script started: its base URL, its process, and the data folder of its PostgreSQL (if any)."""

    url: str
    pid: int
    pgdata: Path | None = None

    def cpu_times(self) -> CpuTimes | None:
        """CPU time used so far by the server process and by its PostgreSQL (every process of each, and the
        children they reaped), and by the load's driver. None where /proc is missing (not Linux)."""
        trees = [[self.pid]]
        pid_file = self.pgdata / "postmaster.pid" if self.pgdata is not None else None
        if pid_file is not None and pid_file.exists():
            trees.append([int(pid_file.read_text().splitlines()[0])])
        seconds = cpu_seconds_of_trees(trees)
        if seconds is None:
            return None
        return CpuTimes(seconds[0], seconds[1] if len(seconds) > 1 else None, client_cpu_seconds())


T = TypeVar("T")

# One database call of a `-sql` scenario: the function and its named arguments, given an id unique to the call
# across every run of the scenario (warm-ups included), as wrk's apply script makes its idempotency keys.
SqlCall = Callable[[str], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Scenario:
    name: str
    url: str
    script: Path | None = None
    authorization: str = ""
    # The server whose CPU time per request is measured with each run: its PostgreSQL's too.
    server: Server | None = None
    # Set for a `-sql` scenario: the call to make, through the API's own pool code, on the database at `url`.
    sql: SqlCall | None = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, help="seconds of each measured wrk run")
    parser.add_argument("--connections", default="16,64", help="comma-separated connection counts")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of the unmeasured run before each one")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON lines to this file")
    args = parser.parse_args(argv)
    connection_counts = [int(part) for part in args.connections.split(",") if part.strip()]

    if shutil.which("wrk") is None:
        print(
            "bench: wrk is not on PATH; install it (e.g. `apt-get install wrk` or `brew install wrk`)", file=sys.stderr
        )
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="lendgres-bench-"))
    try:
        data_dir = workdir / "data"
        with _server(_lendgres_command(data_dir), workdir / "lendgres.log", "/readyz", data_dir / "pgdata") as lendgres:
            bare_env = {"BARE_DATABASE_URL": _create_bare_database(data_dir)}
            with (
                _server(_noop_command(), workdir / "noop.log", "/noop") as noop,
                _server(_bare_command(), workdir / "bare.log", "/ready", extra_env=bare_env) as bare,
            ):
                authorization = admin_authorization(workdir / "lendgres.log")
                application_id = _seed_application(lendgres.url, authorization)
                script = workdir / "apply.lua"
                script.write_text(APPLY_LUA % {"body": APPLY_BODY, "authorization": authorization})
                actor = _actor(lendgres.url, authorization)
                api_database_url = embedded.EmbeddedDatabase(data_dir).url("lendgres_http")
                scenarios = [
                    # noop comes first, so each fraction compares runs made minutes apart at most on a noisy host.
                    # It gets the same Authorization header, so that every request has the same size.
                    Scenario("noop", f"{noop.url}/noop", authorization=authorization, server=noop),
                    # The reference design, driven by the same script (it ignores the headers it does not
                    # use); its CPU time is its process's and the whole database server's, as Lendgres' is.
                    Scenario(
                        "bare", f"{bare.url}/loans/apply", script, server=Server(bare.url, bare.pid, lendgres.pgdata)
                    ),
                    Scenario("apply", f"{lendgres.url}/loans/apply", script, server=lendgres),
                    Scenario(
                        "get", f"{lendgres.url}/loans/{application_id}", authorization=authorization, server=lendgres
                    ),
                    Scenario("apply-sql", api_database_url, server=lendgres, sql=_apply_call(actor)),
                    Scenario("get-sql", api_database_url, server=lendgres, sql=_get_call(actor, application_id)),
                ]
                lines = _run_all(scenarios, connection_counts, args.duration, args.warmup, args.threads)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(line + "\n" for line in lines))
    return 0


def _run_all(
    scenarios: list[Scenario], connection_counts: list[int], duration: int, warmup: int, threads: int
) -> list[str]:
    lines: list[str] = []
    for connections in connection_counts:
        ceiling: float | None = None
        for scenario in scenarios:
            if scenario.sql is not None:
                result = _call_directly(scenario, connections, duration, warmup)
            else:
                if warmup > 0:
                    # Fills the pool, the prepared-statement caches and the shared buffers before measuring.
                    _wrk(scenario, connections, warmup, threads)
                result = _wrk(scenario, connections, duration, threads)
            if scenario.name == "noop":
                ceiling = result.requests_per_s
            line = json.dumps(
                {
                    "scenario": scenario.name,
                    "connections": connections,
                    "duration_s": duration,
                    "requests_per_s": round(result.requests_per_s, 2),
                    "p50_ms": round(result.p50_ms, 3),
                    "p99_ms": round(result.p99_ms, 3),
                    "errors": result.errors,
                    "cpu_us_per_request": _round(result.cpu_us_per_request),
                    "database_cpu_us_per_request": _round(result.database_cpu_us_per_request),
                    "client_cpu_us_per_request": _round(result.client_cpu_us_per_request),
                    "ceiling_fraction": round(result.requests_per_s / ceiling, 3) if ceiling else None,
                    "cpu_bound_fraction": _round(cpu_bound_fraction(result, ceiling, usable_cpus()), 3),
                }
            )
            print(line, flush=True)
            lines.append(line)
    return lines


def cpu_bound_fraction(result: WrkResult, ceiling: float | None, cpus: int) -> float | None:
    """The fraction of the no-op ceiling that `cpus` CPUs, all busy with this scenario alone, could reach at the CPU
    time that one of its requests cost the whole machine (server, database and load driver). The scenario cannot go
    past it on this machine without becoming cheaper; how far below it stays is time spent waiting, not working."""
    if not ceiling or result.cpu_us_per_request is None or result.client_cpu_us_per_request is None:
        return None
    machine_us_per_request = result.cpu_us_per_request + result.client_cpu_us_per_request
    return cpus * 1e6 / machine_us_per_request / ceiling


def _wrk(scenario: Scenario, connections: int, duration: int, threads: int) -> WrkResult:
    # wrk needs at least one connection per thread.
    command = ["wrk", "-t", str(min(threads, connections)), "-c", str(connections), "-d", f"{duration}s", "--latency"]
    if scenario.script is not None:
        command += ["-s", str(scenario.script)]
    if scenario.authorization:
        command += ["-H", f"Authorization: {scenario.authorization}"]
    command.append(scenario.url)
    if scenario.script is not None:
        command += ["--", uuid.uuid4().hex]
    cpu_before = scenario.server.cpu_times() if scenario.server else None
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    cpu_after = scenario.server.cpu_times() if scenario.server else None
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr or completed.stdout}")
    result = parse_wrk(completed.stdout)
    return with_cpu_per_request(result, cpu_before, cpu_after)


def with_cpu_per_request(result: WrkResult, before: CpuTimes | None, after: CpuTimes | None) -> WrkResult:
    """The run's result with the CPU time spent over it per request completed: the server's with its database's,
    the database's alone, and the client's. Each is None when it was not read or nothing completed."""
    if before is None or after is None or result.requests == 0:
        return result

    def per_request(seconds: float) -> float:
        return seconds / result.requests * 1e6

    database = None
    if before.database is not None and after.database is not None:
        database = after.database - before.database
    return dataclasses.replace(
        result,
        cpu_us_per_request=per_request(after.server - before.server + (database or 0.0)),
        database_cpu_us_per_request=None if database is None else per_request(database),
        client_cpu_us_per_request=per_request(after.client - before.client),
    )


def _call_directly(scenario: Scenario, connections: int, duration: int, warmup: int) -> WrkResult:
    """Makes a `-sql` scenario's call in a loop from concurrent callers, `warmup` seconds and then `duration`
    seconds measured, through the API's own pool and call code (lendgres.db), as the API would with that many HTTP
    connections: at most its pool size reach the database at once."""
    assert scenario.sql is not None
    callers = min(connections, pool_max_size_from_env())
    cpu_times = scenario.server.cpu_times if scenario.server else lambda: None
    run = _run_event_loop(_call_in_loop(scenario.url, scenario.sql, callers, warmup, duration, cpu_times))
    return call_result(run.latencies_s, run.errors, duration, run.cpu_before, run.cpu_after)


def _run_event_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs on uvloop, as `lendgres serve` does, where it is installed: the caller's own CPU time competes with
    the database's on a small host, as wrk's does with the server's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


@dataclass(frozen=True)
class CallRun:
    latencies_s: list[float]
    errors: int
    cpu_before: CpuTimes | None
    cpu_after: CpuTimes | None


async def _call_in_loop(
    url: str, sql: SqlCall, callers: int, warmup: int, duration: int, cpu_times: Callable[[], CpuTimes | None]
) -> CallRun:
    """The calls, on one pool: first for `warmup` seconds, which opens its connections and fills their caches
    (prepared statements, plans, the domains' constraints), then for `duration` seconds, measured. The server's CPU
    time is read while the connections are open: a backend that has exited but is not yet reaped is counted nowhere,
    so reading it after closing the pool would lose the run's work."""
    database = db.Database(url, callers)
    await database.open(callers)
    run_id = uuid.uuid4().hex
    numbers = iter(range(1 << 62))

    async def calls_for(seconds: float) -> tuple[list[float], int]:
        latencies_s: list[float] = []
        errors = 0
        deadline = time.monotonic() + seconds

        async def caller() -> None:
            nonlocal errors
            while (started := time.monotonic()) < deadline:
                function, arguments = sql(f"{run_id}-{next(numbers)}")
                try:
                    await db.call(database, function, **arguments)
                except Exception:  # counted like wrk's non-2xx answers; the run goes on
                    errors += 1
                latencies_s.append(time.monotonic() - started)

        await asyncio.gather(*(caller() for _ in range(callers)))
        return latencies_s, errors

    try:
        if warmup > 0:
            await calls_for(warmup)
        cpu_before = cpu_times()
        latencies_s, errors = await calls_for(duration)
        cpu_after = cpu_times()
    finally:
        await database.close()
    return CallRun(latencies_s, errors, cpu_before, cpu_after)


def call_result(
    latencies_s: list[float], errors: int, duration: float, cpu_before: CpuTimes | None, cpu_after: CpuTimes | None
) -> WrkResult:
    """A `-sql` run's figures in wrk's terms: calls per second over the run, latency percentiles, and CPU per call."""
    ordered = sorted(latencies_s)
    count = len(ordered)

    def percentile_ms(fraction: float) -> float:
        return ordered[min(count - 1, int(fraction * count))] * 1000 if count else 0.0

    result = WrkResult(count / duration, percentile_ms(0.50), percentile_ms(0.99), errors, count)
    return with_cpu_per_request(result, cpu_before, cpu_after)


def _apply_call(actor: str) -> SqlCall:
    """What POST /loans/apply with the benchmark's body calls: a new idempotency key and request id each time, so
    that every call is a real write, never a replay."""

    def call(call_id: str) -> tuple[str, dict[str, Any]]:
        return "lending.apply", {
            "amount": Decimal("15000.00"),
            "applicant_name": "Bench Borrower",
            "actor": actor,
            "request_id": uuid.uuid4().hex,
            "idempotency_key": call_id,
        }

    return call


def _get_call(actor: str, application_id: int) -> SqlCall:
    """What GET /loans/{application_id} calls."""

    def call(_call_id: str) -> tuple[str, dict[str, Any]]:
        return "lending.get_application", {"application_id": application_id, "actor": actor}

    return call


def cpu_seconds_of_trees(trees: list[list[int]]) -> list[float] | None:
    """For each list of roots, the user and system CPU time of those processes, their descendants, and the children
    they have reaped (PostgreSQL's postmaster reaps its backends), from one reading of /proc; a process under roots
    of two lists counts in the first only. None where there is no /proc."""
    if not Path("/proc/self/stat").exists():
        return None
    times: dict[int, int] = {}
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # exited since the scan began
        # The fields after the command name (which may hold spaces), from the state on: see proc_pid_stat(5).
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        times[pid] = sum(int(ticks) for ticks in fields[11:15])  # utime, stime, cutime, cstime
        children.setdefault(int(fields[1]), []).append(pid)
    counted: set[int] = set()
    totals = []
    for roots in trees:
        ticks = 0
        pending = list(roots)
        while pending:
            pid = pending.pop()
            if pid in counted or pid not in times:
                continue
            counted.add(pid)
            ticks += times[pid]
            pending.extend(children.get(pid, []))
        totals.append(ticks / os.sysconf("SC_CLK_TCK"))
    return totals


def client_cpu_seconds() -> float:
    """User and system CPU time of this process and of the children it has reaped."""
    own, reaped = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def parse_wrk(output: str) -> WrkResult:
    """Reads wrk's report. The error lines only appear when their counts are not zero."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    requests = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    p50 = re.search(rf"^\s+50(?:\.0+)?%\s+{TIME}", output, re.MULTILINE)
    p99 = re.search(rf"^\s+99(?:\.0+)?%\s+{TIME}", output, re.MULTILINE)
    if rate is None or p50 is None or p99 is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(count) for count in socket_errors.groups())
    return WrkResult(
        requests_per_s=float(rate.group(1)),
        p50_ms=float(p50.group(1)) * TIME_UNITS_MS[p50.group(2)],
        p99_ms=float(p99.group(1)) * TIME_UNITS_MS[p99.group(2)],
        errors=errors,
        requests=int(requests.group(1)) if requests else 0,
    )


def _lendgres_command(data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "lendgres.cli", "serve", "--host", HOST, "--data-dir", str(data_dir)]


def _noop_command() -> list[str]:
    return _uvicorn_command("noop_app:app")


def _bare_command() -> list[str]:
    return _uvicorn_command("bare_app:app")


def _uvicorn_command(app: str) -> list[str]:
    # The same loop, parser and logging choices as `lendgres serve`, so the only difference is the application.
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--app-dir",
        str(BENCH_DIR),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--host",
        HOST,
    ]


BARE_ROLE = "lendgres_bench_bare"


def _create_bare_database(data_dir: Path) -> str:
    """Creates the reference app's login role and its own database on the embedded server, through the superuser,
    and returns the role's URL for it (the app makes its table there)."""
    database = embedded.EmbeddedDatabase(data_dir)
    password = secrets.token_urlsafe(16)
    try:
        database.psql(
            f"create role {BARE_ROLE} login password '{password}';\ncreate database {BARE_ROLE} owner {BARE_ROLE};\n",
            database="postgres",
        )
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"could not create the reference app's database: {error.stderr.strip()}") from error
    return embedded.socket_url(BARE_ROLE, password, database.socket_dir, BARE_ROLE)


@contextmanager
def _server(
    command: list[str],
    log_path: Path,
    ready_path: str,
    pgdata: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Runs a server on a free port and yields it once ready_path answers 200; then stops it, and checks that the
    PostgreSQL in pgdata (if any) stopped with it."""
    port = _free_port()
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"} | (extra_env or {})
    with log_path.open("wb") as log:
        # A session of its own, so a Ctrl-C on the benchmark does not also reach the server: the finally block
        # below is then the only one to signal it, once, which lets it shut down gracefully.
        process = subprocess.Popen(
            [*command, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    url = f"http://{HOST}:{port}"
    try:
        _wait_ready(f"{url}{ready_path}", process, log_path)
        yield Server(url, process.pid, pgdata)
    finally:
        _stop(process, log_path)
        if pgdata is not None:
            _stop_leftover_postgres(pgdata)


def _stop(process: subprocess.Popen[bytes], log_path: Path) -> None:
    if process.poll() is None:
        # SIGINT is uvicorn's graceful shutdown; `lendgres serve` then stops its embedded PostgreSQL at exit.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            print(f"bench: server {process.pid} ignored SIGINT; killing it (log: {log_path})", file=sys.stderr)
            process.kill()
            process.wait()
    if process.returncode not in (0, -signal.SIGINT):
        print(f"bench: server exited with {process.returncode}:\n{_tail(log_path)}", file=sys.stderr)


def _stop_leftover_postgres(pgdata: Path) -> None:
    """A postmaster.pid left behind means the server exited without stopping PostgreSQL, which would keep running
    on a deleted folder. Say so, and stop it by its pid (which this run started)."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().splitlines()[0])
    print(f"bench: PostgreSQL (pid {pid}) outlived `lendgres serve`; stopping it", file=sys.stderr)
    try:
        os.kill(pid, signal.SIGINT)  # fast shutdown
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet, or 503 while the database starts
        time.sleep(0.25)
    raise RuntimeError(f"{url} was not ready within {READY_TIMEOUT_S:.0f} s:\n{_tail(log_path)}")


def admin_authorization(log_path: Path) -> str:
    """The Authorization header for the admin key that a first `lendgres serve` printed to its log, or "" when it
    printed none (commits from before API keys, which ignore the header)."""
    key = KEY.search(log_path.read_text(errors="replace"))
    return f"Bearer {key.group(0)}" if key else ""


def _seed_application(base_url: str, authorization: str) -> int:
    headers = {"Content-Type": "application/json", "Idempotency-Key": f"bench-seed-{uuid.uuid4().hex}"}
    if authorization:
        headers["Authorization"] = authorization
    request = urllib.request.Request(
        f"{base_url}/loans/apply", data=APPLY_BODY.encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body: dict[str, Any] = json.load(response)
    return int(body["application_id"])


def _actor(base_url: str, authorization: str) -> str:
    """The name of the actor the admin key acts as (GET /me), for the `-sql` scenarios to act as the same."""
    request = urllib.request.Request(f"{base_url}/me", headers={"Authorization": authorization})
    with urllib.request.urlopen(request, timeout=10) as response:
        body: dict[str, Any] = json.load(response)
    return str(body["name"])


def _free_port() -> int:
    # The port could be taken between this and the server's bind; on a benchmark host that race is theoretical.
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _tail(log_path: Path, lines: int = 30) -> str:
    if not log_path.exists():
        return ""
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


if __name__ == "__main__":
    sys.exit(main())
