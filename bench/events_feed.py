"""The events feed at 10k, 100k and 1M applications: every shape of `lending.events_after`, side by side.

Starts the embedded default (`lendgres serve`'s PostgreSQL, its memory sized to this machine) in a temporary folder,
makes one migrated database per size and fills its feed through a bulk SQL path (`fill_feed`: applying a million
times through the API would take hours), then calls each shape of the feed as the HTTP service does (its login
role, naming an actor), in rounds over the sizes: as the function stands (its statements planned once per session,
for any value) and with a plan made for each call's values. Prints one JSON line per shape, mode and size, then the
table of bench/README.md: the median time per call, its ratio between the largest and the smallest size, and the
shared buffers that one call's reads of the feed touched.

    .venv/bin/python bench/events_feed.py [--sizes 10000,100000,1000000] [--calls 20] [--rounds 10]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from lendgres import embedded, migrations

# Ten applications per transaction, as a busy intake would commit them; a quarter of them decided, one in 33
# withdrawn and one in 50 updated fifty transactions later, so that decisions interleave with newer filings and
# `application.updated` is a rare type. About 1.3 events per application, as the issue measured (44,401 events for
# about 34k applications). A few `product.changed` events (one per 1,000 applications) belong to a family that only
# admins may read (see `ADMIN_ONLY_FAMILY`), so that other roles read a subset of the families.
FILL_FEED = """
do $fill$
declare
  v_applications constant bigint := %(applications)s;
  v_per_transaction constant integer := 10;
  v_decided_later constant integer := 50;
begin
  for v_transaction in 0 .. (v_applications - 1) / v_per_transaction + v_decided_later loop
    insert into lending_private.event (application_id, event_type, payload, actor)
    select a, 'application.filed', jsonb_build_object('status', 'pending', 'version', 1), 'bench-intake'
      from generate_series(v_transaction * v_per_transaction + 1,
                           least((v_transaction + 1) * v_per_transaction, v_applications)) as a
    union all
    select a, case when a %% 33 = 1 then 'application.withdrawn'
                   when a %% 50 = 2 then 'application.updated'
                   else 'application.decided' end,
           jsonb_build_object('status', 'approved', 'version', 2, 'previous_status', 'pending',
                              'decision', jsonb_build_object('decision_id', a, 'outcome', 'approved',
                                                             'reason_codes', jsonb_build_array('DTI_OK'))),
           'bench-underwriter'
      from generate_series((v_transaction - v_decided_later) * v_per_transaction + 1,
                           least((v_transaction - v_decided_later + 1) * v_per_transaction, v_applications)) as a
     where a > 0 and (a %% 4 = 0 or a %% 33 = 1 or a %% 50 = 2)
    union all
    select a, 'product.changed', jsonb_build_object('product', 'personal-loan'), 'bench-admin'
      from generate_series(v_transaction * v_per_transaction + 1,
                           least((v_transaction + 1) * v_per_transaction, v_applications)) as a
     where a %% 1000 = 0;
    commit;
  end loop;
end
$fill$
"""

# A family of events that only the admin role may read (products are managed by admins alone).
ADMIN_ONLY_FAMILY = (
    "insert into lending_private.event_family values ('product', 'manage_products') on conflict do nothing"
)


def fill_feed(superuser: psycopg.Connection, applications: int) -> None:
    """Appends the events of `applications` applications to the feed of the database of `superuser` (which must
    be in autocommit mode: the fill commits as it goes, one transaction per ten applications), then analyzes the
    table as autovacuum would."""
    superuser.execute(ADMIN_ONLY_FAMILY)
    superuser.execute(FILL_FEED % {"applications": int(applications)})
    superuser.execute("analyze lending_private.event")


# auto_explain shows the plans of the statements inside a PL/pgSQL function, as they ran, with the buffers they
# touched: sent to the client as notices. Its settings are a superuser's.
EXPLAIN_NESTED_STATEMENTS = (
    "load 'auto_explain'",
    "set auto_explain.log_min_duration = 0",
    "set auto_explain.log_nested_statements = on",
    "set auto_explain.log_analyze = on",
    "set auto_explain.log_buffers = on",
    "set auto_explain.log_timing = off",
    "set auto_explain.log_format = json",
    "set auto_explain.log_level = notice",
)

PLAN_MODES = ("force_custom_plan", "force_generic_plan")
EVENTS_AFTER = "lending.events_after(text, integer, bigint, text, text)"


def plan_events_after(superuser: psycopg.Connection, mode: str) -> None:
    """Makes lending.events_after plan its statements in `mode` (as it stands, force_generic_plan: once per
    session), whatever the session's own plan_cache_mode."""
    superuser.execute(f"alter function {EVENTS_AFTER} set plan_cache_mode = {mode}")


def explain_nested_statements(superuser: psycopg.Connection) -> None:
    """From now on, every statement on `superuser`'s session, and every statement in the functions it calls, sends
    its plan as a notice (see `statement_plans`)."""
    for setting in EXPLAIN_NESTED_STATEMENTS:
        superuser.execute(setting)


def statement_plans(connection: psycopg.Connection, run: Callable[[], object]) -> list[dict[str, Any]]:
    """The plans (auto_explain's JSON: {"Query Text", "Plan"}) of the statements that `run` executed on
    `connection`, once `explain_nested_statements` has been called on it."""
    notices: list[str] = []

    def keep(diagnostic: psycopg.errors.Diagnostic) -> None:
        notices.append(diagnostic.message_primary or "")

    connection.add_notice_handler(keep)
    try:
        run()
    finally:
        connection.remove_notice_handler(keep)
    return [json.loads(notice.split("plan:\n", 1)[1]) for notice in notices if "plan:\n" in notice]


def plan_nodes(node: dict[str, Any], above: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """Every node of a plan with the node types above it, from the top."""
    found = [(above, node)]
    for child in node.get("Plans", []):
        found += plan_nodes(child, (*above, node["Node Type"]))
    return found


def reads_the_feed(plan: dict[str, Any]) -> bool:
    return any(node.get("Relation Name") == "event" for _, node in plan_nodes(plan["Plan"]))


def unbounded_reads(plan: dict[str, Any]) -> list[str]:
    """What in a plan reads the event table without a bound: a sequential or bitmap scan of it (which reads every
    event its conditions allow), or a sort of its rows that no Limit bounds below the sort."""
    problems = []
    for above, node in plan_nodes(plan["Plan"]):
        if node.get("Relation Name") != "event":
            continue
        scan = f"{node['Node Type']} on event" + (f" using {node['Index Name']}" if "Index Name" in node else "")
        if node["Node Type"] in ("Seq Scan", "Bitmap Heap Scan", "Tid Range Scan"):
            problems.append(scan)
        if "Sort" in above:
            nearest_sort = len(above) - 1 - above[::-1].index("Sort")
            if "Limit" not in above[nearest_sort:]:
                problems.append(f"Sort of {scan}")
    return problems


def is_generic(plan: dict[str, Any]) -> bool | None:
    """Whether a statement that reads from a position of the feed was planned for any position (the cursor and
    the horizon as parameters) rather than for one call's (as constants); None for a statement without one. (Other
    parameters, of subplans, show as $n in either kind of plan on older servers.)"""
    conditions = json.dumps(plan["Plan"])
    if "transaction_id" not in conditions:
        return None
    return "::xid8" not in conditions


def buffers(plan: dict[str, Any]) -> int:
    """The shared buffers a statement touched (found in the cache or read)."""
    return int(plan["Plan"].get("Shared Hit Blocks", 0)) + int(plan["Plan"].get("Shared Read Blocks", 0))


@dataclass(frozen=True)
class Shape:
    """One way of reading the feed: lending.events_after's arguments, as `actor`."""

    name: str
    actor: str
    arguments: dict[str, Any]


def feed_shapes(superuser: psycopg.Connection, applications: int, actor: str) -> list[Shape]:
    """Every shape of the feed that the issue measured, as `actor`, on a feed made by `fill_feed`."""
    row = superuser.execute(
        "select lending_private.event_cursor(transaction_id, event_id) from lending_private.event"
        " order by transaction_id, event_id offset (select count(*) / 2 from lending_private.event) limit 1"
    ).fetchone()
    assert row is not None
    middle = row[0]
    row = superuser.execute(
        "select lending_private.event_cursor(pg_snapshot_xmin(pg_current_snapshot()), 0)"
    ).fetchone()
    assert row is not None
    end = row[0]
    return [
        Shape("first page", actor, {}),
        Shape("mid cursor", actor, {"after": middle}),
        Shape("from the end", actor, {"after": end}),
        Shape("by application", actor, {"application_id": applications // 2}),
        Shape("by type", actor, {"event_type": "application.updated", "after": middle}),
    ]


def call_feed(connection: psycopg.Connection, shape: Shape, limit: int) -> dict[str, Any]:
    arguments = {**shape.arguments, "limit": limit, "actor": shape.actor}
    placeholders = ", ".join(f'"{name}" => %({name})s' for name in arguments)
    row = connection.execute(f"select lending.events_after({placeholders})", arguments).fetchone()
    assert row is not None
    result: dict[str, Any] = row[0]
    return result


WARM_UP_CALLS = 20


def timed_calls(gateway: psycopg.Connection, shape: Shape, calls: int, limit: int) -> list[float]:
    """The time of each of `calls` calls of `shape`, in seconds. The page comes back as text, as the HTTP service
    passes it on, so that parsing it here adds nothing to the figure."""
    arguments = {**shape.arguments, "limit": limit, "actor": shape.actor}
    placeholders = ", ".join(f'"{name}" => %({name})s' for name in arguments)
    statement = f"select lending.events_after({placeholders})::text"
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        gateway.execute(statement, arguments).fetchone()
        times.append(time.perf_counter() - start)
    return times


def feed_plans(superuser: psycopg.Connection, shape: Shape, limit: int) -> list[dict[str, Any]]:
    """The plans of the statements that read the feed in one call of `shape`, on a connection on which
    `explain_nested_statements` was called."""
    plans = statement_plans(superuser, lambda: call_feed(superuser, shape, limit))
    return [plan for plan in plans if reads_the_feed(plan)]


def feed_buffers(superuser: psycopg.Connection, shapes: list[Shape], limit: int) -> dict[str, int]:
    """The shared buffers that one call of each shape touches in its statements that read the feed."""
    return {shape.name: sum(buffers(plan) for plan in feed_plans(superuser, shape, limit)) for shape in shapes}


@dataclass
class Feed:
    applications: int
    database: str
    shapes: list[Shape]


def prepare(database: embedded.EmbeddedDatabase, name: str, applications: int) -> Feed:
    """A migrated database `name` on the embedded server of `database`, its feed filled."""
    database.psql(f"create database {name}", database="postgres")
    migrations.migrate(embedded.dbmate_url(database.socket_dir, name))
    with psycopg.connect(database.superuser_url(name), autocommit=True) as superuser:
        superuser.execute("select lending.create_actor(name => 'bench-reader', kind => 'agent', role => 'reader')")
        started = time.perf_counter()
        fill_feed(superuser, applications)
        superuser.execute("vacuum (analyze) lending_private.event")
        events = superuser.execute("select count(*) from lending_private.event").fetchone()
        print(
            f"# {applications:,} applications: {events[0] if events else 0:,} events in "
            f"{time.perf_counter() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        shapes = feed_shapes(superuser, applications, "operator")
        shapes += [
            Shape(f"{shape.name}, as a reader", "bench-reader", shape.arguments)
            for shape in feed_shapes(superuser, applications, "bench-reader")
        ]
    return Feed(applications, name, shapes)


def measure(
    database: embedded.EmbeddedDatabase, feeds: list[Feed], rounds: int, calls: int, limit: int
) -> dict[tuple[int, str, str], float]:
    """The median time of a call (µs) of each shape at each size in each plan mode. Each round times a few calls of
    one shape at every size in turn, so that the phases of a shared machine fall on every size alike; each session
    is warmed first (its plans, the caches)."""
    samples: dict[tuple[int, str, str], list[float]] = {}
    password = database.credentials().passwords["lendgres_http"]
    for mode in PLAN_MODES:
        gateways = {}
        for feed in feeds:
            with psycopg.connect(database.superuser_url(feed.database), autocommit=True) as superuser:
                plan_events_after(superuser, mode)
            url = embedded.socket_url("lendgres_http", password, database.socket_dir, feed.database)
            gateways[feed.applications] = psycopg.connect(url, autocommit=True)
        try:
            for feed in feeds:
                for shape in feed.shapes:
                    timed_calls(gateways[feed.applications], shape, WARM_UP_CALLS, limit)
            for _ in range(rounds):
                for index in range(len(feeds[0].shapes)):
                    for feed in feeds:
                        shape = feed.shapes[index]
                        times = timed_calls(gateways[feed.applications], shape, calls, limit)
                        samples.setdefault((feed.applications, mode, shape.name), []).extend(times)
        finally:
            for gateway in gateways.values():
                gateway.close()
    return {key: statistics.median(values) * 1e6 for key, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="applications, comma-separated")
    parser.add_argument("--calls", type=int, default=20, help="calls per shape, size, mode and round")
    parser.add_argument("--rounds", type=int, default=10, help="rounds over every shape and size")
    parser.add_argument("--limit", type=int, default=100, help="events per page")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]

    workdir = Path(tempfile.mkdtemp(prefix="lendgres-feed-bench-"))
    database = embedded.EmbeddedDatabase(workdir / "data")
    try:
        database.start()  # the embedded default, memory sized to this machine
        feeds = [prepare(database, f"feed_{size}", size) for size in sizes]
        times = measure(database, feeds, args.rounds, args.calls, args.limit)
        touched: dict[tuple[int, str, str], int] = {}
        for feed in feeds:
            with psycopg.connect(database.superuser_url(feed.database), autocommit=True) as superuser:
                explain_nested_statements(superuser)
                for mode in PLAN_MODES:
                    plan_events_after(superuser, mode)
                    for shape, count in feed_buffers(superuser, feed.shapes, args.limit).items():
                        touched[(feed.applications, mode, shape)] = count
    finally:
        database.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    report(feeds, times, touched)
    return 0


def report(
    feeds: list[Feed],
    times: dict[tuple[int, str, str], float],
    touched: dict[tuple[int, str, str], int],
) -> None:
    """One JSON line per shape, mode and size, then the table of bench/README.md."""
    sizes = [feed.applications for feed in feeds]
    shapes = [shape.name for shape in feeds[0].shapes]
    for (size, mode, shape), microseconds in times.items():
        line = {"applications": size, "plan_cache_mode": mode, "shape": shape, "us_per_call": round(microseconds)}
        if (size, mode, shape) in touched:
            line["buffers"] = touched[(size, mode, shape)]
        print(json.dumps(line))
    labels = [f"{size // 1000:,}k" if size < 1_000_000 else f"{size // 1_000_000:,}M" for size in sizes]
    first, last = sizes[0], sizes[-1]
    generic, custom = "force_generic_plan", "force_custom_plan"
    columns = ["shape"]
    for mode in ("generic, as it runs", "custom"):
        columns += [f"µs {label} ({mode})" for label in labels] + [f"{labels[-1]} / {labels[0]}"]
    columns.append("buffers " + ", ".join(labels) + " (generic / custom)")
    print()
    print("| " + " | ".join(columns) + " |")
    print("|---" * len(columns) + "|")
    for shape in shapes:
        cells = [shape]
        for mode in (generic, custom):
            cells += [f"{times[(size, mode, shape)]:,.0f}" for size in sizes]
            cells.append(f"{times[(last, mode, shape)] / times[(first, mode, shape)]:.2f}")
        cells.append(
            ", ".join(f"{touched[(size, generic, shape)]} / {touched[(size, custom, shape)]}" for size in sizes)
        )
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
