"""Money in the database: an amount has at most its currency's decimals as written (100.000 is not 100.00), and
the audit trail records amounts as decimal strings, as the API shows them; rows recorded before keep their numbers
and their chains still verify."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from tests.db.conftest import apply, call, refusal

AUDIT_TRIGGER = (
    "create trigger _900_audit after insert or update on lending_private.application for each row "
    "execute function lending_private.record_audit({arguments})"
)


def entries(connection: psycopg.Connection, application_id: int) -> list[dict[str, object]]:
    trail = call(connection, "lending.application_audit", application_id=application_id)
    assert trail["verified"] is True, trail
    return trail["entries"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        (Decimal("100.000"), "USD", "must have at most 2 decimal places"),
        (Decimal("100.10"), "USD", None),
        (Decimal("100.1"), "USD", None),
        (Decimal("1.5E+3"), "USD", None),
        (Decimal("1500.0"), "JPY", "must have at most 0 decimal places"),
        (Decimal("1500"), "JPY", None),
    ],
)
def test_an_amount_has_at_most_its_currencys_decimals_as_written(
    client: psycopg.Connection, amount: Decimal, currency: str, message: str | None
) -> None:
    if message is None:
        assert Decimal(apply(client, amount=amount, currency=currency)["amount"]) == amount
    else:
        _, _, detail = refusal(client, "lending.apply", applicant_name="Jane", amount=amount, currency=currency)
        assert detail["errors"] == [{"field": "amount", "message": message}]


def test_the_audit_trail_shows_amounts_as_decimal_strings(
    client: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    whole = apply(client, amount=15000)["application_id"]
    cents = apply(client, amount=Decimal("15000.5"))["application_id"]
    assert entries(client, whole)[0]["new"]["amount"] == "15000.00"  # type: ignore[index]
    assert entries(client, cents)[0]["new"]["amount"] == "15000.50"  # type: ignore[index]

    # A change of the amount behind the API's back records both sides as strings; rewriting the same amount in
    # another scale changes nothing that is recorded.
    superuser.execute("update lending_private.application set amount = 16000 where application_id = %s", [whole])
    superuser.execute("update lending_private.application set amount = 16000.00 where application_id = %s", [whole])
    changed = entries(client, whole)
    assert len(changed) == 2
    assert (changed[1]["old"]["amount"], changed[1]["new"]["amount"]) == ("15000.00", "16000.00")  # type: ignore[index]


def test_rows_recorded_with_numbers_before_keep_them_and_still_verify(
    client: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    """An application audited as before this change (the trigger without its money column), then changed after it:
    its first row keeps the number its digest was taken of, the later ones have strings, and the chain verifies."""
    superuser.execute("drop trigger _900_audit on lending_private.application")
    superuser.execute(AUDIT_TRIGGER.format(arguments="'application', 'application_id', 'application_id'"))
    application_id = apply(client, amount=15000)["application_id"]
    superuser.execute("drop trigger _900_audit on lending_private.application")
    superuser.execute(AUDIT_TRIGGER.format(arguments="'application', 'application_id', 'application_id', 'amount'"))

    superuser.execute(
        "update lending_private.application set amount = 16000 where application_id = %s", [application_id]
    )
    trail = entries(client, application_id)
    assert trail[0]["new"]["amount"] == 15000  # type: ignore[index]
    assert (trail[1]["old"]["amount"], trail[1]["new"]["amount"]) == ("15000.00", "16000.00")  # type: ignore[index]
