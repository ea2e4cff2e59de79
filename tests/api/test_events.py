"""GET /events: commit-ordered pages, filters, resumption from a cursor, and long polling that wakes on commit."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest

from lendgres import db
from lendgres.app import create_app
from lendgres.settings import Settings
from tests.api.support import apply, assert_problem, decide
from tests.conftest import bearer, role_url

pytestmark = pytest.mark.anyio


async def test_events_follow_the_changes_in_order(http):
    first = (await apply(http))["application_id"]
    second = (await apply(http))["application_id"]
    assert (await decide(http, first, "approved")).status_code == 201

    response = await http.get("/events")

    assert response.status_code == 200, response.text
    page = response.json()
    assert [(e["application_id"], e["event_type"]) for e in page["events"]] == [
        (first, "application.filed"),
        (second, "application.filed"),
        (first, "application.decided"),
    ]
    # The page is not full: its cursor has moved past everything the call examined, past the last event.
    assert (await http.get("/events", params={"after": page["next_cursor"]})).json()["events"] == []
    full = (await http.get("/events", params={"limit": 3})).json()
    assert full["next_cursor"] == full["events"][-1]["cursor"]
    only_second = (await http.get("/events", params={"application_id": second})).json()["events"]
    assert [e["application_id"] for e in only_second] == [second]
    decided = (await http.get("/events", params={"type": "application.decided"})).json()["events"]
    assert [e["event_type"] for e in decided] == ["application.decided"]


async def test_bad_parameters_are_problems(http):
    for params in [{"after": "nope"}, {"limit": 0}, {"wait": 31}, {"wait": -1}, {"type": "Nope"}]:
        assert_problem(await http.get("/events", params=params), 422, "validation_failed")


async def test_a_waiter_wakes_on_commit_without_polling(http, app, monkeypatch):
    start = (await http.get("/events")).json()["next_cursor"]
    calls = []
    first_read = asyncio.Event()
    real_call = db.call

    async def counted_call(pool, function, **arguments):
        calls.append(function)
        result = await real_call(pool, function, **arguments)
        first_read.set()
        return result

    monkeypatch.setattr(db, "call", counted_call)
    waiter = asyncio.create_task(http.get("/events", params={"after": start, "wait": 25}))
    await asyncio.wait_for(first_read.wait(), timeout=5)  # the waiter has read the feed once and found nothing
    await asyncio.sleep(0.3)
    assert not waiter.done()

    created = await apply(http)
    response = await asyncio.wait_for(waiter, timeout=5)

    assert response.status_code == 200
    assert [e["application_id"] for e in response.json()["events"]] == [created["application_id"]]
    # Read, register the worker as a watcher (changes notify only then), read again, wait, read after the wake-up:
    # no polling.
    reads = [call for call in calls if call != "lending.apply"]
    assert reads == ["lending.events_after", "lending.watch_events", "lending.events_after", "lending.events_after"]

    # The worker stays registered: a second waiter reads once, waits, and reads once more.
    calls.clear()
    first_read.clear()
    cursor = response.json()["next_cursor"]
    waiter = asyncio.create_task(http.get("/events", params={"after": cursor, "wait": 25}))
    await asyncio.wait_for(first_read.wait(), timeout=5)
    await asyncio.sleep(0.3)
    created = await apply(http)
    response = await asyncio.wait_for(waiter, timeout=5)
    assert [e["application_id"] for e in response.json()["events"]] == [created["application_id"]]
    assert [call for call in calls if call != "lending.apply"] == ["lending.events_after", "lending.events_after"]


async def test_a_wait_without_changes_returns_an_empty_page_at_its_deadline(http):
    cursor = (await http.get("/events")).json()["next_cursor"]

    response = await http.get("/events", params={"after": cursor, "wait": 0.5})

    assert response.status_code == 200
    assert response.json()["events"] == []


async def test_a_cursor_survives_a_restart_of_the_api(postgresql):
    settings = Settings(database_url=role_url(postgresql, "lendgres_test_http"), pool_min_size=1, pool_max_size=4)
    for run in range(2):
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://lendgres.test", headers=bearer()
            ) as http:
                if run == 0:
                    before = (await apply(http))["application_id"]
                    cursor = (await http.get("/events")).json()["next_cursor"]
                else:
                    after = (await apply(http))["application_id"]
                    events = (await http.get("/events", params={"after": cursor})).json()["events"]
                    assert [e["application_id"] for e in events] == [after]
                    assert before != after


async def test_a_lost_listening_connection_is_replaced_and_waiters_still_wake(http, app, postgresql):
    listener = app.state.events_listener
    lost_pid = listener.backend_pid
    postgresql.execute("select pg_terminate_backend(%s)", [lost_pid])
    for _ in range(500):
        if listener.backend_pid not in (None, lost_pid):
            break
        await asyncio.sleep(0.01)
    assert listener.backend_pid not in (None, lost_pid)

    cursor = (await http.get("/events")).json()["next_cursor"]
    waiter = asyncio.create_task(http.get("/events", params={"after": cursor, "wait": 25}))
    await asyncio.sleep(0.3)
    created = await apply(http)
    response = await asyncio.wait_for(waiter, timeout=5)

    assert [e["application_id"] for e in response.json()["events"]] == [created["application_id"]]


def encoded(position: str) -> str:
    return base64.b64encode(position.encode()).decode()


async def test_a_cursor_the_feed_did_not_give_is_a_problem_without_internals(http, postgresql):
    await apply(http)
    row = postgresql.execute("select pg_snapshot_xmin(pg_current_snapshot())::text::bigint").fetchone()
    beyond_the_end = encoded(f"{row[0] + 1000}-1")
    # Out of range for PostgreSQL's transaction ids: this one used to come back with its SQLSTATE and message.
    out_of_range = encoded("99999999999999999999-1")
    for after in (beyond_the_end, out_of_range, "7421-18"):
        problem = assert_problem(await http.get("/events", params={"after": after}), 422, "validation_failed")
        assert [error["field"] for error in problem["errors"]] == ["after"]
        assert "sqlstate" not in problem and "xid8" not in str(problem) and "out of range" not in str(problem)


async def test_a_reader_of_a_type_that_does_not_come_moves_on(http):
    await apply(http)
    await apply(http)

    page = (await http.get("/events", params={"type": "application.withdrawn"})).json()

    assert page["events"] == []
    assert (await http.get("/events", params={"after": page["next_cursor"]})).json()["events"] == []


async def test_a_waiter_reads_on_from_where_its_last_read_left_off(http, monkeypatch):
    """A long poll for a rare type does not read what it has examined again at every wake-up."""
    await apply(http)
    reads = []
    real_call = db.call

    async def noted_call(pool, function, **arguments):
        result = await real_call(pool, function, **arguments)
        if function == "lending.events_after":
            reads.append((arguments["after"], json.loads(result)["next_cursor"]))
        return result

    monkeypatch.setattr(db, "call", noted_call)
    waiter = asyncio.create_task(http.get("/events", params={"type": "application.withdrawn", "wait": 25}))
    for _ in range(500):
        if len(reads) >= 2:
            break
        await asyncio.sleep(0.01)
    await apply(http)  # wakes the waiter, which finds no withdrawal either
    for _ in range(500):
        if len(reads) >= 3:
            break
        await asyncio.sleep(0.01)
    waiter.cancel()

    assert reads[0][0] is None
    assert [after for after, _ in reads[1:3]] == [next_cursor for _, next_cursor in reads[0:2]]
