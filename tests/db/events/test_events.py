"""The events feed: one event per state change, in the transaction of the change, read in commit order."""

from __future__ import annotations

import base64
import threading
from typing import Any

import psycopg
import pytest

from tests.conftest import role_url
from tests.db.conftest import apply, call, refusal


def feed(connection: psycopg.Connection, **arguments: Any) -> dict[str, Any]:
    result: dict[str, Any] = call(connection, "lending.events_after", **arguments)
    return result


def test_every_state_change_is_an_event(
    client: psycopg.Connection, service: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    application_id = apply(client, request_id="req-1")["application_id"]
    call(
        client,
        "lending.decide",
        application_id=application_id,
        outcome="manual_review",
        reason="check",
        reason_codes=["unable_to_verify_income"],
        actor="underwriter-1",
    )
    superuser.execute(
        "update lending_private.application set purpose = 'Roof' where application_id = %s", [application_id]
    )
    call(service, "lending.withdraw", application_id=application_id, reason="changed mind")
    events = feed(client)["events"]
    assert [(e["event_type"], e["payload"]["status"], e["actor"]) for e in events] == [
        ("application.filed", "pending", "intake-agent"),
        ("application.decided", "manual_review", "underwriter-1"),
        ("application.updated", "manual_review", "sql:postgres"),
        ("application.withdrawn", "withdrawn", "test-service"),
    ]
    assert events[0]["request_id"] == "req-1"
    assert events[1]["payload"]["decision"]["outcome"] == "manual_review"
    assert events[1]["payload"]["decision"]["reason_codes"] == ["unable_to_verify_income"]
    assert events[3]["payload"]["previous_status"] == "manual_review"


def test_pages_follow_the_cursor_and_filters_apply(client: psycopg.Connection) -> None:
    first = apply(client)["application_id"]
    second = apply(client)["application_id"]
    call(client, "lending.decide", application_id=first, outcome="approved", reason="ok")
    seen, cursor = [], None
    while True:
        page = feed(client, after=cursor, limit=1)
        if not page["events"]:
            assert feed(client, after=page["next_cursor"])["events"] == []
            break
        seen += [(e["application_id"], e["event_type"]) for e in page["events"]]
        cursor = page["next_cursor"]
    assert seen == [(first, "application.filed"), (second, "application.filed"), (first, "application.decided")]
    assert [e["application_id"] for e in feed(client, application_id=second)["events"]] == [second]
    assert [e["event_type"] for e in feed(client, event_type="application.decided")["events"]] == [
        "application.decided"
    ]


def encoded(position: str) -> str:
    """A cursor as the feed writes one: the base64 of its position."""
    return base64.b64encode(position.encode()).decode()


def test_a_full_page_ends_at_its_last_event_and_a_short_one_moves_past_what_it_read(client: psycopg.Connection) -> None:
    first, second = apply(client)["application_id"], apply(client)["application_id"]
    full = feed(client, limit=1)
    assert full["next_cursor"] == full["events"][0]["cursor"]

    short = feed(client, after=full["next_cursor"], limit=5)
    assert [e["application_id"] for e in short["events"]] == [second]
    assert short["next_cursor"] != short["events"][0]["cursor"]
    assert feed(client, after=short["next_cursor"])["events"] == []

    # A filter that keeps nothing still moves the reader past every event it looked at, so that a reader of a rare
    # type does not read them again at its next poll; what comes later is read from there.
    none_withdrawn = feed(client, event_type="application.withdrawn")
    assert none_withdrawn["events"] == []
    assert feed(client, after=none_withdrawn["next_cursor"])["events"] == []
    call(client, "lending.withdraw", application_id=first)
    assert [
        (e["application_id"], e["event_type"]) for e in feed(client, after=none_withdrawn["next_cursor"])["events"]
    ] == [(first, "application.withdrawn")]


def test_an_empty_page_never_moves_past_a_transaction_still_running(
    client: psycopg.Connection, postgresql: psycopg.Connection
) -> None:
    """A reader of one type gets empty pages while an older transaction writes an event of that type; when it
    commits, the cursor of those empty pages still leads to it, and to the younger one committed meanwhile."""
    apply(client)
    with psycopg.connect(role_url(postgresql, "lendgres_test_client")) as slow:
        slow_id = apply(slow, actor=None)["application_id"]
        call(slow, "lending.withdraw", application_id=slow_id)  # not committed yet: its transaction id is older
        fast_id = apply(client)["application_id"]
        call(client, "lending.withdraw", application_id=fast_id)
        page = feed(client, event_type="application.withdrawn")
        assert page["events"] == []  # held back behind the open transaction
        page = feed(client, after=page["next_cursor"], event_type="application.withdrawn")
        assert page["events"] == []
        slow.commit()
    after_commit = feed(client, after=page["next_cursor"], event_type="application.withdrawn")
    assert [e["application_id"] for e in after_commit["events"]] == [slow_id, fast_id]


def horizon(superuser: psycopg.Connection) -> int:
    row = superuser.execute("select pg_snapshot_xmin(pg_current_snapshot())::text::bigint").fetchone()
    assert row is not None
    return int(row[0])


def test_a_cursor_is_read_back_exactly(client: psycopg.Connection, superuser: psycopg.Connection) -> None:
    application_id = apply(client)["application_id"]
    assert feed(client, after=encoded("0-0"))["events"][0]["application_id"] == application_id  # the beginning
    end = horizon(superuser)
    assert feed(client, after=encoded(f"{end}-0"))["events"] == []  # where a short page leaves its reader


@pytest.mark.parametrize(
    "after",
    [
        "7421-18",  # the position itself, not its cursor
        "",
        encoded("12-3")[:-2],  # without its padding
        encoded("12-3") + "\n",
        " " + encoded("12-3"),
        encoded("12-3").replace("=", "").replace("w", "x") + "==",  # stray bits: another string, the same bytes
        base64.urlsafe_b64encode(b"\xfb\xff-1").decode(),
        encoded("012-3"),
        encoded("12-03"),
        encoded(" 12-3"),
        encoded("12-3 "),
        encoded("+12-3"),
        encoded("0x12-3"),
        encoded("1_2-3"),
        encoded("12-3\n"),
        encoded("12"),
        encoded("12-3-4"),
        encoded("-12-3"),
        encoded("12--3"),
        encoded("١٢-3"),  # Arabic-Indic digits
        encoded("12-9223372036854775808"),  # beyond bigint
        encoded("12-99999999999999999999"),
        encoded("x" * 200),
    ],
)
def test_a_cursor_that_names_no_position_is_refused(client: psycopg.Connection, after: str) -> None:
    sqlstate, message, detail = refusal(client, "lending.events_after", after=after)
    assert sqlstate == "LN422"
    assert [e["field"] for e in detail["errors"]] == ["after"], message
    assert "next_cursor" in message


def test_a_cursor_beyond_the_end_of_the_feed_is_refused(
    client: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    """A forged cursor past the horizon would answer empty pages, with itself as next_cursor, until the feed caught
    up with it: a stalled reader that never learns. The feed gives no such cursor, so it refuses them."""
    apply(client)
    end = horizon(superuser)
    for position in (f"{end}-1", f"{end + 1}-0", f"{end + 1_000_000}-1", "18446744073709551615-9223372036854775807"):
        sqlstate, message, detail = refusal(client, "lending.events_after", after=encoded(position))
        assert (sqlstate, [e["field"] for e in detail["errors"]]) == ("LN422", ["after"]), position
        assert "beyond the end of the feed" in message


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"after": "yesterday"}, "after"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"event_type": "Filed!"}, "event_type"),
    ],
)
def test_bad_arguments(client: psycopg.Connection, arguments: dict[str, Any], field: str) -> None:
    with pytest.raises(psycopg.Error) as refused:
        feed(client, **arguments)
    assert refused.value.sqlstate == "LN422"
    assert field in (refused.value.diag.message_primary or "")


def test_a_slower_transaction_is_not_skipped(client: psycopg.Connection, postgresql: psycopg.Connection) -> None:
    """A transaction that started first (older id) but commits last: a reader that already read the later one's
    event still receives the earlier one's afterwards."""
    with psycopg.connect(role_url(postgresql, "lendgres_test_client")) as slow:
        slow_id = apply(slow, actor=None)["application_id"]  # not committed yet: its transaction id is older
        fast_id = apply(client)["application_id"]
        page = feed(client)
        assert [e["application_id"] for e in page["events"]] == []  # held back behind the open transaction
        slow.commit()
    after_commit = feed(client, after=page["next_cursor"])
    assert [e["application_id"] for e in after_commit["events"]] == [slow_id, fast_id]


def test_a_rolled_back_change_leaves_no_event(client: psycopg.Connection, postgresql: psycopg.Connection) -> None:
    with psycopg.connect(role_url(postgresql, "lendgres_test_client")) as doomed:
        apply(doomed, actor=None)
        doomed.rollback()
    assert feed(client)["events"] == []


def test_events_are_append_only(superuser: psycopg.Connection, client: psycopg.Connection) -> None:
    apply(client)
    for statement in (
        "update lending_private.event set actor = 'x'",
        "delete from lending_private.event",
        "truncate lending_private.event",
    ):
        with pytest.raises(psycopg.Error) as refused:
            superuser.execute(statement)
        assert refused.value.sqlstate == "LN409"


def notified(listener: psycopg.Connection) -> int:
    """How many notifications `listener` has received on lending_events (without waiting)."""
    return sum(1 for _ in listener.notifies(timeout=0.2, stop_after=10))


def test_changes_notify_only_while_a_session_watches(
    client: psycopg.Connection, postgresql: psycopg.Connection
) -> None:
    with psycopg.connect(role_url(postgresql, "lendgres_test_http"), autocommit=True) as listener:
        listener.execute("listen lending_events")
        apply(client)
        assert notified(listener) == 0  # nobody watches: no NOTIFY, no queueing of commits behind it

        pid = listener.info.backend_pid
        assert call(client, "lending.watch_events", listener_pid=pid) == {"listener_pid": pid, "watching": True}
        apply(client)
        apply(client)
        assert notified(listener) == 2

        call(client, "lending.unwatch_events", listener_pid=pid)
        apply(client)
        assert notified(listener) == 0


def test_watching_waits_for_writers_that_did_not_notify(
    client: psycopg.Connection, postgresql: psycopg.Connection
) -> None:
    """The race the lock closes: a writer that looked for watchers before the registration and found none must be
    visible to the waiter's next read. So registering waits until such a writer has finished."""
    with psycopg.connect(role_url(postgresql, "lendgres_test_client")) as writer:
        apply(writer, actor=None)  # looked for watchers, found none; not committed yet
        registration = threading.Thread(
            target=call, args=(client, "lending.watch_events"), kwargs={"listener_pid": client.info.backend_pid}
        )
        registration.start()
        registration.join(timeout=1)
        assert registration.is_alive(), "watch_events returned while a writer that did not notify was running"
        writer.commit()
        registration.join(timeout=10)
        assert not registration.is_alive()
    assert len(feed(client)["events"]) == 1  # the waiter's read after registering sees the writer's event
