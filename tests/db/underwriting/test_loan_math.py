"""The loan math of underwriting: repayment schedules (lending_private.repayment_schedule) and the APR
(lending_private.annual_percentage_rate), checked against Regulation Z's published examples, against textbook
values, and against an independent calculation written here in plain Python over many generated loans."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from itertools import pairwise

import psycopg
import pytest

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ZONES = ("UTC", "Pacific/Kiritimati")  # UTC+14: as far from UTC as a zone gets

Row = tuple[int, Decimal, Decimal, Decimal, Decimal]  # period, payment, interest, principal_paid, balance


def schedule(db: psycopg.Connection, principal: Decimal, rate: Decimal, term: int, amortization: str) -> list[Row]:
    return db.execute(
        "select period, payment, interest, principal_paid, balance"
        "  from lending_private.repayment_schedule(%s, %s, %s, %s)",
        [principal, rate, term, amortization],
    ).fetchall()


def apr(db: psycopg.Connection, amount_financed: Decimal, payments: list[Decimal]) -> Decimal:
    row = db.execute(
        "select lending_private.annual_percentage_rate(%s, %s::numeric[])", [amount_financed, payments]
    ).fetchone()
    assert row is not None
    result: Decimal = row[0]
    return result


# The independent calculation: exact fractions for the schedule, Decimal bisection on the present value for the APR
# (the SQL bisects on the final balance instead, and never divides).


def to_cent(amount: Fraction) -> Decimal:
    """Rounds a non-negative amount half away from zero to the cent."""
    return Decimal(math.floor(amount * 100 + Fraction(1, 2))) / 100


def reference_schedule(principal: Decimal, rate: Decimal, term: int, amortization: str) -> list[Row]:
    i = Fraction(rate) / 1200
    if amortization == "annuity" and i:
        level = to_cent(Fraction(principal) * i / (1 - (1 + i) ** -term))
    else:
        level = to_cent(Fraction(principal) / term)
    balance, rows = principal, []
    for period in range(1, term + 1):
        interest = to_cent(Fraction(balance) * i)
        if period == term:
            paid = balance
        elif amortization == "annuity":
            paid = min(level - interest, balance)
        else:
            paid = min(level, balance)
        balance -= paid
        rows.append((period, paid + interest, interest, paid, balance))
    return rows


def reference_apr(amount_financed: Decimal, payments: list[Decimal]) -> Decimal:
    """Appendix J's equation for a monthly unit period and a regular first period,
    amount_financed = sum payments[k] / (1 + i)^k, solved for i by bisection; the APR is 1200 * i percent."""
    if sum(payments) == amount_financed:
        return Decimal("0.00")
    with localcontext() as context:
        context.prec = 40

        def present_value(i: Decimal) -> Decimal:
            discount, factor, total = 1 / (1 + i), Decimal(1), Decimal(0)
            for payment in payments:
                factor *= discount
                total += payment * factor
            return total

        low, high = Decimal(0), Decimal(1)
        while present_value(high) > amount_financed:
            low, high = high, high * 2
        for _ in range(64):
            middle = (low + high) / 2
            low, high = (middle, high) if present_value(middle) > amount_financed else (low, middle)
        return (1200 * (low + high) / 2).quantize(CENT, ROUND_HALF_UP)


@dataclass
class Loan:
    principal: Decimal
    rate: Decimal
    term: int
    amortization: str
    fee: Decimal  # an origination fee taken from the principal: the amount financed is principal - fee


def generated_loans(count: int) -> list[Loan]:
    """Seeded, so that a failure can be replayed: amounts 100-1,000,000, rates 0-36%, terms 1-480 (both ends
    always included), both amortizations, fees 0-5% of the principal."""
    rng = random.Random(14)
    loans = []
    for n in range(count):
        principal = Decimal(rng.randint(10_000, 100_000_000)) / 100
        fee_percent = Decimal(rng.randint(0, 500)) / 100
        loans.append(
            Loan(
                principal=principal,
                rate=Decimal(rng.randint(0, 3600)) / 100 if n % 10 else Decimal(0),
                term=(1, 480)[n] if n < 2 else rng.randint(1, 480),
                amortization=("annuity", "equal_principal")[n % 2],
                fee=(principal * fee_percent / 100).quantize(CENT, ROUND_HALF_UP),
            )
        )
    return loans


LOANS = generated_loans(120)


# Schedules


def test_schedules_equal_an_exact_calculation_and_balance_to_the_cent(superuser: psycopg.Connection) -> None:
    for loan in LOANS:
        rows = schedule(superuser, loan.principal, loan.rate, loan.term, loan.amortization)
        assert rows == reference_schedule(loan.principal, loan.rate, loan.term, loan.amortization), loan
        assert [row[0] for row in rows] == list(range(1, loan.term + 1))
        assert rows[-1][4] == 0 and sum(row[3] for row in rows) == loan.principal, loan
        balance = loan.principal
        for _, payment, interest, paid, after in rows:
            assert payment == interest + paid and after == balance - paid and paid >= 0 and interest >= 0, loan
            # Money, not a number: every amount comes back with exactly two decimals.
            assert {value.as_tuple().exponent for value in (payment, interest, paid, after)} == {-2}, loan
            balance = after


@pytest.mark.parametrize(
    ("principal", "rate", "term", "payment"),
    [
        (Decimal("5000"), Decimal("12"), 36, Decimal("166.07")),  # 5000 * 0.01 / (1 - 1.01^-36) = 166.0715...
        (Decimal("100000"), Decimal("6"), 360, Decimal("599.55")),  # the 30-year mortgage of the textbooks
        (Decimal("200000"), Decimal("6.5"), 360, Decimal("1264.14")),
        # Exactly 206.045 (403 * 0.015 * 1.015^2 / (1.015^2 - 1)): the formula written with numeric's ^ and / gives
        # 206.04 on PostgreSQL 15 and 18, its quotient a hair under the half cent.
        (Decimal("403"), Decimal("18"), 2, Decimal("206.05")),
    ],
)
def test_the_annuity_payment_is_the_textbook_formula_rounded_half_away_from_zero(
    superuser: psycopg.Connection, principal: Decimal, rate: Decimal, term: int, payment: Decimal
) -> None:
    rows = schedule(superuser, principal, rate, term, "annuity")
    assert {row[1] for row in rows[:-1]} == {payment} or term == 1
    assert rows[0][1] == payment and rows[-1][4] == 0


def test_the_annuity_payment_matches_the_formula_over_generated_loans(superuser: psycopg.Connection) -> None:
    with localcontext() as context:
        context.prec = 50
        for loan in LOANS:
            if loan.amortization != "annuity" or loan.rate == 0 or loan.term == 1:
                continue
            i = loan.rate / 1200
            formula = (loan.principal * i / (1 - (1 + i) ** -loan.term)).quantize(CENT, ROUND_HALF_UP)
            rows = schedule(superuser, loan.principal, loan.rate, loan.term, "annuity")
            assert rows[0][1] == formula, loan
            # Every period but the last pays the formula's payment, until the balance runs out (see below).
            for _, payment, _, _, balance in rows[:-1]:
                assert payment == formula or (payment < formula and balance == 0), loan


def test_first_interest_is_the_monthly_rate_on_the_principal(superuser: psycopg.Connection) -> None:
    rows = schedule(superuser, Decimal("12000"), Decimal("7.99"), 12, "annuity")
    assert rows[0][2] == Decimal("79.90")  # 12000 * 7.99 / 1200 = 79.90
    rows = schedule(superuser, Decimal("1000"), Decimal("7.99"), 12, "equal_principal")
    assert rows[0][2] == Decimal("6.66")  # 6.658333... rounds up


def test_equal_principal_pays_level_principal_and_falling_payments(superuser: psycopg.Connection) -> None:
    rows = schedule(superuser, Decimal("12000"), Decimal("6"), 12, "equal_principal")
    assert [row[3] for row in rows] == [Decimal("1000.00")] * 12
    assert [row[2] for row in rows] == [Decimal(60 - 5 * k).quantize(CENT) for k in range(12)]
    assert all(earlier[1] > later[1] for earlier, later in pairwise(rows))
    for loan in LOANS:
        if loan.amortization == "equal_principal" and loan.term > 2:
            payments = [row[1] for row in schedule(superuser, loan.principal, loan.rate, loan.term, "equal_principal")]
            # The last period may differ by the cents that rounding principal / n left over.
            assert all(a >= b for a, b in pairwise(payments[:-1])), loan


def test_at_a_zero_rate_both_amortizations_repay_the_principal_alone(superuser: psycopg.Connection) -> None:
    for amortization in ("annuity", "equal_principal"):
        rows = schedule(superuser, Decimal("1000"), Decimal("0"), 3, amortization)
        assert rows == [
            (1, Decimal("333.33"), ZERO, Decimal("333.33"), Decimal("666.67")),
            (2, Decimal("333.33"), ZERO, Decimal("333.33"), Decimal("333.34")),
            (3, Decimal("333.34"), ZERO, Decimal("333.34"), ZERO),
        ]


def test_a_term_of_one_month_pays_everything_at_once(superuser: psycopg.Connection) -> None:
    for amortization in ("annuity", "equal_principal"):
        assert schedule(superuser, Decimal("1000"), Decimal("9.99"), 1, amortization) == [
            (1, Decimal("1008.33"), Decimal("8.33"), Decimal("1000.00"), Decimal("0.00"))
        ]


def test_a_term_of_480_months_at_extreme_amounts(superuser: psycopg.Connection) -> None:
    for principal, rate in [(Decimal("10000000"), Decimal("36")), (Decimal("250000"), Decimal("0.01"))]:
        for amortization in ("annuity", "equal_principal"):
            rows = schedule(superuser, principal, rate, 480, amortization)
            assert rows == reference_schedule(principal, rate, 480, amortization)
            assert len(rows) == 480 and rows[-1][4] == 0


def test_a_loan_of_a_few_cents_never_overpays(superuser: psycopg.Connection) -> None:
    """Rounding principal / n up to a cent (4.00 over 480 months: 0.01 a month) would pay it off after 400 months
    and then drive the balance below zero; the payments stop at the balance instead."""
    for principal, rate in [
        (Decimal("4.00"), Decimal("0")),
        (Decimal("0.01"), Decimal("36")),
        (Decimal("4"), Decimal("5")),
    ]:
        for amortization in ("annuity", "equal_principal"):
            rows = schedule(superuser, principal, rate, 480, amortization)
            assert rows == reference_schedule(principal, rate, 480, amortization)
            assert all(row[4] >= 0 and row[3] >= 0 for row in rows) and rows[-1][4] == 0
            assert sum(row[3] for row in rows) == principal


def test_a_rounded_level_payment_drifts_at_high_rates_over_long_terms(superuser: psycopg.Connection) -> None:
    """The cent that rounding the level payment gains or loses each month compounds at the loan's rate: at 36% over
    480 months (3% a month, compounding 1.45 million-fold) it decides the end of the loan. The last period settles
    whatever is left, and a loan overpaid by the drift ends early, its remaining periods paying nothing."""
    # 100.00 at 36%: the exact payment is 3.0000002, so 3.00 pays the interest alone and the last period the rest.
    rows = schedule(superuser, Decimal("100"), Decimal("36"), 480, "annuity")
    assert {row[1] for row in rows[:-1]} == {Decimal("3.00")} and rows[-1][1:4] == (
        Decimal("103.00"),
        Decimal("3.00"),
        Decimal("100.00"),
    )
    # 250,000 at 36%: 7,500.01 repays 0.01 more than the interest, which compounds to the whole principal in 460
    # months: period 460 pays what is left, and periods 461-480 pay nothing.
    rows = schedule(superuser, Decimal("250000"), Decimal("36"), 480, "annuity")
    assert {row[1] for row in rows[:459]} == {Decimal("7500.01")} and rows[459][1] == Decimal("6965.35")
    assert rows[459][4] == 0 and {row[1:] for row in rows[460:]} == {(ZERO, ZERO, ZERO, ZERO)}
    assert sum(row[3] for row in rows) == 250000


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((Decimal("0"), Decimal("5"), 12, "annuity"), "principal must be a positive amount in cents"),
        ((Decimal("-100"), Decimal("5"), 12, "annuity"), "principal must be a positive amount in cents"),
        ((Decimal("100.001"), Decimal("5"), 12, "annuity"), "principal must be a positive amount in cents"),
        ((Decimal("100"), Decimal("-0.01"), 12, "annuity"), "annual_rate must be a percent >= 0"),
        ((Decimal("100"), Decimal("5.00000000001"), 12, "annuity"), "at most 10 decimals"),
        ((Decimal("100"), Decimal("5"), 0, "annuity"), "term_months must be between 1 and 480"),
        ((Decimal("100"), Decimal("5"), 481, "annuity"), "term_months must be between 1 and 480"),
        ((Decimal("100"), Decimal("5"), 12, "balloon"), "amortization must be annuity or equal_principal"),
    ],
)
def test_schedule_refuses_arguments_no_caller_should_pass(
    superuser: psycopg.Connection, arguments: tuple[Decimal, Decimal, int, str], message: str
) -> None:
    with pytest.raises(psycopg.errors.RaiseException, match=message):
        schedule(superuser, *arguments)


def test_trailing_zeros_of_the_rate_change_nothing(superuser: psycopg.Connection) -> None:
    assert schedule(superuser, Decimal("5000"), Decimal("12.000000000000"), 36, "annuity") == schedule(
        superuser, Decimal("5000"), Decimal("12"), 36, "annuity"
    )


# The APR


@pytest.mark.parametrize(
    ("amount_financed", "payments", "expected"),
    [
        # 12 CFR 1026 Appendix J, (c) Examples for the actuarial method, the monthly examples with a regular first
        # period (advance January 10, 1978, first payment February 10, 1978), as published at
        # https://www.consumerfinance.gov/rules-policy/regulations/1026/j/ and transcribed in the tests of
        # simontreanor/FSharp.Finance.Personal (tests/AprUsActuarialTests.fs):
        # (c)(1)(i) Monthly payments (regular first period): $5,000 advanced, 24 payments of $230 -> 9.69%.
        (Decimal("5000"), [Decimal("230")] * 24, Decimal("9.69")),
        # (c)(2)(i) ... and irregular first payment: a first payment of $250, then 23 of $230 -> 10.08%.
        (Decimal("5000"), [Decimal("250")] + [Decimal("230")] * 23, Decimal("10.08")),
        # (c)(3)(i) ... and irregular final payment: 23 payments of $230, then one of $280 -> 10.50%.
        (Decimal("5000"), [Decimal("230")] * 23 + [Decimal("280")], Decimal("10.50")),
        # (c)(4)(i) ... irregular first and final payments: $250, 22 of $230, $280 -> 10.90%.
        (Decimal("5000"), [Decimal("250")] + [Decimal("230")] * 22 + [Decimal("280")], Decimal("10.90")),
        # The textbook loan: $5,000 at 12% over 36 months is repaid by 36 payments of $166.07 -> 12.00%.
        (Decimal("5000"), [Decimal("166.07")] * 36, Decimal("12.00")),
    ],
)
def test_apr_of_regulation_z_appendix_j_examples(
    superuser: psycopg.Connection, amount_financed: Decimal, payments: list[Decimal], expected: Decimal
) -> None:
    assert apr(superuser, amount_financed, payments) == expected
    assert reference_apr(amount_financed, payments) == expected


def test_apr_agrees_with_an_independent_solver_over_generated_loans(superuser: psycopg.Connection) -> None:
    for loan in LOANS:
        payments = [row[1] for row in schedule(superuser, loan.principal, loan.rate, loan.term, loan.amortization)]
        financed = loan.principal - loan.fee
        result = apr(superuser, financed, payments)
        assert abs(result - reference_apr(financed, payments)) <= CENT, (loan, result)
        assert result.as_tuple().exponent == -2
        if loan.fee == 0 and loan.rate == 0:
            assert result == 0, loan
        elif loan.fee > 0:
            # The fee is a finance charge: it raises the APR above that of the same payments without it.
            assert result >= apr(superuser, loan.principal, payments), (loan, result)


def test_apr_of_a_loan_without_finance_charge_is_zero(superuser: psycopg.Connection) -> None:
    assert apr(superuser, Decimal("1000"), [Decimal("333.33"), Decimal("333.33"), Decimal("333.34")]) == 0
    assert apr(superuser, Decimal("1000"), [Decimal("1000")]) == 0


def test_apr_of_very_expensive_credit(superuser: psycopg.Connection) -> None:
    """The solver widens its bracket past 100% a month: 100 repaid by 200 a month later is 100% a month, 1200% a
    year; 0.01 repaid by 10,000 is 99,999,900% a month."""
    assert apr(superuser, Decimal("100"), [Decimal("200")]) == Decimal("1200.00")
    assert apr(superuser, Decimal("0.01"), [Decimal("10000")]) == Decimal("1199998800.00")
    assert apr(superuser, Decimal("100"), [Decimal("0")] * 11 + [Decimal("200")]) == reference_apr(
        Decimal("100"), [Decimal("0")] * 11 + [Decimal("200")]
    )


@pytest.mark.parametrize(
    ("amount_financed", "payments", "message"),
    [
        (Decimal("0"), [Decimal("100")], "amount_financed must be positive"),
        (Decimal("-1"), [Decimal("100")], "amount_financed must be positive"),
        (Decimal("100"), [], "payments must be a non-empty list"),
        (Decimal("100"), [Decimal("50"), Decimal("49.99")], "sum to less than the amount financed"),
        (Decimal("100"), [Decimal("150"), Decimal("-10")], "every payment must be 0 or more"),
        (Decimal("100"), [Decimal("150"), None], "every payment must be 0 or more"),
    ],
)
def test_apr_refuses_arguments_no_caller_should_pass(
    superuser: psycopg.Connection, amount_financed: Decimal, payments: list[Decimal | None], message: str
) -> None:
    with pytest.raises(psycopg.errors.RaiseException, match=message):
        superuser.execute(
            "select lending_private.annual_percentage_rate(%s, %s::numeric[])", [amount_financed, payments]
        )


def test_a_null_argument_gives_null(superuser: psycopg.Connection) -> None:
    assert superuser.execute("select lending_private.annual_percentage_rate(null, '{1}')").fetchone() == (None,)
    assert superuser.execute(
        "select count(*) from lending_private.repayment_schedule(100, null, 12, 'annuity')"
    ).fetchone() == (0,)


# Determinism


def test_the_same_call_gives_the_same_result_in_every_session_setting(superuser: psycopg.Connection) -> None:
    results = []
    for zone in ZONES:
        superuser.execute(f"set timezone = '{zone}'")
        for _ in range(2):
            rows = schedule(superuser, Decimal("250000"), Decimal("7.99"), 480, "annuity")
            results.append((rows, apr(superuser, Decimal("245000"), [row[1] for row in rows])))
    assert all(result == results[0] for result in results)
    assert results[0][1] == reference_apr(Decimal("245000"), [row[1] for row in results[0][0]])
