"""Who may do what, read from the catalog and compared with a matrix written here. A new function, table or
schema object that the matrix does not name fails the test, so privileges are always decided on purpose."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import role_url
from tests.db.conftest import call

API_ROLES = ("lending_api", "lending_gateway", "lending_reporting", "public")
# pg_temp last: with it left out (an empty path), the caller's temporary schema is searched first for types.
PINNED = "search_path=pg_catalog, pg_temp"
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")

# Who may execute each public function. lending_gateway (the HTTP service) is a member of lending_api, so it may
# execute everything lending_api may, and authenticate besides.
FUNCTION_GRANTS = {
    "apply": {"lending_api"},
    "decide": {"lending_api"},
    "withdraw": {"lending_api"},
    "get_application": {"lending_api"},
    "list_applications": {"lending_api"},
    "application_audit": {"lending_api"},
    "schema_version": {"lending_api"},
    "events_after": {"lending_api"},
    "whoami": {"lending_api"},
    "create_actor": {"lending_api"},
    "update_actor": {"lending_api"},
    "list_actors": {"lending_api"},
    "create_api_key": {"lending_api"},
    "revoke_api_key": {"lending_api"},
    "list_api_keys": {"lending_api"},
    "authenticate": {"lending_gateway"},
    "watch_events": {"lending_api"},
    "unwatch_events": {"lending_api"},
    "update_application": {"lending_api"},
    "assess_application": {"lending_api"},
    "review_queue": {"lending_api"},
    "claim_review": {"lending_api"},
    "confirm_decision": {"lending_api"},
    "accept_offer": {"lending_api"},
    "decline_offer": {"lending_api"},
    "adverse_action_notice": {"lending_api"},
    "record_notice_sent": {"lending_api"},
    "list_products": {"lending_api"},
    "get_product": {"lending_api"},
    "list_reason_codes": {"lending_api"},
    "create_product": {"lending_api"},
    "update_product": {"lending_api"},
}


def may_execute(role: str, function: str) -> bool:
    grantees = FUNCTION_GRANTS[function]
    return role in grantees or (role == "lending_gateway" and "lending_api" in grantees)


# Privileges on relations: the reporting role reads every private table (not the identity sequences); nobody
# else has any.
def expected_table_privileges(schema: str, relkind: str, role: str) -> set[str]:
    return {"SELECT"} if (schema, relkind, role) == ("lending_private", "r", "lending_reporting") else set()


def granted_privileges(connection: psycopg.Connection, oid: int, role: str) -> set[str]:
    if role == "public":
        rows = connection.execute(
            """select a.privilege_type from pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
                where c.oid = %s and a.grantee = 0""",
            [oid],
        ).fetchall()
        return {privilege for (privilege,) in rows}
    return {
        privilege
        for privilege in TABLE_PRIVILEGES
        if connection.execute("select has_table_privilege(%s, %s::oid, %s)", [role, oid, privilege]).fetchone()[0]
    }


def test_owner_role_is_not_a_superuser_and_cannot_log_in(superuser: psycopg.Connection) -> None:
    row = superuser.execute(
        "select rolsuper, rolcanlogin, rolcreaterole, rolcreatedb from pg_roles where rolname = 'lending_owner'"
    ).fetchone()
    assert row == (False, False, False, False)
    for role in ("lending_api", "lending_gateway", "lending_reporting"):
        assert superuser.execute("select rolcanlogin from pg_roles where rolname = %s", [role]).fetchone() == (False,)


def test_every_relation_has_exactly_the_expected_privileges(superuser: psycopg.Connection) -> None:
    relations = superuser.execute(
        """select n.nspname, c.relname, c.relkind::text, c.oid, pg_get_userbyid(c.relowner)
             from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname in ('lending', 'lending_private') and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')"""
    ).fetchall()
    assert {name for _, name, *_ in relations} >= {"application", "decision", "party", "audit_log"}
    wrong = []
    for schema, name, relkind, oid, owner in relations:
        if owner != "lending_owner":
            wrong.append(f"{schema}.{name} is owned by {owner}")
        for role in API_ROLES:
            granted = granted_privileges(superuser, oid, role)
            if granted != expected_table_privileges(schema, relkind, role):
                wrong.append(f"{role} has {sorted(granted)} on {schema}.{name}")
    assert wrong == []


def test_schema_usage(superuser: psycopg.Connection) -> None:
    usage = {
        (schema, role): superuser.execute("select has_schema_privilege(%s, %s, 'USAGE')", [role, schema]).fetchone()[0]
        for schema in ("lending", "lending_private")
        for role in ("lending_api", "lending_reporting")
    }
    assert usage == {
        ("lending", "lending_api"): True,
        ("lending", "lending_reporting"): False,
        ("lending_private", "lending_api"): False,
        ("lending_private", "lending_reporting"): True,
    }
    public_acl = superuser.execute(
        """select n.nspname, count(*) filter (where a.grantee = 0)
             from pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
            where n.nspname in ('lending', 'lending_private') group by n.nspname order by 1"""
    ).fetchall()
    assert public_acl == [("lending", 0), ("lending_private", 0)]


def _functions(connection: psycopg.Connection, schema: str) -> list[tuple[str, str, str, bool, list[str] | None, bool]]:
    return connection.execute(
        """select p.proname, p.oid::regprocedure::text, pg_get_userbyid(p.proowner), p.prosecdef, p.proconfig,
                  exists (select from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                           where a.grantee = 0 and a.privilege_type = 'EXECUTE')
             from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = %s order by 1""",
        [schema],
    ).fetchall()


def test_every_public_function_is_in_the_matrix_and_defined_safely(superuser: psycopg.Connection) -> None:
    functions = _functions(superuser, "lending")
    assert sorted(name for name, *_ in functions) == sorted(FUNCTION_GRANTS)
    for name, signature, owner, security_definer, config, public_execute in functions:
        assert owner == "lending_owner", signature
        assert security_definer, f"{signature} is not SECURITY DEFINER"
        assert config is not None and PINNED in config, f"{signature} has search_path {config}"
        assert not public_execute, f"PUBLIC may execute {signature}"
        for role in ("lending_api", "lending_gateway", "lending_reporting"):
            may = superuser.execute("select has_function_privilege(%s, %s, 'EXECUTE')", [role, signature]).fetchone()[0]
            assert may == may_execute(role, name), f"{role} execute {signature}: {may}"


def test_private_functions_are_executable_by_nobody_but_the_owner(superuser: psycopg.Connection) -> None:
    functions = _functions(superuser, "lending_private")
    assert functions
    for _name, signature, owner, _definer, _config, public_execute in functions:
        assert owner == "lending_owner", signature
        assert not public_execute, f"PUBLIC may execute {signature}"
        for role in ("lending_api", "lending_gateway", "lending_reporting"):
            may = superuser.execute("select has_function_privilege(%s, %s, 'EXECUTE')", [role, signature]).fetchone()[0]
            assert not may, f"{role} may execute {signature}"


def test_private_functions_pin_search_path(superuser: psycopg.Connection) -> None:
    """Every private function resolves names against pg_catalog only: a PL/pgSQL one by pinning search_path, a SQL
    one by having a standard body (BEGIN ATOMIC), whose names were bound when it was created. A SQL function with a
    string body would resolve them at each call, under the caller's search_path."""
    rows = superuser.execute(
        """select p.oid::regprocedure::text, l.lanname, p.proconfig, p.prosqlbody is not null
             from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
            where n.nspname = 'lending_private'"""
    ).fetchall()
    assert rows
    for signature, language, config, bound_at_creation in rows:
        if language == "sql":
            assert bound_at_creation, f"{signature} is SQL with a string body: write it with BEGIN ATOMIC"
            assert config is None, f"{signature} has a SET clause, which keeps it from being inlined"
        else:
            assert config is not None and PINNED in config, f"{signature} has search_path {config}"


def test_the_api_role_calls_functions_but_cannot_touch_tables(client: psycopg.Connection) -> None:
    assert call(client, "lending.schema_version")["version"]
    for statement in (
        "select * from lending_private.application",
        "insert into lending_private.audit_log default values",
        "select lending_private.audit_genesis('application', 1)",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            client.execute(statement)


def test_the_reporting_role_reads_tables_but_cannot_write_or_call(postgresql: psycopg.Connection) -> None:
    with psycopg.connect(role_url(postgresql, "lendgres_test_reporting"), autocommit=True) as reporting:
        assert reporting.execute("select count(*) from lending_private.application").fetchone() == (0,)
        for statement in (
            "update lending_private.application set amount = 1",
            "select lending.get_application(application_id => 1)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reporting.execute(statement)


def test_a_role_without_grants_reaches_nothing(postgresql: psycopg.Connection) -> None:
    with psycopg.connect(role_url(postgresql, "lendgres_test_nobody"), autocommit=True) as nobody:
        for statement in ("select lending.schema_version()", "select * from lending_private.party"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                nobody.execute(statement)


def test_a_caller_cannot_shadow_a_type_with_a_temporary_one(client: psycopg.Connection) -> None:
    """The classic attack on SECURITY DEFINER functions: a temporary jsonb domain whose check would run with the
    owner's rights if a function body resolved jsonb to it."""
    client.execute(
        "create function pg_temp.captured() returns boolean language plpgsql as "
        "$$ begin raise exception 'captured as %', current_user; end $$"
    )
    for name in ("jsonb", "text", "numeric", "bytea"):
        client.execute(f"create domain pg_temp.{name} as pg_catalog.{name} check (pg_temp.captured())")
    created = call(client, "lending.apply", applicant_name="Jane Doe", amount=100, idempotency_key="temp-1")
    assert created["status"] == 201
    decided = call(
        client, "lending.decide", application_id=created["body"]["application_id"], outcome="approved", reason="ok"
    )
    assert decided["status"] == 201
    assert call(client, "lending.application_audit", application_id=created["body"]["application_id"])["verified"]
