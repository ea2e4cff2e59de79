"""The field rules hold for rows written behind the API functions' back, by the tables' owner: each validated
column's type (a domain) refuses what the API functions would report as a bad field, and a required column left
empty is refused by its NOT NULL, which names it."""

from __future__ import annotations

import psycopg
import pytest

# Rows that break one rule each: (statement, the constraint that refuses it). {application} is the id of an
# application filed directly just before.
BROKEN_ROWS = [
    ("insert into lending_private.party (name) values ('   ')", "party_name_is_valid"),
    ("insert into lending_private.party (name, email) values ('Jane', 'jane')", "email_address_is_valid"),
    ("insert into lending_private.party (name, phone) values ('Jane', '12')", "phone_number_is_valid"),
    (
        "insert into lending_private.party (name, external_ref) values ('Jane', repeat('x', 101))",
        "external_ref_is_valid",
    ),
    ("update lending_private.party set version = 0", "row_version_is_positive"),
    ("update lending_private.application set amount = 100.001", "loan_amount_is_valid"),
    ("update lending_private.application set amount = 0", "loan_amount_is_valid"),
    ("update lending_private.application set term_months = 481", "term_months_is_valid"),
    ("update lending_private.application set purpose = repeat('x', 501)", "loan_purpose_is_valid"),
    ("update lending_private.application set external_ref = ''", "external_ref_is_valid"),
    ("update lending_private.application set withdrawal_reason = ' '", "reason_is_valid"),
    (
        "insert into lending_private.decision (application_id, outcome, reason, decided_by)"
        " values ({application}, 'maybe', 'r', 'someone')",
        "decision_outcome_is_known",
    ),
    (
        "insert into lending_private.decision (application_id, outcome, reason, decided_by)"
        " values ({application}, 'approved', repeat('x', 2001), 'someone')",
        "reason_is_valid",
    ),
    (
        "insert into lending_private.decision (application_id, outcome, reason, reason_codes, decided_by)"
        " values ({application}, 'approved', 'r', array['not a code'], 'someone')",
        "reason_codes_are_valid",
    ),
    (
        "insert into lending_private.event (application_id, event_type, payload, actor)"
        " values ({application}, 'Filed', '{{}}', 'someone')",
        "event_type_is_valid",
    ),
    (
        "insert into lending_private.idempotency_key (actor, idempotency_key, operation, request_hash, response)"
        " values ('someone', '', 'apply', '\\x00', '{{}}')",
        "idempotency_key_is_valid",
    ),
]


@pytest.fixture
def owner(superuser: psycopg.Connection) -> psycopg.Connection:
    """The superuser acting as lending_owner, the tables' owner."""
    superuser.execute("set role lending_owner")
    return superuser


def _file_application(owner: psycopg.Connection) -> int:
    party = owner.execute("insert into lending_private.party (name) values ('Jane Doe') returning party_id").fetchone()
    assert party is not None
    row = owner.execute(
        "insert into lending_private.application (applicant_id, amount) values (%s, 15000) returning application_id",
        party,
    ).fetchone()
    assert row is not None
    return int(row[0])


# Rows that leave a required column empty: (statement, the column that refuses it, by its NOT NULL). The domains
# let nulls through: whether a column may be empty is the column's to say, and the error then names it.
EMPTY_ROWS = [
    ("insert into lending_private.party (name) values (null)", "name"),
    ("update lending_private.application set amount = null", "amount"),
    (
        "insert into lending_private.idempotency_key (actor, idempotency_key, operation, request_hash, response)"
        " values ('someone', null, 'apply', '\\x00', '{{}}')",
        "idempotency_key",
    ),
    (
        "insert into lending_private.decision (application_id, outcome, reason, decided_by)"
        " values ({application}, 'approved', null, 'someone')",
        "reason",
    ),
]


@pytest.mark.parametrize(("statement", "constraint"), BROKEN_ROWS, ids=[c for _, c in BROKEN_ROWS])
def test_a_row_breaking_a_field_rule_is_refused(owner: psycopg.Connection, statement: str, constraint: str) -> None:
    assert _refusal(owner, statement, psycopg.errors.CheckViolation).constraint_name == constraint


@pytest.mark.parametrize(("statement", "column"), EMPTY_ROWS, ids=[c for _, c in EMPTY_ROWS])
def test_an_empty_required_column_is_refused_by_name(owner: psycopg.Connection, statement: str, column: str) -> None:
    assert _refusal(owner, statement, psycopg.errors.NotNullViolation).column_name == column


def _refusal(owner: psycopg.Connection, statement: str, error: type[psycopg.Error]) -> psycopg.errors.Diagnostic:
    """What the database said refusing `statement` (with error), run against a freshly filed application."""
    application = _file_application(owner)
    with pytest.raises(error) as refused:
        owner.execute(statement.format(application=application))
    return refused.value.diag


def test_rows_within_the_rules_are_written(owner: psycopg.Connection) -> None:
    """The same columns, with values at the edges of their rules, go in: the refusals above are the rules' doing."""
    application = _file_application(owner)
    owner.execute(
        "insert into lending_private.party (name, email, phone, external_ref)"
        " values (repeat('x', 255), 'jane@example.com', '+1 555 010 0199', repeat('x', 100))"
    )
    owner.execute(
        "update lending_private.application set amount = 10000000.00, term_months = 480, purpose = repeat('x', 500),"
        " external_ref = 'crm-1', withdrawal_reason = repeat('x', 2000) where application_id = %s",
        (application,),
    )
    owner.execute(
        "insert into lending_private.decision (application_id, outcome, reason, reason_codes, decided_by)"
        " values (%s, 'manual_review', repeat('x', 2000), '{excessive_obligations}', 'someone')",
        (application,),
    )
    owner.execute(
        "insert into lending_private.idempotency_key (actor, idempotency_key, operation, request_hash, response)"
        " values ('someone', repeat('k', 255), 'apply', '\\x00', '{}')"
    )
