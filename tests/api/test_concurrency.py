"""Racing decisions on one application: exactly one wins, the others are told why, one decision row is kept.

The app's pool holds 24 connections, so each of the 20 requests runs on its own connection and in its own
transaction. In the gated variants a superuser transaction holds the application's row lock until all 20 are
queued on it, so that they really collide instead of running one after another.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.api.support import apply, assert_problem, count, wait_for_lock_waiters
from tests.conftest import second_connection

# Marked at collection: conftest adds the anyio mark only after it, and anyio then rebuilds the items without
# their @pytest.mark.parametrize parameters.
pytestmark = pytest.mark.anyio

RACERS = 20


async def race(http, postgresql, application_id, body, gated):
    def post():
        return asyncio.ensure_future(http.post(f"/loans/{application_id}/decision", json=body))

    if not gated:
        return await asyncio.gather(*[post() for _ in range(RACERS)])
    with second_connection(postgresql) as holder:
        holder.execute(
            "select 1 from lending_private.application where application_id = %s for update", (application_id,)
        )
        requests = [post() for _ in range(RACERS)]
        await wait_for_lock_waiters(postgresql, RACERS)
        holder.commit()
    return await asyncio.gather(*requests)


def assert_one_winner(postgresql, responses, application_id, loser_codes):
    outcomes = Counter(r.status_code for r in responses)
    assert outcomes == {201: 1, 409: RACERS - 1}, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            problem = assert_problem(response, 409, response.json()["code"])
            assert problem["code"] in loser_codes, problem
    decisions = "select count(*) from lending_private.decision where application_id = %s"
    assert count(postgresql, decisions, application_id) == 1


@pytest.mark.parametrize("gated", [False, True], ids=["released-together", "queued-on-the-row-lock"])
async def test_twenty_decisions_one_wins(http, postgresql, gated):
    application_id = (await apply(http))["application_id"]

    responses = await race(http, postgresql, application_id, {"outcome": "approved", "reason": "race"}, gated)

    assert_one_winner(postgresql, responses, application_id, {"invalid_transition", "version_conflict"})
    losers = [r.json() for r in responses if r.status_code == 409]
    assert all(p["current_status"] == "approved" for p in losers)
    application = (await http.get(f"/loans/{application_id}")).json()
    assert (application["status"], application["version"], len(application["decisions"])) == ("approved", 2, 1)


@pytest.mark.parametrize("gated", [False, True], ids=["released-together", "queued-on-the-row-lock"])
async def test_twenty_decisions_at_expected_version_one_wins(http, postgresql, gated):
    application_id = (await apply(http))["application_id"]
    body = {"outcome": "approved", "reason": "race", "expected_version": 1}

    responses = await race(http, postgresql, application_id, body, gated)

    assert_one_winner(postgresql, responses, application_id, {"version_conflict"})
    assert all(r.json()["current_version"] == 2 for r in responses if r.status_code == 409)
    application = (await http.get(f"/loans/{application_id}")).json()
    assert (application["status"], application["version"]) == ("approved", 2)


async def test_racing_manual_reviews_leave_one_decision(http, postgresql):
    """manual_review -> manual_review is not a transition either: the losers see the winner's status."""
    application_id = (await apply(http))["application_id"]

    responses = await race(http, postgresql, application_id, {"outcome": "manual_review", "reason": "race"}, True)

    assert_one_winner(postgresql, responses, application_id, {"invalid_transition"})
    audit = (await http.get(f"/loans/{application_id}/audit")).json()
    assert audit["verified"] is True
    assert len(audit["entries"]) == 3  # the application's insert, one decision, one status change


# One applicant_external_ref, many applies: one condition, one code --------------------------------------------------

APPLIES = 50


@pytest.mark.parametrize("gated", [False, True], ids=["released-together", "queued-on-the-first-insert"])
async def test_fifty_applies_with_one_applicant_external_ref_are_one_applicant(http, postgresql, gated):
    """Every apply that does not file the applicant is told applicant_exists, with its id: none is a `conflict`
    naming a constraint. Gated, a superuser transaction files the applicant first and commits only once the pool's
    requests wait for it, so that they meet the insert in progress rather than the committed row."""
    body = {"applicant_name": "Jane Doe", "amount": 100, "applicant_external_ref": "crm-fifty"}

    def post():
        return asyncio.ensure_future(http.post("/loans/apply", json=body))

    if not gated:
        responses = await asyncio.gather(*[post() for _ in range(APPLIES)])
    else:
        with second_connection(postgresql) as holder:
            holder.execute("insert into lending_private.party (name, external_ref) values ('Jane Doe', 'crm-fifty')")
            requests = [post() for _ in range(APPLIES)]
            await wait_for_lock_waiters(postgresql, 20)
            holder.commit()
        responses = await asyncio.gather(*requests)

    applicant_id = count(postgresql, "select party_id from lending_private.party where external_ref = 'crm-fifty'")
    outcomes = Counter(r.status_code for r in responses)
    assert outcomes == ({409: APPLIES} if gated else {201: 1, 409: APPLIES - 1}), [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            problem = assert_problem(response, 409, "applicant_exists")
            assert problem["applicant_id"] == applicant_id
        else:
            assert response.json()["applicant_id"] == applicant_id
