"""Loan products: created and changed by admin only, as versions that never change, read by every role, every bad
term refused with its field named, and every change on the product's own audit chain."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.conftest import ACTOR_ROLES
from tests.db.conftest import call, refusal
from tests.db.underwriting.conftest import RATES, create_product, product_arguments, rule, update_product

RULES = [
    rule("credit_score", ">=", 640, "insufficient_credit_score"),
    rule("debt_to_income", "<=", "0.43", "excessive_obligations", "refer"),
]


def test_a_new_product_is_version_1_with_its_rates_and_rules_in_order(client: psycopg.Connection) -> None:
    result = call(
        client, "lending.create_product", **product_arguments(rules=RULES, origination_fee_percent=Decimal("1.5"))
    )
    assert result["status"] == 201 and result["replayed"] is False
    product = result["body"]
    assert (product["product_code"], product["version"], product["current_version"]) == ("personal", 1, 1)
    assert product["rates"] == RATES
    assert (product["min_amount"], product["max_amount"], product["origination_fee_percent"]) == (
        "1000.00",
        "50000.00",
        "1.5",
    )
    assert (product["amortization"], product["repayment_frequency"], product["requires_assessment"]) == (
        "annuity",
        "monthly",
        True,
    )
    assert (product["grace_days"], product["write_off_days"], product["offer_valid_days"]) == (5, 180, 30)
    assert product["created_by"] == "test-admin"
    assert [
        (r["position"], r["measure"], r["comparison"], r["threshold"], r["reason_code"], r["on_failure"])
        for r in product["rules"]
    ] == [
        (1, "credit_score", ">=", "640", "insufficient_credit_score", "reject"),
        (2, "debt_to_income", "<=", "0.43", "excessive_obligations", "refer"),
    ]
    assert call(client, "lending.get_product", product_code="personal") == product


def test_the_default_product_lends_anything_without_an_assessment(client: psycopg.Connection) -> None:
    standard = call(client, "lending.get_product", product_code="standard")
    assert (standard["currency"], standard["min_amount"], standard["max_amount"]) == (None, "0.01", "10000000")
    assert (standard["min_term_months"], standard["max_term_months"], standard["requires_assessment"]) == (
        1,
        480,
        False,
    )
    assert standard["rates"] == dict.fromkeys("ABCDE", "9.99")
    assert (standard["rules"], standard["offer_valid_days"], standard["agent_approval_limit"]) == ([], 30, "10000000")


def field_errors(client: psycopg.Connection, function: str, **arguments: Any) -> dict[str, str]:
    sqlstate, _, detail = refusal(client, function, **arguments)
    assert (sqlstate, detail["code"]) == ("LN422", "validation_failed"), detail
    return {e["field"]: e["message"] for e in detail["errors"]}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"product_code": "Personal"}, "product_code", "must be 2-50 lower-case letters"),
        ({"product_code": "p"}, "product_code", "must be 2-50 lower-case letters"),
        ({"product_code": "1loan"}, "product_code", "must be 2-50 lower-case letters"),
        ({"product_code": "a" * 51}, "product_code", "must be 2-50 lower-case letters"),
        ({"product_code": None}, "product_code", "is required"),
        ({"name": "  "}, "name", ""),
        ({"currency": "usd"}, "currency", ""),
        ({"min_amount": Decimal("0")}, "min_amount", "must be at least 0.01"),
        ({"min_amount": Decimal("60000")}, "max_amount", "must be at least min_amount"),
        ({"max_amount": Decimal("10000000.01")}, "max_amount", "must be at most 10000000"),
        ({"max_amount": Decimal("2000.001")}, "max_amount", "must have at most 2 decimal places"),
        ({"min_term_months": 0}, "min_term_months", ""),
        ({"max_term_months": 481}, "max_term_months", ""),
        ({"min_term_months": 61}, "max_term_months", "must be at least min_term_months"),
        ({"amortization": "balloon"}, "amortization", "must be annuity or equal_principal"),
        ({"origination_fee_percent": Decimal("50.01")}, "origination_fee_percent", "must be between 0 and 50"),
        ({"origination_fee_percent": Decimal("1.00001")}, "origination_fee_percent", "at most 4 decimal places"),
        ({"origination_fee_cap": Decimal("-1")}, "origination_fee_cap", "must be at least 0"),
        ({"grace_days": 91}, "grace_days", "must be between 0 and 90"),
        ({"write_off_days": 29}, "write_off_days", "must be between 30 and 3650"),
        ({"offer_valid_days": 0}, "offer_valid_days", "must be between 1 and 365"),
        ({"agent_approval_limit": Decimal("-0.01")}, "agent_approval_limit", "must be at least 0"),
        ({"rates": {k: v for k, v in RATES.items() if k != "E"}}, "rates", "must give a rate for each risk grade"),
        ({"rates": {**RATES, "F": "30"}}, "rates", "must give a rate for each risk grade"),
        ({"rates": {**RATES, "A": "101"}}, "rates", "must be between 0 and 100"),
        ({"rates": {**RATES, "A": "abc"}}, "rates", "each rate must be a percent written as a number"),
        ({"rates": {**RATES, "A": None}}, "rates", "each rate must be a percent written as a number"),
        ({"rates": ["6.99"]}, "rates", "must be an object"),
        ({"rules": {"measure": "credit_score"}}, "rules", "must be an array"),
        ({"rules": [rule("shoe_size", ">=", 40, "other_reason")]}, "rules[0].measure", "must be one of credit_score"),
        (
            {"rules": [rule("credit_score", ">=", 600, "other")]},
            "rules[0].reason_code",
            "must be a specific reason, not other",
        ),
        (
            {"rules": [rule("credit_score", ">=", 600, "bad_vibes")]},
            "rules[0].reason_code",
            "must be one of the reason codes",
        ),
        (
            {"rules": [rule("credit_score", ">", 600, "insufficient_credit_score")]},
            "rules[0].comparison",
            "must be >= or <=",
        ),
        (
            {"rules": [rule("credit_score", ">=", 600, "insufficient_credit_score", "ignore")]},
            "rules[0].on_failure",
            "must be reject or refer",
        ),
        (
            {"rules": [{**rule("credit_score", ">=", 600, "insufficient_credit_score"), "threshold": None}]},
            "rules[0].threshold",
            "is required",
        ),
        (
            {"rules": [rule("credit_score", ">=", "six hundred", "insufficient_credit_score")]},
            "rules[0].threshold",
            "must be ASCII digits",
        ),
        (
            {"rules": [{**rule("credit_score", ">=", 600, "insufficient_credit_score"), "weight": 2}]},
            "rules[0]",
            "must be an object of measure",
        ),
        ({"rules": [rule("credit_score", ">=", 600, "insufficient_credit_score")] * 51}, "rules", "at most 50 rules"),
    ],
)
def test_create_refuses_each_bad_term_by_name(
    client: psycopg.Connection, overrides: dict[str, Any], field: str, message: str
) -> None:
    errors = field_errors(client, "lending.create_product", **product_arguments(**overrides))
    assert field in errors and message in errors[field], errors
    assert [p["product_code"] for p in call(client, "lending.list_products")["items"]] == ["standard"]  # none written


def test_too_many_rules_are_refused_before_any_is_read(client: psycopg.Connection) -> None:
    """A body of thousands of bad rules is one error, not one per rule checked one by one."""
    bad = rule("no_such_measure", "~", "x", "no_such_reason", "ignore")
    errors = field_errors(client, "lending.create_product", **product_arguments(rules=[bad] * 5000))
    assert errors == {"rules": "must hold at most 50 rules"}


def test_a_rule_names_its_position_when_it_is_not_the_first(client: psycopg.Connection) -> None:
    rules = [
        rule("credit_score", ">=", 600, "insufficient_credit_score"),
        rule("loan_to_income", "<=", "x", "insufficient_income"),
    ]
    errors = field_errors(client, "lending.create_product", **product_arguments(rules=rules))
    assert list(errors) == ["rules[1].threshold"]


def test_every_bad_term_is_reported_at_once(client: psycopg.Connection) -> None:
    errors = field_errors(
        client,
        "lending.create_product",
        **product_arguments(min_amount=Decimal("0"), max_term_months=481, amortization="x"),
    )
    assert {"min_amount", "max_term_months", "amortization"} <= set(errors)


def test_a_taken_code_is_product_exists(client: psycopg.Connection) -> None:
    create_product(client)
    sqlstate, _, detail = refusal(client, "lending.create_product", **product_arguments(name="Another"))
    assert (sqlstate, detail["code"], detail["product_code"]) == ("LN409", "product_exists", "personal")
    sqlstate, _, detail = refusal(client, "lending.create_product", **product_arguments("standard"))
    assert detail["code"] == "product_exists"
    assert call(client, "lending.get_product", product_code="personal")["name"] == "Personal loan"


def test_an_update_is_a_new_version_and_the_old_one_stays(client: psycopg.Connection) -> None:
    first = create_product(client, rules=RULES)
    second = update_product(
        client,
        "personal",
        {"max_amount": "40000.00", "rates": {**RATES, "A": "5.49"}, "rules": RULES[:1]},
        expected_version=1,
    )
    assert (second["version"], second["current_version"], second["max_amount"]) == (2, 2, "40000.00")
    assert second["rates"]["A"] == "5.49" and [r["measure"] for r in second["rules"]] == ["credit_score"]
    # Absent fields stay; rules and rates replace the whole set.
    assert {k: second[k] for k in ("name", "min_amount", "agent_approval_limit", "currency")} == {
        k: first[k] for k in ("name", "min_amount", "agent_approval_limit", "currency")
    }
    old = call(client, "lending.get_product", product_code="personal", version=1)
    assert old == {**first, "current_version": 2}
    assert call(client, "lending.get_product", product_code="personal") == second
    assert call(client, "lending.list_products")["items"][0] == second


def test_an_update_without_rules_keeps_them_and_null_clears_an_optional_term(client: psycopg.Connection) -> None:
    create_product(client, rules=RULES, origination_fee_cap=Decimal("250.00"))
    second = update_product(client, "personal", {"origination_fee_cap": None, "name": "Personal loan 2"})
    assert second["rules"] == call(client, "lending.get_product", product_code="personal", version=1)["rules"]
    assert (second["origination_fee_cap"], second["name"]) == (None, "Personal loan 2")


def test_an_update_cannot_change_the_currency_its_applications_are_in(client: psycopg.Connection) -> None:
    """An application filed under a product is in its currency; a version in another would offer in one and be
    assessed in the other. The same currency again is no change, and is taken."""
    create_product(client)
    for currency in ("EUR", None):
        errors = field_errors(
            client, "lending.update_product", product_code="personal", changes=Jsonb({"currency": currency})
        )
        assert list(errors) == ["currency"] and errors["currency"].startswith("cannot be changed"), errors
    assert update_product(client, "personal", {"currency": "USD", "name": "Same currency"})["currency"] == "USD"


def test_an_update_cannot_clear_a_required_term(client: psycopg.Connection) -> None:
    create_product(client)
    errors = field_errors(
        client, "lending.update_product", product_code="personal", changes=Jsonb({"max_amount": None})
    )
    assert errors == {"max_amount": "is required"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"min_amount": "a lot"}, "min_amount", "must be ASCII digits"),
        ({"min_amount": True}, "min_amount", "must be ASCII digits"),
        ({"max_term_months": "60"}, "max_term_months", "must be a whole number"),
        ({"max_term_months": 60.5}, "max_term_months", "must be a whole number"),
        ({"requires_assessment": "yes"}, "requires_assessment", "must be true or false"),
        ({"name": 7}, "name", "must be a string"),
        ({"rates": "6.99"}, "rates", "must be an object"),
        ({"rules": {}}, "rules", "must be an array"),
        ({"product_code": "other"}, "product_code", "cannot be changed"),
        ({"version": 5}, "version", "cannot be changed"),
        ({"colour": "red"}, "colour", "cannot be changed"),
        ({"max_amount": "500.00"}, "max_amount", "must be at least min_amount"),
    ],
)
def test_update_refuses_bad_types_and_unknown_fields_by_name(
    client: psycopg.Connection, changes: dict[str, Any], field: str, message: str
) -> None:
    create_product(client)
    errors = field_errors(client, "lending.update_product", product_code="personal", changes=Jsonb(changes))
    assert field in errors and message in errors[field], errors
    assert call(client, "lending.get_product", product_code="personal")["version"] == 1


def test_update_refuses_changes_that_are_not_an_object(client: psycopg.Connection) -> None:
    create_product(client)
    sqlstate, _, detail = refusal(client, "lending.update_product", product_code="personal", changes=Jsonb(["x"]))
    assert sqlstate == "LN422" and detail["errors"] == [{"field": "changes", "message": "must be an object"}]


def test_a_stale_expected_version_is_a_conflict(client: psycopg.Connection) -> None:
    create_product(client)
    update_product(client, "personal", {"name": "Second"})
    sqlstate, _, detail = refusal(
        client, "lending.update_product", product_code="personal", changes=Jsonb({"name": "Third"}), expected_version=1
    )
    assert (sqlstate, detail["code"], detail["current_version"]) == ("LN409", "version_conflict", 2)
    assert call(client, "lending.get_product", product_code="personal")["name"] == "Second"


def test_an_unknown_product_or_version_is_not_found(client: psycopg.Connection) -> None:
    create_product(client)
    for arguments in ({"product_code": "nope"}, {"product_code": "personal", "version": 2}):
        sqlstate, _, detail = refusal(client, "lending.get_product", **arguments)
        assert (sqlstate, detail["code"], detail["resource"]) == ("LN404", "not_found", "product")
    sqlstate, _, detail = refusal(client, "lending.update_product", product_code="nope", changes=Jsonb({}))
    assert (sqlstate, detail["code"]) == ("LN404", "not_found")


def test_create_and_update_replay_under_their_idempotency_key(client: psycopg.Connection) -> None:
    first = call(client, "lending.create_product", **product_arguments(), idempotency_key="p-1")
    again = call(client, "lending.create_product", **product_arguments(), idempotency_key="p-1")
    assert again["replayed"] is True and again["body"] == first["body"]
    changed = call(
        client, "lending.update_product", product_code="personal", changes=Jsonb({"name": "B"}), idempotency_key="p-2"
    )
    replayed = call(
        client, "lending.update_product", product_code="personal", changes=Jsonb({"name": "B"}), idempotency_key="p-2"
    )
    assert replayed["replayed"] is True and replayed["body"] == changed["body"]
    assert call(client, "lending.get_product", product_code="personal")["version"] == 2


@pytest.mark.parametrize("role", [r for r in ACTOR_ROLES if r != "admin"])
def test_only_admin_manages_products(client: psycopg.Connection, role: str) -> None:
    sqlstate, _, detail = refusal(client, "lending.create_product", **product_arguments(), actor=f"test-{role}")
    assert (sqlstate, detail["code"]) == ("LN403", "forbidden")
    create_product(client)
    sqlstate, _, detail = refusal(
        client, "lending.update_product", product_code="personal", changes=Jsonb({"name": "x"}), actor=f"test-{role}"
    )
    assert (sqlstate, detail["code"]) == ("LN403", "forbidden")
    assert call(client, "lending.get_product", product_code="personal")["version"] == 1


@pytest.mark.parametrize("role", ACTOR_ROLES)
def test_every_role_reads_products_and_reason_codes(client: psycopg.Connection, role: str) -> None:
    create_product(client)
    actor = f"test-{role}"
    assert [p["product_code"] for p in call(client, "lending.list_products", actor=actor)["items"]] == [
        "personal",
        "standard",
    ]
    assert call(client, "lending.get_product", product_code="personal", version=1, actor=actor)["version"] == 1
    codes = call(client, "lending.list_reason_codes", actor=actor)["items"]
    assert codes[0] == {
        "code": "credit_application_incomplete",
        "text": "Credit application incomplete",
        "requires_text": False,
    }
    assert codes[-1] == {"code": "other", "text": "Other", "requires_text": True}
    assert {"insufficient_income", "excessive_obligations", "unable_to_verify_identity"} <= {c["code"] for c in codes}


def test_direct_sql_is_held_to_the_same_terms(client: psycopg.Connection, superuser: psycopg.Connection) -> None:
    create_product(client)
    product_id = product_id_of(superuser, "personal")
    with pytest.raises(psycopg.Error) as refused:
        superuser.execute(
            "insert into lending_private.product_version (product_id, version, name, min_amount, max_amount,"
            " min_term_months, max_term_months, amortization, grace_days, write_off_days, offer_valid_days,"
            " agent_approval_limit, requires_assessment, created_by)"
            " values (%s, 2, 'x', 5000, 1000, 6, 60, 'annuity', 5, 180, 30, 100, true, 'sql')",
            [product_id],
        )
    assert refused.value.sqlstate == "LN422" and "max_amount" in (refused.value.diag.message_detail or "")
    for statement in (
        "update lending_private.product_version set max_amount = 1 where product_id = %s",
        "update lending_private.product_rate set annual_rate = 1 where product_id = %s",
        "delete from lending_private.product where product_id = %s",
    ):
        with pytest.raises(psycopg.Error):
            superuser.execute(statement, [product_id])
    assert call(client, "lending.get_product", product_code="personal")["max_amount"] == "50000.00"


def product_id_of(superuser: psycopg.Connection, product_code: str) -> int:
    row = superuser.execute(
        "select product_id from lending_private.product where product_code = %s", [product_code]
    ).fetchone()
    assert row is not None
    product_id: int = row[0]
    return product_id


def test_every_version_is_on_the_products_audit_chain(
    client: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    create_product(client, rules=RULES, request_id="req-create")
    update_product(client, "personal", {"rules": RULES[:1]}, request_id="req-update")
    product_id = product_id_of(superuser, "personal")
    rows = superuser.execute(
        "select table_name, action, actor, request_id from lending_private.audit_log"
        " where subject = 'product' and subject_id = %s order by seq",
        [product_id],
    ).fetchall()
    created = (
        [("product", "insert"), ("product_version", "insert")]
        + [("product_rate", "insert")] * 5
        + [("policy_rule", "insert")] * 2
    )
    updated = (
        [("product", "update"), ("product_version", "insert")]
        + [("product_rate", "insert")] * 5
        + [("policy_rule", "insert")]
    )
    assert [(table, action) for table, action, _, _ in rows] == created + updated
    assert {(actor, request_id) for _, _, actor, request_id in rows[: len(created)]} == {("test-admin", "req-create")}
    assert {(actor, request_id) for _, _, actor, request_id in rows[len(created) :]} == {("test-admin", "req-update")}
    verified = superuser.execute("select lending_private.verify_audit_chain('product', %s)", [product_id]).fetchone()
    assert verified is not None and verified[0]["verified"] is True and verified[0]["rows_checked"] == len(rows)
    # The chain notices a version's recorded terms changed behind the triggers' back.
    with superuser.transaction():
        superuser.execute("set local session_replication_role = replica")
        superuser.execute(
            'update lending_private.audit_log set new_values = new_values || \'{"max_amount": "99"}\''
            " where subject = 'product' and subject_id = %s and seq = 2",
            [product_id],
        )
    broken = superuser.execute("select lending_private.verify_audit_chain('product', %s)", [product_id]).fetchone()
    assert broken is not None and broken[0]["verified"] is False


def test_create_refuses_missing_rates_as_a_field(client: psycopg.Connection) -> None:
    """rates has no default: SQL null for it is a field error, not a failed JSON function."""
    errors = field_errors(client, "lending.create_product", **product_arguments(rates=None))
    assert list(errors) == ["rates"], errors


def test_create_with_null_rules_has_none_or_names_the_field(client: psycopg.Connection) -> None:
    """rules defaults to []: SQL null for it is either no rules or a field error, not a failed JSON function."""
    try:
        product = call(client, "lending.create_product", **product_arguments(rules=None))["body"]
    except psycopg.Error as error:
        assert error.sqlstate == "LN422" and '"field": "rules"' in (error.diag.message_detail or ""), error
    else:
        assert product["rules"] == []


def test_an_update_cannot_clear_the_rates(client: psycopg.Connection) -> None:
    """Every version lends at a rate for each grade: a merge patch's null cannot remove them all."""
    create_product(client)
    errors = field_errors(client, "lending.update_product", product_code="personal", changes=Jsonb({"rates": None}))
    assert list(errors) == ["rates"], errors
    assert call(client, "lending.get_product", product_code="personal")["rates"] == RATES
