"""One condition, one code: an applicant_external_ref that is taken is applicant_exists, whether the applicant was
filed long ago or by a concurrent call that commits while this one runs (never a unique violation)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import psycopg
import pytest

from tests.conftest import role_url
from tests.db.conftest import apply, call, call_until_it_waits

APPLY = {"applicant_name": "Jane Doe", "amount": 100, "applicant_external_ref": "crm-race", "actor": "intake-agent"}


@pytest.mark.parametrize("isolation", ["read committed", "repeatable read"])
def test_an_apply_that_waits_for_another_with_its_external_ref(
    postgresql: psycopg.Connection, superuser: psycopg.Connection, isolation: str
) -> None:
    """Deterministic: the first apply holds its transaction open; the second, with the same applicant_external_ref,
    waits for it and, once it commits, is told applicant_exists (READ COMMITTED), or to retry (a serialization
    failure under REPEATABLE READ, whose snapshot cannot see the applicant); never a unique violation."""
    url = role_url(postgresql, "lendgres_test_http")
    with psycopg.connect(url) as first, psycopg.connect(url) as second:
        filed = call(first, "lending.apply", **APPLY)["body"]
        second.execute(f"set transaction isolation level {isolation}")
        second.execute("select 1")  # the snapshot of a REPEATABLE READ transaction is taken here
        waiting, outcomes = call_until_it_waits(
            superuser, "lendgres_test_http", lambda: call(second, "lending.apply", **APPLY)
        )
        first.commit()
        waiting.join(30)
    [refused] = outcomes
    assert isinstance(refused, psycopg.Error), refused
    if isolation == "read committed":
        assert refused.sqlstate == "LN409"
        detail = refused.diag.message_detail or ""
        assert '"code": "applicant_exists"' in detail and f'"applicant_id": {filed["applicant_id"]}' in detail
    else:
        assert refused.sqlstate == "40001"
        with pytest.raises(psycopg.Error) as retried:
            call(superuser, "lending.apply", **APPLY)
        assert retried.value.sqlstate == "LN409"


def test_fifty_concurrent_applies_with_one_external_ref_are_one_applicant(
    postgresql: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    racers = 50
    barrier = threading.Barrier(racers)
    outcomes: list[Any] = []

    def race() -> None:
        with psycopg.connect(role_url(postgresql, "lendgres_test_http"), autocommit=True) as connection:
            barrier.wait()
            try:
                outcomes.append(call(connection, "lending.apply", **APPLY)["body"])
            except psycopg.Error as exc:
                outcomes.append(exc)

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    [filed] = [outcome for outcome in outcomes if isinstance(outcome, dict)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, psycopg.Error)]
    assert Counter(error.sqlstate for error in refused) == {"LN409": racers - 1}
    assert all(f'"applicant_id": {filed["applicant_id"]}' in (e.diag.message_detail or "") for e in refused)
    assert superuser.execute("select count(*) from lending_private.party").fetchone() == (1,)


def test_a_new_applicant_without_an_external_ref_is_always_new(client: psycopg.Connection) -> None:
    first, second = apply(client), apply(client)
    assert first["applicant_id"] != second["applicant_id"]
