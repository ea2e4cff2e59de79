"""Administration cannot lock itself out, whoever writes: only a superuser changes the built-in operator, no actor
takes itself out of admin, the last active admin (apart from the operator) stays one, also under concurrent
demotions; and a superuser acting as the operator recovers whatever the actors table says."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.conftest import role_url
from tests.db.conftest import call, call_until_it_waits, refusal

# Admins in every test database besides the operator: test-admin (login lendgres_test_admin) and test-service
# (login lendgres_test_client).
OWNER_LOGIN = "lendgres_test_owner"


@pytest.fixture
def owner(postgresql: psycopg.Connection, superuser: psycopg.Connection) -> Iterator[psycopg.Connection]:
    """A login granted lending_owner but not a superuser: an operator (acting as the operator actor) that may also
    write the tables directly, as LENDGRES_ADMIN_DATABASE_URL may be."""
    superuser.execute(
        f"do $$ begin if not exists (select from pg_roles where rolname = '{OWNER_LOGIN}') then "
        f"create role {OWNER_LOGIN} login; end if; end $$"
    )
    superuser.execute(f"grant lending_owner to {OWNER_LOGIN}")
    with psycopg.connect(role_url(postgresql, OWNER_LOGIN), autocommit=True) as connection:
        yield connection


def admins(superuser: psycopg.Connection) -> list[str]:
    rows = superuser.execute(
        "select name from lending_private.actor where role = 'admin' and active order by name"
    ).fetchall()
    return [name for (name,) in rows]


def code_of(connection: psycopg.Connection, function: str, **arguments: Any) -> tuple[str, str]:
    sqlstate, _, detail = refusal(connection, function, **arguments)
    return sqlstate, detail["code"]


def test_only_a_superuser_changes_the_operator(
    client: psycopg.Connection, owner: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    for change in ({"role": "reader"}, {"active": False}, {"role": "intake", "active": False}):
        assert code_of(client, "lending.update_actor", name="operator", **change) == ("LN403", "operator_protected")
        assert code_of(owner, "lending.update_actor", name="operator", **change) == ("LN403", "operator_protected")
    # Direct SQL by the tables' owner obeys the same rule: it is the table's trigger.
    for statement in (
        "update lending_private.actor set role = 'reader' where name = 'operator'",
        "update lending_private.actor set active = false where name = 'operator'",
        "update lending_private.actor set name = 'not-the-operator' where name = 'operator'",
    ):
        with pytest.raises(psycopg.Error) as refused:
            owner.execute(statement)
        assert refused.value.sqlstate == "LN403"
    # A change that changes nothing is no change.
    assert call(client, "lending.update_actor", name="operator", role="admin")["status"] == 200
    assert admins(superuser) == ["operator", "test-admin", "test-service"]

    demoted = call(superuser, "lending.update_actor", name="operator", role="reader")
    assert demoted["body"]["role"] == "reader"
    assert call(superuser, "lending.update_actor", name="operator", role="admin")["body"]["role"] == "admin"


def test_no_actor_takes_itself_out_of_admin(postgresql: psycopg.Connection, client: psycopg.Connection) -> None:
    for change in ({"role": "reviewer"}, {"active": False}):
        assert code_of(client, "lending.update_actor", name="test-admin", **change) == ("LN409", "admin_self_demotion")
        with psycopg.connect(role_url(postgresql, "lendgres_test_admin"), autocommit=True) as own_login:
            assert code_of(own_login, "lending.update_actor", name="test-admin", **change) == (
                "LN409",
                "admin_self_demotion",
            )
    # Another admin may.
    demoted = call(client, "lending.update_actor", name="test-admin", role="reviewer", actor="test-service")
    assert demoted["body"]["role"] == "reviewer"


def test_the_last_active_admin_stays_admin(
    client: psycopg.Connection, owner: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    assert call(client, "lending.update_actor", name="test-service", active=False)["status"] == 200
    assert admins(superuser) == ["operator", "test-admin"]
    for change in ({"role": "reader"}, {"active": False}):
        # The operator, through the HTTP service or an owner's login, is not the last admin's way out either.
        refused = refusal(client, "lending.update_actor", name="test-admin", actor="operator", **change)
        assert refused[0] == "LN409" and refused[2]["code"] == "last_admin" and refused[2]["name"] == "test-admin"
        assert "last active admin" in refused[1]
        assert code_of(owner, "lending.update_actor", name="test-admin", **change) == ("LN409", "last_admin")
    with pytest.raises(psycopg.Error) as direct:
        owner.execute("update lending_private.actor set role = 'reader' where name = 'test-admin'")
    assert direct.value.sqlstate == "LN409"
    assert admins(superuser) == ["operator", "test-admin"]

    # Once another actor is admin again, the former last one may go.
    assert call(client, "lending.update_actor", name="test-service", active=True)["status"] == 200
    assert call(client, "lending.update_actor", name="test-admin", role="reader", actor="test-service")["status"] == 200
    assert admins(superuser) == ["operator", "test-service"]


def test_a_demotion_waits_for_another_and_then_sees_it(
    postgresql: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    """Deterministic: test-admin's demotion of test-service holds its transaction open; test-service's demotion of
    test-admin must wait for it, and then find itself the last admin. Without the lock it would count test-service
    (not yet committed as demoted) and both would commit."""
    with (
        psycopg.connect(role_url(postgresql, "lendgres_test_admin")) as first,
        psycopg.connect(role_url(postgresql, "lendgres_test_client"), autocommit=True) as second,
    ):
        call(first, "lending.update_actor", name="test-service", role="reader")  # open transaction
        waiting, outcome = call_until_it_waits(
            superuser,
            "lendgres_test_client",
            lambda: call(second, "lending.update_actor", name="test-admin", role="reader"),
        )
        first.commit()
        waiting.join(30)
    [refused] = outcome
    assert isinstance(refused, psycopg.Error) and refused.sqlstate == "LN409"
    assert '"last_admin"' in (refused.diag.message_detail or "")
    assert admins(superuser) == ["operator", "test-admin"]


@pytest.mark.parametrize("isolation", ["read committed", "repeatable read", "serializable"])
def test_concurrent_demotions_of_the_last_two_admins_leave_one(
    postgresql: psycopg.Connection, superuser: psycopg.Connection, isolation: str
) -> None:
    """test-admin and test-service demote each other at once, from two connections released by one barrier, in a
    transaction of each isolation level: one wins, the other is refused (last_admin; a serialization failure that
    a retry turns into last_admin; or forbidden, when the winner committed before the loser's actor was even
    authorized), and one admin is left."""
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def demote(login: str, other: str) -> None:
        with psycopg.connect(role_url(postgresql, login)) as connection:
            connection.execute(f"set transaction isolation level {isolation}")
            barrier.wait()
            try:
                outcomes[login] = call(connection, "lending.update_actor", name=other, role="reader")
                connection.commit()
            except psycopg.Error as exc:
                outcomes[login] = exc

    threads = [
        threading.Thread(target=demote, args=("lendgres_test_admin", "test-service")),
        threading.Thread(target=demote, args=("lendgres_test_client", "test-admin")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    refused = [outcome for outcome in outcomes.values() if isinstance(outcome, psycopg.Error)]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    assert refused[0].sqlstate in ("LN409", "40001", "LN403"), refused[0]
    assert len(admins(superuser)) == 2  # the operator and the winner's actor


def test_a_superuser_recovers_whatever_the_actors_table_says(superuser: psycopg.Connection) -> None:
    """The state the issue reached (every admin demoted, the operator too), set by a superuser's raw UPDATE; the
    recovery the CLI documents then works, as the superuser acting as the operator."""
    superuser.execute("update lending_private.actor set role = 'reader' where role = 'admin'")
    superuser.execute("update lending_private.actor set active = false where name = 'operator'")
    assert admins(superuser) == []
    restored = call(superuser, "lending.update_actor", name="test-admin", role="admin")
    assert (restored["status"], restored["body"]["role"]) == (200, "admin")
    assert call(superuser, "lending.update_actor", name="operator", role="admin", active=True)["status"] == 200
    assert admins(superuser) == ["operator", "test-admin"]
    actor = superuser.execute(
        "select actor from lending_private.audit_log where subject = 'actor' "
        "order by recorded_at desc, seq desc limit 1"
    ).fetchone()
    assert actor == ("operator",)


def test_a_non_superuser_operator_gets_no_such_way_round(
    owner: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    superuser.execute("update lending_private.actor set role = 'reader' where name = 'operator'")
    assert code_of(owner, "lending.update_actor", name="test-admin", role="admin") == ("LN403", "forbidden")


def test_an_actor_name_taken_by_a_concurrent_call_is_actor_exists(
    postgresql: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    """The second create_actor of a name waits for the first and, once it commits, is told actor_exists, as it is
    when the actor was made long before: never a unique violation."""
    url = role_url(postgresql, "lendgres_test_http")
    arguments = {"name": "twice-made", "kind": "agent", "role": "reader", "actor": "test-admin"}
    with psycopg.connect(url) as first, psycopg.connect(url, autocommit=True) as second:
        call(first, "lending.create_actor", **arguments)
        waiting, outcome = call_until_it_waits(
            superuser, "lendgres_test_http", lambda: call(second, "lending.create_actor", **arguments)
        )
        first.commit()
        waiting.join(30)
    [refused] = outcome
    assert isinstance(refused, psycopg.Error) and refused.sqlstate == "LN409", refused
    assert '"code": "actor_exists"' in (refused.diag.message_detail or "")
