"""Assessment: a product's limits and policy rules evaluated against an application's facts. Every measure at, just
below and just above its threshold (each threshold built from the numbers the facts give), reject against refer,
missing facts, the order and number of reasons, the offer's terms against the loan math, and determinism: the
same facts give the same assessment whatever the session's TimeZone, and the evaluation reads no clock and no
randomness."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg
import pytest

from tests.conftest import role_url
from tests.db.conftest import call, refusal
from tests.db.underwriting.conftest import (
    GOOD_FACTS,
    RATES,
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

AMOUNT = Decimal("10000.00")
# GOOD_FACTS score 720 + 10 (verified income) = 730: grade B.
GRADE, RATE = "B", Decimal(RATES["B"])


def schedule(
    db: psycopg.Connection, amount: Decimal, rate: Decimal, term: int, amortization: str = "annuity"
) -> list[tuple[Decimal, Decimal]]:
    """(payment, interest) of each period, as lending_private.repayment_schedule computes them."""
    rows = db.execute(
        "select payment, interest from lending_private.repayment_schedule(%s, %s, %s, %s) order by period",
        [amount, rate, term, amortization],
    ).fetchall()
    return [(payment, interest) for payment, interest in rows]


def apr(db: psycopg.Connection, amount_financed: Decimal, payments: list[Decimal]) -> Decimal:
    row = db.execute(
        "select lending_private.annual_percentage_rate(%s, %s::numeric[])", [amount_financed, payments]
    ).fetchone()
    assert row is not None
    value: Decimal = row[0]
    return value


def installment(db: psycopg.Connection, amount: Decimal = AMOUNT, term: int = 36) -> Decimal:
    return schedule(db, amount, RATE, term)[0][0]


def ratio(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def policy_rules(assessment: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in assessment["rules"] if r["source"] == "policy"]


def assess_one_rule(
    client: psycopg.Connection,
    measure: str,
    comparison: str,
    threshold: Decimal,
    reason_code: str,
    on_failure: str = "reject",
    **facts: Any,
) -> dict[str, Any]:
    create_product(client, rules=[rule(measure, comparison, threshold, reason_code, on_failure)])
    return assess(client, file(client, **facts)["application_id"])


def measured_value(superuser: psycopg.Connection, measure: str, facts: dict[str, Any]) -> Decimal:
    """The value each measure should take for GOOD_FACTS as changed by `facts`, computed here from the facts."""
    f = {**GOOD_FACTS, **facts}
    return {
        "credit_score": Decimal(f["credit_score"]),
        "debt_to_income": ratio((f["monthly_debt_payments"] + installment(superuser)) / (f["annual_income"] / 12)),
        "loan_to_income": ratio(AMOUNT / f["annual_income"]),
        "months_employed": Decimal(f["months_employed"]),
        "unverified_amount": Decimal(0) if f["income_verified"] else AMOUNT,
        "identity_verified": Decimal(1 if f["identity_verified"] else 0),
    }[measure]


# measure, comparison, the smallest step of its threshold, reason code, and facts that make it interesting.
MEASURES = [
    ("credit_score", ">=", Decimal(1), "insufficient_credit_score", {}),
    ("debt_to_income", "<=", Decimal("0.0001"), "excessive_obligations", {}),
    ("loan_to_income", "<=", Decimal("0.0001"), "insufficient_income", {}),
    ("months_employed", ">=", Decimal(1), "length_of_employment", {}),
    ("unverified_amount", "<=", Decimal("0.01"), "unable_to_verify_income", {"income_verified": False}),
    ("unverified_amount", "<=", Decimal("0.01"), "unable_to_verify_income", {}),
    ("identity_verified", ">=", Decimal(1), "unable_to_verify_identity", {}),
    ("identity_verified", ">=", Decimal(1), "unable_to_verify_identity", {"identity_verified": False}),
]
SIDES = [("at", True), ("pass_side", True), ("fail_side", False)]
# A measure at 0 has no threshold one step below it (thresholds are never negative): verified income's unverified
# amount has no failing side, and an unverified identity no passing side below 0.
CASES = [
    (*measure, *side)
    for measure in MEASURES
    for side in SIDES
    if not (measure[0] == "unverified_amount" and not measure[4] and side[0] == "fail_side")
    and not (measure[0] == "identity_verified" and measure[4] and side[0] == "pass_side")
]


@pytest.mark.parametrize(("measure", "comparison", "step", "reason_code", "facts", "where", "passes"), CASES)
def test_every_measure_at_and_either_side_of_its_threshold(
    client: psycopg.Connection,
    superuser: psycopg.Connection,
    measure: str,
    comparison: str,
    step: Decimal,
    reason_code: str,
    facts: dict[str, Any],
    where: str,
    passes: bool,
) -> None:
    value = measured_value(superuser, measure, facts)
    # The threshold the value passes by one step, equals, or fails by one step: ">=" passes above, "<=" below.
    toward_pass = -step if comparison == ">=" else step
    threshold = {"at": value, "pass_side": value + toward_pass, "fail_side": value - toward_pass}[where]
    assert threshold >= 0
    assessment = assess_one_rule(client, measure, comparison, threshold, reason_code, **facts)
    (evaluated,) = policy_rules(assessment)
    assert (evaluated["measure"], evaluated["comparison"]) == (measure, comparison)
    assert Decimal(evaluated["value"]) == value and Decimal(evaluated["threshold"]) == threshold
    assert evaluated["result"] == ("pass" if passes else "fail")
    assert all(r["result"] == "pass" for r in assessment["rules"] if r["source"] == "product")
    assert assessment["recommendation"] == ("approve" if passes else "reject")
    assert assessment["reason_codes"] == ([] if passes else [reason_code])
    assert assessment["missing_facts"] == []


@pytest.mark.parametrize(("on_failure", "recommendation"), [("reject", "reject"), ("refer", "refer")])
def test_a_failed_rule_rejects_or_refers_as_it_says(
    client: psycopg.Connection, on_failure: str, recommendation: str
) -> None:
    assessment = assess_one_rule(client, "credit_score", ">=", Decimal(721), "insufficient_credit_score", on_failure)
    assert (assessment["recommendation"], assessment["reason_codes"]) == (recommendation, ["insufficient_credit_score"])
    assert assessment["reasons"] == [
        {"code": "insufficient_credit_score", "text": "Credit score below the minimum for the credit requested"}
    ]
    assert assessment["offer"] is not None  # a reason to decline is not a reason to hide what an approval would fix


def test_debt_to_income_counts_the_new_installment(client: psycopg.Connection, superuser: psycopg.Connection) -> None:
    """Without the installment, 500 / 5000 = 0.10 would pass a 0.15 limit; with it, it does not."""
    assert installment(superuser) > Decimal("250")
    assessment = assess_one_rule(client, "debt_to_income", "<=", Decimal("0.15"), "excessive_obligations")
    (evaluated,) = policy_rules(assessment)
    assert Decimal(evaluated["value"]) == ratio((Decimal(500) + Decimal(assessment["offer"]["installment"])) / 5000)
    assert evaluated["result"] == "fail"


def test_a_ratio_over_no_income_fails(client: psycopg.Connection) -> None:
    create_product(
        client,
        rules=[
            rule("loan_to_income", "<=", 1, "insufficient_income", "refer"),
            rule("debt_to_income", "<=", "0.5", "excessive_obligations", "refer"),
        ],
    )
    assessment = assess(client, file(client, annual_income=Decimal(0))["application_id"])
    assert [(r["value"], r["result"]) for r in policy_rules(assessment)] == [(None, "fail"), (None, "fail")]
    assert (assessment["recommendation"], assessment["reason_codes"]) == (
        "refer",
        ["insufficient_income", "excessive_obligations"],
    )


@pytest.mark.parametrize(
    ("amount", "term", "failed"),
    [
        (Decimal("1000.00"), 36, None),
        (Decimal("999.99"), 36, ("amount", ">=", "amount_below_product_minimum")),
        (Decimal("50000.00"), 36, None),
        (Decimal("50000.01"), 36, ("amount", "<=", "amount_exceeds_product_limit")),
        (AMOUNT, 6, None),
        (AMOUNT, 5, ("term_months", ">=", "term_outside_product_limits")),
        (AMOUNT, 60, None),
        (AMOUNT, 61, ("term_months", "<=", "term_outside_product_limits")),
    ],
)
def test_the_products_amount_and_term_limits_are_rules_too(
    client: psycopg.Connection,
    personal: dict[str, Any],
    amount: Decimal,
    term: int,
    failed: tuple[str, str, str] | None,
) -> None:
    assessment = assess(client, file(client, amount=amount, term_months=term)["application_id"])
    limits = [(r["measure"], r["comparison"], r["threshold"], r["result"]) for r in assessment["rules"]]
    assert [(m, c, t) for m, c, t, _ in limits] == [
        ("amount", ">=", "1000.00"),
        ("amount", "<=", "50000.00"),
        ("term_months", ">=", "6"),
        ("term_months", "<=", "60"),
    ]
    fails = [(r["measure"], r["comparison"], r["reason_code"]) for r in assessment["rules"] if r["result"] == "fail"]
    if failed is None:
        assert fails == [] and assessment["recommendation"] == "approve" and assessment["offer"] is not None
        assert assessment["offer"]["amount"] == str(amount) and assessment["offer"]["term_months"] == term
    else:
        assert fails == [failed]
        assert (assessment["recommendation"], assessment["reason_codes"]) == ("reject", [failed[2]])
        assert assessment["offer"] is None  # nothing outside the product is offered


def test_missing_facts_refer_with_incomplete_first(client: psycopg.Connection) -> None:
    create_product(
        client,
        rules=[
            rule("credit_score", ">=", 600, "insufficient_credit_score"),
            rule("debt_to_income", "<=", "0.40", "excessive_obligations", "refer"),
            rule("months_employed", ">=", 100, "length_of_employment", "refer"),
        ],
    )
    application = file(client, annual_income=None, monthly_debt_payments=None)
    assessment = assess(client, application["application_id"])
    assert assessment["missing_facts"] == ["annual_income", "monthly_debt_payments"] == application["missing_facts"]
    assert [(r["measure"], r["result"]) for r in policy_rules(assessment)] == [
        ("credit_score", "pass"),
        ("debt_to_income", "missing"),
        ("months_employed", "fail"),
    ]
    assert assessment["recommendation"] == "refer"
    assert assessment["reason_codes"] == ["credit_application_incomplete", "length_of_employment"]


def test_a_failed_reject_rule_rejects_even_with_facts_missing(client: psycopg.Connection) -> None:
    create_product(
        client,
        rules=[
            rule("debt_to_income", "<=", "0.40", "excessive_obligations", "refer"),
            rule("credit_score", ">=", 800, "insufficient_credit_score"),
        ],
    )
    assessment = assess(client, file(client, annual_income=None)["application_id"])
    assert (assessment["recommendation"], assessment["reason_codes"]) == ("reject", ["insufficient_credit_score"])
    assert assessment["missing_facts"] == ["annual_income"]


@pytest.mark.parametrize("missing", ["credit_score", "date_of_birth", "term_months"])
def test_every_fact_an_assessment_needs_refers_when_missing(
    client: psycopg.Connection, personal: dict[str, Any], missing: str
) -> None:
    """The term (an offer needs it), the credit score (the grade comes from it) and the date of birth (only adults
    borrow) are needed under every product, even one without rules that measure them."""
    facts: dict[str, Any] = {missing: None}
    if missing == "credit_score":
        facts |= {"credit_score_source": None, "credit_score_date": None}
    assessment = assess(client, file(client, **facts)["application_id"])
    assert assessment["missing_facts"] == [missing]
    assert (assessment["recommendation"], assessment["reason_codes"][:1]) == (
        "refer",
        ["credit_application_incomplete"],
    )


def test_reasons_put_rejects_first_in_rule_order_each_once_and_at_most_four(client: psycopg.Connection) -> None:
    create_product(
        client,
        rules=[
            rule("months_employed", ">=", 100, "length_of_employment", "refer"),
            rule("credit_score", ">=", 800, "insufficient_credit_score"),
            rule("loan_to_income", "<=", "0.01", "insufficient_income", "refer"),
            rule("debt_to_income", "<=", "0.01", "excessive_obligations"),
            rule("credit_score", ">=", 801, "insufficient_credit_score"),
            rule("identity_verified", ">=", 1, "unable_to_verify_identity"),
            rule("unverified_amount", "<=", 0, "unable_to_verify_income"),
        ],
    )
    application = file(client, identity_verified=False, income_verified=False)
    assessment = assess(client, application["application_id"])
    assert [r["result"] for r in policy_rules(assessment)] == ["fail"] * 7
    assert assessment["recommendation"] == "reject"
    assert assessment["reason_codes"] == [
        "insufficient_credit_score",
        "excessive_obligations",
        "unable_to_verify_identity",
        "unable_to_verify_income",
    ]
    assert [r["code"] for r in assessment["reasons"]] == assessment["reason_codes"]


def test_the_products_limits_come_before_its_rules(client: psycopg.Connection) -> None:
    create_product(client, rules=[rule("credit_score", ">=", 800, "insufficient_credit_score")])
    assessment = assess(client, file(client, amount=Decimal("60000.00"))["application_id"])
    assert assessment["reason_codes"] == ["amount_exceeds_product_limit", "insufficient_credit_score"]


@pytest.mark.parametrize(
    ("facts", "score", "grade"),
    [
        ({}, 730, "B"),
        ({"credit_score": 730}, 740, "A"),
        ({"credit_score": 729}, 739, "B"),
        ({"credit_score": 729, "income_verified": False}, 729, "B"),
        ({"credit_score": 699, "income_verified": False}, 699, "B"),
        ({"credit_score": 689, "income_verified": False}, 689, "C"),
        ({"credit_score": 660, "months_employed": 11}, 650, "C"),
        ({"credit_score": 660, "months_employed": 12}, 670, "C"),
        ({"credit_score": 599, "income_verified": False}, 599, "D"),
        ({"credit_score": 589, "income_verified": False}, 589, "E"),
        ({"credit_score": 300, "months_employed": 0, "income_verified": False}, 300, "E"),
        ({"credit_score": 850}, 850, "A"),
    ],
)
def test_score_and_grade_and_the_grades_rate(
    client: psycopg.Connection, personal: dict[str, Any], facts: dict[str, Any], score: int, grade: str
) -> None:
    assessment = assess(client, file(client, **facts)["application_id"])
    assert (assessment["score"], assessment["risk_grade"]) == (score, grade)
    assert assessment["offer"]["annual_rate"] == RATES[grade] and assessment["offer"]["risk_grade"] == grade


@pytest.mark.parametrize(
    ("amortization", "fee_percent", "fee_cap", "fee"),
    [
        ("annuity", Decimal(0), None, Decimal("0.00")),
        ("annuity", Decimal("2.5"), None, Decimal("250.00")),
        ("annuity", Decimal("5"), Decimal("300.00"), Decimal("300.00")),
        ("annuity", Decimal("1.2345"), Decimal("300.00"), Decimal("123.45")),
        ("equal_principal", Decimal("3"), None, Decimal("300.00")),
    ],
)
def test_the_offer_agrees_with_the_loan_math(
    client: psycopg.Connection,
    superuser: psycopg.Connection,
    amortization: str,
    fee_percent: Decimal,
    fee_cap: Decimal | None,
    fee: Decimal,
) -> None:
    create_product(
        client,
        amortization=amortization,
        origination_fee_percent=fee_percent,
        origination_fee_cap=fee_cap,
        offer_valid_days=14,
    )
    offer = assess(client, file(client)["application_id"])["offer"]
    rows = schedule(superuser, AMOUNT, RATE, 36, amortization)
    payments = [payment for payment, _ in rows]
    assert offer == {
        "product_code": "personal",
        "product_version": 1,
        "amount": "10000.00",
        "currency": "USD",
        "risk_grade": GRADE,
        "annual_rate": str(RATE),
        "term_months": 36,
        "amortization": amortization,
        "installment": str(payments[0]),
        "total_interest": str(sum(interest for _, interest in rows)),
        "origination_fee": str(fee),
        "total_repayable": str(sum(payments)),
        "apr": str(apr(superuser, AMOUNT - fee, payments)),
        "valid_days": 14,
    }
    assert Decimal(offer["total_repayable"]) == AMOUNT + Decimal(offer["total_interest"])
    # A fee financed away raises the APR above the nominal rate; without one they agree to the cent of a percent.
    assert (Decimal(offer["apr"]) > RATE) == (fee > 0)


def test_reassessing_after_a_change_is_a_new_assessment_and_the_old_one_is_no_longer_current(
    client: psycopg.Connection,
    superuser: psycopg.Connection,
) -> None:
    create_product(client, rules=[rule("months_employed", ">=", 36, "length_of_employment", "refer")])
    application_id = file(client)["application_id"]
    first = assess(client, application_id)
    assert first["recommendation"] == "refer"
    current = get(client, application_id)["assessment"]
    assert current["assessment_id"] == first["assessment_id"] and current["current"] is True
    update(client, application_id, {"months_employed": 36})
    stale = get(client, application_id)["assessment"]
    assert stale["assessment_id"] == first["assessment_id"] and stale["current"] is False
    second = assess(client, application_id)
    assert second["assessment_id"] > first["assessment_id"] and second["recommendation"] == "approve"
    assert second["facts"]["months_employed"] == 36 and first["facts"]["months_employed"] == 24
    assert get(client, application_id)["assessment"] | {"current": None} == second | {"current": None}
    assert get(client, application_id)["assessment"]["current"] is True
    kept = superuser.execute(
        "select recommendation from lending_private.assessment where application_id = %s order by assessment_id",
        [application_id],
    ).fetchall()
    assert kept == [("refer",), ("approve",)]
    assert event_types(client, application_id).count("application.assessed") == 2


def test_an_assessment_keeps_the_product_version_it_was_made_under(client: psycopg.Connection) -> None:
    create_product(client)
    application_id = file(client)["application_id"]
    first = assess(client, application_id)
    update_product(client, "personal", {"rates": {**RATES, "B": "9.49"}})
    second = assess(client, application_id)
    assert (first["product_version"], first["offer"]["annual_rate"]) == (1, RATES["B"])
    assert (second["product_version"], second["offer"]["annual_rate"]) == (2, "9.49")


def test_only_an_application_in_underwriting_is_assessed(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application_id = file(client)["application_id"]
    decide(client, application_id, "rejected", reason_codes=["insufficient_income"], override_reason="x")
    sqlstate, _, detail = refusal(
        client, "lending.assess_application", application_id=application_id, actor="underwriter-1"
    )
    assert (sqlstate, detail["code"], detail["current_status"]) == ("LN409", "not_in_underwriting", "rejected")
    sqlstate, _, detail = refusal(client, "lending.assess_application", application_id=999, actor="underwriter-1")
    assert (sqlstate, detail["code"]) == ("LN404", "not_found")


@pytest.mark.parametrize("role", ["reader", "intake", "servicer"])
def test_only_roles_that_assess_may(client: psycopg.Connection, personal: dict[str, Any], role: str) -> None:
    application_id = file(client)["application_id"]
    sqlstate, _, detail = refusal(
        client, "lending.assess_application", application_id=application_id, actor=f"test-{role}"
    )
    assert (sqlstate, detail["code"]) == ("LN403", "forbidden")


def test_an_assessment_is_recorded_with_who_and_why_and_replays(
    client: psycopg.Connection, personal: dict[str, Any]
) -> None:
    application_id = file(client)["application_id"]
    first = call(
        client,
        "lending.assess_application",
        application_id=application_id,
        actor="underwriter-1",
        request_id="req-a",
        idempotency_key="a-1",
    )
    again = call(
        client,
        "lending.assess_application",
        application_id=application_id,
        actor="underwriter-1",
        request_id="req-a",
        idempotency_key="a-1",
    )
    assert again["replayed"] is True and again["body"] == first["body"]
    assert (first["body"]["assessed_by"], first["body"]["request_id"]) == ("underwriter-1", "req-a")
    feed = call(client, "lending.events_after", application_id=application_id, event_type="application.assessed")[
        "events"
    ]
    assert len(feed) == 1
    assert feed[0]["payload"] | {"assessment_id": None} == {
        "assessment_id": None,
        "recommendation": "approve",
        "risk_grade": "B",
        "reason_codes": [],
    }


# Determinism.

IDENTITY = ("assessment_id", "application_id", "assessed_at", "request_id", "assessed_by")


def without_identity(assessment: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in assessment.items() if k not in IDENTITY}


def test_the_same_facts_give_the_same_assessment_in_any_session_and_timezone(
    client: psycopg.Connection, postgresql: psycopg.Connection
) -> None:
    create_product(
        client,
        rules=[
            rule("debt_to_income", "<=", "0.15", "excessive_obligations", "refer"),
            rule("months_employed", ">=", 12, "length_of_employment"),
        ],
        origination_fee_percent=Decimal("1.75"),
    )
    facts = {"credit_score_date": GOOD_FACTS["credit_score_date"], "date_of_birth": GOOD_FACTS["date_of_birth"]}
    assessments = []
    for zone, datestyle in [
        ("UTC", "ISO, YMD"),
        ("Pacific/Kiritimati", "SQL, DMY"),
        ("America/Adak", "German"),
        ("Asia/Kathmandu", "Postgres, MDY"),
    ]:
        with psycopg.connect(role_url(postgresql, "lendgres_test_http"), autocommit=True) as session:
            session.execute(f"set timezone = '{zone}'")
            session.execute(f"set datestyle = '{datestyle}'")
            application_id = file(session, **facts)["application_id"]
            assessments.append(assess(session, application_id))
    assert all(without_identity(a) == without_identity(assessments[0]) for a in assessments[1:])
    assert assessments[0]["facts"]["credit_score_date"] == "2026-11-01"
    assert assessments[0]["recommendation"] == "refer"


CLOCK_AND_CHANCE = (
    "now",
    "current_timestamp",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "timeofday",
    "localtime",
    "localtimestamp",
    "current_date",
    "current_time",
    "age",
    "random",
    "random_normal",
    "setseed",
    "gen_random_uuid",
    "uuid_generate_v4",
    "current_setting",
    "pg_backend_pid",
    "txid_current",
    "nextval",
)
EVALUATION = ("evaluate_policy", "risk_score", "repayment_schedule", "annual_percentage_rate")


def test_the_evaluation_reads_no_clock_and_no_randomness(superuser: psycopg.Connection) -> None:
    """The source of the evaluation and of every lending function it calls, comments left out, names none of the
    functions that read the clock, the session or chance; and none of them is volatile."""
    seen: dict[str, str] = {}
    todo = list(EVALUATION)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        row = superuser.execute(
            "select prosrc, provolatile from pg_proc"
            " where proname = %s and pronamespace = 'lending_private'::regnamespace",
            [name],
        ).fetchone()
        assert row is not None, name
        source, volatility = row
        assert volatility in ("i", "s"), (name, volatility)
        code = re.sub(r"--[^\n]*", "", source)
        seen[name] = code
        todo.extend(re.findall(r"lending_private\.([a-z_]+)\s*\(", code))
    assert set(EVALUATION) <= set(seen)
    for name, code in seen.items():
        words = set(re.findall(r"[a-z_0-9]+", code.lower()))
        assert not words & set(CLOCK_AND_CHANCE), (name, words & set(CLOCK_AND_CHANCE))
        assert "'now'" not in code.lower() and "'today'" not in code.lower()


def test_the_clock_check_would_notice_a_clock(superuser: psycopg.Connection) -> None:
    """The scan above finds a clock read where there is one (so its silence about the evaluation means something)."""
    row = superuser.execute(
        "select prosrc from pg_proc where proname = 'make_offer' and pronamespace = 'lending_private'::regnamespace"
    ).fetchone()
    assert row is not None and "now" in set(re.findall(r"[a-z_0-9]+", re.sub(r"--[^\n]*", "", row[0]).lower()))
