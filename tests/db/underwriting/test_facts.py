"""The applicant's facts: given when filing or changed later by a JSON merge patch (lending.update_application),
checked field by field with every bad one named, only while the application is in underwriting, held to the same
rules for direct SQL, and announced by application.updated when (and only when) something changed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.db.conftest import apply, call, refusal
from tests.db.underwriting.conftest import (
    create_product,
    decide,
    event_types,
    file,
    get,
    rule,
    update,
)


def patch_errors(client: psycopg.Connection, application_id: int, changes: Any) -> dict[str, str]:
    sqlstate, _, detail = refusal(
        client,
        "lending.update_application",
        application_id=application_id,
        changes=Jsonb(changes),
        actor="intake-agent",
    )
    assert (sqlstate, detail["code"]) == ("LN422", "validation_failed"), detail
    return {e["field"]: e["message"] for e in detail["errors"]}


def filed_on(application: dict[str, Any]) -> date:
    """The UTC day the application was filed, which the age and the credit score's date are measured against."""
    created_at = datetime.fromisoformat(application["created_at"].replace("Z", "+00:00"))
    assert created_at.utcoffset() == timedelta(0)
    return created_at.date()


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February: the birthday of a year without one is 1 March
        return day.replace(year=day.year - years, month=3, day=1)


def test_facts_given_when_filing_are_shown_and_complete(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application = file(client)
    assert application["product_code"] == "personal"
    assert (application["annual_income"], application["monthly_debt_payments"]) == ("60000.00", "500.00")
    assert (application["credit_score"], application["credit_score_source"], application["credit_score_date"]) == (
        720,
        "Experian",
        "2026-11-01",
    )
    assert (application["date_of_birth"], application["employment_status"], application["months_employed"]) == (
        "1985-04-12",
        "employed",
        24,
    )
    assert (application["housing_status"], application["income_verified"], application["identity_verified"]) == (
        "rent",
        True,
        True,
    )
    assert application["missing_facts"] == []
    assert get(client, application["application_id"]) == application


def test_an_application_without_a_product_uses_the_default_one(client: psycopg.Connection) -> None:
    application = apply(client)
    assert application["product_code"] == "standard"
    assert application["missing_facts"] == ["credit_score", "date_of_birth", "term_months"]


def test_missing_facts_follow_the_products_rules(client: psycopg.Connection) -> None:
    create_product(
        client,
        rules=[
            rule("debt_to_income", "<=", "0.4", "excessive_obligations"),
            rule("months_employed", ">=", 12, "length_of_employment"),
            rule("unverified_amount", "<=", 5000, "unable_to_verify_income"),
        ],
    )
    application = apply(client, product_code="personal", amount=5000)
    assert application["missing_facts"] == [
        "annual_income",
        "credit_score",
        "date_of_birth",
        "income_verified",
        "monthly_debt_payments",
        "months_employed",
        "term_months",
    ]
    patched = update(client, application["application_id"], {"annual_income": "50000", "term_months": 24})
    assert "annual_income" not in patched["missing_facts"] and "term_months" not in patched["missing_facts"]
    assert "identity_verified" not in patched["missing_facts"]  # no rule of this product measures it


def test_filing_reports_every_bad_fact_at_once(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    sqlstate, _, detail = refusal(
        client,
        "lending.apply",
        applicant_name="Jane Doe",
        amount=Decimal("10000"),
        currency="EUR",
        product_code="personal",
        annual_income=Decimal("-1"),
        monthly_debt_payments=Decimal("1.001"),
        employment_status="astronaut",
        months_employed=1201,
        housing_status="boat",
        credit_score=851,
        date_of_birth=date(1899, 12, 31),
        actor="intake-agent",
    )
    assert (sqlstate, detail["code"]) == ("LN422", "validation_failed")
    assert [e["field"] for e in detail["errors"]] == [
        "currency",
        "annual_income",
        "monthly_debt_payments",
        "employment_status",
        "months_employed",
        "housing_status",
        "credit_score",
        "credit_score_source",
        "credit_score_date",
        "date_of_birth",
    ]
    assert call(client, "lending.list_applications")["items"] == []


def test_filing_under_an_unknown_product_is_refused(client: psycopg.Connection) -> None:
    _, _, detail = refusal(client, "lending.apply", applicant_name="Jane", amount=100, product_code="nope")
    assert detail["errors"] == [
        {"field": "product_code", "message": "must be the code of a product (lending.list_products)"}
    ]


def test_a_patch_changes_what_it_names_clears_nulls_and_keeps_the_rest(
    client: psycopg.Connection, personal: dict[str, Any]
) -> None:
    application = file(client)
    patched = update(
        client,
        application["application_id"],
        {"annual_income": "72000.50", "housing_status": None, "income_verified": False, "purpose": "Car"},
        expected_version=application["version"],
    )
    assert (patched["annual_income"], patched["housing_status"], patched["income_verified"], patched["purpose"]) == (
        "72000.50",
        None,
        False,
        "Car",
    )
    unchanged = (
        "amount",
        "term_months",
        "credit_score",
        "credit_score_source",
        "date_of_birth",
        "monthly_debt_payments",
    )
    assert {k: patched[k] for k in unchanged} == {k: application[k] for k in unchanged}
    assert patched["version"] == application["version"] + 1
    assert get(client, application["application_id"])["annual_income"] == "72000.50"


def test_a_credit_score_can_be_cleared_with_its_source_and_date(
    client: psycopg.Connection, personal: dict[str, Any]
) -> None:
    application = file(client)
    patched = update(
        client,
        application["application_id"],
        {"credit_score": None, "credit_score_source": None, "credit_score_date": None},
    )
    assert (patched["credit_score"], patched["credit_score_source"], patched["credit_score_date"]) == (None, None, None)
    assert patched["missing_facts"] == ["credit_score"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "lots"}, "amount", "must be ASCII digits"),
        ({"amount": "1e5"}, "amount", "must be ASCII digits"),
        ({"amount": None}, "amount", "cannot be cleared"),
        ({"product_code": None}, "product_code", "cannot be cleared"),
        ({"product_code": 7}, "product_code", "must be a string"),
        ({"term_months": "36"}, "term_months", "must be a whole number"),
        ({"term_months": 36.5}, "term_months", "must be a whole number"),
        ({"credit_score": 720.0}, "credit_score", "must be a whole number"),
        ({"months_employed": True}, "months_employed", "must be a whole number"),
        ({"income_verified": "yes"}, "income_verified", "must be true or false"),
        ({"identity_verified": 1}, "identity_verified", "must be true or false"),
        ({"date_of_birth": "12/04/1985"}, "date_of_birth", "must be a date written YYYY-MM-DD"),
        ({"date_of_birth": "1985-02-30"}, "date_of_birth", "must be a date written YYYY-MM-DD"),
        ({"credit_score_date": 20261101}, "credit_score_date", "must be a date written YYYY-MM-DD"),
        ({"employment_status": ["employed"]}, "employment_status", "must be a string"),
        ({"annual_income": {"amount": 1}}, "annual_income", "must be ASCII digits"),
        ({"salary": 1}, "salary", "cannot be changed"),
        ({"status": "approved"}, "status", "cannot be changed"),
        ({"currency": "EUR"}, "currency", "cannot be changed"),
        ({"version": 9}, "version", "cannot be changed"),
    ],
)
def test_a_patch_of_the_wrong_type_or_an_unknown_field_is_refused_by_name(
    client: psycopg.Connection, personal: dict[str, Any], changes: dict[str, Any], field: str, message: str
) -> None:
    application = file(client)
    errors = patch_errors(client, application["application_id"], changes)
    assert list(errors) == [field] and message in errors[field], errors
    assert get(client, application["application_id"])["version"] == application["version"]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"credit_score": 299}, {"credit_score": "must be between 300 and 850"}),
        ({"credit_score": 851}, {"credit_score": "must be between 300 and 850"}),
        ({"credit_score_source": None}, {"credit_score_source": "is required with a credit_score"}),
        ({"credit_score_date": None}, {"credit_score_date": "is required with a credit_score"}),
        ({"annual_income": -0.01}, {"annual_income": "must be at least 0"}),
        ({"monthly_debt_payments": "10.005"}, {"monthly_debt_payments": "must have at most 2 decimal places"}),
        ({"months_employed": -1}, {"months_employed": "must be between 0 and 1200"}),
        (
            {"employment_status": "astronaut"},
            {"employment_status": "must be one of employed, self_employed, unemployed, retired, student, other"},
        ),
        (
            {"housing_status": "boat"},
            {"housing_status": "must be one of own, mortgage, rent, living_with_family, other"},
        ),
        # The loan's own fields are domains of the application's row: a patch breaking one is a field error too,
        # not the domain's check violation.
        ({"amount": "0"}, {"amount": "must be greater than 0"}),
        ({"amount": "10000000.01"}, {"amount": "must be at most 10000000.00"}),
        ({"amount": "10.001"}, {"amount": "must have at most 2 decimal places"}),
        ({"term_months": 0}, {"term_months": "must be between 1 and 480"}),
        ({"term_months": 481}, {"term_months": "must be between 1 and 480"}),
        ({"purpose": "  "}, {"purpose": "must not be blank"}),
        ({"product_code": "nope"}, {"product_code": "must be the code of a product (lending.list_products)"}),
        ({"date_of_birth": "1899-12-31"}, {"date_of_birth": "must be after 1900-01-01"}),
    ],
)
def test_a_patched_value_breaking_a_rule_is_refused_by_name(
    client: psycopg.Connection, personal: dict[str, Any], changes: dict[str, Any], errors: dict[str, str]
) -> None:
    application = file(client)
    found = patch_errors(client, application["application_id"], changes)
    assert {field: found.get(field, "")[: len(message)] for field, message in errors.items()} == errors, found
    assert list(found) == list(errors)


def test_a_patch_that_is_not_an_object_is_refused(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application = file(client)
    assert patch_errors(client, application["application_id"], ["credit_score", 700]) == {
        "changes": "must be an object"
    }


def test_the_applicant_is_an_adult_on_the_filing_day(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application = file(client)
    eighteenth_birthday = years_before(filed_on(application), 18)
    errors = patch_errors(
        client, application["application_id"], {"date_of_birth": str(eighteenth_birthday + timedelta(days=1))}
    )
    assert list(errors) == ["date_of_birth"] and "18 or older" in errors["date_of_birth"]
    patched = update(client, application["application_id"], {"date_of_birth": str(eighteenth_birthday)})
    assert patched["date_of_birth"] == str(eighteenth_birthday)


def test_a_minor_cannot_file(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    today = filed_on(file(client))
    sqlstate, _, detail = refusal(
        client,
        "lending.apply",
        applicant_name="Kid",
        amount=5000,
        product_code="personal",
        date_of_birth=years_before(today, 18) + timedelta(days=1),
        actor="intake-agent",
    )
    assert sqlstate == "LN422" and [e["field"] for e in detail["errors"]] == ["date_of_birth"]


def test_the_credit_score_cannot_come_from_after_the_filing_day(
    client: psycopg.Connection, personal: dict[str, Any]
) -> None:
    application = file(client)
    day = filed_on(application)
    errors = patch_errors(client, application["application_id"], {"credit_score_date": str(day + timedelta(days=1))})
    assert errors == {"credit_score_date": "must not be after the day the application was filed"}
    assert update(client, application["application_id"], {"credit_score_date": str(day)})["credit_score_date"] == str(
        day
    )


def test_a_changed_product_must_lend_in_the_applications_currency(
    client: psycopg.Connection, personal: dict[str, Any]
) -> None:
    create_product(client, "euro_loan", currency="EUR")
    application = file(client)
    errors = patch_errors(client, application["application_id"], {"product_code": "euro_loan"})
    assert errors == {"currency": "must be EUR, the currency of product euro_loan"}


def test_facts_change_only_while_pending_or_in_review(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application_id = file(client)["application_id"]
    decide(client, application_id, "manual_review")
    assert update(client, application_id, {"months_employed": 30})["status"] == "manual_review"
    rejected = file(client)["application_id"]
    decide(client, rejected, "rejected", reason_codes=["insufficient_income"], override_reason="test")
    sqlstate, _, detail = refusal(
        client, "lending.update_application", application_id=rejected, changes=Jsonb({"months_employed": 30})
    )
    assert (sqlstate, detail["code"], detail["current_status"]) == ("LN409", "not_in_underwriting", "rejected")
    assert get(client, rejected)["months_employed"] == 24


def test_a_stale_expected_version_is_a_conflict(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application = file(client)
    update(client, application["application_id"], {"months_employed": 30})
    sqlstate, _, detail = refusal(
        client,
        "lending.update_application",
        application_id=application["application_id"],
        changes=Jsonb({"months_employed": 40}),
        expected_version=application["version"],
    )
    assert (sqlstate, detail["code"], detail["current_version"]) == (
        "LN409",
        "version_conflict",
        application["version"] + 1,
    )
    assert get(client, application["application_id"])["months_employed"] == 30


def test_an_unknown_application_is_not_found(client: psycopg.Connection) -> None:
    sqlstate, _, detail = refusal(client, "lending.update_application", application_id=999, changes=Jsonb({}))
    assert (sqlstate, detail["code"]) == ("LN404", "not_found")


@pytest.mark.parametrize("role", ["reader", "servicer"])
def test_only_roles_that_update_may(client: psycopg.Connection, personal: dict[str, Any], role: str) -> None:
    application_id = file(client)["application_id"]
    sqlstate, _, detail = refusal(
        client,
        "lending.update_application",
        application_id=application_id,
        changes=Jsonb({"months_employed": 1}),
        actor=f"test-{role}",
    )
    assert (sqlstate, detail["code"]) == ("LN403", "forbidden")


def test_a_change_is_an_event_and_no_change_is_none(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application = file(client)
    application_id = application["application_id"]
    same = update(client, application_id, {"months_employed": 24, "credit_score": 720, "housing_status": "rent"})
    assert same["version"] == application["version"] and same["updated_at"] == application["updated_at"]
    assert event_types(client, application_id) == ["application.filed"]
    update(client, application_id, {"months_employed": 25}, request_id="req-patch")
    feed = call(client, "lending.events_after", application_id=application_id)["events"]
    assert [(e["event_type"], e["actor"], e["request_id"]) for e in feed] == [
        ("application.filed", "intake-agent", None),
        ("application.updated", "intake-agent", "req-patch"),
    ]


def test_a_patch_replays_under_its_idempotency_key(client: psycopg.Connection, personal: dict[str, Any]) -> None:
    application_id = file(client)["application_id"]
    arguments = {"application_id": application_id, "changes": Jsonb({"months_employed": 30}), "idempotency_key": "u-1"}
    first = call(client, "lending.update_application", **arguments, actor="intake-agent")
    again = call(client, "lending.update_application", **arguments, actor="intake-agent")
    assert again["replayed"] is True and again["body"] == first["body"]
    assert event_types(client, application_id) == ["application.filed", "application.updated"]


@pytest.mark.parametrize(
    ("assignment", "field"),
    [
        ("credit_score = 900", "credit_score"),
        ("credit_score_source = null", "credit_score_source"),
        ("credit_score_date = created_at::date + 2", "credit_score_date"),
        ("date_of_birth = created_at::date - 365", "date_of_birth"),
        ("employment_status = 'astronaut'", "employment_status"),
        ("annual_income = -5", "annual_income"),
        ("product_code = 'nope'", "product_code"),
    ],
)
def test_direct_sql_is_held_to_the_same_rules(
    client: psycopg.Connection, superuser: psycopg.Connection, personal: dict[str, Any], assignment: str, field: str
) -> None:
    application = file(client)
    application_id = application["application_id"]
    with pytest.raises(psycopg.Error) as refused:
        superuser.execute(
            f"update lending_private.application set {assignment} where application_id = %s", [application_id]
        )
    assert refused.value.sqlstate == "LN422"
    assert f'"field": "{field}"' in (refused.value.diag.message_detail or "")
    assert get(client, application_id) == application | {
        "decision": None,
        "decisions": [],
        "assessment": None,
        "offer": None,
        "review_claim": None,
    }


def test_direct_sql_files_are_checked_too(client: psycopg.Connection, superuser: psycopg.Connection) -> None:
    applicant_id = apply(client)["applicant_id"]
    with pytest.raises(psycopg.Error) as refused:
        superuser.execute(
            "insert into lending_private.application (applicant_id, amount, credit_score) values (%s, 100, 700)",
            [applicant_id],
        )
    assert refused.value.sqlstate == "LN422" and "credit_score_source" in (refused.value.diag.message_detail or "")


def test_good_facts_pass_the_trigger(
    client: psycopg.Connection, superuser: psycopg.Connection, personal: dict[str, Any]
) -> None:
    application_id = file(client)["application_id"]
    superuser.execute(
        "update lending_private.application set credit_score = 700 where application_id = %s", [application_id]
    )
    assert get(client, application_id)["credit_score"] == 700
