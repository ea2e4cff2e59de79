"""Idempotency-Key: a retry replays the first response and writes nothing, whatever the timing."""

from __future__ import annotations

import asyncio

import pytest

from tests.api.support import apply, assert_problem, count, decide, wait_for_lock_waiters
from tests.conftest import bearer, second_connection

# Marked at collection: conftest adds the anyio mark only after it, and anyio then rebuilds the items without
# their @pytest.mark.parametrize parameters.
pytestmark = pytest.mark.anyio

JANE = {"applicant_name": "Jane Doe", "amount": 15000}
APPLICATIONS = "select count(*) from lending_private.application"


async def test_same_key_and_body_replays_the_first_response(http, postgresql):
    first = await http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "apply-1"})
    second = await http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "apply-1"})

    assert first.status_code == 201, first.text
    assert first.headers["idempotent-replayed"] == "false"
    assert second.status_code == 201, second.text
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    assert count(postgresql, APPLICATIONS) == 1
    assert count(postgresql, "select count(*) from lending_private.party") == 1


async def test_replay_is_the_stored_response_not_the_current_state(http):
    first = await http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "apply-1"})
    application_id = first.json()["application_id"]
    assert (await decide(http, application_id, "approved")).status_code == 201

    replay = await http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "apply-1"})

    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert replay.json()["status"] == "pending"


async def test_same_key_with_another_body_is_422_idempotency_key_reused(http, postgresql):
    first = await http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "apply-1"})
    assert first.status_code == 201

    response = await http.post("/loans/apply", json={**JANE, "amount": 15001}, headers={"Idempotency-Key": "apply-1"})

    problem = assert_problem(response, 422, "idempotency_key_reused")
    assert problem["idempotency_key"] == "apply-1"
    assert problem["operation"] == "apply"
    assert problem["first_used_at"] and problem["expires_at"]
    assert count(postgresql, APPLICATIONS) == 1


async def test_same_key_for_another_operation_is_refused(http, postgresql):
    application_id = (await apply(http, headers={"Idempotency-Key": "key-1"}))["application_id"]

    response = await decide(http, application_id, "approved", headers={"Idempotency-Key": "key-1"})

    assert_problem(response, 422, "idempotency_key_reused")
    assert count(postgresql, "select count(*) from lending_private.decision") == 0


async def test_keys_are_per_actor(http, postgresql):
    alice = await http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "k", **bearer("intake-agent")})
    bob = await http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "k", **bearer("underwriter-1")})
    alice_again = await http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "k", **bearer("intake-agent")})

    assert (alice.status_code, bob.status_code) == (201, 201)
    assert alice.headers["idempotent-replayed"] == "false"
    assert bob.headers["idempotent-replayed"] == "false"
    assert bob.json()["application_id"] != alice.json()["application_id"]
    assert alice_again.headers["idempotent-replayed"] == "true"
    assert alice_again.json() == alice.json()
    assert count(postgresql, APPLICATIONS) == 2


async def test_expired_key_makes_a_new_write(http, postgresql):
    first = await http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "apply-1"})
    postgresql.execute(
        "update lending_private.idempotency_key set expires_at = now() - interval '1 second' "
        "where idempotency_key = 'apply-1'"
    )

    again = await http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "apply-1"})

    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "false"
    assert again.json()["application_id"] != first.json()["application_id"]
    assert count(postgresql, APPLICATIONS) == 2
    # The key now guards the new write.
    replay = await http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "apply-1"})
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == again.json()


async def test_expired_key_may_be_used_for_another_body(http, postgresql):
    await http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "apply-1"})
    postgresql.execute("update lending_private.idempotency_key set expires_at = now() - interval '1 second'")

    response = await http.post("/loans/apply", json={**JANE, "amount": 2}, headers={"Idempotency-Key": "apply-1"})

    assert response.status_code == 201, response.text
    assert response.json()["amount"] == "2.00"


async def test_a_failed_write_does_not_use_up_its_key(http, postgresql):
    refused = await http.post("/loans/apply", json={**JANE, "amount": 0}, headers={"Idempotency-Key": "apply-1"})
    assert_problem(refused, 422, "validation_failed")

    fixed = await http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "apply-1"})

    assert fixed.status_code == 201, fixed.text
    assert fixed.headers["idempotent-replayed"] == "false"
    assert count(postgresql, APPLICATIONS) == 1


async def test_decision_and_withdrawal_replay(http, postgresql):
    application_id = (await apply(http))["application_id"]
    decision = await decide(http, application_id, "manual_review", headers={"Idempotency-Key": "d-1"})
    decision_again = await decide(http, application_id, "manual_review", headers={"Idempotency-Key": "d-1"})
    withdrawal = await http.post(
        f"/loans/{application_id}/withdraw", json={"reason": "no"}, headers={"Idempotency-Key": "w-1"}
    )
    withdrawal_again = await http.post(
        f"/loans/{application_id}/withdraw", json={"reason": "no"}, headers={"Idempotency-Key": "w-1"}
    )

    assert decision.status_code == decision_again.status_code == 201
    assert decision_again.headers["idempotent-replayed"] == "true"
    assert decision_again.json() == decision.json()
    assert withdrawal.status_code == withdrawal_again.status_code == 200
    assert withdrawal_again.headers["idempotent-replayed"] == "true"
    assert withdrawal_again.json() == withdrawal.json()
    assert count(postgresql, "select count(*) from lending_private.decision") == 1
    assert (await http.get(f"/loans/{application_id}")).json()["version"] == 3


async def test_concurrent_requests_with_one_key_write_once(http, postgresql):
    responses = await asyncio.gather(
        *[http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "burst"}) for _ in range(10)]
    )

    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses if r.status_code != 201]
    replayed = [r.headers["idempotent-replayed"] for r in responses]
    assert replayed.count("false") == 1, replayed
    assert replayed.count("true") == 9, replayed
    assert len({r.text for r in responses}) == 1
    assert count(postgresql, APPLICATIONS) == 1


async def test_requests_queued_on_a_held_key_write_once(http, postgresql):
    """All ten requests queue on the key's lock (the advisory lock idempotency_claim takes, see the migration
    create_idempotency_keys) while an open transaction holds it; when it is released they go one by one: the first
    writes, the others replay its response. The race is thus certain rather than left to timing."""
    with second_connection(postgresql) as holder:
        holder.execute(
            "select pg_advisory_xact_lock(hashtext('lending_private.idempotency_key'), hashtext('test-admin burst'))"
        )
        requests = [
            asyncio.ensure_future(http.post("/loans/apply", json=JANE, headers={"Idempotency-Key": "burst"}))
            for _ in range(10)
        ]
        await wait_for_lock_waiters(postgresql, 10)
        assert count(postgresql, APPLICATIONS) == 0
        holder.rollback()
    responses = await asyncio.gather(*requests)

    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses if r.status_code != 201]
    replayed = [r.headers["idempotent-replayed"] for r in responses]
    assert replayed.count("false") == 1, replayed
    assert len({r.text for r in responses}) == 1
    assert count(postgresql, APPLICATIONS) == 1


@pytest.mark.parametrize(
    "path", ["/loans/apply", "/loans/{application_id}/decision", "/loans/{application_id}/withdraw"]
)
async def test_every_write_documents_its_idempotency_key_and_refuses_a_bad_one_by_name(http, path):
    """Idempotency-Key is read by the routes themselves, not by FastAPI: its documentation and its refusals still
    name it. The function says what is wrong with a long key; a NUL byte never reaches it."""
    operation = (await http.get("/openapi.json")).json()["paths"][path]["post"]
    assert {"name": "Idempotency-Key", "in": "header"}.items() <= next(
        parameter for parameter in operation["parameters"] if parameter["name"] == "Idempotency-Key"
    ).items()

    application_id = (await http.post("/loans/apply", json=JANE)).json()["application_id"]
    url = path.format(application_id=application_id)
    body = JANE if path == "/loans/apply" else {"outcome": "approved", "reason": "ok"} if "decision" in path else {}
    for key, field in (("k" * 256, "idempotency_key"), ("k\x00", "Idempotency-Key")):
        problem = assert_problem(
            await http.post(url, json=body, headers={"Idempotency-Key": key}), 422, "validation_failed"
        )
        assert [error["field"] for error in problem["errors"]] == [field]
