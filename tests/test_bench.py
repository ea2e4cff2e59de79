"""The benchmark's own arithmetic: what it reads from wrk, the CPU time it charges to a server, and the figures of
its direct database calls, which are also made for real here."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import bare_app
import run
from tests.conftest import role_url

WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:8000/loans/1
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.91ms    3.01ms  41.22ms   80.11%
    Req/Sec     0.90k   102.33     1.11k    71.00%
  Latency Distribution
     50%    8.40ms
     75%   10.12ms
     90%   12.51ms
     99%    1.02s
  8967 requests in 5.01s, 6.11MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:   1789.86
Transfer/sec:      1.22MB
"""


def test_wrk_report_is_read_with_its_units_and_errors() -> None:
    result = run.parse_wrk(WRK_OUTPUT)
    assert result.requests_per_s == 1789.86
    assert result.p50_ms == 8.4
    assert result.p99_ms == 1020.0
    assert result.errors == 6
    assert result.requests == 8967


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="CPU time is read from /proc")
def tree_seconds(pid: int) -> float:
    seconds = run.cpu_seconds_of_trees([[pid]])
    assert seconds is not None
    return seconds[0]


def test_cpu_time_counts_descendants_and_the_children_they_reaped() -> None:
    """A shell runs a child that spins for 0.3 s of CPU, then sleeps: while the child runs it is counted as a
    descendant, and once the shell has reaped it, as part of the shell's own children's time."""
    spin = (
        "import os, time; print(os.getpid(), flush=True); t = time.process_time()\n"
        "while time.process_time() - t < 0.3: pass"
    )
    shell = subprocess.Popen(["sh", "-c", f'{sys.executable} -c "{spin}"; sleep 10'], stdout=subprocess.PIPE, text=True)
    try:
        assert shell.stdout is not None
        child = int(shell.stdout.readline())
        time.sleep(0.1)
        assert 0.0 < tree_seconds(shell.pid) < 0.3
        deadline = time.monotonic() + 10
        while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert 0.3 <= tree_seconds(shell.pid) < 1.0
    finally:
        shell.kill()
        shell.wait()


def test_a_process_under_two_trees_counts_once() -> None:
    me = os.getpid()
    alone = run.cpu_seconds_of_trees([[me]])
    twice = run.cpu_seconds_of_trees([[me], [me]])
    assert alone is not None and twice is not None
    assert twice[0] >= alone[0] > 0 and twice[1] == 0.0


def test_direct_calls_are_summed_up_like_a_wrk_run() -> None:
    latencies_s = [0.001 * n for n in range(1, 201)]  # 1 ms to 200 ms
    before = run.CpuTimes(server=10.0, database=20.0, client=30.0)
    after = run.CpuTimes(server=10.1, database=20.4, client=30.2)
    result = run.call_result(latencies_s, errors=2, duration=4, cpu_before=before, cpu_after=after)
    assert result.requests == 200
    assert result.requests_per_s == 50.0
    assert result.p50_ms == pytest.approx(101.0)
    assert result.p99_ms == pytest.approx(199.0)
    assert result.errors == 2
    # The server's CPU counts its database's; the client's is apart.
    assert result.cpu_us_per_request == pytest.approx(2500.0)
    assert result.database_cpu_us_per_request == pytest.approx(2000.0)
    assert result.client_cpu_us_per_request == pytest.approx(1000.0)
    assert run.call_result([], 0, 1, None, None).cpu_us_per_request is None
    assert run.call_result([], 0, 1, before, after).cpu_us_per_request is None


def test_a_server_without_a_database_has_no_database_cpu() -> None:
    result = run.WrkResult(100.0, 1.0, 2.0, 0, requests=1000)
    before = run.CpuTimes(server=1.0, database=None, client=5.0)
    after = run.CpuTimes(server=1.2, database=None, client=5.05)
    measured = run.with_cpu_per_request(result, before, after)
    assert measured.cpu_us_per_request == pytest.approx(200.0)
    assert measured.database_cpu_us_per_request is None
    assert measured.client_cpu_us_per_request == pytest.approx(50.0)


def test_the_cpu_bound_is_what_every_cpu_could_serve_at_a_requests_cost() -> None:
    # 400 µs per request for the server and its database, 100 µs for the client: 2 CPUs serve 4,000 per second at
    # most, 0.4 of a 10,000 ceiling.
    result = run.WrkResult(3000.0, 1.0, 2.0, 0, 30_000, 400.0, 300.0, 100.0)
    assert run.cpu_bound_fraction(result, 10_000.0, cpus=2) == pytest.approx(0.4)
    assert run.cpu_bound_fraction(result, None, cpus=2) is None
    assert run.cpu_bound_fraction(run.WrkResult(3000.0, 1.0, 2.0, 0, 30_000), 10_000.0, cpus=2) is None


def test_the_client_cpu_counts_a_reaped_child() -> None:
    before = run.client_cpu_seconds()
    subprocess.run([sys.executable, "-c", "sum(range(3_000_000))"], check=True)
    assert run.client_cpu_seconds() - before >= 0.02


def test_direct_calls_file_one_application_per_call(
    postgresql: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The apply-sql scenario from three callers, on a test database as the HTTP service's role: one second of
    warm-up, then one measured, on one pool. Every call is an application filed under its own idempotency key, and
    the server's CPU time is read around the measured calls, before the pool closes."""
    url = role_url(postgresql, "lendgres_test_http")
    events: list[str] = []
    filed_at_readings: list[int] = []

    def applications() -> int:
        row = postgresql.execute("select count(*) from lending_private.application").fetchone()
        assert row is not None
        return int(row[0])

    def cpu_times() -> run.CpuTimes:
        """Stands for the server's CPU time."""
        events.append("cpu")
        filed_at_readings.append(applications())
        return run.CpuTimes(float(len(filed_at_readings)), None, 0.0)

    close = run.db.Database.close

    async def noted_close(database: run.db.Database) -> None:
        events.append("close")
        await close(database)

    monkeypatch.setattr(run.db.Database, "close", noted_close)
    apply = run._apply_call("test-admin")
    calls = run._run_event_loop(run._call_in_loop(url, apply, 3, 1, 1, cpu_times))

    assert calls.errors == 0 and len(calls.latencies_s) > 0
    # A backend that has exited but is not yet reaped is counted nowhere: the readings come before the close.
    assert events == ["cpu", "cpu", "close"]
    assert calls.cpu_before is not None and calls.cpu_after is not None
    assert (calls.cpu_before.server, calls.cpu_after.server) == (1.0, 2.0)
    warmed, measured = filed_at_readings
    assert warmed > 0 and measured - warmed == len(calls.latencies_s)

    # Another run of the same scenario writes again rather than replaying the first one's keys.
    again = run._run_event_loop(run._call_in_loop(url, apply, 3, 0, 1, lambda: None))
    made = measured + len(again.latencies_s)
    filed = postgresql.execute("select count(*), count(distinct idempotency_key) from lending_private.idempotency_key")
    assert filed.fetchone() == (made, made)
    assert applications() == made


def test_the_reference_app_files_one_row_per_request(
    postgresql: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bench/bare_app.py, the issue's reference point, on a test database as a role of its own: it makes its table,
    answers the benchmark's own request with 201 and a new id, writes exactly that row, and refuses a body without
    a name as pydantic does."""
    postgresql.execute(
        "do $$ begin if not exists (select from pg_roles where rolname = 'lendgres_test_bare') then "
        "create role lendgres_test_bare login; end if; end $$"
    )
    postgresql.execute("grant create on schema public to lendgres_test_bare")
    postgresql.commit()
    monkeypatch.setenv("BARE_DATABASE_URL", role_url(postgresql, "lendgres_test_bare"))

    async def requests() -> list[httpx.Response]:
        async with bare_app.app.router.lifespan_context(bare_app.app):
            transport = httpx.ASGITransport(app=bare_app.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bare.test") as client:
                headers = {"Content-Type": "application/json"}
                return [
                    await client.post("/loans/apply", content=run.APPLY_BODY, headers=headers),
                    await client.post("/loans/apply", content=run.APPLY_BODY, headers=headers),
                    await client.post("/loans/apply", json={"amount": "1.00"}),
                ]

    first, second, nameless = run._run_event_loop(requests())
    assert (first.status_code, second.status_code, nameless.status_code) == (201, 201, 422)
    assert second.json()["application_id"] == first.json()["application_id"] + 1
    rows = postgresql.execute("select applicant_name, amount from bare_application order by application_id")
    assert rows.fetchall() == [("Bench Borrower", Decimal("15000.00"))] * 2
