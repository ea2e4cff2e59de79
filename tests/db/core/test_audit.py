"""The audit trail: written by triggers for every write path, append-only for every role, and tamper-evident."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

import psycopg
import pytest

from tests.conftest import second_connection
from tests.db.conftest import apply, call


def audit(connection: psycopg.Connection, application_id: int) -> dict[str, Any]:
    result: dict[str, Any] = call(connection, "lending.application_audit", application_id=application_id)
    return result


@pytest.fixture
def decided(client: psycopg.Connection) -> int:
    """An application with two decisions, the second after a review claim, which fixes an offer: seven audit
    entries."""
    application_id: int = apply(client, request_id="req-apply")["application_id"]
    call(
        client,
        "lending.decide",
        application_id=application_id,
        outcome="manual_review",
        reason="Payslips unclear",
        actor="underwriter-1",
        request_id="req-review",
    )
    call(client, "lending.claim_review", application_id=application_id, actor="reviewer-2", request_id="req-claim")
    call(
        client,
        "lending.decide",
        application_id=application_id,
        outcome="approved",
        reason="Payslips verified",
        actor="reviewer-2",
        request_id="req-approve",
    )
    return application_id


def test_every_write_leaves_an_audit_row_with_actor_and_request_id(client: psycopg.Connection, decided: int) -> None:
    trail = audit(client, decided)
    assert trail["verified"] is True
    entries = [(e["seq"], e["table"], e["action"], e["actor"], e["request_id"]) for e in trail["entries"]]
    assert entries == [
        (1, "application", "insert", "intake-agent", "req-apply"),
        (2, "decision", "insert", "underwriter-1", "req-review"),
        (3, "application", "update", "underwriter-1", "req-review"),
        (4, "review_claim", "insert", "reviewer-2", "req-claim"),
        (5, "decision", "insert", "reviewer-2", "req-approve"),
        (6, "application", "update", "reviewer-2", "req-approve"),
        (7, "offer", "insert", "reviewer-2", "req-approve"),
    ]
    status_change = trail["entries"][2]
    assert status_change["old"] == {"status": "pending", "version": 1, "updated_at": status_change["old"]["updated_at"]}
    assert status_change["new"]["status"] == "manual_review" and status_change["new"]["version"] == 2
    assert trail["entries"][0]["new"]["amount"] == "15000.00"  # money is a decimal string, as the API shows it


def test_direct_sql_writes_are_audited_under_the_session_user(superuser: psycopg.Connection, decided: int) -> None:
    superuser.execute(
        "update lending_private.application set purpose = 'Roof repair' where application_id = %s", [decided]
    )
    last = audit(superuser, decided)["entries"][-1]
    assert (last["action"], last["actor"], last["new"]["purpose"]) == ("update", "sql:postgres", "Roof repair")


def test_the_actor_and_request_id_last_one_transaction(superuser: psycopg.Connection) -> None:
    """A function hands them to the triggers with set_config(..., true): on a pooled connection, the next
    transaction (another caller's, perhaps) must not inherit them."""
    application_id = apply(superuser, actor="intake-agent", request_id="req-filed")["application_id"]
    assert superuser.execute(
        "select current_setting('lending.actor', true), current_setting('lending.request_id', true)"
    ).fetchone() in {(None, None), ("", "")}
    superuser.execute(
        "update lending_private.application set purpose = 'Roof repair' where application_id = %s", [application_id]
    )
    filed, edited = audit(superuser, application_id)["entries"]
    assert (filed["actor"], filed["request_id"]) == ("intake-agent", "req-filed")
    assert (edited["actor"], edited["request_id"]) == ("sql:postgres", None)


def test_a_no_op_update_writes_no_audit_row(superuser: psycopg.Connection, decided: int) -> None:
    superuser.execute("update lending_private.application set status = status where application_id = %s", [decided])
    assert len(audit(superuser, decided)["entries"]) == 7


def test_the_party_has_its_own_chain(superuser: psycopg.Connection, decided: int) -> None:
    party_id = superuser.execute(
        "select applicant_id from lending_private.application where application_id = %s", [decided]
    ).fetchone()
    assert party_id is not None
    superuser.execute("update lending_private.party set email = 'jane@example.com' where party_id = %s", party_id)
    result = superuser.execute("select lending_private.verify_audit_chain('party', %s)", party_id).fetchone()
    assert result is not None and result[0]["verified"] is True and result[0]["rows_checked"] == 2


def test_writers_of_one_chain_queue_on_its_head_not_on_the_application(
    superuser: psycopg.Connection, decided: int
) -> None:
    """Two transactions append to one application's chain by direct SQL, inserting decisions: nothing locks the
    application for them (the decision's foreign key only share-locks its key), so the audit trigger must take the
    chain head's lock itself. The second waits on that row until the first commits, then links after it."""
    insert = (
        "insert into lending_private.decision (application_id, outcome, reason, decided_by) "
        "values (%s, 'approved', %s, 'direct-sql')"
    )
    with second_connection(superuser) as first, second_connection(superuser) as second:
        first.execute(insert, [decided, "first writer"])
        # The application row itself stays free for an update that leaves its key alone.
        superuser.execute(
            "select 1 from lending_private.application where application_id = %s for no key update nowait", [decided]
        )
        second_pid = second.info.backend_pid
        second.execute("set lock_timeout = '30s'")  # a regression that blocks elsewhere fails rather than hangs
        outcome: list[BaseException | None] = []

        def write_second() -> None:
            try:
                second.execute(insert, [decided, "second writer"])
                outcome.append(None)
            except BaseException as exc:  # handed to the test's thread, which reports it
                outcome.append(exc)

        writer = threading.Thread(target=write_second)
        writer.start()
        try:
            deadline = time.monotonic() + 15
            while not superuser.execute(
                "select exists (select from pg_locks where pid = %s and locktype = 'tuple' and granted"
                " and relation = 'lending_private.audit_chain_head'::regclass)"
                " and exists (select from pg_locks where pid = %s and not granted)",
                [second_pid, second_pid],
            ).fetchone() == (True,):
                assert not outcome, f"the second writer did not wait: {outcome}"
                assert time.monotonic() < deadline, "the second writer never queued on the chain head"
                time.sleep(0.01)
            first.commit()
            writer.join(15)
            assert outcome == [None], f"the second writer failed or stayed blocked: {outcome}"
        finally:
            if writer.is_alive():  # cancel its statement, or closing the connections would wait on it for good
                superuser.execute("select pg_cancel_backend(%s)", [second_pid])
                writer.join(15)
        second.commit()

    trail = audit(superuser, decided)
    assert trail["verified"] is True
    appended = [(e["seq"], e["new"]["reason"]) for e in trail["entries"][7:]]
    assert appended == [(8, "first writer"), (9, "second writer")]


@pytest.mark.parametrize(
    "statement",
    [
        "update lending_private.audit_log set actor = 'someone else'",
        "delete from lending_private.audit_log",
        "truncate lending_private.audit_log",
        "update lending_private.decision set reason = 'rewritten'",
        "delete from lending_private.decision",
        "truncate lending_private.decision cascade",
        "delete from lending_private.application",
        "truncate lending_private.application cascade",
        "delete from lending_private.party",
    ],
)
def test_append_only_rows_refuse_every_role_even_the_owner(
    superuser: psycopg.Connection, decided: int, statement: str
) -> None:
    for role in ("postgres", "lending_owner"):
        superuser.execute(f"set role {role}")
        with pytest.raises(psycopg.Error) as refused:
            superuser.execute(statement)
        assert refused.value.sqlstate == "LN409"
        superuser.execute("reset role")
    assert len(audit(superuser, decided)["entries"]) == 7


WELL_FORMED_ROW = {
    "subject": "'application'",
    "action": "'update'",
    "seq": "7",
    "old_values": """'{"status": "pending"}'""",
}


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (None, None),
        ("subject", "'loan'"),
        ("action", "'delete'"),
        ("action", "'insert'"),  # an insert has no old values
        ("old_values", "null"),  # an update has them
        ("seq", "0"),
    ],
    ids=["well-formed", "unknown-subject", "unknown-action", "insert-with-old-values", "update-without", "seq-0"],
)
def test_a_malformed_audit_row_is_refused_even_written_directly(
    superuser: psycopg.Connection, column: str | None, value: str | None
) -> None:
    """The audit log's CHECK constraint holds for a row written behind the trigger's back, by its owner."""
    row = WELL_FORMED_ROW | ({column: value} if column else {})
    statement = (
        "insert into lending_private.audit_log (subject, subject_id, seq, table_name, row_id, action, old_values,"
        " new_values, actor, recorded_at, content_digest, row_hash)"
        f" values ({row['subject']}, 1, {row['seq']}, 'application', '1', {row['action']}, {row['old_values']},"
        """ '{"status": "approved"}', 'someone', now(), '\\x00', '\\x00')"""
    )
    superuser.execute("set role lending_owner")
    if column is None:
        superuser.execute(statement)
        return
    with pytest.raises(psycopg.errors.CheckViolation):
        superuser.execute(statement)


def _tamper(superuser: psycopg.Connection, statements: list[str]) -> None:
    """Writes behind the triggers' back, as an attacker with the superuser's password could."""
    with superuser.transaction():
        superuser.execute("set local session_replication_role = replica")
        for statement in statements:
            superuser.execute(statement)


@pytest.mark.parametrize(
    ("tampering", "broken_at"),
    [
        (
            [
                "update lending_private.audit_log set new_values = jsonb_set(new_values, '{amount}', '1500')"
                " where subject = 'application' and seq = 1"
            ],
            1,
        ),
        (["update lending_private.audit_log set actor = 'someone-else' where subject = 'application' and seq = 4"], 4),
        (["delete from lending_private.audit_log where subject = 'application' and seq = 3"], 3),
        (["delete from lending_private.audit_log where subject = 'application' and seq = 7"], 7),
        (
            [
                "update lending_private.audit_log set seq = 100 where subject = 'application' and seq = 2",
                "update lending_private.audit_log set seq = 2 where subject = 'application' and seq = 3",
                "update lending_private.audit_log set seq = 3 where subject = 'application' and seq = 100",
            ],
            2,
        ),
    ],
    ids=["edited-amount", "edited-actor", "deleted-middle-row", "deleted-last-row", "swapped-rows"],
)
def test_tampering_breaks_verification(
    superuser: psycopg.Connection, client: psycopg.Connection, decided: int, tampering: list[str], broken_at: int
) -> None:
    assert audit(client, decided)["verified"] is True
    _tamper(superuser, tampering)
    trail = audit(client, decided)
    assert trail["verified"] is False
    assert trail["broken_at_seq"] == broken_at
    assert trail["problem"]


def test_an_untouched_chain_verifies_under_any_timezone_and_datestyle(
    superuser: psycopg.Connection, decided: int
) -> None:
    for timezone, datestyle in [("Pacific/Chatham", "SQL, DMY"), ("America/St_Johns", "German"), ("UTC", "ISO")]:
        superuser.execute(f"set timezone = '{timezone}'")
        superuser.execute(f"set datestyle = '{datestyle}'")
        assert audit(superuser, decided)["verified"] is True


def test_a_redacted_row_still_verifies_and_its_links_still_hold(
    superuser: psycopg.Connection, client: psycopg.Connection, decided: int
) -> None:
    redact = (
        "update lending_private.audit_log set new_values = jsonb_build_object('redacted', true), "
        "redacted_at = now() where subject = 'application' and seq = 1"
    )
    _tamper(superuser, [redact])
    assert audit(client, decided)["verified"] is True
    _tamper(
        superuser,
        [
            "update lending_private.audit_log set actor = 'someone-else', redacted_at = now() "
            "where subject = 'application' and seq = 2",
            "update lending_private.audit_log set row_hash = sha256(row_hash) "
            "where subject = 'application' and seq = 2",
        ],
    )
    trail = audit(client, decided)
    assert (trail["verified"], trail["broken_at_seq"]) == (False, 2)


def test_the_chain_hashes_are_pinned_so_earlier_chains_keep_verifying(superuser: psycopg.Connection) -> None:
    """Chains already written link to these values: a rewrite of the helpers must compute the same bytes."""
    genesis = superuser.execute("select lending_private.audit_genesis('application', 42)").fetchone()[0]
    assert bytes(genesis) == hashlib.sha256(b"lendgres audit chain application 42").digest()
    digest = superuser.execute(
        """select lending_private.audit_digest('party', 7, 'party', '7', 'update', '{"name": "A"}', '{"name": "B"}',
                                               'clerk', null, '2026-01-02 03:04:05.678901+00')"""
    ).fetchone()[0]
    canonical = (
        '{"new": {"name": "B"}, "old": {"name": "A"}, "actor": "clerk", "table": "party", "action": "update", '
        '"row_id": "7", "subject": "party", "request_id": null, "subject_id": 7, '
        '"recorded_at": "2026-01-02T03:04:05.678901Z"}'
    )
    assert bytes(digest) == hashlib.sha256(canonical.encode()).digest()
