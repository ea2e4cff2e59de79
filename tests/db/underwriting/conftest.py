"""Helpers of the underwriting tests: a product made to measure, an applicant whose facts pass it, and the calls
that move an application through assessment, decision and review."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.db.conftest import apply, call

GRADES = ("A", "B", "C", "D", "E")
RATES = {"A": "6.99", "B": "8.99", "C": "11.99", "D": "15.99", "E": "21.99"}

# An applicant every rule below passes: a score of 720 (grade B: +10 for verified income), two years employed.
# The credit score's date is fixed and in the past, so that it is never after the filing day.
GOOD_FACTS: dict[str, Any] = {
    "term_months": 36,
    "annual_income": Decimal("60000.00"),
    "monthly_debt_payments": Decimal("500.00"),
    "employment_status": "employed",
    "months_employed": 24,
    "housing_status": "rent",
    "credit_score": 720,
    "credit_score_source": "Experian",
    "credit_score_date": date(2026, 11, 1),
    "date_of_birth": date(1985, 4, 12),
    "income_verified": True,
    "identity_verified": True,
}

# A decision by an agent under a product that requires an assessment names its model and its confidence.
MODEL = {"model_name": "policy-bot", "model_version": "1.0", "confidence": Decimal("0.9")}


def rule(
    measure: str, comparison: str, threshold: object, reason_code: str, on_failure: str = "reject"
) -> dict[str, Any]:
    return {
        "measure": measure,
        "comparison": comparison,
        "threshold": str(threshold),
        "reason_code": reason_code,
        "on_failure": on_failure,
    }


def product_arguments(product_code: str = "personal", **overrides: Any) -> dict[str, Any]:
    """create_product's arguments for a product lending 1,000-50,000 USD over 6-60 months, with no policy rules
    unless told."""
    arguments: dict[str, Any] = {
        "product_code": product_code,
        "name": "Personal loan",
        "currency": "USD",
        "min_amount": Decimal("1000.00"),
        "max_amount": Decimal("50000.00"),
        "min_term_months": 6,
        "max_term_months": 60,
        "rates": dict(RATES),
        "agent_approval_limit": Decimal("20000.00"),
        "rules": [],
        **overrides,
    }
    for name in ("rates", "rules"):
        if not isinstance(arguments[name], Jsonb) and arguments[name] is not None:
            arguments[name] = Jsonb(arguments[name])
    return arguments


def create_product(client: psycopg.Connection, product_code: str = "personal", **overrides: Any) -> dict[str, Any]:
    result = call(client, "lending.create_product", **product_arguments(product_code, **overrides))
    assert result["status"] == 201, result
    body: dict[str, Any] = result["body"]
    return body


def update_product(
    client: psycopg.Connection, product_code: str, changes: dict[str, Any], **arguments: Any
) -> dict[str, Any]:
    result = call(client, "lending.update_product", product_code=product_code, changes=Jsonb(changes), **arguments)
    assert result["status"] == 200, result
    body: dict[str, Any] = result["body"]
    return body


def file(client: psycopg.Connection, product_code: str = "personal", **facts: Any) -> dict[str, Any]:
    """Files an application for 10,000 USD under the product with GOOD_FACTS, as changed by `facts` (a None drops
    a fact)."""
    arguments = {"amount": Decimal("10000.00"), **GOOD_FACTS, **facts}
    return apply(client, product_code=product_code, **{k: v for k, v in arguments.items() if v is not None})


def assess(client: psycopg.Connection, application_id: int, actor: str = "underwriter-1") -> dict[str, Any]:
    result = call(client, "lending.assess_application", application_id=application_id, actor=actor)
    assert result["status"] == 201, result
    body: dict[str, Any] = result["body"]
    return body


def update(
    client: psycopg.Connection, application_id: int, changes: dict[str, Any], **arguments: Any
) -> dict[str, Any]:
    arguments.setdefault("actor", "intake-agent")
    result = call(
        client, "lending.update_application", application_id=application_id, changes=Jsonb(changes), **arguments
    )
    assert result["status"] == 200, result
    body: dict[str, Any] = result["body"]
    return body


def decide(client: psycopg.Connection, application_id: int, outcome: str, **arguments: Any) -> dict[str, Any]:
    """Decides as underwriter-1 (an agent, so with its model) unless told otherwise; returns the decision body."""
    model = MODEL if arguments.get("actor", "underwriter-1") == "underwriter-1" else {}
    arguments = {"reason": f"{outcome} by the test", "actor": "underwriter-1", **model, **arguments}
    result = call(client, "lending.decide", application_id=application_id, outcome=outcome, **arguments)
    assert result["status"] == 201, result
    body: dict[str, Any] = result["body"]
    return body


def get(client: psycopg.Connection, application_id: int) -> dict[str, Any]:
    result: dict[str, Any] = call(client, "lending.get_application", application_id=application_id)
    return result


def events(client: psycopg.Connection, application_id: int) -> list[dict[str, Any]]:
    feed: list[dict[str, Any]] = call(client, "lending.events_after", application_id=application_id)["events"]
    return feed


def event_types(client: psycopg.Connection, application_id: int) -> list[str]:
    return [e["event_type"] for e in events(client, application_id)]


@pytest.fixture
def personal(client: psycopg.Connection) -> dict[str, Any]:
    """The product `personal`, with no policy rules: it requires an assessment and approves up to 20,000 alone."""
    return create_product(client)


@pytest.fixture
def reviewer_3(client: psycopg.Connection) -> str:
    """A second human reviewer, beside reviewer-2."""
    call(client, "lending.create_actor", name="reviewer-3", kind="human", role="reviewer")
    return "reviewer-3"
