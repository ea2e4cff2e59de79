"""Who may do what, through the SQL API: every public function called by every role, each as the service login
mapped to an actor of that role. The matrix below is the contract from the issue; the database's own
role_operation table must equal it, and a public function without a row here fails the test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.conftest import ACTOR_ROLES, role_url
from tests.db.conftest import apply, call

READ = {"read_applications", "read_loans", "read_audit", "read_events", "read_products"}
INTAKE = READ | {"apply", "update_application", "withdraw", "accept_offer", "decline_offer"}
UNDERWRITER = INTAKE | {"assess", "decide"}
REVIEWER = UNDERWRITER | {"claim_review", "confirm_decision", "write_off"}
SERVICER = READ | {
    "disburse",
    "record_payment",
    "reverse_payment",
    "restructure",
    "waive_fee",
    "refund_credit",
    "run_end_of_day",
}
ADMIN = REVIEWER | SERVICER | {"manage_products", "manage_actors", "manage_keys"}
MATRIX = {
    "reader": READ,
    "intake": INTAKE,
    "underwriter": UNDERWRITER,
    "reviewer": REVIEWER,
    "servicer": SERVICER,
    "admin": ADMIN,
}

# The operation each public function checks: None for those any active actor may call, and "no actor" for those
# that act for nobody (readiness, and key resolution by the HTTP service).
NO_ACTOR = "no actor"
OPERATIONS: dict[str, str | None] = {
    "apply": "apply",
    "decide": "decide",
    "withdraw": "withdraw",
    "get_application": "read_applications",
    "list_applications": "read_applications",
    "application_audit": "read_audit",
    "events_after": "read_events",
    "whoami": None,
    "create_actor": "manage_actors",
    "update_actor": "manage_actors",
    "list_actors": "manage_actors",
    "create_api_key": "manage_keys",
    "revoke_api_key": "manage_keys",
    "list_api_keys": "manage_keys",
    "watch_events": "read_events",
    "unwatch_events": "read_events",
    "schema_version": NO_ACTOR,
    "authenticate": NO_ACTOR,
    "update_application": "update_application",
    "assess_application": "assess",
    "review_queue": "claim_review",
    "claim_review": "claim_review",
    "confirm_decision": "confirm_decision",
    "accept_offer": "accept_offer",
    "decline_offer": "decline_offer",
    "adverse_action_notice": "read_applications",
    "record_notice_sent": "decide",
    "list_products": "read_products",
    "get_product": "read_products",
    "list_reason_codes": "read_products",
    "create_product": "manage_products",
    "update_product": "manage_products",
}

# A call of each function with valid-looking arguments, given the id of a pending application. watch_events needs a
# live session's process id; the test sets it to its own superuser connection's.
LISTENER_PID = 0

SAMPLE_CALLS: dict[str, Callable[[int, str], dict[str, Any]]] = {
    "apply": lambda _id, _role: {"applicant_name": "Jane Doe", "amount": 100},
    "decide": lambda id_, _role: {"application_id": id_, "outcome": "manual_review", "reason": "look again"},
    "withdraw": lambda id_, _role: {"application_id": id_, "reason": "changed mind"},
    "get_application": lambda id_, _role: {"application_id": id_},
    "list_applications": lambda _id, _role: {},
    "application_audit": lambda id_, _role: {"application_id": id_},
    "events_after": lambda _id, _role: {},
    "whoami": lambda _id, _role: {},
    "create_actor": lambda _id, role: {"name": f"made-by-{role}", "kind": "agent", "role": "reader"},
    "update_actor": lambda _id, _role: {"name": "intake-agent", "active": True},
    "list_actors": lambda _id, _role: {},
    "create_api_key": lambda _id, _role: {"for_actor": "intake-agent"},
    "revoke_api_key": lambda _id, _role: {"key_id": 2**62},
    "list_api_keys": lambda _id, _role: {},
    "watch_events": lambda _id, _role: {"listener_pid": LISTENER_PID},
    "unwatch_events": lambda _id, _role: {"listener_pid": LISTENER_PID},
    "schema_version": lambda _id, _role: {},
    "authenticate": lambda _id, _role: {"api_key": "lgk_x"},
    "update_application": lambda id_, _role: {"application_id": id_, "changes": {"purpose": "A car"}},
    "assess_application": lambda id_, _role: {"application_id": id_},
    "review_queue": lambda _id, _role: {},
    # The application is pending: these run into a business rule (409), which means the role was allowed.
    "claim_review": lambda id_, _role: {"application_id": id_},
    "confirm_decision": lambda id_, _role: {"application_id": id_, "confirm": True},
    "accept_offer": lambda id_, _role: {"application_id": id_},
    "decline_offer": lambda id_, _role: {"application_id": id_},
    "adverse_action_notice": lambda id_, _role: {"application_id": id_},
    "record_notice_sent": lambda id_, _role: {"application_id": id_, "channel": "email"},
    "list_products": lambda _id, _role: {},
    "get_product": lambda _id, _role: {"product_code": "standard"},
    "list_reason_codes": lambda _id, _role: {},
    "create_product": lambda _id, role: {
        "product_code": f"made_by_{role}",
        "name": "Made in a test",
        "min_amount": 100,
        "max_amount": 1000,
        "min_term_months": 1,
        "max_term_months": 12,
        "rates": {grade: "9.99" for grade in "ABCDE"},
        "agent_approval_limit": 1000,
    },
    "update_product": lambda _id, _role: {"product_code": "standard", "changes": {"offer_valid_days": 31}},
}


def public_functions(connection: psycopg.Connection) -> set[str]:
    rows = connection.execute(
        "select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'lending'"
    ).fetchall()
    return {name for (name,) in rows}


def test_the_permission_matrix_is_the_contract(superuser: psycopg.Connection) -> None:
    rows = superuser.execute("select role, operation from lending_private.role_operation").fetchall()
    granted: dict[str, set[str]] = {}
    for role, operation in rows:
        granted.setdefault(role, set()).add(operation)
    assert granted == MATRIX
    operations = {name for (name,) in superuser.execute("select operation from lending_private.operation").fetchall()}
    assert operations == ADMIN, "every operation is listed for admin, so none is refused to all by accident"


def test_every_public_function_is_called_by_every_role(
    superuser: psycopg.Connection, postgresql: psycopg.Connection
) -> None:
    global LISTENER_PID
    LISTENER_PID = superuser.info.backend_pid
    functions = public_functions(superuser)
    assert functions == set(OPERATIONS) == set(SAMPLE_CALLS), "a public function needs a row in the matrix"
    outcomes: dict[tuple[str, str], str] = {}
    for role in ACTOR_ROLES:
        with psycopg.connect(role_url(postgresql, f"lendgres_test_{role}"), autocommit=True) as connection:
            for function in sorted(functions):
                application_id = apply(superuser)["application_id"]
                try:
                    call(connection, f"lending.{function}", **SAMPLE_CALLS[function](application_id, role))
                    outcomes[function, role] = "done"
                except psycopg.errors.InsufficientPrivilege:
                    outcomes[function, role] = "no execute"
                except psycopg.Error as exc:
                    outcomes[function, role] = "forbidden" if exc.sqlstate == "LN403" else f"refused {exc.sqlstate}"

    wrong = []
    for (function, role), outcome in outcomes.items():
        operation = OPERATIONS[function]
        if function == "authenticate":
            expected = {"no execute"}  # the HTTP service's alone
        elif operation is None or operation == NO_ACTOR or operation in MATRIX[role]:
            expected = {"done", "refused LN404", "refused LN409"}  # allowed: it ran, perhaps into a business rule
        else:
            expected = {"forbidden"}
        if outcome not in expected:
            wrong.append(f"{role} calling {function}: {outcome}, expected {sorted(expected)}")
    assert wrong == []


def test_a_refusal_names_the_operation_and_the_roles_that_may(postgresql: psycopg.Connection) -> None:
    with psycopg.connect(role_url(postgresql, "lendgres_test_reader"), autocommit=True) as reader:
        with pytest.raises(psycopg.Error) as refused:
            call(reader, "lending.apply", applicant_name="Jane Doe", amount=1)
    assert refused.value.sqlstate == "LN403"
    assert refused.value.diag.message_primary == "Actor test-reader (role reader) may not apply"
    detail = refused.value.diag.message_detail or ""
    for fact in ('"code": "forbidden"', '"operation": "apply"', '"allowed_roles": ["admin", "intake", "reviewer", '):
        assert fact in detail


def test_a_service_cannot_act_as_another_actor(postgresql: psycopg.Connection, superuser: psycopg.Connection) -> None:
    with psycopg.connect(role_url(postgresql, "lendgres_test_intake"), autocommit=True) as intake:
        with pytest.raises(psycopg.Error) as refused:
            call(intake, "lending.apply", applicant_name="Jane Doe", amount=1, actor="test-admin")
        assert refused.value.sqlstate == "LN403"
        assert '"code": "actor_mismatch"' in (refused.value.diag.message_detail or "")
        # Naming itself is fine, and the audit trail records the actor its login maps to.
        created = call(intake, "lending.apply", applicant_name="Jane Doe", amount=1, actor="test-intake")
        # It cannot reach decide through another actor's name either.
        with pytest.raises(psycopg.Error) as escalated:
            call(
                intake,
                "lending.decide",
                application_id=created["body"]["application_id"],
                outcome="approved",
                reason="self-approved",
                actor="test-underwriter",
            )
        assert escalated.value.sqlstate == "LN403"
    rows = superuser.execute("select distinct actor from lending_private.audit_log where subject = 'application'")
    assert rows.fetchall() == [("test-intake",)]


def test_an_unmapped_login_and_a_deactivated_actor_are_unauthenticated(
    postgresql: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    superuser.execute(
        "do $$ begin if not exists (select from pg_roles where rolname = 'lendgres_test_unmapped') then "
        "create role lendgres_test_unmapped login; end if; end $$"
    )
    superuser.execute("grant lending_api to lendgres_test_unmapped")
    with psycopg.connect(role_url(postgresql, "lendgres_test_unmapped"), autocommit=True) as unmapped:
        with pytest.raises(psycopg.Error) as refused:
            call(unmapped, "lending.list_applications")
    assert refused.value.sqlstate == "LN401"
    assert "--db-role lendgres_test_unmapped" in (refused.value.diag.message_primary or "")

    call(superuser, "lending.update_actor", name="test-reader", active=False)
    with psycopg.connect(role_url(postgresql, "lendgres_test_reader"), autocommit=True) as reader:
        with pytest.raises(psycopg.Error) as deactivated:
            call(reader, "lending.list_applications")
    assert deactivated.value.sqlstate == "LN401"


def test_the_gateway_must_name_an_existing_active_actor(client: psycopg.Connection) -> None:
    for actor in (None, "nobody-by-this-name"):
        with pytest.raises(psycopg.Error) as refused:
            client.execute("select lending.list_applications(actor => %s)", [actor])
        assert refused.value.sqlstate == "LN401"


def test_operators_act_as_the_operator_actor(superuser: psycopg.Connection) -> None:
    me = call(superuser, "lending.whoami")
    assert (me["name"], me["role"]) == ("operator", "admin")
    assert sorted(me["operations"]) == sorted(ADMIN)


def test_a_role_sees_only_the_events_it_may_read(superuser: psycopg.Connection, client: psycopg.Connection) -> None:
    apply(client)
    assert len(call(client, "lending.events_after", actor="test-reader")["events"]) == 1
    # A role that may read events but not applications sees none of the application events.
    superuser.execute("insert into lending_private.actor_role values ('feed_only', 'events, nothing else')")
    superuser.execute("insert into lending_private.role_operation values ('feed_only', 'read_events')")
    call(superuser, "lending.create_actor", name="feed-watcher", kind="service", role="feed_only")
    assert call(client, "lending.events_after", actor="feed-watcher")["events"] == []


def test_actor_changes_are_audited(superuser: psycopg.Connection, client: psycopg.Connection) -> None:
    made = call(client, "lending.create_actor", name="new-agent", kind="agent", role="intake")["body"]
    call(client, "lending.update_actor", name="new-agent", role="underwriter")
    key = call(client, "lending.create_api_key", for_actor="new-agent")["body"]
    call(client, "lending.revoke_api_key", key_id=key["key_id"])
    rows = superuser.execute(
        "select table_name, action, actor from lending_private.audit_log "
        "where subject = 'actor' and subject_id = %s order by seq",
        [made["actor_id"]],
    ).fetchall()
    assert rows == [
        ("actor", "insert", "test-admin"),
        ("actor", "update", "test-admin"),
        ("api_key", "insert", "test-admin"),
        ("api_key", "update", "test-admin"),
    ]
    verified = superuser.execute("select lending_private.verify_audit_chain('actor', %s)", [made["actor_id"]])
    assert verified.fetchone()[0]["verified"] is True


def test_an_operation_no_role_lists_is_refused_to_all(superuser: psycopg.Connection) -> None:
    """Later issues add their operations to the matrix; until one is listed, even admin may not perform it."""
    with pytest.raises(psycopg.Error) as refused:
        superuser.execute("select lending_private.authorize('launch_rockets', null, null)")
    assert refused.value.sqlstate == "LN403"
    assert '"allowed_roles": []' in (refused.value.diag.message_detail or "")
