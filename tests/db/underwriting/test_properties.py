"""Properties of underwriting over generated products and applications (hypothesis): an assessment is the same in
any session and TimeZone; every rejection it recommends has 1-4 valid reasons that a decision accepts; no approval
skips a confirmation it needs; and the offer's installment and APR agree with a calculation written here, apart
from the database's: the annuity payment in exact fractions and the APR by bisection in Decimal."""

from __future__ import annotations

import itertools
import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import role_url
from tests.db.conftest import call
from tests.db.underwriting.conftest import GRADES, MODEL, assess, create_product, file, rule

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CENT = Decimal("0.01")
product_codes = (f"generated_{n}" for n in itertools.count())


def money(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low * 100, high * 100).map(lambda cents: Decimal(cents) / 100)


def percent(high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(0, high * 100).map(lambda hundredths: Decimal(hundredths) / 100)


# A threshold worth testing for each measure, in its own units.
THRESHOLDS: dict[str, st.SearchStrategy[Decimal]] = {
    "credit_score": st.integers(300, 850).map(Decimal),
    "debt_to_income": st.integers(0, 10000).map(lambda n: Decimal(n) / 10000),
    "loan_to_income": st.integers(0, 30000).map(lambda n: Decimal(n) / 10000),
    "months_employed": st.integers(0, 120).map(Decimal),
    "unverified_amount": money(0, 60000),
    "identity_verified": st.integers(0, 1).map(Decimal),
}
REASONS = st.sampled_from(
    [
        "insufficient_income",
        "excessive_obligations",
        "length_of_employment",
        "insufficient_credit_score",
        "unable_to_verify_income",
        "unable_to_verify_identity",
        "limited_credit_experience",
        "delinquent_credit_obligations",
    ]
)


@st.composite
def rules(draw: st.DrawFn) -> dict[str, Any]:
    measure = draw(st.sampled_from(sorted(THRESHOLDS)))
    return rule(
        measure,
        draw(st.sampled_from([">=", "<="])),
        draw(THRESHOLDS[measure]),
        draw(REASONS),
        draw(st.sampled_from(["reject", "refer"])),
    )


@st.composite
def products(draw: st.DrawFn) -> dict[str, Any]:
    min_amount = draw(money(100, 5000))
    min_term = draw(st.integers(1, 60))
    return {
        "min_amount": min_amount,
        "max_amount": draw(money(5000, 100000)),
        "min_term_months": min_term,
        "max_term_months": draw(st.integers(min_term, 480)),
        "rates": {grade: str(draw(percent(36))) for grade in GRADES},
        "amortization": draw(st.sampled_from(["annuity", "equal_principal"])),
        "origination_fee_percent": draw(percent(8)),
        "origination_fee_cap": draw(st.none() | money(0, 1000)),
        "agent_approval_limit": draw(money(0, 100000)),
        "rules": draw(st.lists(rules(), max_size=6)),
    }


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A fact that is usually given: missing one in five times."""
    return st.one_of(strategy, strategy, strategy, strategy, st.none())


@st.composite
def applications(draw: st.DrawFn) -> dict[str, Any]:
    credit_score = draw(maybe(st.integers(300, 850)))
    return {
        "amount": draw(money(50, 120000)),
        "term_months": draw(maybe(st.integers(1, 480))),
        "annual_income": draw(maybe(money(0, 300000))),
        "monthly_debt_payments": draw(maybe(money(0, 8000))),
        "employment_status": draw(maybe(st.sampled_from(["employed", "self_employed", "retired", "student"]))),
        "months_employed": draw(maybe(st.integers(0, 600))),
        "housing_status": draw(maybe(st.sampled_from(["own", "mortgage", "rent"]))),
        "credit_score": credit_score,
        "credit_score_source": "Equifax" if credit_score is not None else None,
        "credit_score_date": date(2026, 10, 15) if credit_score is not None else None,
        "date_of_birth": draw(maybe(st.dates(date(1930, 1, 1), date(2000, 12, 31)))),
        "income_verified": draw(maybe(st.booleans())),
        "identity_verified": draw(maybe(st.booleans())),
    }


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A product and an application whose amount and term are mostly within the product's limits, and sometimes
    just outside or anywhere."""
    product, facts = draw(products()), draw(applications())
    low, high = product["min_amount"], product["max_amount"]
    facts["amount"] = draw(
        st.one_of(
            st.integers(int(low * 100), int(high * 100)).map(lambda cents: Decimal(cents) / 100),
            st.sampled_from([low, high, low - CENT, high + CENT]).filter(lambda amount: amount > 0),
            st.just(facts["amount"]),
        )
    )
    if facts["term_months"] is not None:
        facts["term_months"] = draw(
            st.one_of(
                st.integers(product["min_term_months"], product["max_term_months"]),
                st.integers(product["min_term_months"], product["max_term_months"]),
                st.just(facts["term_months"]),
            )
        )
    return product, facts


def new_product(client: psycopg.Connection, product: dict[str, Any]) -> str:
    code = next(product_codes)
    create_product(client, code, **product)
    return code


IDENTITY = ("assessment_id", "assessed_at", "request_id")


@SETTINGS
@given(case=cases())
def test_an_assessment_is_the_same_in_any_session_and_timezone(
    postgresql: psycopg.Connection, client: psycopg.Connection, case: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    product, facts = case
    application_id = file(client, new_product(client, product), **facts)["application_id"]
    assessments = []
    for zone in ("Pacific/Kiritimati", "America/Adak"):  # UTC+14 and UTC-10 (or -9): never the same day at midnight
        with psycopg.connect(role_url(postgresql, "lendgres_test_http"), autocommit=True) as session:
            session.execute(f"set timezone = '{zone}'")
            assessment = assess(session, application_id)
            assessments.append({k: v for k, v in assessment.items() if k not in IDENTITY})
    assert assessments[0] == assessments[1]


@SETTINGS
@given(case=cases())
def test_every_recommendation_gives_reasons_a_decision_accepts(
    client: psycopg.Connection, case: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    product, facts = case
    application_id = file(client, new_product(client, product), **facts)["application_id"]
    assessment = assess(client, application_id)
    codes = assessment["reason_codes"]
    known = {c["code"] for c in call(client, "lending.list_reason_codes")["items"]} - {"other"}
    assert len(codes) == len(set(codes)) <= 4 and set(codes) <= known
    failed = [r for r in assessment["rules"] if r["result"] == "fail"]
    assert (assessment["recommendation"] == "reject") == any(r["on_failure"] == "reject" for r in failed)
    if assessment["recommendation"] == "approve":
        assert codes == [] and assessment["missing_facts"] == [] and failed == []
        return
    assert 1 <= len(codes)
    if assessment["recommendation"] == "refer" and assessment["missing_facts"]:
        assert codes[0] == "credit_application_incomplete"
    if assessment["recommendation"] == "reject":
        decision = call(
            client,
            "lending.decide",
            application_id=application_id,
            outcome="rejected",
            reason="As assessed",
            reason_codes=codes,
            actor="underwriter-1",
            **MODEL,
        )["body"]
        assert (decision["status"], decision["overrides_recommendation"], decision["reason_codes"]) == (
            "rejected",
            False,
            codes,
        )


@SETTINGS
@given(case=cases())
def test_no_approval_skips_a_confirmation_it_needs(
    client: psycopg.Connection, case: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    product, facts = case
    application_id = file(client, new_product(client, product), **facts)["application_id"]
    recommendation = assess(client, application_id)["recommendation"]
    decision = call(
        client,
        "lending.decide",
        application_id=application_id,
        outcome="approved",
        reason="Approved",
        override_reason=None if recommendation == "approve" else "A person's judgement",
        actor="underwriter-1",
        **MODEL,
    )["body"]
    needs_confirmation = facts["amount"] > product["agent_approval_limit"] or recommendation == "reject"
    assert decision["requires_confirmation"] is needs_confirmation
    assert decision["status"] == ("pending_confirmation" if needs_confirmation else "approved")
    assert (decision["offer"] is None) is needs_confirmation


def schedule(principal: Decimal, annual_rate: Decimal, term: int, amortization: str) -> list[Decimal]:
    """The payments of each month: every amount rounded half up to the cent in its month, the last month clearing
    what is left. The level annuity payment is P i / (1 - (1 + i)^-n), computed in exact fractions."""

    def cents(value: Fraction) -> Fraction:
        """Half up to the cent (every amount here is >= 0): floor(100 v + 1/2) cents."""
        return Fraction(math.floor(value * 100 + Fraction(1, 2)), 100)

    i = Fraction(annual_rate) / 1200
    balance = Fraction(principal)
    if amortization == "equal_principal" or i == 0:
        level_principal = cents(balance / term)
        level_payment = None
    else:
        level_payment = cents(balance * i / (1 - (1 + i) ** -term))
    payments = []
    for month in range(1, term + 1):
        interest = cents(balance * i)
        if month == term:
            paid = balance
        elif level_payment is not None:
            paid = min(level_payment - interest, balance)
        else:
            paid = min(level_principal, balance)
        payments.append(Decimal(int((paid + interest) * 100)) / 100)
        balance -= paid
    return payments


def annual_percentage_rate(amount_financed: Decimal, payments: list[Decimal]) -> Decimal:
    """Appendix J's actuarial APR for monthly payments, regular first period: the monthly rate i at which the
    payments' present value equals the amount financed, found by bisection, times 12, in percent."""
    with localcontext() as context:
        context.prec = 50

        def present_value(i: Decimal) -> Decimal:
            value, discount = Decimal(0), Decimal(1)
            for payment in payments:
                discount /= 1 + i
                value += payment * discount
            return value

        low, high = Decimal(0), Decimal(1)
        while present_value(high) > amount_financed:
            high *= 2
        for _ in range(200):
            middle = (low + high) / 2
            if present_value(middle) > amount_financed:
                low = middle
            else:
                high = middle
            if high - low < Decimal("1e-14"):
                break
        return ((low + high) / 2 * 1200).quantize(CENT, rounding=ROUND_HALF_UP)


@SETTINGS
@given(case=cases())
def test_the_offer_agrees_with_an_independent_calculation(
    client: psycopg.Connection, case: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    product, facts = case
    application_id = file(client, new_product(client, product), **facts)["application_id"]
    offer = assess(client, application_id)["offer"]
    amount, term = facts["amount"], facts["term_months"]
    makes_an_offer = (
        facts["credit_score"] is not None
        and term is not None
        and product["min_term_months"] <= term <= product["max_term_months"]
        and product["min_amount"] <= amount <= product["max_amount"]
    )
    assert (offer is not None) is makes_an_offer
    if offer is None:
        return
    rate = Decimal(offer["annual_rate"])
    assert rate == Decimal(product["rates"][offer["risk_grade"]])
    payments = schedule(amount, rate, term, product["amortization"])
    fee = (amount * product["origination_fee_percent"] / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    if product["origination_fee_cap"] is not None:
        fee = min(fee, product["origination_fee_cap"])
    assert Decimal(offer["installment"]) == payments[0]
    assert Decimal(offer["total_repayable"]) == sum(payments)
    assert Decimal(offer["total_interest"]) == sum(payments) - amount
    assert Decimal(offer["origination_fee"]) == fee
    if fee < amount:
        expected = Decimal(0) if sum(payments) == amount - fee else annual_percentage_rate(amount - fee, payments)
        assert abs(Decimal(offer["apr"]) - expected) <= CENT, (offer["apr"], expected)
