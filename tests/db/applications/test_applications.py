"""Filing, deciding, withdrawing, reading and listing applications, as another service calls the functions:
results, and every error's code and facts."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from tests.db.conftest import apply, call, refusal


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
        reason_codes=["excessive_obligations"],
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
        "reason_codes": ["excessive_obligations"],
        "reasons": [{"code": "excessive_obligations", "text": "Excessive obligations in relation to income"}],
        "assessment_id": None,
        "recommendation": None,
        "overrides_recommendation": False,
        "override_reason": None,
        "decided_by": "underwriter-1",
        "decided_by_kind": "agent",
        "model_name": None,
        "model_version": None,
        "confidence": None,
        "requires_confirmation": False,
        "confirmation": None,
        "request_id": None,
        "decided_at": None,
        "status": "rejected",
        "version": 2,
        "offer": None,
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
