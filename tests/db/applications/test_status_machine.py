"""The status machine holds for direct SQL too: every (from, to) pair of statuses is tried with a plain UPDATE."""

from __future__ import annotations

import itertools
import json
from collections import deque

import psycopg
import pytest

from tests.db.conftest import apply

# The contract of the foundation; later features add rows to status_transition, and this list with them.
ALLOWED = {
    ("pending", "approved"),
    ("pending", "rejected"),
    ("pending", "manual_review"),
    ("pending", "withdrawn"),
    ("manual_review", "approved"),
    ("manual_review", "rejected"),
    ("manual_review", "withdrawn"),
    # Underwriting (issue 14): four-eyes, and the borrower's answer to an approval's offer.
    ("pending", "pending_confirmation"),
    ("manual_review", "pending_confirmation"),
    ("pending_confirmation", "approved"),
    ("pending_confirmation", "manual_review"),
    ("pending_confirmation", "withdrawn"),
    ("approved", "offer_accepted"),
    ("approved", "offer_declined"),
    ("approved", "offer_expired"),
}
STATUSES = (
    "pending",
    "manual_review",
    "approved",
    "rejected",
    "withdrawn",
    "pending_confirmation",
    "offer_accepted",
    "offer_declined",
    "offer_expired",
)


def test_the_transition_table_is_the_contract(superuser: psycopg.Connection) -> None:
    rows = superuser.execute("select from_status, to_status from lending_private.status_transition").fetchall()
    assert set(rows) == ALLOWED
    statuses = superuser.execute("select status from lending_private.application_status").fetchall()
    assert {status for (status,) in statuses} == set(STATUSES)


def _path_to(status: str) -> list[str]:
    """The shortest way from pending to `status` along allowed transitions."""
    paths = deque([["pending"]])
    while paths:
        path = paths.popleft()
        if path[-1] == status:
            return path[1:]
        paths.extend([*path, to] for frm, to in sorted(ALLOWED) if frm == path[-1] and to not in path)
    raise AssertionError(f"{status} is unreachable")


@pytest.mark.parametrize(("from_status", "to_status"), list(itertools.product(STATUSES, STATUSES)))
def test_direct_update(
    superuser: psycopg.Connection, client: psycopg.Connection, from_status: str, to_status: str
) -> None:
    application_id = apply(client)["application_id"]
    for step in _path_to(from_status):
        superuser.execute(
            "update lending_private.application set status = %s where application_id = %s", [step, application_id]
        )
    update = "update lending_private.application set status = %s where application_id = %s"
    if (from_status, to_status) in ALLOWED or from_status == to_status:
        superuser.execute(update, [to_status, application_id])
    else:
        with pytest.raises(psycopg.Error) as refused:
            superuser.execute(update, [to_status, application_id])
        assert refused.value.sqlstate == "LN409"
        detail = json.loads(refused.value.diag.message_detail or "{}")
        assert detail["code"] == "invalid_transition"
        assert detail["current_status"] == from_status
        assert detail["allowed"] == sorted(to for frm, to in ALLOWED if frm == from_status)
    status = superuser.execute(
        "select status from lending_private.application where application_id = %s", [application_id]
    ).fetchone()
    expected = to_status if (from_status, to_status) in ALLOWED else from_status
    assert status == (expected,)


@pytest.mark.parametrize("status", [s for s in STATUSES if s != "pending"])
def test_a_new_application_starts_pending(
    superuser: psycopg.Connection, client: psycopg.Connection, status: str
) -> None:
    applicant_id = apply(client)["applicant_id"]
    with pytest.raises(psycopg.Error) as refused:
        superuser.execute(
            "insert into lending_private.application (applicant_id, amount, status) values (%s, 1, %s)",
            [applicant_id, status],
        )
    assert refused.value.sqlstate == "LN409"
