"""The lending functions as another service calls them: results, every error's code and facts, idempotency."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from tests.db.conftest import apply, call


def refusal(connection: psycopg.Connection, function: str, **arguments: Any) -> tuple[str, str, dict[str, Any]]:
    """Calls a function that must fail; returns (SQLSTATE, message, detail)."""
    with pytest.raises(psycopg.Error) as failed:
        call(connection, function, **arguments)
    error = failed.value
    assert error.sqlstate is not None
    return error.sqlstate, error.diag.message_primary or "", json.loads(error.diag.message_detail or "{}")


def test_apply_reports_every_bad_field_at_once(client: psycopg.Connection) -> None:
    sqlstate, message, detail = refusal(
        client,
        "lending.apply",
        applicant_name="  ",
        amount=Decimal("15000.001"),
        currency="usd",
        term_months=481,
        purpose="x" * 501,
        external_ref="",
        applicant_email="jane@",
        applicant_phone="call me",
    )
    assert sqlstate == "LN422" and detail["code"] == "validation_failed" and "amount" in message
    assert [e["field"] for e in detail["errors"]] == [
        "amount",
        "currency",
        "term_months",
        "purpose",
        "external_ref",
        "applicant_name",
        "applicant_email",
        "applicant_phone",
    ]


@pytest.mark.parametrize(
    ("amount", "accepted"),
    [
        (Decimal("0.01"), True),
        (Decimal("10000000.00"), True),
        (Decimal("15000.10"), True),
        (Decimal("0"), False),
        (Decimal("-5"), False),
        (Decimal("10000000.01"), False),
        (Decimal("15000.000000000000001"), False),
        (Decimal("NaN"), False),
        (Decimal("Infinity"), False),
    ],
)
def test_amount_rules(client: psycopg.Connection, amount: Decimal, accepted: bool) -> None:
    if accepted:
        assert Decimal(apply(client, amount=amount)["amount"]) == amount
    else:
        sqlstate, _, detail = refusal(client, "lending.apply", applicant_name="Jane Doe", amount=amount)
        assert sqlstate == "LN422" and detail["errors"][0]["field"] == "amount"


def test_amount_respects_the_currencys_minor_units(client: psycopg.Connection) -> None:
    assert apply(client, amount=Decimal("1500"), currency="JPY")["amount"] == "1500.00"
    _, _, detail = refusal(client, "lending.apply", applicant_name="Jane Doe", amount=Decimal("1500.5"), currency="JPY")
    assert detail["errors"] == [{"field": "amount", "message": "must have at most 0 decimal places"}]


def test_a_repeat_borrower_is_one_applicant(client: psycopg.Connection) -> None:
    first = apply(client, applicant_external_ref="crm-7", applicant_email="jane@example.com")
    second = apply(client, applicant_id=first["applicant_id"], amount=2500)
    assert second["applicant_id"] == first["applicant_id"]
    assert second["applicant"]["email"] == "jane@example.com"
    sqlstate, _, detail = refusal(
        client, "lending.apply", applicant_name="Jane D.", applicant_external_ref="crm-7", amount=1
    )
    assert (sqlstate, detail["code"], detail["applicant_id"]) == ("LN409", "applicant_exists", first["applicant_id"])
    _, _, detail = refusal(client, "lending.apply", applicant_id=first["applicant_id"], applicant_name="Jane", amount=1)
    assert detail["errors"][0]["field"] == "applicant_id"
    _, _, detail = refusal(client, "lending.apply", applicant_id=999, amount=1)
    assert detail["errors"] == [{"field": "applicant_id", "message": "no applicant has id 999"}]


def test_decide_checks_version_and_transition(client: psycopg.Connection) -> None:
    application_id = apply(client)["application_id"]
    sqlstate, _, detail = refusal(
        client, "lending.decide", application_id=application_id, outcome="approved", reason="ok", expected_version=7
    )
    assert (sqlstate, detail["code"], detail["current_version"], detail["current_status"]) == (
        "LN409",
        "version_conflict",
        1,
        "pending",
    )
    decided = call(
        client,
        "lending.decide",
        application_id=application_id,
        outcome="rejected",
        reason="DTI 61%",
        reason_codes=["DTI_TOO_HIGH"],
        expected_version=1,
        actor="underwriter-1",
    )
    assert decided["status"] == 201
    assert decided["body"] | {"decided_at": None} == {
        "decision_id": decided["body"]["decision_id"],
        "application_id": application_id,
        "outcome": "rejected",
        "approved": False,
        "reason": "DTI 61%",
        "reason_codes": ["DTI_TOO_HIGH"],
        "decided_by": "underwriter-1",
        "request_id": None,
        "decided_at": None,
        "status": "rejected",
        "version": 2,
    }
    sqlstate, message, detail = refusal(
        client, "lending.decide", application_id=application_id, outcome="approved", reason="changed my mind"
    )
    assert (sqlstate, detail["code"], detail["current_status"], detail["allowed"]) == (
        "LN409",
        "invalid_transition",
        "rejected",
        [],
    )
    assert "rejected" in message
    sqlstate, _, detail = refusal(client, "lending.decide", application_id=424242, outcome="approved", reason="x")
    assert (sqlstate, detail["code"], detail["application_id"]) == ("LN404", "not_found", 424242)
    _, _, detail = refusal(
        client,
        "lending.decide",
        application_id=application_id,
        outcome="maybe",
        reason="",
        reason_codes=["no spaces allowed"],
    )
    assert [e["field"] for e in detail["errors"]] == ["outcome", "reason", "reason_codes"]


def test_withdraw(client: psycopg.Connection) -> None:
    application_id = apply(client)["application_id"]
    call(client, "lending.decide", application_id=application_id, outcome="manual_review", reason="check")
    withdrawn = call(client, "lending.withdraw", application_id=application_id, reason="Found a better rate")
    assert withdrawn["status"] == 200
    assert withdrawn["body"]["status"] == "withdrawn"
    assert withdrawn["body"]["withdrawal_reason"] == "Found a better rate"
    _, _, detail = refusal(client, "lending.withdraw", application_id=application_id)
    assert (detail["code"], detail["current_status"]) == ("invalid_transition", "withdrawn")


def test_list_applications_pages_newest_first(client: psycopg.Connection) -> None:
    ids = [apply(client, amount=100 + n)["application_id"] for n in range(7)]
    call(client, "lending.decide", application_id=ids[2], outcome="approved", reason="ok")
    seen, after = [], None
    while True:
        page = call(client, "lending.list_applications", limit=3, after=after)
        seen += [item["application_id"] for item in page["items"]]
        assert all("decisions" not in item for item in page["items"])
        after = page["next_cursor"]
        if after is None:
            break
    assert seen == sorted(ids, reverse=True)
    approved = call(client, "lending.list_applications", status="approved")
    assert [item["application_id"] for item in approved["items"]] == [ids[2]]
    for arguments, field in [
        ({"status": "lost"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"after": "not a cursor"}, "after"),
    ]:
        _, _, detail = refusal(client, "lending.list_applications", **arguments)
        assert detail["errors"][0]["field"] == field


def test_get_application_of_an_unknown_id(client: psycopg.Connection) -> None:
    sqlstate, message, detail = refusal(client, "lending.get_application", application_id=5)
    assert (sqlstate, message, detail["code"]) == ("LN404", "Application 5 does not exist", "not_found")
    assert refusal(client, "lending.application_audit", application_id=5)[0] == "LN404"


def test_idempotency_key_replays_and_refuses_reuse(client: psycopg.Connection, superuser: psycopg.Connection) -> None:
    first = call(
        client, "lending.apply", applicant_name="Jane Doe", amount=15000, idempotency_key="k-1", actor="intake-agent"
    )
    again = call(
        client, "lending.apply", applicant_name="Jane Doe", amount=15000, idempotency_key="k-1", actor="intake-agent"
    )
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["body"] == first["body"] and again["status"] == 201
    other_actor = call(
        client, "lending.apply", applicant_name="Jane Doe", amount=15000, idempotency_key="k-1", actor="underwriter-1"
    )
    assert other_actor["replayed"] is False
    sqlstate, _, detail = refusal(
        client, "lending.apply", applicant_name="Jane Doe", amount=16000, idempotency_key="k-1", actor="intake-agent"
    )
    assert (sqlstate, detail["code"], detail["operation"]) == ("LN422", "idempotency_key_reused", "apply")
    count = superuser.execute("select count(*) from lending_private.application").fetchone()
    assert count == (2,)
    # After 24 hours the key is forgotten: the same request writes again.
    superuser.execute("update lending_private.idempotency_key set expires_at = now() - interval '1 second'")
    later = call(
        client, "lending.apply", applicant_name="Jane Doe", amount=16000, idempotency_key="k-1", actor="intake-agent"
    )
    assert later["replayed"] is False
    assert superuser.execute("select count(*) from lending_private.application").fetchone() == (3,)


def test_an_idempotency_key_is_kept_for_24_hours(client: psycopg.Connection, superuser: psycopg.Connection) -> None:
    def apply_with_the_key() -> dict[str, Any]:
        return call(client, "lending.apply", applicant_name="Jane Doe", amount=15000, idempotency_key="k-24")

    assert apply_with_the_key()["replayed"] is False
    kept_for = superuser.execute("select expires_at - created_at from lending_private.idempotency_key").fetchone()
    assert kept_for == (timedelta(hours=24),)
    # Filed 23 hours 59 minutes ago, the request is still answered from the key.
    superuser.execute(
        "update lending_private.idempotency_key"
        " set created_at = created_at - interval '23 hours 59 minutes',"
        " expires_at = expires_at - interval '23 hours 59 minutes'"
    )
    assert apply_with_the_key()["replayed"] is True
    # A minute later it is forgotten, and the same request files again.
    superuser.execute(
        "update lending_private.idempotency_key"
        " set created_at = created_at - interval '1 minute', expires_at = expires_at - interval '1 minute'"
    )
    assert apply_with_the_key()["replayed"] is False
    assert superuser.execute("select count(*) from lending_private.application").fetchone() == (2,)


def test_create_actor_replays_under_its_idempotency_key(client: psycopg.Connection) -> None:
    arguments = {"name": "keyed-agent", "kind": "agent", "role": "reader", "idempotency_key": "actor-k"}
    first = call(client, "lending.create_actor", **arguments)
    again = call(client, "lending.create_actor", **arguments)
    assert (first["status"], first["replayed"], again["replayed"]) == (201, False, True)
    assert again["body"] == first["body"]
    sqlstate, _, detail = refusal(client, "lending.create_actor", **{**arguments, "role": "admin"})
    assert (sqlstate, detail["code"], detail["operation"]) == ("LN422", "idempotency_key_reused", "create_actor")
    unkeyed = refusal(client, "lending.create_actor", **{**arguments, "idempotency_key": None})
    assert unkeyed[2]["code"] == "actor_exists"


def test_a_failed_write_does_not_keep_its_idempotency_key(
    client: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    refusal(client, "lending.apply", applicant_name="Jane Doe", amount=0, idempotency_key="k-2")
    assert superuser.execute("select count(*) from lending_private.idempotency_key").fetchone() == (0,)
    assert call(client, "lending.apply", applicant_name="Jane Doe", amount=1, idempotency_key="k-2")["status"] == 201


def test_actor_and_request_id_are_validated(client: psycopg.Connection) -> None:
    _, _, detail = refusal(client, "lending.apply", applicant_name="Jane Doe", amount=1, actor="x" * 201, request_id="")
    assert [e["field"] for e in detail["errors"]] == ["actor", "request_id"]


def test_schema_version_names_the_newest_migration(client: psycopg.Connection) -> None:
    from lendgres import migrations

    assert call(client, "lending.schema_version") == {"version": migrations.latest_version()}


def test_writes_with_keys_remove_expired_keys(client: psycopg.Connection, superuser: psycopg.Connection) -> None:
    superuser.execute(
        """insert into lending_private.idempotency_key (actor, idempotency_key, operation, request_hash, response,
                                                        created_at, expires_at)
           select 'someone', 'old-' || n, 'apply', '\\x00', '{}', now() - interval '2 days', now() - interval '1 day'
             from generate_series(1, 10) n"""
    )

    # About one keyed write in eight cleans up, by a coin: 200 writes all miss it with a chance of 2.5e-12.
    def expired() -> int:
        row = superuser.execute("select count(*) from lending_private.idempotency_key where expires_at <= now()")
        return int(row.fetchone()[0])

    writes = 0
    while expired() > 0 and writes < 200:
        call(client, "lending.apply", applicant_name="Jane Doe", amount=1, idempotency_key=f"new-{writes}")
        writes += 1
    assert expired() == 0
    assert superuser.execute("select count(*) from lending_private.idempotency_key").fetchone() == (writes,)
