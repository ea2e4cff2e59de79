"""The events feed: one event per state change, in the transaction of the change, read in commit order."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest

from tests.conftest import role_url
from tests.db.conftest import apply, call


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
        reason_codes=["DOCS"],
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
    assert events[1]["payload"]["decision"]["reason_codes"] == ["DOCS"]
    assert events[3]["payload"]["previous_status"] == "manual_review"


def test_pages_follow_the_cursor_and_filters_apply(client: psycopg.Connection) -> None:
    first = apply(client)["application_id"]
    second = apply(client)["application_id"]
    call(client, "lending.decide", application_id=first, outcome="approved", reason="ok")
    seen, cursor = [], None
    while True:
        page = feed(client, after=cursor, limit=1)
        if not page["events"]:
            assert page["next_cursor"] == cursor
            break
        seen += [(e["application_id"], e["event_type"]) for e in page["events"]]
        cursor = page["next_cursor"]
    assert seen == [(first, "application.filed"), (second, "application.filed"), (first, "application.decided")]
    assert [e["application_id"] for e in feed(client, application_id=second)["events"]] == [second]
    assert [e["event_type"] for e in feed(client, event_type="application.decided")["events"]] == [
        "application.decided"
    ]


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
