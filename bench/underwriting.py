"""Underwriting's cost in the database: assess and decide beside apply and get, per call, in the same run.

Starts the embedded default (`lendgres serve`'s PostgreSQL, its memory sized to this machine) in a temporary folder,
creates a product with a realistic policy, then makes each scenario's SQL call as the HTTP service does (its login
role, naming an actor), one connection per scenario, in batches: every round runs one batch of every scenario, in
an order that turns from round to round, so that the phases of a shared machine fall on every scenario alike. What a
batch costs the database is the CPU time (user and system) of its connection's backend, read from /proc before and
after it. Prints one JSON line per scenario with its ratios to `apply` of the same run, then where an assessment's
time goes, and an apply's beside it: the functions each runs, by their own time (track_functions = 'all', on a
connection of its own, after the measured rounds).

    .venv/bin/python bench/underwriting.py [--rounds 20] [--calls 40] [--profile assess,apply] [--profile-calls 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from lendgres import embedded

PRODUCT_CODE = "bench_personal"
UNDERWRITER = "bench-underwriter"

# A personal loan as a lender would offer it: 1,000-50,000 over 6-60 months, a 1% origination fee up to 500, agents
# approving up to 20,000 alone. Its policy is the issue's: three reasons to reject and three to refer to a person.
PRODUCT: dict[str, Any] = {
    "product_code": PRODUCT_CODE,
    "name": "Bench personal loan",
    "currency": "USD",
    "min_amount": Decimal("1000.00"),
    "max_amount": Decimal("50000.00"),
    "min_term_months": 6,
    "max_term_months": 60,
    "rates": Jsonb({"A": "6.99", "B": "8.99", "C": "11.99", "D": "15.99", "E": "21.99"}),
    "origination_fee_percent": Decimal("1"),
    "origination_fee_cap": Decimal("500.00"),
    "agent_approval_limit": Decimal("20000.00"),
    "rules": Jsonb(
        [
            {"measure": m, "comparison": c, "threshold": t, "reason_code": r, "on_failure": f}
            for m, c, t, r, f in (
                ("credit_score", ">=", "620", "insufficient_credit_score", "reject"),
                ("debt_to_income", "<=", "0.43", "excessive_obligations", "reject"),
                ("loan_to_income", "<=", "0.5", "insufficient_income", "reject"),
                ("months_employed", ">=", "6", "length_of_employment", "refer"),
                ("unverified_amount", "<=", "10000", "unable_to_verify_income", "refer"),
                ("identity_verified", ">=", "1", "unable_to_verify_identity", "refer"),
            )
        ]
    ),
}

# The tutorial's application (bench/run.py's body): a name and an amount, under the default product.
TUTORIAL = {"applicant_name": "Bench Borrower", "amount": Decimal("15000.00")}

# The same loan with every fact the product needs, all of which pass its policy: the assessment recommends approval
# (score 730, grade B, 8.99% over 36 months), and 15,000 is within the agent's limit, so a decision fixes an offer.
COMPLETE = {
    **TUTORIAL,
    "product_code": PRODUCT_CODE,
    "term_months": 36,
    "purpose": "debt consolidation",
    "annual_income": Decimal("60000.00"),
    "monthly_debt_payments": Decimal("500.00"),
    "employment_status": "employed",
    "months_employed": 24,
    "housing_status": "rent",
    "credit_score": 720,
    "credit_score_source": "Experian",
    "credit_score_date": date(2026, 11, 1),
    "date_of_birth": date(1985, 4, 12),
    "income_verified": True,
    "identity_verified": True,
}

MODEL = {"model_name": "bench-policy", "model_version": "1.0", "confidence": Decimal("0.92")}


def call(connection: psycopg.Connection, function: str, arguments: dict[str, Any]) -> Any:
    """One call of a lending function with named arguments, as lendgres.db makes it: `select f(name => value, ...)`."""
    placeholders = ", ".join(f'"{name}" => %({name})s' for name in arguments)
    row = connection.execute(f"select {function}({placeholders})", arguments).fetchone()
    assert row is not None
    return row[0]


def written(result: dict[str, Any], status: int = 201) -> dict[str, Any]:
    """The body of a write's envelope, which must have `status` and not be a replay: a refusal or a replay would
    measure a cheaper path than the one named."""
    if result.get("status") != status or result.get("replayed"):
        raise RuntimeError(f"expected a new {status}, got {json.dumps(result)[:500]}")
    body: dict[str, Any] = result["body"]
    return body


def keys() -> dict[str, str]:
    """A new idempotency key and request id, as every HTTP write carries."""
    return {"request_id": uuid.uuid4().hex, "idempotency_key": uuid.uuid4().hex}


def file(connection: psycopg.Connection, application: dict[str, Any]) -> int:
    body = written(call(connection, "lending.apply", {**application, "actor": UNDERWRITER, **keys()}))
    return int(body["application_id"])


def assess(connection: psycopg.Connection, application_id: int) -> dict[str, Any]:
    arguments = {"application_id": application_id, "actor": UNDERWRITER, **keys()}
    return written(call(connection, "lending.assess_application", arguments))


def assessed(connection: psycopg.Connection, application_id: int) -> int:
    """Assesses an application filed with COMPLETE facts, which must be recommended for approval."""
    recommendation = assess(connection, application_id)["recommendation"]
    if recommendation != "approve":
        raise RuntimeError(f"application {application_id}: recommended {recommendation}, not approve")
    return application_id


def approve(connection: psycopg.Connection, application_id: int, model: dict[str, Any]) -> dict[str, Any]:
    arguments = {
        "application_id": application_id,
        "outcome": "approved",
        "reason": "Meets the policy",
        **model,
        "actor": UNDERWRITER,
        **keys(),
    }
    body = written(call(connection, "lending.decide", arguments))
    if body["status"] != "approved":
        raise RuntimeError(f"application {application_id} is {body['status']} after its approval, not approved")
    return body


@dataclass(frozen=True)
class Scenario:
    """One SQL call of the benchmark. `prepare` makes, unmeasured on another connection, what one call needs (an
    application in the right state); `run` makes the call."""

    name: str
    description: str
    prepare: Callable[[psycopg.Connection], Any]
    run: Callable[[psycopg.Connection, Any], object]


def scenarios(pending_application: int, approved_application: int) -> list[Scenario]:
    def nothing(_: psycopg.Connection) -> None:
        return None

    def get(connection: psycopg.Connection, application_id: int) -> object:
        application = call(
            connection, "lending.get_application", {"application_id": application_id, "actor": UNDERWRITER}
        )
        if application["application_id"] != application_id:
            raise RuntimeError(f"get_application({application_id}) answered {json.dumps(application)[:500]}")
        return application

    return [
        Scenario("apply", "lending.apply, the tutorial's body (a name and an amount)", nothing,
                 lambda c, _: file(c, TUTORIAL)),
        Scenario("apply-facts", f"lending.apply with every fact and product_code {PRODUCT_CODE}", nothing,
                 lambda c, _: file(c, COMPLETE)),
        Scenario("get", "lending.get_application of a pending tutorial application", lambda _: pending_application,
                 get),
        Scenario("get-approved", "lending.get_application of an approved application, with its assessment, "
                 "decision and offer", lambda _: approved_application, get),
        Scenario("assess", "lending.assess_application of a new application with every fact (recommends approve)",
                 lambda c: file(c, COMPLETE), assess),
        Scenario("decide", "lending.decide approved on an assessed application, within the agent's limit, with the "
                 "model's name, version and confidence (fixes an offer)",
                 lambda c: assessed(c, file(c, COMPLETE)), lambda c, a: approve(c, a, MODEL)),
        Scenario("decide-unassessed", "lending.decide approved on a tutorial application (default product, no "
                 "assessment)", lambda c: file(c, TUTORIAL), lambda c, a: approve(c, a, {})),
    ]  # fmt: skip


def backend_cpu_seconds(pid: int) -> float | None:
    """The user and system CPU time a backend has used so far, from /proc (None where there is none)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The fields after the command name (which may hold spaces), from the state on: see proc_pid_stat(5).
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Measured:
    """What a scenario's batches added up to."""

    calls: int = 0
    cpu_s: float | None = 0.0
    wall_s: list[float] = field(default_factory=list)


def measure_batch(
    scenario: Scenario, gateway: psycopg.Connection, setup: psycopg.Connection, calls: int, into: Measured
) -> None:
    inputs = [scenario.prepare(setup) for _ in range(calls)]
    pid = gateway.info.backend_pid
    cpu_before = backend_cpu_seconds(pid)
    for value in inputs:
        started = time.perf_counter()
        scenario.run(gateway, value)
        into.wall_s.append(time.perf_counter() - started)
    cpu_after = backend_cpu_seconds(pid)
    into.calls += calls
    if into.cpu_s is None or cpu_before is None or cpu_after is None:
        into.cpu_s = None
    else:
        into.cpu_s += cpu_after - cpu_before


def measure(
    url: str, all_scenarios: list[Scenario], rounds: int, calls: int, warm_up_calls: int
) -> dict[str, Measured]:
    """Every scenario on a connection of its own, `rounds` batches of `calls` calls each, the first scenario of a
    round turning each round; each connection is warmed first (its plans, the caches), unmeasured."""
    results = {scenario.name: Measured() for scenario in all_scenarios}
    with psycopg.connect(url, autocommit=True) as setup:
        gateways = {scenario.name: psycopg.connect(url, autocommit=True) for scenario in all_scenarios}
        try:
            for scenario in all_scenarios:
                measure_batch(scenario, gateways[scenario.name], setup, warm_up_calls, Measured())
            for round_number in range(rounds):
                turn = round_number % len(all_scenarios)
                for scenario in all_scenarios[turn:] + all_scenarios[:turn]:
                    measure_batch(scenario, gateways[scenario.name], setup, calls, results[scenario.name])
        finally:
            for gateway in gateways.values():
                gateway.close()
    return results


FUNCTION_STATS = """
select schemaname || '.' || funcname, calls, self_time, total_time
  from pg_stat_user_functions
"""


def function_stats(superuser: psycopg.Connection) -> dict[str, tuple[int, float, float]]:
    """Calls, self and total milliseconds of every function that ran with track_functions on (overloads summed)."""
    superuser.execute("select pg_stat_clear_snapshot()")
    stats: dict[str, tuple[int, float, float]] = {}
    for name, calls, self_ms, total_ms in superuser.execute(FUNCTION_STATS).fetchall():
        before = stats.get(name, (0, 0.0, 0.0))
        stats[name] = (before[0] + calls, before[1] + self_ms, before[2] + total_ms)
    return stats


@dataclass(frozen=True)
class FunctionCost:
    function: str
    calls_per_call: float
    self_us_per_call: float
    total_us_per_call: float


def flush_function_stats(connection: psycopg.Connection) -> None:
    """Makes `connection`'s backend report its function counts now: a backend keeps them for up to a second (or
    until it goes idle for ten) before it reports them, and reports before it answers the next statement when
    told to."""
    connection.execute("select pg_stat_force_next_flush()")


def profile(
    database: embedded.EmbeddedDatabase, url: str, scenario: Scenario, calls: int, warm_up_calls: int
) -> list[FunctionCost]:
    """Where the time of `calls` calls of `scenario` goes, by function, per call: each function's calls, its own
    time (without the tracked functions it calls) and its total time, from pg_stat_user_functions with
    track_functions = 'all'. These times are elapsed, not CPU, time (PostgreSQL's own clock readings around each
    call, which add to it): their shares say where a call goes, the CPU figures of `measure` what it costs.
    track_functions is a superuser's setting: it is set for the database, so that the gateway's new connections
    take it up, and reset after. Only the profiled connection runs between the two readings, and both connections
    report their counts before each."""
    with psycopg.connect(database.superuser_url(), autocommit=True) as superuser:
        superuser.execute(f"alter database {embedded.DATABASE} set track_functions = 'all'")
        superuser.execute("grant execute on function pg_stat_force_next_flush() to lendgres_http")
        try:
            with psycopg.connect(url, autocommit=True) as setup, psycopg.connect(url, autocommit=True) as profiled:
                for value in [scenario.prepare(setup) for _ in range(warm_up_calls)]:
                    scenario.run(profiled, value)
                inputs = [scenario.prepare(setup) for _ in range(calls)]
                flush_function_stats(setup)
                flush_function_stats(profiled)
                before = function_stats(superuser)
                for value in inputs:
                    scenario.run(profiled, value)
                flush_function_stats(profiled)
                after = function_stats(superuser)
        finally:
            superuser.execute("revoke execute on function pg_stat_force_next_flush() from lendgres_http")
            superuser.execute(f"alter database {embedded.DATABASE} reset track_functions")
    costs = []
    for name, (total_calls, self_ms, total_ms) in after.items():
        calls_before, self_before, total_before = before.get(name, (0, 0.0, 0.0))
        if total_calls > calls_before:
            costs.append(
                FunctionCost(
                    name,
                    (total_calls - calls_before) / calls,
                    (self_ms - self_before) * 1000 / calls,
                    (total_ms - total_before) * 1000 / calls,
                )
            )
    return sorted(costs, key=lambda cost: cost.self_us_per_call, reverse=True)


def report(
    all_scenarios: list[Scenario], results: dict[str, Measured], profiles: dict[str, list[FunctionCost]], top: int
) -> None:
    """One JSON line per scenario and its table (bench/README.md's), then one JSON line per function of each
    profiled scenario and, for each, the table of its `top` functions by their own time."""
    base = results["apply"]
    base_cpu = base.cpu_s / base.calls if base.cpu_s is not None else None
    base_wall = statistics.median(base.wall_s)
    rows = []
    for scenario in all_scenarios:
        measured = results[scenario.name]
        cpu_us = measured.cpu_s / measured.calls * 1e6 if measured.cpu_s is not None else None
        wall_us = statistics.median(measured.wall_s) * 1e6
        line = {
            "scenario": scenario.name,
            "calls": measured.calls,
            "database_cpu_us_per_call": None if cpu_us is None else round(cpu_us, 1),
            "wall_us_median": round(wall_us, 1),
            "cpu_to_apply": None if cpu_us is None or not base_cpu else round(cpu_us / (base_cpu * 1e6), 3),
            "wall_to_apply": round(wall_us / (base_wall * 1e6), 3),
        }
        rows.append(line)
        print(json.dumps(line), flush=True)
    print()
    print("| scenario | database CPU µs per call | / apply | median wall µs | / apply |")
    print("|---|---|---|---|---|")
    for line in rows:
        cpu = "n/a" if line["database_cpu_us_per_call"] is None else f"{line['database_cpu_us_per_call']:,.0f}"
        cpu_ratio = "n/a" if line["cpu_to_apply"] is None else f"{line['cpu_to_apply']:.2f}"
        wall, wall_ratio = f"{line['wall_us_median']:,.0f}", f"{line['wall_to_apply']:.2f}"
        print(f"| {line['scenario']} | {cpu} | {cpu_ratio} | {wall} | {wall_ratio} |")
    for name, costs in profiles.items():
        for cost in costs:
            print(
                json.dumps(
                    {
                        "profile": name,
                        "function": cost.function,
                        "calls_per_call": round(cost.calls_per_call, 3),
                        "self_us_per_call": round(cost.self_us_per_call, 1),
                        "total_us_per_call": round(cost.total_us_per_call, 1),
                    }
                )
            )
        print()
        print(f"| function (per {name} call) | calls | self µs | total µs |")
        print("|---|---|---|---|")
        for cost in costs[:top]:
            print(
                f"| {cost.function} | {cost.calls_per_call:g} | {cost.self_us_per_call:,.0f} | "
                f"{cost.total_us_per_call:,.0f} |"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=20, help="rounds over every scenario")
    parser.add_argument("--calls", type=int, default=40, help="calls per scenario and round")
    parser.add_argument("--warm-up", type=int, default=20, help="unmeasured calls per scenario first")
    parser.add_argument("--profile", default="assess,apply", help="scenarios profiled by function, comma-separated")
    parser.add_argument("--profile-calls", type=int, default=200, help="calls of each profiled scenario")
    parser.add_argument("--top", type=int, default=12, help="functions shown in the profile's table")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="lendgres-underwriting-bench-"))
    database = embedded.EmbeddedDatabase(workdir / "data")
    try:
        database.start()  # the embedded default, memory sized to this machine, migrated
        url = database.url("lendgres_http")
        with psycopg.connect(database.superuser_url(), autocommit=True) as superuser:
            call(superuser, "lending.create_actor", {"name": UNDERWRITER, "kind": "agent", "role": "underwriter"})
            written(call(superuser, "lending.create_product", {**PRODUCT, "actor": "operator", **keys()}))
        with psycopg.connect(url, autocommit=True) as gateway:
            pending = file(gateway, TUTORIAL)
            approved = assessed(gateway, file(gateway, COMPLETE))
            approve(gateway, approved, MODEL)
        all_scenarios = scenarios(pending, approved)
        for scenario in all_scenarios:
            print(f"# {scenario.name}: {scenario.description}", file=sys.stderr)
        results = measure(url, all_scenarios, args.rounds, args.calls, args.warm_up)
        by_name = {scenario.name: scenario for scenario in all_scenarios}
        profiles = {
            name: profile(database, url, by_name[name], args.profile_calls, args.warm_up)
            for name in args.profile.split(",")
            if name.strip()
        }
    finally:
        database.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    report(all_scenarios, results, profiles, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
