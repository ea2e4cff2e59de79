"""Offers and notices: an approval fixes an offer with its assessment's terms, which no later product change alters;
the borrower accepts or declines it, and an acceptance after expiry is refused while the expiry itself is kept; a
rejection has its adverse action notice and the record of its delivery; every change is an event on the feed."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from tests.db.conftest import apply, call, refusal
from tests.db.underwriting.conftest import (
    MODEL,
    RATES,
    assess,
    create_product,
    decide,
    event_types,
    file,
    get,
    rule,
    update_product,
)

OFFER_TERMS = (
    "product_code",
    "product_version",
    "amount",
    "currency",
    "risk_grade",
    "annual_rate",
    "term_months",
    "amortization",
    "installment",
    "total_interest",
    "origination_fee",
    "total_repayable",
    "apr",
)


def approved(client: psycopg.Connection, **facts: Any) -> tuple[int, dict[str, Any]]:
    """An application under `personal`, assessed and approved by underwriter-1; with its assessment."""
    application_id = file(client, **facts)["application_id"]
    assessment = assess(client, application_id)
    decide(client, application_id, "approved")
    return application_id, assessment


def time_of(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def expire_offer(superuser: psycopg.Connection, application_id: int) -> None:
    """Moves the application's offer 31 days into the past. Offers are append-only and accept_offer compares
    expires_at with the clock, so the honest way to reach an expired offer without waiting a day is to change the
    offer behind its trigger, as the superuser, for this test only: the trigger is off inside this one transaction
    and on again before it commits."""
    with superuser.transaction():
        superuser.execute("alter table lending_private.offer disable trigger _100_refuse_change")
        superuser.execute(
            "update lending_private.offer set offered_at = offered_at - interval '31 days',"
            " expires_at = now() - interval '1 second' where application_id = %s",
            [application_id],
        )
        superuser.execute("alter table lending_private.offer enable trigger _100_refuse_change")


def test_an_approval_fixes_the_offer_of_its_assessment(client: psycopg.Connection) -> None:
    create_product(client, origination_fee_percent=Decimal("2"), offer_valid_days=10)
    application_id, assessment = approved(client)
    offer = get(client, application_id)["offer"]
    assert {k: offer[k] for k in OFFER_TERMS} == {k: assessment["offer"][k] for k in OFFER_TERMS}
    assert offer["assessment_id"] == assessment["assessment_id"]
    assert offer["decision_id"] == get(client, application_id)["decision"]["decision_id"]
    assert time_of(offer["expires_at"]) - time_of(offer["offered_at"]) == timedelta(days=10)
    assert offer["response"] is None
    assert get(client, application_id)["next_statuses"] == ["offer_accepted", "offer_declined", "offer_expired"]


def test_a_product_change_never_alters_an_offer(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application_id, _ = approved(client)
    before = get(client, application_id)["offer"]
    update_product(
        client,
        "personal",
        {"rates": dict.fromkeys(RATES, "29.99"), "origination_fee_percent": "5", "offer_valid_days": 1},
    )
    assert get(client, application_id)["offer"] == before
    assert before["product_version"] == 1 and before["annual_rate"] == RATES["B"]


def test_an_approval_relies_on_the_version_it_was_assessed_under(
    client: psycopg.Connection, personal: dict[str, Any]
) -> None:
    application_id = file(client)["application_id"]
    assessment = assess(client, application_id)
    update_product(client, "personal", {"rates": dict.fromkeys(RATES, "29.99")})
    offer = decide(client, application_id, "approved")["offer"]
    assert (offer["product_version"], offer["annual_rate"], offer["installment"]) == (
        1,
        RATES["B"],
        assessment["offer"]["installment"],
    )


def test_without_an_assessment_the_offer_takes_the_products_most_cautious_rate(client: psycopg.Connection) -> None:
    application_id = apply(client, amount=Decimal("1200.00"), term_months=12)["application_id"]
    offer = call(
        client, "lending.decide", application_id=application_id, outcome="approved", reason="ok", actor="underwriter-1"
    )["body"]["offer"]
    assert (offer["product_code"], offer["risk_grade"], offer["annual_rate"], offer["term_months"]) == (
        "standard",
        None,
        "9.99",
        12,
    )
    assert offer["installment"] is not None and offer["apr"] == "9.99"
    untermed = apply(client, amount=Decimal("500.00"))["application_id"]
    offer = call(
        client, "lending.decide", application_id=untermed, outcome="approved", reason="ok", actor="underwriter-1"
    )["body"]["offer"]
    assert (offer["installment"], offer["total_interest"], offer["apr"], offer["term_months"]) == (
        None,
        None,
        None,
        None,
    )


def test_accepting_the_offer(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application_id, _ = approved(client)
    version = get(client, application_id)["version"]
    result = call(
        client, "lending.accept_offer", application_id=application_id, expected_version=version, actor="intake-agent"
    )
    assert result["status"] == 200 and result["body"]["status"] == "offer_accepted"
    assert result["body"]["offer"]["response"]["response"] == "accepted"
    assert result["body"]["offer"]["response"]["recorded_by"] == "intake-agent"
    sqlstate, _, detail = refusal(client, "lending.accept_offer", application_id=application_id, actor="intake-agent")
    assert (sqlstate, detail["code"], detail["current_status"]) == ("LN409", "invalid_transition", "offer_accepted")
    assert event_types(client, application_id)[-1] == "application.offer_accepted"


def test_declining_the_offer_is_final(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application_id, _ = approved(client)
    result = call(
        client,
        "lending.decline_offer",
        application_id=application_id,
        reason="Found a cheaper loan",
        actor="intake-agent",
    )
    body = result["body"]
    assert (body["status"], body["next_statuses"]) == ("offer_declined", [])
    assert (body["offer"]["response"]["response"], body["offer"]["response"]["reason"]) == (
        "declined",
        "Found a cheaper loan",
    )
    for function in ("lending.accept_offer", "lending.decline_offer"):
        sqlstate, _, detail = refusal(client, function, application_id=application_id, actor="intake-agent")
        assert (sqlstate, detail["code"]) == ("LN409", "invalid_transition")
    assert event_types(client, application_id)[-1] == "application.offer_declined"


@pytest.mark.parametrize("function", ["lending.accept_offer", "lending.decline_offer"])
def test_only_an_approved_application_has_an_offer_to_answer(
    client: psycopg.Connection, personal: dict[str, Any], function: str
) -> None:
    application_id = file(client)["application_id"]
    sqlstate, _, detail = refusal(client, function, application_id=application_id, actor="intake-agent")
    assert (sqlstate, detail["code"], detail["current_status"]) == ("LN409", "invalid_transition", "pending")
    sqlstate, _, detail = refusal(client, function, application_id=999, actor="intake-agent")
    assert (sqlstate, detail["code"]) == ("LN404", "not_found")
    sqlstate, _, detail = refusal(client, function, application_id=application_id, actor="test-reader")
    assert (sqlstate, detail["code"]) == ("LN403", "forbidden")


def test_an_approval_from_before_offers_has_no_offer_to_answer(
    client: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    application_id = apply(client)["application_id"]
    superuser.execute(
        "update lending_private.application set status = 'approved' where application_id = %s", [application_id]
    )
    sqlstate, _, detail = refusal(client, "lending.accept_offer", application_id=application_id, actor="intake-agent")
    assert (sqlstate, detail["code"], detail["resource"]) == ("LN404", "not_found", "offer")
    assert get(client, application_id)["status"] == "approved"


def test_a_stale_expected_version_is_a_conflict(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application_id, _ = approved(client)
    sqlstate, _, detail = refusal(
        client, "lending.accept_offer", application_id=application_id, expected_version=1, actor="intake-agent"
    )
    assert (sqlstate, detail["code"]) == ("LN409", "version_conflict")
    assert get(client, application_id)["status"] == "approved"


def test_accepting_after_expiry_is_refused_and_the_expiry_is_kept(
    client: psycopg.Connection, superuser: psycopg.Connection, personal: dict[str, Any]
) -> None:
    application_id, _ = approved(client)
    expire_offer(superuser, application_id)
    result = call(
        client, "lending.accept_offer", application_id=application_id, idempotency_key="accept-1", actor="intake-agent"
    )
    assert (result["status"], result["replayed"], "body" in result) == (409, False, False)
    problem = result["problem"]
    assert (problem["code"], problem["title"], problem["application_id"], problem["current_status"]) == (
        "offer_expired",
        "Offer expired",
        application_id,
        "offer_expired",
    )
    assert problem["offer_id"] == get(client, application_id)["offer"]["offer_id"] and "expired" in problem["detail"]
    # The refusal is data, so the move to offer_expired was committed with it.
    application = get(client, application_id)
    assert (application["status"], application["next_statuses"]) == ("offer_expired", [])
    assert application["offer"]["response"]["response"] == "expired"
    assert event_types(client, application_id)[-1] == "application.offer_expired"
    again = call(
        client, "lending.accept_offer", application_id=application_id, idempotency_key="accept-1", actor="intake-agent"
    )
    assert again == {**result, "replayed": True}
    sqlstate, _, detail = refusal(client, "lending.accept_offer", application_id=application_id, actor="intake-agent")
    assert (sqlstate, detail["code"], detail["current_status"]) == ("LN409", "invalid_transition", "offer_expired")
    assert event_types(client, application_id).count("application.offer_expired") == 1


def test_declining_after_expiry_is_still_recorded(
    client: psycopg.Connection, superuser: psycopg.Connection, personal: dict[str, Any]
) -> None:
    """A borrower may always say no: declining needs no valid offer."""
    application_id, _ = approved(client)
    expire_offer(superuser, application_id)
    assert (
        call(client, "lending.decline_offer", application_id=application_id, actor="intake-agent")["body"]["status"]
        == "offer_declined"
    )


# Adverse action notices.


def rejected(client: psycopg.Connection, codes: list[str], reason: str = "Not this time", assessed: bool = True) -> int:
    create_product(
        client,
        rules=[
            rule("credit_score", ">=", 800, "insufficient_credit_score"),
            rule("debt_to_income", "<=", "0.01", "excessive_obligations"),
        ],
    )
    application_id: int = file(client)["application_id"]
    if assessed:
        assess(client, application_id)
    decide(client, application_id, "rejected", reason=reason, reason_codes=codes, override_reason="the test's reasons")
    return application_id


def test_a_rejection_has_a_notice_with_its_reasons_in_words_in_order(client: psycopg.Connection) -> None:
    application_id = rejected(
        client, ["excessive_obligations", "other", "insufficient_credit_score"], reason="Too many open loans"
    )
    notice = call(client, "lending.adverse_action_notice", application_id=application_id, actor="test-reader")
    decision = get(client, application_id)["decision"]
    assert (notice["application_id"], notice["decision_id"], notice["applicant_name"]) == (
        application_id,
        decision["decision_id"],
        "Jane Doe",
    )
    assert notice["action"] == "Your application for credit was denied."
    assert (notice["amount"], notice["currency"]) == ("10000.00", "USD")
    assert time_of(decision["decided_at"]).utcoffset() == timedelta(0)
    assert notice["action_date"] == time_of(decision["decided_at"]).date().isoformat()
    assert notice["principal_reasons"] == [
        {"code": "excessive_obligations", "text": "Excessive obligations in relation to income"},
        {"code": "other", "text": "Too many open loans"},
        {"code": "insufficient_credit_score", "text": "Credit score below the minimum for the credit requested"},
    ]
    assert notice["credit_score"] == {"score": 720, "range": "300-850", "source": "Experian", "date": "2026-11-01"}
    assert "Equal Credit Opportunity Act" in notice["statement"] and notice["deliveries"] == []


def test_a_notice_discloses_no_score_when_none_was_relied_on(client: psycopg.Connection) -> None:
    application_id = rejected(client, ["insufficient_income"], assessed=False)
    assert call(client, "lending.adverse_action_notice", application_id=application_id)["credit_score"] is None


@pytest.mark.parametrize("status", ["pending", "manual_review", "approved", "withdrawn", "offer_accepted"])
def test_only_a_rejection_has_a_notice(client: psycopg.Connection, personal: dict[str, Any], status: str) -> None:
    application_id = file(client)["application_id"]
    if status in ("approved", "offer_accepted"):
        assess(client, application_id)
    if status != "pending" and status != "withdrawn":
        decide(
            client,
            application_id,
            "approved" if status != "manual_review" else "manual_review",
            override_reason="x" if status == "manual_review" else None,
        )
    if status == "withdrawn":
        call(client, "lending.withdraw", application_id=application_id, reason="no", actor="intake-agent")
    if status == "offer_accepted":
        call(client, "lending.accept_offer", application_id=application_id, actor="intake-agent")
    assert get(client, application_id)["status"] == status
    sqlstate, _, detail = refusal(client, "lending.adverse_action_notice", application_id=application_id)
    assert (sqlstate, detail["code"], detail["current_status"]) == ("LN409", "no_adverse_action", status)
    sqlstate, _, detail = refusal(
        client, "lending.record_notice_sent", application_id=application_id, channel="email", actor="underwriter-1"
    )
    assert (sqlstate, detail["code"]) == ("LN409", "no_adverse_action")


def test_a_notice_of_an_unknown_application_is_not_found(client: psycopg.Connection) -> None:
    sqlstate, _, detail = refusal(client, "lending.adverse_action_notice", application_id=999)
    assert (sqlstate, detail["code"]) == ("LN404", "not_found")


def test_sending_the_notice_is_recorded_and_is_an_event(client: psycopg.Connection) -> None:
    application_id = rejected(client, ["insufficient_credit_score"])
    result = call(
        client,
        "lending.record_notice_sent",
        application_id=application_id,
        channel="post",
        actor="underwriter-1",
        request_id="req-notice",
        idempotency_key="n-1",
    )
    delivery = result["body"]
    assert result["status"] == 201
    assert (delivery["application_id"], delivery["channel"], delivery["recorded_by"]) == (
        application_id,
        "post",
        "underwriter-1",
    )
    assert delivery["decision_id"] == get(client, application_id)["decision"]["decision_id"]
    again = call(
        client,
        "lending.record_notice_sent",
        application_id=application_id,
        channel="post",
        actor="underwriter-1",
        request_id="req-notice",
        idempotency_key="n-1",
    )
    assert again == {**result, "replayed": True}
    notice = call(client, "lending.adverse_action_notice", application_id=application_id)
    assert [(d["delivery_id"], d["channel"]) for d in notice["deliveries"]] == [(delivery["delivery_id"], "post")]
    (event,) = call(
        client, "lending.events_after", application_id=application_id, event_type="application.notice_sent"
    )["events"]
    assert (event["actor"], event["request_id"]) == ("underwriter-1", "req-notice")
    assert event["payload"] == {
        "delivery_id": delivery["delivery_id"],
        "decision_id": delivery["decision_id"],
        "channel": "post",
    }


def test_a_notice_goes_by_a_known_channel_and_is_recorded_by_a_decider(client: psycopg.Connection) -> None:
    application_id = rejected(client, ["insufficient_credit_score"])
    for channel in ("fax", None):
        sqlstate, _, detail = refusal(
            client, "lending.record_notice_sent", application_id=application_id, channel=channel
        )
        assert sqlstate == "LN422" and [e["field"] for e in detail["errors"]] == ["channel"]
    sqlstate, _, detail = refusal(
        client, "lending.record_notice_sent", application_id=application_id, channel="email", actor="intake-agent"
    )
    assert (sqlstate, detail["code"]) == ("LN403", "forbidden")
    assert call(client, "lending.adverse_action_notice", application_id=application_id)["deliveries"] == []


# Events.


def feed_of(client: psycopg.Connection, application_id: int) -> list[tuple[str, str | None]]:
    """(event_type, status) of the application's events, read from the whole feed (not filtered in SQL)."""
    events = call(client, "lending.events_after", limit=1000)["events"]
    return [(e["event_type"], e["payload"].get("status")) for e in events if e["application_id"] == application_id]


def test_every_change_of_the_four_eyes_path_is_an_event(
    client: psycopg.Connection, personal: dict[str, Any], reviewer_3: str
) -> None:
    application_id = file(client, amount=Decimal("30000.00"))["application_id"]
    assess(client, application_id)
    decide(client, application_id, "approved")
    call(
        client,
        "lending.confirm_decision",
        application_id=application_id,
        confirm=False,
        reason="check income",
        actor="reviewer-2",
    )
    call(client, "lending.claim_review", application_id=application_id, actor=reviewer_3)
    decide(client, application_id, "approved", actor=reviewer_3)
    call(client, "lending.confirm_decision", application_id=application_id, confirm=True, actor="reviewer-2")
    call(client, "lending.accept_offer", application_id=application_id, actor="intake-agent")
    assert feed_of(client, application_id) == [
        ("application.filed", "pending"),
        ("application.assessed", None),
        ("application.decided", "pending_confirmation"),
        ("application.decision_declined", "manual_review"),
        ("application.review_claimed", None),
        ("application.decided", "pending_confirmation"),
        ("application.decision_confirmed", "approved"),
        ("application.offer_accepted", "offer_accepted"),
    ]
    events = call(client, "lending.events_after", application_id=application_id)["events"]
    decided, declined, claimed, confirmed = events[2], events[3], events[4], events[6]
    assert decided["payload"]["decision"]["requires_confirmation"] is True
    assert decided["payload"]["decision"]["outcome"] == "approved"
    assert declined["payload"]["previous_status"] == "pending_confirmation" and declined["actor"] == "reviewer-2"
    assert (claimed["actor"], claimed["payload"]["claimed_by"]) == (reviewer_3, reviewer_3)
    assert confirmed["payload"]["decision"]["decision_id"] == get(client, application_id)["decision"]["decision_id"]


def test_the_offer_answers_are_events(
    client: psycopg.Connection, superuser: psycopg.Connection, personal: dict[str, Any]
) -> None:
    declined, _ = approved(client)
    call(client, "lending.decline_offer", application_id=declined, actor="intake-agent")
    expired, _ = approved(client)
    expire_offer(superuser, expired)
    call(client, "lending.accept_offer", application_id=expired, actor="intake-agent")
    assert feed_of(client, declined)[-2:] == [
        ("application.decided", "approved"),
        ("application.offer_declined", "offer_declined"),
    ]
    assert feed_of(client, expired)[-2:] == [
        ("application.decided", "approved"),
        ("application.offer_expired", "offer_expired"),
    ]


@pytest.mark.parametrize(
    ("facts", "recommendation"),
    [
        ({"term_months": None}, "refer"),  # no term: no installment to offer
        ({"term_months": 61}, "reject"),  # outside the product: no offer made
    ],
)
def test_an_approval_relying_on_an_assessment_without_an_offer_is_answered(
    client: psycopg.Connection, personal: dict[str, Any], reviewer_3: str, facts: dict[str, Any], recommendation: str
) -> None:
    """An assessment that could make no offer keeps offer null; approving against it (an override, with a reason)
    must end in an offer or in a problem with a code, never in a failed insert of an empty offer."""
    application_id = file(client, **facts)["application_id"]
    assessment = assess(client, application_id)
    assert (assessment["recommendation"], assessment["offer"]) == (recommendation, None)
    try:
        decision = call(
            client,
            "lending.decide",
            application_id=application_id,
            outcome="approved",
            reason="ok",
            override_reason="A person's judgement",
            actor="underwriter-1",
            **MODEL,
        )["body"]
        if decision["status"] == "pending_confirmation":
            call(client, "lending.confirm_decision", application_id=application_id, confirm=True, actor=reviewer_3)
    except psycopg.Error as error:
        assert (error.sqlstate or "").startswith("LN"), f"{error.sqlstate}: {error.diag.message_primary}"
        return
    assert get(client, application_id)["offer"] is not None


def test_every_underwriting_row_joins_the_applications_audit_chain(
    client: psycopg.Connection, superuser: psycopg.Connection, personal: dict[str, Any], reviewer_3: str
) -> None:
    application_id = file(client, amount=Decimal("30000.00"))["application_id"]
    assess(client, application_id)
    decide(client, application_id, "approved")
    call(
        client,
        "lending.confirm_decision",
        application_id=application_id,
        confirm=False,
        reason="check",
        actor="reviewer-2",
    )
    call(client, "lending.claim_review", application_id=application_id, actor=reviewer_3)
    decide(client, application_id, "rejected", actor=reviewer_3, reason_codes=["other"], override_reason="no")
    call(client, "lending.record_notice_sent", application_id=application_id, channel="email", actor=reviewer_3)
    approved_id, _ = approved(client)
    call(client, "lending.accept_offer", application_id=approved_id, actor="intake-agent")
    for subject_id, tables in (
        (application_id, {"application", "assessment", "decision", "confirmation", "review_claim", "notice_delivery"}),
        (approved_id, {"application", "assessment", "decision", "offer", "offer_response"}),
    ):
        rows = superuser.execute(
            "select distinct table_name from lending_private.audit_log"
            " where subject = 'application' and subject_id = %s",
            [subject_id],
        ).fetchall()
        assert {table for (table,) in rows} == tables
        verified = superuser.execute(
            "select lending_private.verify_audit_chain('application', %s)", [subject_id]
        ).fetchone()
        assert verified is not None and verified[0]["verified"] is True, verified
