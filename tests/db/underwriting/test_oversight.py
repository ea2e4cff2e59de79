"""Human oversight of decisions: what a decision must rely on and record (a current assessment, an override's reason,
an agent's model and confidence, 1-4 known reasons for a rejection), review claims, and four-eyes confirmation,
including two reviewers acting at once on separate connections."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.conftest import role_url, second_connection
from tests.db.conftest import call, refusal
from tests.db.underwriting.conftest import (
    MODEL,
    assess,
    create_product,
    decide,
    event_types,
    file,
    get,
    rule,
    update,
    update_product,
)


def in_review(client: psycopg.Connection, **facts: Any) -> int:
    """An assessed application (recommended for approval) that underwriter-1 referred to a person."""
    application_id: int = file(client, **facts)["application_id"]
    assess(client, application_id)
    decide(client, application_id, "manual_review", override_reason="a person should look")
    return application_id


def claim(client: psycopg.Connection, application_id: int, actor: str) -> dict[str, Any]:
    result = call(client, "lending.claim_review", application_id=application_id, actor=actor)
    assert result["status"] == 201, result
    body: dict[str, Any] = result["body"]
    return body


def confirm(
    client: psycopg.Connection, application_id: int, actor: str, confirmed: bool = True, **arguments: Any
) -> dict[str, Any]:
    result = call(
        client, "lending.confirm_decision", application_id=application_id, confirm=confirmed, actor=actor, **arguments
    )
    assert result["status"] == 200, result
    body: dict[str, Any] = result["body"]
    return body


def code_of(client: psycopg.Connection, function: str, **arguments: Any) -> tuple[str, dict[str, Any]]:
    sqlstate, _, detail = refusal(client, function, **arguments)
    return sqlstate, detail


# What a decision relies on.


def test_a_product_that_requires_an_assessment_is_not_approved_without_one(
    client: psycopg.Connection, personal: dict[str, Any]
) -> None:
    application_id = file(client)["application_id"]
    sqlstate, detail = code_of(
        client,
        "lending.decide",
        application_id=application_id,
        outcome="approved",
        reason="ok",
        actor="underwriter-1",
        **MODEL,
    )
    assert (sqlstate, detail["code"], detail["product_code"]) == ("LN409", "assessment_required", "personal")
    assert get(client, application_id)["status"] == "pending"
    # A rejection needs no assessment, and records that it relied on none.
    rejected = decide(client, application_id, "rejected", reason_codes=["insufficient_income"])
    assert (rejected["status"], rejected["assessment_id"], rejected["recommendation"]) == ("rejected", None, None)
    assert rejected["overrides_recommendation"] is False


def test_the_default_product_is_approved_without_an_assessment(client: psycopg.Connection) -> None:
    application_id = call(client, "lending.apply", applicant_name="Jane", amount=500, actor="intake-agent")["body"][
        "application_id"
    ]
    decision = call(
        client,
        "lending.decide",
        application_id=application_id,
        outcome="approved",
        reason="fine",
        actor="underwriter-1",
    )["body"]
    assert (decision["status"], decision["assessment_id"], decision["model_name"]) == ("approved", None, None)
    assert decision["decided_by_kind"] == "agent"
    assert decision["offer"]["risk_grade"] is None and decision["offer"]["annual_rate"] == "9.99"


def test_a_stale_assessment_is_refused_until_the_application_is_assessed_again(
    client: psycopg.Connection, personal: dict[str, Any]
) -> None:
    application_id = file(client)["application_id"]
    first = assess(client, application_id)
    update(client, application_id, {"months_employed": 30})
    for outcome, codes in (("approved", []), ("rejected", ["insufficient_income"])):
        sqlstate, detail = code_of(
            client,
            "lending.decide",
            application_id=application_id,
            outcome=outcome,
            reason="x",
            reason_codes=codes,
            actor="underwriter-1",
            **MODEL,
        )
        assert (sqlstate, detail["code"], detail["assessment_id"]) == (
            "LN409",
            "assessment_stale",
            first["assessment_id"],
        )
    second = assess(client, application_id)
    decision = decide(client, application_id, "approved")
    assert (decision["assessment_id"], decision["recommendation"], decision["status"]) == (
        second["assessment_id"],
        "approve",
        "approved",
    )


def test_a_referral_may_rely_on_a_stale_assessment(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application_id = file(client)["application_id"]
    assess(client, application_id)
    update(client, application_id, {"months_employed": 30})
    decision = decide(client, application_id, "manual_review")
    assert (decision["status"], decision["assessment_id"], decision["overrides_recommendation"]) == (
        "manual_review",
        None,
        False,
    )


def test_an_override_needs_its_reason_and_is_recorded(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application_id = file(client)["application_id"]
    assessment = assess(client, application_id)
    assert assessment["recommendation"] == "approve"
    sqlstate, detail = code_of(
        client,
        "lending.decide",
        application_id=application_id,
        outcome="rejected",
        reason="no",
        reason_codes=["insufficient_income"],
        actor="underwriter-1",
        **MODEL,
    )
    assert sqlstate == "LN422" and [e["field"] for e in detail["errors"]] == ["override_reason"]
    decision = decide(
        client,
        application_id,
        "rejected",
        reason_codes=["insufficient_income"],
        override_reason="Income looks seasonal",
    )
    assert (decision["overrides_recommendation"], decision["override_reason"]) == (True, "Income looks seasonal")
    assert (decision["assessment_id"], decision["recommendation"]) == (assessment["assessment_id"], "approve")
    assert get(client, application_id)["decision"] == {
        k: v for k, v in decision.items() if k not in ("status", "version", "offer")
    }


def test_following_the_recommendation_is_no_override(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application_id = file(client)["application_id"]
    assess(client, application_id)
    decision = decide(client, application_id, "approved")
    assert (decision["overrides_recommendation"], decision["override_reason"], decision["status"]) == (
        False,
        None,
        "approved",
    )


def test_an_agent_names_its_model_and_confidence_under_a_product_that_requires_assessment(
    client: psycopg.Connection, personal: dict[str, Any]
) -> None:
    application_id = file(client)["application_id"]
    assess(client, application_id)
    sqlstate, detail = code_of(
        client, "lending.decide", application_id=application_id, outcome="approved", reason="ok", actor="underwriter-1"
    )
    assert sqlstate == "LN422" and [e["field"] for e in detail["errors"]] == ["model_name", "confidence"]
    decision = decide(client, application_id, "approved", confidence=Decimal("0.8125"))
    assert (decision["decided_by"], decision["decided_by_kind"]) == ("underwriter-1", "agent")
    assert (decision["model_name"], decision["model_version"], decision["confidence"]) == (
        "policy-bot",
        "1.0",
        "0.8125",
    )


def test_a_person_needs_no_model(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application_id = file(client)["application_id"]
    assess(client, application_id)
    decision = decide(client, application_id, "approved", actor="reviewer-2")
    assert (decision["decided_by_kind"], decision["model_name"], decision["confidence"]) == ("human", None, None)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"confidence": Decimal("1.0001")}, "confidence"),
        ({"confidence": Decimal("-0.0001")}, "confidence"),
        ({"confidence": Decimal("0.12345")}, "confidence"),
        ({"confidence": Decimal("NaN")}, "confidence"),
        ({"model_name": None, "model_version": "2"}, "model_version"),
        ({"model_name": " "}, "model_name"),
    ],
)
def test_a_bad_model_or_confidence_is_refused(
    client: psycopg.Connection, personal: dict[str, Any], arguments: dict[str, Any], field: str
) -> None:
    application_id = file(client)["application_id"]
    assess(client, application_id)
    sqlstate, detail = code_of(
        client,
        "lending.decide",
        application_id=application_id,
        outcome="approved",
        reason="ok",
        actor="underwriter-1",
        **{**MODEL, **arguments},
    )
    assert sqlstate == "LN422" and field in [e["field"] for e in detail["errors"]]
    assert get(client, application_id)["status"] == "pending"


@pytest.mark.parametrize("confidence", [Decimal(0), Decimal(1)])
def test_confidence_takes_both_ends(client: psycopg.Connection, personal: dict[str, Any], confidence: Decimal) -> None:
    application_id = file(client)["application_id"]
    assess(client, application_id)
    assert decide(client, application_id, "approved", confidence=confidence)["confidence"] == str(confidence)


@pytest.mark.parametrize(
    ("outcome", "codes", "accepted"),
    [
        ("rejected", [], False),
        ("rejected", ["insufficient_income"], True),
        ("rejected", ["insufficient_income", "excessive_obligations", "length_of_employment", "bankruptcy"], True),
        (
            "rejected",
            ["insufficient_income", "excessive_obligations", "length_of_employment", "bankruptcy", "no_credit_file"],
            False,
        ),
        ("rejected", ["bad_vibes"], False),
        ("rejected", ["insufficient_income", "insufficient_income"], False),
        ("approved", ["insufficient_income"], False),
        ("approved", [], True),
        (
            "manual_review",
            ["unable_to_verify_income", "unable_to_verify_identity", "no_credit_file", "bankruptcy"],
            True,
        ),
        (
            "manual_review",
            ["unable_to_verify_income", "unable_to_verify_identity", "no_credit_file", "bankruptcy", "other"],
            False,
        ),
    ],
)
def test_reason_codes_follow_the_outcome(
    client: psycopg.Connection, outcome: str, codes: list[str], accepted: bool
) -> None:
    application_id = call(client, "lending.apply", applicant_name="Jane", amount=500, actor="intake-agent")["body"][
        "application_id"
    ]
    arguments = {
        "application_id": application_id,
        "outcome": outcome,
        "reason": "because",
        "reason_codes": codes,
        "actor": "underwriter-1",
    }
    if accepted:
        decision = call(client, "lending.decide", **arguments)["body"]
        assert decision["reason_codes"] == codes and [r["code"] for r in decision["reasons"]] == codes
    else:
        sqlstate, detail = code_of(client, "lending.decide", **arguments)
        assert sqlstate == "LN422" and [e["field"] for e in detail["errors"]] == ["reason_codes"]
        assert get(client, application_id)["status"] == "pending"


def test_other_takes_the_reason_as_its_words(client: psycopg.Connection) -> None:
    application_id = call(client, "lending.apply", applicant_name="Jane", amount=500, actor="intake-agent")["body"][
        "application_id"
    ]
    decision = call(
        client,
        "lending.decide",
        application_id=application_id,
        outcome="rejected",
        reason="We do not lend for yachts",
        reason_codes=["insufficient_income", "other"],
        actor="underwriter-1",
    )["body"]
    assert decision["reasons"] == [
        {"code": "insufficient_income", "text": "Income insufficient for amount of credit requested"},
        {"code": "other", "text": "We do not lend for yachts"},
    ]


def test_direct_sql_decisions_are_held_to_the_vocabulary(
    client: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    application_id = call(client, "lending.apply", applicant_name="Jane", amount=500, actor="intake-agent")["body"][
        "application_id"
    ]
    with pytest.raises(psycopg.Error) as refused:
        superuser.execute(
            "insert into lending_private.decision (application_id, outcome, reason, reason_codes, decided_by)"
            " values (%s, 'rejected', 'no', '{}', 'sql')",
            [application_id],
        )
    assert refused.value.sqlstate == "LN422" and "reason_codes" in (refused.value.diag.message_detail or "")


# Review claims.


def test_deciding_an_application_in_review_needs_ones_own_claim(
    client: psycopg.Connection, personal: dict[str, Any], reviewer_3: str
) -> None:
    application_id = in_review(client)
    sqlstate, detail = code_of(
        client, "lending.decide", application_id=application_id, outcome="approved", reason="ok", actor="reviewer-2"
    )
    assert (sqlstate, detail["code"], detail["actor"]) == ("LN409", "review_claim_required", "reviewer-2")
    held = claim(client, application_id, "reviewer-2")
    assert (held["application_id"], held["claimed_by"]) == (application_id, "reviewer-2")
    assert get(client, application_id)["review_claim"] == held
    sqlstate, detail = code_of(client, "lending.claim_review", application_id=application_id, actor=reviewer_3)
    assert (sqlstate, detail["code"], detail["claimed_by"], detail["expires_at"]) == (
        "LN409",
        "review_claimed",
        "reviewer-2",
        held["expires_at"],
    )
    sqlstate, detail = code_of(
        client, "lending.decide", application_id=application_id, outcome="approved", reason="ok", actor=reviewer_3
    )
    assert detail["code"] == "review_claim_required"
    renewed = claim(client, application_id, "reviewer-2")
    assert renewed["claim_id"] > held["claim_id"] and renewed["expires_at"] >= held["expires_at"]
    decision = decide(client, application_id, "approved", actor="reviewer-2")
    assert (decision["status"], decision["decided_by"]) == ("approved", "reviewer-2")


def test_an_expired_claim_lets_another_reviewer_in_and_its_holder_out(
    client: psycopg.Connection, superuser: psycopg.Connection, personal: dict[str, Any], reviewer_3: str
) -> None:
    superuser.execute("update lending_private.setting set value = '1' where name = 'review_claim_seconds'")
    application_id = in_review(client)
    first = claim(client, application_id, "reviewer-2")
    time.sleep(1.2)  # past the claim's one second: the claim lapses by itself
    assert get(client, application_id)["review_claim"] is None
    superuser.execute("update lending_private.setting set value = '1800' where name = 'review_claim_seconds'")
    second = claim(client, application_id, reviewer_3)
    assert second["claimed_by"] == reviewer_3 and second["claim_id"] > first["claim_id"]
    sqlstate, detail = code_of(
        client, "lending.decide", application_id=application_id, outcome="approved", reason="ok", actor="reviewer-2"
    )
    assert (sqlstate, detail["code"]) == ("LN409", "review_claim_required")
    assert decide(client, application_id, "approved", actor=reviewer_3)["status"] == "approved"


def test_only_an_application_in_review_is_claimed_and_only_by_a_reviewer(
    client: psycopg.Connection, personal: dict[str, Any]
) -> None:
    application_id = file(client)["application_id"]
    sqlstate, detail = code_of(client, "lending.claim_review", application_id=application_id, actor="reviewer-2")
    assert (sqlstate, detail["code"], detail["current_status"]) == ("LN409", "not_in_review", "pending")
    in_review_id = in_review(client)
    sqlstate, detail = code_of(client, "lending.claim_review", application_id=in_review_id, actor="underwriter-1")
    assert (sqlstate, detail["code"]) == ("LN403", "forbidden")
    sqlstate, detail = code_of(client, "lending.claim_review", application_id=999, actor="reviewer-2")
    assert (sqlstate, detail["code"]) == ("LN404", "not_found")


def test_the_review_queue_lists_referrals_oldest_first_with_assessment_and_claim(
    client: psycopg.Connection, personal: dict[str, Any]
) -> None:
    first, pending, second, third = (
        in_review(client),
        file(client)["application_id"],
        in_review(client),
        in_review(client),
    )
    held = claim(client, second, "reviewer-2")
    page = call(client, "lending.review_queue", limit=2, actor="reviewer-2")
    assert [item["application_id"] for item in page["items"]] == [first, second]
    assert page["items"][0]["claim"] is None and page["items"][1]["claim"] == held
    assert page["items"][0]["assessment"]["recommendation"] == "approve"
    assert page["items"][0]["assessment"]["current"] is True
    # A fact changed since: the reviewer sees the assessment is stale before deciding on it.
    call(client, "lending.update_application", application_id=first, changes=Jsonb({"months_employed": 7}))
    stale = call(client, "lending.review_queue", limit=1, actor="reviewer-2")["items"][0]
    assert (stale["application_id"], stale["assessment"]["current"]) == (first, False)
    rest = call(client, "lending.review_queue", limit=2, after=page["next_cursor"], actor="reviewer-2")
    assert [item["application_id"] for item in rest["items"]] == [third] and rest["next_cursor"] is None
    assert pending not in [item["application_id"] for item in page["items"] + rest["items"]]
    sqlstate, detail = code_of(client, "lending.review_queue", actor="underwriter-1")
    assert (sqlstate, detail["code"]) == ("LN403", "forbidden")


def at_once(
    superuser: psycopg.Connection, application_id: int, calls: list[Callable[[psycopg.Connection], Any]]
) -> list[Any]:
    """Runs each call on its own connection (as the HTTP service's role), released together by one barrier while
    another transaction holds the application's row: they all queue on it and go when it is let go. Returns each
    call's result or the psycopg.Error it raised."""
    barrier = threading.Barrier(len(calls) + 1)
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        with psycopg.connect(role_url(superuser, "lendgres_test_http"), autocommit=True) as connection:
            barrier.wait()
            try:
                outcomes[index] = calls[index](connection)
            except psycopg.Error as exc:
                outcomes[index] = exc

    with second_connection(superuser) as holder:
        holder.execute("select from lending_private.application where application_id = %s for update", [application_id])
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
        for thread in threads:
            thread.start()
        barrier.wait()
        deadline = time.monotonic() + 30
        while superuser.execute(
            "select count(*) from pg_stat_activity where usename = 'lendgres_test_http' and wait_event_type = 'Lock'"
        ).fetchone() != (len(calls),):
            assert time.monotonic() < deadline, "the calls never queued on the application"
            time.sleep(0.02)
        holder.commit()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_two_reviewers_claiming_at_once_get_one_claim(
    superuser: psycopg.Connection, client: psycopg.Connection, personal: dict[str, Any], reviewer_3: str
) -> None:
    application_id = in_review(client)
    outcomes = at_once(
        superuser,
        application_id,
        [
            lambda c, actor=actor: call(c, "lending.claim_review", application_id=application_id, actor=actor)  # type: ignore[misc]
            for actor in ("reviewer-2", reviewer_3)
        ],
    )
    claimed = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, psycopg.Error)]
    assert len(claimed) == 1 and len(refused) == 1, outcomes
    assert refused[0].sqlstate == "LN409" and '"review_claimed"' in (refused[0].diag.message_detail or "")
    rows = superuser.execute(
        "select claimed_by from lending_private.review_claim where application_id = %s", [application_id]
    ).fetchall()
    assert rows == [(claimed[0]["body"]["claimed_by"],)]


# Four-eyes.


def test_an_approval_above_the_agent_limit_waits_for_a_second_reviewer(
    client: psycopg.Connection, personal: dict[str, Any], reviewer_3: str
) -> None:
    application_id = file(client, amount=Decimal("20000.01"))["application_id"]
    assess(client, application_id)
    decision = decide(client, application_id, "approved", actor="reviewer-2")
    assert (decision["status"], decision["requires_confirmation"], decision["offer"]) == (
        "pending_confirmation",
        True,
        None,
    )
    assert get(client, application_id)["offer"] is None
    sqlstate, detail = code_of(
        client, "lending.confirm_decision", application_id=application_id, confirm=True, actor="reviewer-2"
    )
    assert (sqlstate, detail["code"], detail["decided_by"]) == ("LN403", "own_decision", "reviewer-2")
    sqlstate, detail = code_of(
        client, "lending.confirm_decision", application_id=application_id, confirm=True, actor="underwriter-1"
    )
    assert (sqlstate, detail["code"]) == ("LN403", "forbidden")
    sqlstate, detail = code_of(
        client,
        "lending.decide",
        application_id=application_id,
        outcome="rejected",
        reason="x",
        reason_codes=["other"],
        actor="reviewer-2",
    )
    assert (sqlstate, detail["code"]) == ("LN409", "invalid_transition")
    assert get(client, application_id)["status"] == "pending_confirmation"
    confirmed = confirm(client, application_id, reviewer_3)
    assert confirmed["status"] == "approved" and confirmed["offer"]["amount"] == "20000.01"
    assert confirmed["decision"]["confirmation"] | {"confirmed_at": None} == {
        "confirmed": True,
        "reason": None,
        "confirmed_by": reviewer_3,
        "confirmed_at": None,
    }
    assert event_types(client, application_id)[-2:] == ["application.decided", "application.decision_confirmed"]


def test_an_approval_at_the_agent_limit_is_approved_at_once(
    client: psycopg.Connection, personal: dict[str, Any]
) -> None:
    application_id = file(client, amount=Decimal("20000.00"))["application_id"]
    assess(client, application_id)
    decision = decide(client, application_id, "approved")
    assert (decision["status"], decision["requires_confirmation"]) == ("approved", False)
    assert decision["offer"]["amount"] == "20000.00"
    statuses = [
        e["payload"].get("status")
        for e in call(client, "lending.events_after", application_id=application_id)["events"]
    ]
    assert "approved" in statuses
    assert "pending_confirmation" not in statuses


@pytest.mark.parametrize(("limit_then", "limit_now", "waits"), [("20000", "10000", False), ("10000", "20000", True)])
def test_the_agent_limit_is_the_one_of_the_version_assessed(
    client: psycopg.Connection, limit_then: str, limit_now: str, waits: bool
) -> None:
    """A product change after the assessment does not change who may approve it alone."""
    create_product(client, agent_approval_limit=Decimal(limit_then))
    application_id = file(client, amount=Decimal("15000.00"))["application_id"]
    assess(client, application_id)
    update_product(client, "personal", {"agent_approval_limit": limit_now})
    decision = decide(client, application_id, "approved")
    assert (decision["status"], decision["requires_confirmation"]) == (
        ("pending_confirmation", True) if waits else ("approved", False)
    )


def test_approving_against_a_reject_waits_for_a_second_reviewer(client: psycopg.Connection, reviewer_3: str) -> None:
    create_product(client, rules=[rule("credit_score", ">=", 800, "insufficient_credit_score")])
    application_id = file(client, amount=Decimal("5000.00"))["application_id"]
    assert assess(client, application_id)["recommendation"] == "reject"
    decision = decide(client, application_id, "approved", override_reason="Long-standing customer")
    assert (decision["status"], decision["requires_confirmation"], decision["overrides_recommendation"]) == (
        "pending_confirmation",
        True,
        True,
    )
    assert confirm(client, application_id, reviewer_3)["status"] == "approved"


def test_approving_against_a_referral_within_the_limit_needs_no_second_reviewer(client: psycopg.Connection) -> None:
    create_product(client, rules=[rule("months_employed", ">=", 36, "length_of_employment", "refer")])
    application_id = file(client)["application_id"]
    assert assess(client, application_id)["recommendation"] == "refer"
    decision = decide(client, application_id, "approved", override_reason="Stable sector")
    assert (decision["status"], decision["requires_confirmation"], decision["overrides_recommendation"]) == (
        "approved",
        False,
        True,
    )


def test_a_declined_confirmation_goes_back_to_review_with_its_reason(
    client: psycopg.Connection, personal: dict[str, Any], reviewer_3: str
) -> None:
    application_id = file(client, amount=Decimal("30000.00"))["application_id"]
    assess(client, application_id)
    decide(client, application_id, "approved")
    sqlstate, detail = code_of(
        client, "lending.confirm_decision", application_id=application_id, confirm=False, actor=reviewer_3
    )
    assert sqlstate == "LN422" and [e["field"] for e in detail["errors"]] == ["reason"]
    declined = confirm(client, application_id, reviewer_3, confirmed=False, reason="Verify the income first")
    assert (declined["status"], declined["offer"]) == ("manual_review", None)
    assert declined["decision"]["confirmation"]["reason"] == "Verify the income first"
    assert declined["decision"]["confirmation"]["confirmed"] is False
    assert event_types(client, application_id)[-1] == "application.decision_declined"
    # Back in review: the decision is answered, and a new one needs a claim.
    sqlstate, detail = code_of(
        client, "lending.confirm_decision", application_id=application_id, confirm=True, actor="reviewer-2"
    )
    assert detail["code"] == "invalid_transition"


def test_an_application_waiting_for_confirmation_can_be_withdrawn(
    client: psycopg.Connection, personal: dict[str, Any]
) -> None:
    application_id = file(client, amount=Decimal("30000.00"))["application_id"]
    assess(client, application_id)
    decide(client, application_id, "approved")
    withdrawn = call(
        client, "lending.withdraw", application_id=application_id, reason="changed mind", actor="intake-agent"
    )
    assert withdrawn["body"]["status"] == "withdrawn"


def test_two_reviewers_confirming_at_once_give_one_confirmation(
    superuser: psycopg.Connection, client: psycopg.Connection, personal: dict[str, Any], reviewer_3: str
) -> None:
    application_id = file(client, amount=Decimal("30000.00"))["application_id"]
    assess(client, application_id)
    decide(client, application_id, "approved")
    outcomes = at_once(
        superuser,
        application_id,
        [
            lambda c, actor=actor: call(
                c, "lending.confirm_decision", application_id=application_id, confirm=True, actor=actor
            )  # type: ignore[misc]
            for actor in ("reviewer-2", reviewer_3)
        ],
    )
    confirmed = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, psycopg.Error)]
    assert len(confirmed) == 1 and len(refused) == 1, outcomes
    assert refused[0].sqlstate == "LN409" and '"invalid_transition"' in (refused[0].diag.message_detail or "")
    assert superuser.execute(
        "select count(*) from lending_private.confirmation where application_id = %s", [application_id]
    ).fetchone() == (1,)
    assert superuser.execute(
        "select count(*) from lending_private.offer where application_id = %s", [application_id]
    ).fetchone() == (1,)


def test_a_second_answer_written_around_the_function_is_refused(
    client: psycopg.Connection, superuser: psycopg.Connection, personal: dict[str, Any], reviewer_3: str
) -> None:
    application_id = file(client, amount=Decimal("30000.00"))["application_id"]
    assess(client, application_id)
    decide(client, application_id, "approved")
    confirm(client, application_id, reviewer_3)
    with pytest.raises(psycopg.errors.UniqueViolation):
        superuser.execute(
            "insert into lending_private.confirmation (application_id, decision_id, confirmed, confirmed_by)"
            " select application_id, decision_id, true, 'sql' from lending_private.decision where application_id = %s",
            [application_id],
        )
