"""API keys and permissions over HTTP: every route called with every role's key, and the life of a key (made,
shown once, stored as a hash, expired, revoked) as a client sees it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import subprocess
import time
from typing import Any

import httpx
import psycopg
import pytest

from lendgres import migrations
from lendgres.app import create_app
from lendgres.settings import Settings
from tests.api.support import RawMcp, apply, assert_problem, json_text
from tests.conftest import ACTOR_ROLES, bearer, role_url
from tests.db.access.test_permissions import MATRIX

pytestmark = pytest.mark.anyio

# The operation each route needs: None for any active actor. Routes without a key are listed in PUBLIC_ROUTES.
ROUTE_OPERATIONS: dict[tuple[str, str], str | None] = {
    ("post", "/loans/apply"): "apply",
    ("get", "/loans/{application_id}"): "read_applications",
    ("post", "/loans/{application_id}/decision"): "decide",
    ("post", "/loans/{application_id}/withdraw"): "withdraw",
    ("get", "/loans"): "read_applications",
    ("get", "/loans/{application_id}/audit"): "read_audit",
    ("get", "/events"): "read_events",
    ("get", "/me"): None,
    ("get", "/actors"): "manage_actors",
    ("post", "/actors"): "manage_actors",
    ("patch", "/actors/{name}"): "manage_actors",
    ("get", "/keys"): "manage_keys",
    ("post", "/keys"): "manage_keys",
    ("post", "/keys/{key_id}/revoke"): "manage_keys",
    ("patch", "/loans/{application_id}"): "update_application",
    ("get", "/products"): "read_products",
    ("get", "/products/{product_code}"): "read_products",
    ("post", "/products"): "manage_products",
    ("patch", "/products/{product_code}"): "manage_products",
    ("get", "/reason-codes"): "read_products",
    ("post", "/loans/{application_id}/assessment"): "assess",
    ("get", "/reviews"): "claim_review",
    ("post", "/loans/{application_id}/claim"): "claim_review",
    ("post", "/loans/{application_id}/confirmation"): "confirm_decision",
    ("post", "/loans/{application_id}/offer/accept"): "accept_offer",
    ("post", "/loans/{application_id}/offer/decline"): "decline_offer",
    ("get", "/loans/{application_id}/notice"): "read_applications",
    ("post", "/loans/{application_id}/notice/deliveries"): "decide",
}
PUBLIC_ROUTES = {("get", "/healthz"), ("get", "/readyz")}

SAMPLE_BODIES: dict[tuple[str, str], Any] = {
    ("post", "/loans/apply"): {"applicant_name": "Jane Doe", "amount": 100},
    ("post", "/loans/{application_id}/decision"): {"outcome": "manual_review", "reason": "look again"},
    ("post", "/loans/{application_id}/withdraw"): {"reason": "changed mind"},
    ("post", "/actors"): {"name": "made-over-http", "kind": "agent", "role": "reader"},
    ("patch", "/actors/{name}"): {"active": True},
    ("post", "/keys"): {"actor": "intake-agent"},
    ("patch", "/loans/{application_id}"): {"purpose": "Car"},
    ("post", "/products"): {
        "product_code": "made_over_http",
        "name": "Made over HTTP",
        "min_amount": 1,
        "max_amount": 1000,
        "min_term_months": 1,
        "max_term_months": 12,
        "rates": dict.fromkeys("ABCDE", 10),
        "agent_approval_limit": 1000,
    },
    ("patch", "/products/{product_code}"): {"name": "Standard loan"},
    ("post", "/loans/{application_id}/confirmation"): {"confirm": True},
    ("post", "/loans/{application_id}/notice/deliveries"): {"channel": "email"},
}


def route_url(path: str, application_id: int) -> str:
    """A route's path with its parameters filled in: ids that exist, except a key id that does not."""
    return path.format(application_id=application_id, name="intake-agent", key_id=2**62, product_code="standard")


def make_key(postgresql: psycopg.Connection, actor: str, **options: Any) -> dict[str, Any]:
    """A new API key for `actor`, made by the operator; the body includes the secret (api_key)."""
    row = postgresql.execute(
        "select lending.create_api_key(for_actor => %s, label => %s)", [actor, options.get("label")]
    ).fetchone()
    assert row is not None
    key: dict[str, Any] = row[0]["body"]
    return key


def with_key(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def until_refused(http: httpx.AsyncClient, path: str, secret: str) -> None:
    """Waits until a revoked key stops working; the revocation's notification must arrive within 2 s."""
    started = time.monotonic()
    while (await http.get(path, headers=with_key(secret))).status_code == 200:
        assert time.monotonic() - started < 2, "the revocation notification did not arrive"
        await asyncio.sleep(0.01)


async def test_every_route_answers_every_role_as_the_matrix_says(http, app, postgresql):
    documented = {
        (method, path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert documented == set(ROUTE_OPERATIONS) | PUBLIC_ROUTES, "a route needs a row in the matrix"
    wrong = []
    for role in ACTOR_ROLES:
        for (method, path), operation in ROUTE_OPERATIONS.items():
            application_id = (await apply(http))["application_id"]
            url = route_url(path, application_id)
            response = await http.request(
                method, url, json=SAMPLE_BODIES.get((method, path)), headers=bearer(f"test-{role}")
            )
            allowed = operation is None or operation in MATRIX[role]
            if (allowed and response.status_code in (401, 403)) or (not allowed and response.status_code != 403):
                wrong.append(f"{role} {method} {path}: {response.status_code} {response.text[:120]}")
            if not allowed:
                assert_problem(response, 403, "forbidden")
    assert wrong == []


async def test_public_routes_need_no_key(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lendgres.test") as anonymous:
        for path in ("/healthz", "/readyz", "/docs", "/openapi.json"):
            assert (await anonymous.get(path)).status_code == 200, path
        for method, path in ROUTE_OPERATIONS:
            response = await anonymous.request(method, route_url(path, 1))
            problem = assert_problem(response, 401, "unauthenticated")
            assert "Authorization: Bearer" in problem["detail"]
            assert response.headers["www-authenticate"] == 'Bearer realm="lendgres"'


async def test_the_openapi_document_names_the_bearer_scheme(app):
    document = app.openapi()
    assert document["components"]["securitySchemes"]["api_key"]["scheme"].lower() == "bearer"
    for (method, path), _operation in ROUTE_OPERATIONS.items():
        operation = document["paths"][path][method]
        assert operation["security"] == [{"api_key": []}], (method, path)
        assert {"401", "403"} <= set(operation["responses"]), (method, path)


async def test_a_forbidden_call_says_which_roles_may(http):
    application_id = (await apply(http))["application_id"]
    response = await http.post(
        f"/loans/{application_id}/decision", json={"outcome": "approved", "reason": "ok"}, headers=bearer("test-intake")
    )
    problem = assert_problem(response, 403, "forbidden")
    assert (problem["actor"], problem["role"], problem["operation"]) == ("test-intake", "intake", "decide")
    assert problem["allowed_roles"] == ["admin", "reviewer", "underwriter"]
    assert (await http.get(f"/loans/{application_id}")).json()["status"] == "pending"


async def test_me_tells_the_actor_and_its_operations(http):
    response = await http.get("/me", headers=bearer("underwriter-1"))
    assert response.status_code == 200, response.text
    me = response.json()
    assert (me["name"], me["kind"], me["role"], me["active"]) == ("underwriter-1", "agent", "underwriter", True)
    assert set(me["operations"]) == MATRIX["underwriter"]
    assert "db_role" not in me


async def test_a_key_is_shown_once_and_only_its_hash_is_stored(http, postgresql, caplog):
    caplog.set_level(logging.DEBUG)
    key = make_key(postgresql, "intake-agent", label="intake bot")
    secret = key["api_key"]
    assert secret.startswith("lgk_") and len(secret) == 68
    assert key["prefix"] == secret[:12] and key["state"] == "active"

    assert (
        await http.post("/loans/apply", json={"applicant_name": "J", "amount": 1}, headers=with_key(secret))
    ).status_code == 201
    await http.get("/loans", headers=with_key(secret[:-1] + ("A" if secret[-1] != "A" else "B")))

    listed = postgresql.execute("select lending.list_api_keys(for_actor => 'intake-agent')").fetchone()[0]["items"]
    assert [k["label"] for k in listed][-1] == "intake bot"
    assert secret not in str(listed)
    stored = postgresql.execute("select key_hash from lending_private.api_key where key_id = %s", [key["key_id"]])
    assert stored.fetchone()[0] == hashlib.sha256(secret.encode()).digest()

    dump = data_dump(postgresql)
    assert key["prefix"] in dump  # the dump does hold the keys' rows ...
    assert secret not in dump and secret[12:] not in dump  # ... but not the secret
    assert all(secret not in record.getMessage() for record in caplog.records)
    assert any("/loans/apply" in record.getMessage() for record in caplog.records)


def data_dump(postgresql: psycopg.Connection) -> str:
    """Every row of the test database, as pg_dump writes them."""
    info = postgresql.info
    return subprocess.run(
        [
            str(migrations.pg_bin_dir() / "pg_dump"),
            "--data-only",
            "-h",
            info.host,
            "-p",
            str(info.port),
            "-U",
            info.user,
            info.dbname,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


async def test_an_expired_key_is_refused(http, postgresql):
    key = make_key(postgresql, "intake-agent")
    # Keys are made to expire in the future; move this one's dates back, past its triggers (created_at is kept).
    postgresql.execute("set session_replication_role = replica")
    postgresql.execute(
        "update lending_private.api_key set created_at = now() - interval '2 days', "
        "expires_at = now() - interval '1 day' where key_id = %s",
        [key["key_id"]],
    )
    postgresql.execute("reset session_replication_role")
    response = await http.get("/loans", headers=with_key(key["api_key"]))
    assert_problem(response, 401, "unauthenticated")
    listed = postgresql.execute("select lending.list_api_keys(for_actor => 'intake-agent')").fetchone()[0]["items"]
    assert [k["state"] for k in listed if k["key_id"] == key["key_id"]] == ["expired"]


async def test_a_revoked_key_is_refused_as_soon_as_the_revocation_commits(http, postgresql):
    key = make_key(postgresql, "intake-agent")
    assert (await http.get("/loans", headers=with_key(key["api_key"]))).status_code == 200  # now cached
    postgresql.execute("select lending.revoke_api_key(key_id => %s)", [key["key_id"]])
    await until_refused(http, "/loans", key["api_key"])
    assert_problem(await http.get("/loans", headers=with_key(key["api_key"])), 401, "unauthenticated")


async def test_a_missed_revocation_still_takes_effect_within_the_cache_period(postgresql):
    postgresql.autocommit = True
    settings = Settings(database_url=role_url(postgresql, "lendgres_test_http"), key_cache_seconds=0.5)
    app = create_app(settings)
    key = make_key(postgresql, "intake-agent")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lendgres.test") as http:
            first = await http.get("/loans", headers=with_key(key["api_key"]))
            assert first.status_code == 200, first.text
            await app.state.events_listener.stop()  # nobody hears the notification now
            postgresql.execute("select lending.revoke_api_key(key_id => %s)", [key["key_id"]])
            revoked_at = time.monotonic()
            statuses = []
            while not statuses or statuses[-1] == 200:
                await asyncio.sleep(0.02)
                statuses.append((await http.get("/loans", headers=with_key(key["api_key"]))).status_code)
            assert time.monotonic() - revoked_at <= settings.key_cache_seconds + 0.5
            assert statuses[0] == 200, "the revocation was heard after all: this test proves nothing"


async def test_a_deactivated_actor_is_refused_at_once_whatever_its_key(http, postgresql):
    assert (await http.get("/loans", headers=bearer("reviewer-2"))).status_code == 200
    postgresql.execute("select lending.update_actor(name => 'reviewer-2', active => false)")
    assert_problem(await http.get("/loans", headers=bearer("reviewer-2")), 401, "unauthenticated")
    postgresql.execute("select lending.update_actor(name => 'reviewer-2', active => true)")
    assert (await http.get("/loans", headers=bearer("reviewer-2"))).status_code == 200


async def test_a_role_change_applies_to_the_next_call(http, postgresql):
    application_id = (await apply(http))["application_id"]
    body = {"outcome": "manual_review", "reason": "promoted"}
    assert (
        await http.post(f"/loans/{application_id}/decision", json=body, headers=bearer("intake-agent"))
    ).status_code == 403
    postgresql.execute("select lending.update_actor(name => 'intake-agent', role => 'underwriter')")
    response = await http.post(f"/loans/{application_id}/decision", json=body, headers=bearer("intake-agent"))
    assert response.status_code == 201, response.text
    assert response.json()["decided_by"] == "intake-agent"


async def test_creating_an_actor_with_an_idempotency_key_is_retry_safe(http, postgresql):
    body = {"name": "retried-agent", "kind": "agent", "role": "reader"}
    first = await http.post("/actors", json=body, headers={"Idempotency-Key": "actor-1"})
    retry = await http.post("/actors", json=body, headers={"Idempotency-Key": "actor-1"})

    assert (first.status_code, first.headers["idempotent-replayed"]) == (201, "false"), first.text
    assert (retry.status_code, retry.headers["idempotent-replayed"]) == (201, "true"), retry.text
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"] == "/actors/retried-agent"
    made = postgresql.execute("select count(*) from lending_private.actor where name = 'retried-agent'").fetchone()
    assert made == (1,)
    # Without the key, the same request is a second creation, refused.
    assert_problem(await http.post("/actors", json=body), 409, "actor_exists")
    # With the key, another request is refused too: the key names the first one.
    other = await http.post("/actors", json={**body, "role": "admin"}, headers={"Idempotency-Key": "actor-1"})
    assert assert_problem(other, 422, "idempotency_key_reused")["operation"] == "create_actor"


async def test_making_a_key_refuses_an_idempotency_key_rather_than_ignore_it(http, postgresql):
    keys = "select count(*) from lending_private.api_key"
    before = postgresql.execute(keys).fetchone()

    refused = await http.post("/keys", json={"actor": "test-reader"}, headers={"Idempotency-Key": "key-1"})

    problem = assert_problem(refused, 422, "validation_failed")
    assert problem["errors"][0]["location"] == "header" and problem["errors"][0]["field"] == "Idempotency-Key"
    assert "GET /keys" in problem["detail"]
    assert postgresql.execute(keys).fetchone() == before


async def test_revoking_twice_answers_the_same(http):
    key = (await http.post("/keys", json={"actor": "test-reader"})).json()
    first = await http.post(f"/keys/{key['key_id']}/revoke")
    again = await http.post(f"/keys/{key['key_id']}/revoke")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()


async def test_an_admin_manages_actors_and_keys_over_http(http, postgresql):
    created = await http.post("/actors", json={"name": "web-intake", "kind": "agent", "role": "intake"})
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/actors/web-intake"
    assert (created.json()["role"], created.json()["active"]) == ("intake", True)
    assert_problem(
        await http.post("/actors", json={"name": "web-intake", "kind": "agent", "role": "intake"}), 409, "actor_exists"
    )
    assert_problem(
        await http.post("/actors", json={"name": "x", "kind": "robot", "role": "intake"}), 422, "validation_failed"
    )

    issued = await http.post("/keys", json={"actor": "web-intake", "label": "web", "expires_in_days": 7})
    assert issued.status_code == 201, issued.text
    key = issued.json()
    assert key["api_key"].startswith("lgk_") and key["prefix"] == key["api_key"][:12]
    assert "idempotent-replayed" in issued.headers
    me = await http.get("/me", headers=with_key(key["api_key"]))
    assert (me.status_code, me.json()["name"]) == (200, "web-intake")

    listed = await http.get("/keys", params={"actor": "web-intake"})
    assert [(k["key_id"], k["state"]) for k in listed.json()["items"]] == [(key["key_id"], "active")]
    assert key["api_key"] not in listed.text
    assert "web-intake" in [a["name"] for a in (await http.get("/actors")).json()["items"]]

    promoted = await http.patch("/actors/web-intake", json={"role": "underwriter"})
    assert (promoted.status_code, promoted.json()["role"], promoted.json()["version"]) == (200, "underwriter", 2)
    assert set((await http.get("/me", headers=with_key(key["api_key"]))).json()["operations"]) == MATRIX["underwriter"]
    assert_problem(await http.patch("/actors/nobody-here", json={"active": False}), 404, "not_found")

    revoked = await http.post(f"/keys/{key['key_id']}/revoke")
    assert (revoked.status_code, revoked.json()["state"]) == (200, "revoked")
    assert "api_key" not in revoked.json()
    await until_refused(http, "/me", key["api_key"])
    assert_problem(await http.post("/keys/999999999/revoke"), 404, "not_found")
    # The secret was never stored: nowhere in the database.
    assert key["api_key"] not in data_dump(postgresql)


# Administration cannot lock itself out -----------------------------------------------------------------------------


async def test_administration_cannot_lock_itself_out_over_http_or_mcp(http, served, postgresql):
    """The issue's path to a lockout, on both faces: the operator cannot be demoted, an admin cannot demote itself,
    and the last admin (apart from the operator) stays one; each refusal is a problem with its own code."""
    operator_key = with_key(make_key(postgresql, "operator")["api_key"])
    admins = "select string_agg(name, ',' order by name) from lending_private.actor where role = 'admin' and active"
    async with RawMcp(served, "test-admin") as mcp:
        for change in ({"role": "reader"}, {"active": False}):
            assert_problem(await http.patch("/actors/operator", json=change), 403, "operator_protected")
            assert problem_of(await mcp.call_tool("update_actor", json_text({"name": "operator", **change}))) == (
                403,
                "operator_protected",
            )
            assert_problem(await http.patch("/actors/test-admin", json=change), 409, "admin_self_demotion")
            assert problem_of(await mcp.call_tool("update_actor", json_text({"name": "test-admin", **change}))) == (
                409,
                "admin_self_demotion",
            )
        assert postgresql.execute(admins).fetchone() == ("operator,test-admin,test-service",)

        assert (await http.patch("/actors/test-service", json={"active": False})).status_code == 200
        for change in ({"role": "reader"}, {"active": False}):
            # Not even the operator's own key may take the last admin away.
            problem = assert_problem(
                await http.patch("/actors/test-admin", json=change, headers=operator_key), 409, "last_admin"
            )
            assert problem["name"] == "test-admin" and "last active admin" in problem["detail"]
    async with RawMcp(served, "test-admin") as mcp:
        mcp.http.headers.update(operator_key)
        result = await mcp.call_tool("update_actor", json_text({"name": "test-admin", "role": "reader"}))
        assert problem_of(result) == (409, "last_admin")
    assert postgresql.execute(admins).fetchone() == ("operator,test-admin",)


async def test_the_document_says_a_change_of_an_actor_may_be_refused_as_a_lockout(app):
    patch = app.openapi()["paths"]["/actors/{name}"]["patch"]
    assert {"403", "409"} <= set(patch["responses"])
    assert all(code in patch["description"] for code in ("operator_protected", "admin_self_demotion", "last_admin"))


def problem_of(result: dict[str, Any]) -> tuple[int, str]:
    """The status and code of the problem a tool's error result carries."""
    assert result["isError"], result
    problem = json.loads(result["content"][0]["text"])
    return problem["status"], problem["code"]
