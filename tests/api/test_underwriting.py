"""Underwriting over HTTP, against the database: products, an application's facts as a merge patch, assessments,
decisions with reason codes, review claims, the second person's confirmation, offers and adverse-action notices.
Each operation: its happy path, its problems with their codes, who may call it, and a replay of a write."""

from __future__ import annotations

import re
from itertools import count as numbered
from typing import Any, get_args

import httpx
import psycopg
import pytest

from lendgres.loans.models import ReasonCode
from tests.api.support import assert_problem, count, error_fields
from tests.conftest import bearer

pytestmark = pytest.mark.anyio

ROLES = ("reader", "intake", "underwriter", "reviewer", "servicer", "admin")
INTAKE, UNDERWRITER, REVIEWER, OTHER_REVIEWER = "intake-agent", "underwriter-1", "reviewer-2", "test-reviewer"

# A product with a policy: a credit score of 640 or more, or rejection; a debt-to-income of at most 0.45, or a
# person looks at it. An agent approves up to 20000 alone.
PRODUCT: dict[str, Any] = {
    "name": "Personal loan",
    "currency": "USD",
    "min_amount": "1000.00",
    "max_amount": "50000.00",
    "min_term_months": 6,
    "max_term_months": 60,
    "rates": {"A": "6.99", "B": "8.99", "C": "11.99", "D": "15.99", "E": "21.99"},
    "origination_fee_percent": "1.5",
    "origination_fee_cap": "500.00",
    "agent_approval_limit": "20000.00",
    "rules": [
        {
            "measure": "credit_score",
            "comparison": ">=",
            "threshold": 640,
            "reason_code": "insufficient_credit_score",
            "on_failure": "reject",
        },
        {
            "measure": "debt_to_income",
            "comparison": "<=",
            "threshold": "0.45",
            "reason_code": "excessive_obligations",
            "on_failure": "refer",
        },
    ],
}
# Facts that pass that policy: income 90000 a year, 450 a month of other debts, a score of 720.
FACTS: dict[str, Any] = {
    "amount": "12000.00",
    "term_months": 36,
    "annual_income": "90000.00",
    "monthly_debt_payments": "450.00",
    "employment_status": "employed",
    "months_employed": 48,
    "housing_status": "rent",
    "credit_score": 720,
    "credit_score_source": "Experian",
    "credit_score_date": "2026-11-20",
    "date_of_birth": "1988-04-17",
    "income_verified": True,
    "identity_verified": True,
}

_codes = numbered(1)


async def product(http: httpx.AsyncClient, **terms: Any) -> str:
    """Creates a product with PRODUCT's terms (and `terms` over them); returns its code."""
    code = f"product_{next(_codes)}"
    created = await http.post("/products", json={**PRODUCT, "product_code": code, **terms})
    assert created.status_code == 201, created.text
    return code


async def filed(http: httpx.AsyncClient, product_code: str | None, **facts: Any) -> dict[str, Any]:
    """Files an application with FACTS (and `facts` over them) under a product, as the intake agent."""
    body = {"applicant_name": "Jane Doe", **FACTS, **({"product_code": product_code} if product_code else {}), **facts}
    response = await http.post("/loans/apply", json=body, headers=bearer(INTAKE))
    assert response.status_code == 201, response.text
    application: dict[str, Any] = response.json()
    return application


async def assessed(http: httpx.AsyncClient, application_id: int) -> dict[str, Any]:
    response = await http.post(f"/loans/{application_id}/assessment", headers=bearer(UNDERWRITER))
    assert response.status_code == 201, response.text
    assessment: dict[str, Any] = response.json()
    return assessment


# What an agent says of itself when it decides under a product that requires an assessment.
AGENT = {"model_name": "uw-agent", "model_version": "2026.12", "confidence": "0.9"}


async def decided(
    http: httpx.AsyncClient, application_id: int, outcome: str, actor: str = UNDERWRITER, **fields: Any
) -> dict[str, Any]:
    """Decides as the underwriter agent (with AGENT's account of itself), or as `actor`."""
    body = {"outcome": outcome, "reason": f"{outcome} in a test", **(AGENT if actor == UNDERWRITER else {}), **fields}
    response = await http.post(f"/loans/{application_id}/decision", json=body, headers=bearer(actor))
    assert response.status_code == 201, response.text
    decision: dict[str, Any] = response.json()
    return decision


async def status_of(http: httpx.AsyncClient, application_id: int) -> str:
    status: str = (await http.get(f"/loans/{application_id}")).json()["status"]
    return status


# Products ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
async def test_every_role_reads_products(http, role):
    listed = await http.get("/products", headers=bearer(f"test-{role}"))
    one = await http.get("/products/standard", headers=bearer(f"test-{role}"))

    assert listed.status_code == 200, listed.text
    assert "standard" in [item["product_code"] for item in listed.json()["items"]]
    assert one.status_code == 200, one.text
    assert one.headers["etag"] == '"1"'
    standard = one.json()
    assert (standard["version"], standard["requires_assessment"], standard["currency"]) == (1, False, None)
    assert standard["rates"] == dict.fromkeys("ABCDE", "9.99")


async def test_an_admin_creates_a_product_once(http, postgresql):
    body = {**PRODUCT, "product_code": "personal"}

    created = await http.post("/products", json=body, headers={"Idempotency-Key": "product-1"})
    replayed = await http.post("/products", json=body, headers={"Idempotency-Key": "product-1"})
    again = await http.post("/products", json=body)

    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/products/personal"
    product = created.json()
    assert (product["product_code"], product["version"], product["current_version"]) == ("personal", 1, 1)
    assert product["rates"] == PRODUCT["rates"]
    assert [(rule["position"], rule["measure"], rule["threshold"]) for rule in product["rules"]] == [
        (1, "credit_score", "640"),
        (2, "debt_to_income", "0.45"),
    ]
    assert (product["amortization"], product["requires_assessment"], product["offer_valid_days"]) == (
        "annuity",
        True,
        30,
    )
    assert (replayed.status_code, replayed.headers["idempotent-replayed"]) == (201, "true")
    assert replayed.json() == product
    problem = assert_problem(again, 409, "product_exists")
    assert problem["product_code"] == "personal"
    assert (await http.get("/products/personal")).json() == product
    assert count(postgresql, "select count(*) from lending_private.product_version") == 2  # standard's and this


@pytest.mark.parametrize("role", ["reader", "intake", "underwriter", "reviewer", "servicer"])
async def test_only_an_admin_manages_products(http, role):
    code = await product(http)

    created = await http.post("/products", json={**PRODUCT, "product_code": "mine"}, headers=bearer(f"test-{role}"))
    changed = await http.patch(f"/products/{code}", json={"name": "Mine"}, headers=bearer(f"test-{role}"))

    for response in (created, changed):
        problem = assert_problem(response, 403, "forbidden")
        assert problem["operation"] == "manage_products"
    assert (await http.get("/products/mine")).status_code == 404
    assert (await http.get(f"/products/{code}")).json()["version"] == 1


async def test_a_bad_product_names_every_bad_field(http):
    body = {**PRODUCT, "product_code": "Bad Code", "min_amount": "60000.00", "rates": {"A": "7"}}

    response = await http.post("/products", json=body)

    problem = assert_problem(response, 422, "validation_failed")
    assert {"product_code", "max_amount", "rates"} <= error_fields(problem)


async def test_a_product_changes_by_merge_patch_into_a_new_version(http):
    code = await product(http)
    first = await http.get(f"/products/{code}")

    changed = await http.patch(
        f"/products/{code}",
        json={"max_amount": "40000.00", "origination_fee_cap": None},
        headers={"If-Match": first.headers["etag"], "Content-Type": "application/merge-patch+json"},
    )

    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    new = changed.json()
    assert (new["version"], new["max_amount"], new["origination_fee_cap"]) == (2, "40000.00", None)
    assert (new["name"], new["rates"], new["rules"]) == (PRODUCT["name"], PRODUCT["rates"], first.json()["rules"])
    old = await http.get(f"/products/{code}", params={"version": 1})
    assert old.json()["max_amount"] == "50000.00" and old.json()["current_version"] == 2
    assert old.json()["origination_fee_cap"] == "500.00"

    stale = await http.patch(f"/products/{code}", json={"name": "Late"}, headers={"If-Match": first.headers["etag"]})
    assert_problem(stale, 412, "version_conflict")
    unknown = await http.patch(f"/products/{code}", json={"product_code": "renamed"})
    assert error_fields(assert_problem(unknown, 422, "validation_failed")) == {"product_code"}
    assert (await http.get(f"/products/{code}")).json()["version"] == 2
    missing = await http.patch("/products/no_such_product", json={"name": "x"})
    assert_problem(missing, 404, "not_found")
    assert_problem(await http.get(f"/products/{code}", params={"version": 3}), 404, "not_found")


async def test_reason_codes_are_the_vocabulary_the_schema_lists(http):
    response = await http.get("/reason-codes", headers=bearer("test-reader"))

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["code"] for item in items] == list(get_args(ReasonCode))
    assert [item["code"] for item in items if item["requires_text"]] == ["other"]
    assert all(item["text"] for item in items)


# An application's facts ----------------------------------------------------------------------------------------


async def test_an_application_is_filed_with_its_facts(http):
    code = await product(http)

    application = await filed(http, code)

    for fact, value in FACTS.items():
        assert application[fact] == value, fact
    assert application["product_code"] == code
    assert application["missing_facts"] == []
    incomplete = await filed(http, code, credit_score=None, credit_score_source=None, credit_score_date=None)
    assert incomplete["missing_facts"] == ["credit_score"]


async def test_facts_are_checked_in_shape_and_in_the_database(http):
    for facts, fields in [
        ({"date_of_birth": "2026-02-30"}, {"date_of_birth"}),
        ({"date_of_birth": 19880417}, {"date_of_birth"}),
        ({"date_of_birth": "17/04/1988"}, {"date_of_birth"}),
        ({"income_verified": "yes"}, {"income_verified"}),
        ({"income_verified": 1}, {"income_verified"}),
        ({"employment_status": "busy"}, {"employment_status"}),
        ({"credit_score": 900}, {"credit_score"}),
        ({"annual_income": "1e5"}, {"annual_income"}),
        ({"date_of_birth": "2020-01-01"}, {"date_of_birth"}),  # a child, refused by the database
        ({"product_code": "no_such_product"}, {"product_code"}),
    ]:
        body = {"applicant_name": "Jane Doe", **FACTS, **facts}
        response = await http.post("/loans/apply", json=body)
        assert error_fields(assert_problem(response, 422, "validation_failed")) == fields, facts


async def test_a_merge_patch_sets_clears_and_keeps_facts(http, postgresql):
    application = await filed(http, await product(http))
    application_id = application["application_id"]

    patched = await http.patch(
        f"/loans/{application_id}",
        json={"annual_income": "120000.00", "credit_score": None, "credit_score_source": None},
        headers={**bearer(INTAKE), "If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
    )

    assert patched.status_code == 200, patched.text
    assert patched.headers["etag"] == '"2"'
    changed = patched.json()
    assert (changed["annual_income"], changed["credit_score"], changed["credit_score_source"]) == (
        "120000.00",
        None,
        None,
    )
    kept = {fact: value for fact, value in FACTS.items() if fact not in ("annual_income", "credit_score")}
    assert {fact: changed[fact] for fact in kept if fact != "credit_score_source"} == {
        fact: value for fact, value in kept.items() if fact != "credit_score_source"
    }
    assert changed["missing_facts"] == ["credit_score"]
    assert changed["version"] == 2
    assert (await http.get(f"/loans/{application_id}")).json() == changed

    unknown = await http.patch(f"/loans/{application_id}", json={"status": "approved"}, headers=bearer(INTAKE))
    assert error_fields(assert_problem(unknown, 422, "validation_failed")) == {"status"}
    stale = await http.patch(
        f"/loans/{application_id}", json={"term_months": 24}, headers={**bearer(INTAKE), "If-Match": '"1"'}
    )
    assert_problem(stale, 412, "version_conflict")
    stale_in_body = await http.patch(f"/loans/{application_id}", json={"term_months": 24, "expected_version": 1})
    assert_problem(stale_in_body, 409, "version_conflict")
    refused = await http.patch(f"/loans/{application_id}", json={"term_months": 24}, headers=bearer("test-reader"))
    assert_problem(refused, 403, "forbidden")
    assert_problem(await http.patch("/loans/987654321", json={"term_months": 24}), 404, "not_found")
    assert (await http.get(f"/loans/{application_id}")).json() == changed


async def test_a_merge_patch_replays_with_its_key(http):
    application_id = (await filed(http, await product(http)))["application_id"]
    headers = {**bearer(INTAKE), "Idempotency-Key": "patch-1"}

    first = await http.patch(f"/loans/{application_id}", json={"months_employed": 60}, headers=headers)
    replayed = await http.patch(f"/loans/{application_id}", json={"months_employed": 60}, headers=headers)
    reused = await http.patch(f"/loans/{application_id}", json={"months_employed": 61}, headers=headers)

    assert (first.status_code, first.headers["idempotent-replayed"]) == (200, "false")
    assert (replayed.status_code, replayed.headers["idempotent-replayed"]) == (200, "true")
    assert replayed.json() == first.json()
    assert_problem(reused, 422, "idempotency_key_reused")
    assert (await http.get(f"/loans/{application_id}")).json()["version"] == 2


async def test_a_decided_application_cannot_be_patched(http):
    application_id = (await filed(http, None))["application_id"]
    await decided(http, application_id, "rejected", reason_codes=["insufficient_income"])

    response = await http.patch(f"/loans/{application_id}", json={"annual_income": "1.00"}, headers=bearer(INTAKE))

    problem = assert_problem(response, 409, "not_in_underwriting")
    assert problem["current_status"] == "rejected"


# Assessments ------------------------------------------------------------------------------------------------------


async def test_an_underwriter_assesses_and_an_intake_key_cannot(http):
    application_id = (await filed(http, await product(http)))["application_id"]

    refused = await http.post(f"/loans/{application_id}/assessment", headers=bearer(INTAKE))
    response = await http.post(f"/loans/{application_id}/assessment", headers=bearer(UNDERWRITER))

    assert_problem(refused, 403, "forbidden")
    assert response.status_code == 201, response.text
    assessment = response.json()
    assert (assessment["application_id"], assessment["recommendation"], assessment["risk_grade"]) == (
        application_id,
        "approve",
        assessment["offer"]["risk_grade"],
    )
    assert (assessment["reason_codes"], assessment["missing_facts"]) == ([], [])
    assert [(rule["measure"], rule["result"]) for rule in assessment["rules"]] == [
        ("amount", "pass"),
        ("amount", "pass"),
        ("term_months", "pass"),
        ("term_months", "pass"),
        ("credit_score", "pass"),
        ("debt_to_income", "pass"),
    ]
    assert assessment["offer"]["amount"] == "12000.00" and assessment["offer"]["term_months"] == 36
    assert assessment["assessed_by"] == "underwriter-1"


async def test_an_assessment_refers_what_lacks_facts_and_rejects_what_fails(http):
    code = await product(http)
    incomplete = await filed(http, code, monthly_debt_payments=None)
    failing = await filed(http, code, credit_score=600)

    referred = await assessed(http, incomplete["application_id"])
    rejected = await assessed(http, failing["application_id"])

    assert referred["recommendation"] == "refer"
    assert referred["reason_codes"][0] == "credit_application_incomplete"
    assert referred["missing_facts"] == ["monthly_debt_payments"]
    assert rejected["recommendation"] == "reject"
    assert rejected["reason_codes"] == ["insufficient_credit_score"]
    assert rejected["reasons"] == [
        {"code": "insufficient_credit_score", "text": "Credit score below the minimum for the credit requested"}
    ]


async def test_an_assessment_replays_with_its_key(http, postgresql):
    application_id = (await filed(http, await product(http)))["application_id"]
    headers = {**bearer(UNDERWRITER), "Idempotency-Key": "assess-1"}

    first = await http.post(f"/loans/{application_id}/assessment", headers=headers)
    replayed = await http.post(f"/loans/{application_id}/assessment", headers=headers)

    assert (first.status_code, replayed.status_code) == (201, 201)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == first.json()
    assert count(postgresql, "select count(*) from lending_private.assessment") == 1


async def test_only_an_application_in_underwriting_is_assessed(http):
    application_id = (await filed(http, None))["application_id"]
    await decided(http, application_id, "approved")

    response = await http.post(f"/loans/{application_id}/assessment", headers=bearer(UNDERWRITER))

    problem = assert_problem(response, 409, "not_in_underwriting")
    assert problem["current_status"] == "approved"
    assert_problem(await http.post("/loans/987654321/assessment", headers=bearer(UNDERWRITER)), 404, "not_found")


# Decisions --------------------------------------------------------------------------------------------------------


async def test_a_rejection_needs_one_to_four_reason_codes(http, postgresql):
    application_id = (await filed(http, None))["application_id"]

    for codes in (None, [], ["other", "bankruptcy", "no_credit_file", "too_short_residence", "insufficient_income"]):
        body = {"outcome": "rejected", "reason": "r", **({"reason_codes": codes} if codes is not None else {})}
        response = await http.post(f"/loans/{application_id}/decision", json=body, headers=bearer(UNDERWRITER))
        assert error_fields(assert_problem(response, 422, "validation_failed")) == {"reason_codes"}, codes
    unknown = await http.post(
        f"/loans/{application_id}/decision",
        json={"outcome": "rejected", "reason": "r", "reason_codes": ["DTI_TOO_HIGH"]},
        headers=bearer(UNDERWRITER),
    )
    assert error_fields(assert_problem(unknown, 422, "validation_failed")) == {"reason_codes.0"}
    assert count(postgresql, "select count(*) from lending_private.decision") == 0

    decision = await decided(
        http, application_id, "rejected", reason_codes=["excessive_obligations", "other"], reason="Too many loans"
    )
    assert decision["reason_codes"] == ["excessive_obligations", "other"]


async def test_an_intake_key_cannot_decide(http):
    application_id = (await filed(http, None))["application_id"]

    response = await http.post(
        f"/loans/{application_id}/decision", json={"outcome": "approved", "reason": "ok"}, headers=bearer(INTAKE)
    )

    problem = assert_problem(response, 403, "forbidden")
    assert problem["operation"] == "decide"
    assert await status_of(http, application_id) == "pending"


async def test_the_tutorial_form_rejects_with_reason_code_other(http):
    application_id = (await filed(http, None))["application_id"]

    response = await http.post(f"/loans/{application_id}/decision?approved=false&reason=DTI+too+high")

    assert response.status_code == 201, response.text
    assert (response.json()["reason_codes"], response.json()["reason"]) == (["other"], "DTI too high")
    notice = (await http.get(f"/loans/{application_id}/notice")).json()
    assert [reason["code"] for reason in notice["principal_reasons"]] == ["other"]
    assert "DTI too high" in notice["principal_reasons"][0]["text"]


async def test_an_agent_records_its_model_and_confidence(http):
    code = await product(http)
    application_id = (await filed(http, code))["application_id"]
    assessment = await assessed(http, application_id)

    decision = await decided(
        http, application_id, "approved", model_name="uw-agent", model_version="2026.12", confidence="0.93"
    )

    assert (decision["model_name"], decision["model_version"], decision["confidence"]) == (
        "uw-agent",
        "2026.12",
        "0.93",
    )
    assert decision["assessment_id"] == assessment["assessment_id"]
    assert decision["status"] == "approved"
    for confidence in ("1.01", -0.5, "0.5.1", True):
        other = (await filed(http, code))["application_id"]
        await assessed(http, other)
        response = await http.post(
            f"/loans/{other}/decision",
            json={"outcome": "approved", "reason": "r", **AGENT, "confidence": confidence},
            headers=bearer(UNDERWRITER),
        )
        assert error_fields(assert_problem(response, 422, "validation_failed")) == {"confidence"}, confidence


async def test_an_assessment_is_required_and_must_be_current(http):
    code = await product(http)
    application_id = (await filed(http, code))["application_id"]

    unassessed = await http.post(
        f"/loans/{application_id}/decision", json={"outcome": "approved", "reason": "r"}, headers=bearer(UNDERWRITER)
    )
    assert_problem(unassessed, 409, "assessment_required")
    await assessed(http, application_id)
    patched = await http.patch(
        f"/loans/{application_id}", json={"monthly_debt_payments": "500.00"}, headers=bearer(INTAKE)
    )
    assert patched.status_code == 200, patched.text
    stale = await http.post(
        f"/loans/{application_id}/decision", json={"outcome": "approved", "reason": "r"}, headers=bearer(UNDERWRITER)
    )
    assert_problem(stale, 409, "assessment_stale")
    await assessed(http, application_id)
    assert (await decided(http, application_id, "approved"))["status"] == "approved"


async def test_overriding_a_recommendation_needs_a_reason(http):
    code = await product(http)
    application_id = (await filed(http, code, credit_score=600))["application_id"]
    await assessed(http, application_id)  # reject

    unexplained = await http.post(
        f"/loans/{application_id}/decision",
        json={"outcome": "approved", "reason": "r", **AGENT},
        headers=bearer(UNDERWRITER),
    )
    assert error_fields(assert_problem(unexplained, 422, "validation_failed")) == {"override_reason"}

    decision = await decided(http, application_id, "approved", override_reason="Score is a bureau error")
    # Overriding a reject waits for a second person.
    assert (decision["status"], decision["overrides_recommendation"]) == ("pending_confirmation", True)


# Human review -----------------------------------------------------------------------------------------------------


async def referred(http: httpx.AsyncClient) -> int:
    """An application in manual_review, referred by the underwriter after its assessment."""
    application_id: int = (await filed(http, await product(http), monthly_debt_payments="4000.00"))["application_id"]
    assert (await assessed(http, application_id))["recommendation"] == "refer"
    await decided(http, application_id, "manual_review", reason_codes=["excessive_obligations"])
    return application_id


async def test_a_reviewer_claims_a_referral_from_the_queue_and_decides_it(http):
    application_id = await referred(http)

    queue = await http.get("/reviews", headers=bearer(REVIEWER))
    assert queue.status_code == 200, queue.text
    [item] = [item for item in queue.json()["items"] if item["application_id"] == application_id]
    assert (item["status"], item["claim"], item["assessment"]["recommendation"]) == ("manual_review", None, "refer")

    unclaimed = await http.post(
        f"/loans/{application_id}/decision", json={"outcome": "approved", "reason": "r"}, headers=bearer(REVIEWER)
    )
    assert_problem(unclaimed, 409, "review_claim_required")
    claimed = await http.post(f"/loans/{application_id}/claim", headers=bearer(REVIEWER))
    assert claimed.status_code == 201, claimed.text
    claim = claimed.json()
    assert (claim["application_id"], claim["claimed_by"]) == (application_id, "reviewer-2")
    assert claim["expires_at"] > claim["claimed_at"]

    taken = await http.post(f"/loans/{application_id}/claim", headers=bearer(OTHER_REVIEWER))
    problem = assert_problem(taken, 409, "review_claimed")
    assert problem["claimed_by"] == "reviewer-2"
    not_theirs = await http.post(
        f"/loans/{application_id}/decision", json={"outcome": "approved", "reason": "r"}, headers=bearer(OTHER_REVIEWER)
    )
    assert_problem(not_theirs, 409, "review_claim_required")
    [item] = [item for item in (await http.get("/reviews")).json()["items"] if item["application_id"] == application_id]
    assert item["claim"]["claimed_by"] == "reviewer-2"

    decision = await decided(
        http,
        application_id,
        "rejected",
        actor=REVIEWER,
        reason_codes=["excessive_obligations"],
        override_reason="Debts confirmed too high for the income",
    )
    assert (decision["status"], decision["overrides_recommendation"]) == ("rejected", True)


async def test_the_review_queue_pages_oldest_first(http):
    referrals = [await referred(http) for _ in range(3)]

    first = await http.get("/reviews", params={"limit": 2}, headers=bearer(REVIEWER))
    second = await http.get("/reviews", params={"limit": 2, "after": first.json()["next_cursor"]})

    assert [item["application_id"] for item in first.json()["items"]] == referrals[:2]
    assert ([item["application_id"] for item in second.json()["items"]], second.json()["next_cursor"]) == (
        referrals[2:],
        None,
    )
    assert_problem(await http.get("/reviews", params={"limit": 101}), 422, "validation_failed")
    assert_problem(await http.get("/reviews", params={"after": "nonsense"}), 422, "validation_failed")


async def test_only_reviewers_and_admins_claim(http):
    application_id = await referred(http)

    for actor in ("test-reader", "intake-agent", "underwriter-1", "test-servicer"):
        response = await http.post(f"/loans/{application_id}/claim", headers=bearer(actor))
        assert assert_problem(response, 403, "forbidden")["operation"] == "claim_review", actor
    for actor in ("test-reader", "intake-agent", "underwriter-1"):
        assert_problem(await http.get("/reviews", headers=bearer(actor)), 403, "forbidden")
    assert (await http.post(f"/loans/{application_id}/claim", headers=bearer("test-admin"))).status_code == 201


async def test_a_claim_needs_an_application_in_review(http):
    application_id = (await filed(http, None))["application_id"]

    response = await http.post(f"/loans/{application_id}/claim", headers=bearer(REVIEWER))

    assert assert_problem(response, 409, "not_in_review")["current_status"] == "pending"
    assert_problem(await http.post("/loans/987654321/claim", headers=bearer(REVIEWER)), 404, "not_found")


async def test_a_claim_replays_with_its_key(http, postgresql):
    application_id = await referred(http)
    headers = {**bearer(REVIEWER), "Idempotency-Key": "claim-1"}

    first = await http.post(f"/loans/{application_id}/claim", headers=headers)
    replayed = await http.post(f"/loans/{application_id}/claim", headers=headers)

    assert (first.status_code, replayed.status_code, replayed.headers["idempotent-replayed"]) == (201, 201, "true")
    assert replayed.json() == first.json()
    assert count(postgresql, "select count(*) from lending_private.review_claim") == 1


# Four-eyes --------------------------------------------------------------------------------------------------------


async def waiting_for_confirmation(http: httpx.AsyncClient, decider: str = UNDERWRITER) -> int:
    """An application approved above the product's agent limit (20000), waiting for a second person."""
    application_id: int = (await filed(http, await product(http), amount="30000.00", annual_income="200000.00"))[
        "application_id"
    ]
    await assessed(http, application_id)
    decision = await decided(http, application_id, "approved", actor=decider)
    assert decision["status"] == "pending_confirmation", decision
    return application_id


async def test_a_second_reviewer_confirms_a_large_approval(http):
    application_id = await waiting_for_confirmation(http)

    by_underwriter = await http.post(
        f"/loans/{application_id}/confirmation", json={"confirm": True}, headers=bearer(UNDERWRITER)
    )
    assert_problem(by_underwriter, 403, "forbidden")
    confirmed = await http.post(
        f"/loans/{application_id}/confirmation", json={"confirm": True}, headers=bearer(REVIEWER)
    )

    assert confirmed.status_code == 200, confirmed.text
    application = confirmed.json()
    assert application["status"] == "approved"
    assert application["offer"]["amount"] == "30000.00"
    again = await http.post(
        f"/loans/{application_id}/confirmation", json={"confirm": True}, headers=bearer(OTHER_REVIEWER)
    )
    assert again.status_code == 409, again.text


async def test_nobody_confirms_their_own_decision(http):
    application_id = await waiting_for_confirmation(http, decider=REVIEWER)

    response = await http.post(
        f"/loans/{application_id}/confirmation", json={"confirm": True}, headers=bearer(REVIEWER)
    )

    assert_problem(response, 403, "own_decision")
    assert await status_of(http, application_id) == "pending_confirmation"


async def test_a_declined_confirmation_goes_back_to_review_with_its_reason(http):
    application_id = await waiting_for_confirmation(http)

    unexplained = await http.post(
        f"/loans/{application_id}/confirmation", json={"confirm": False}, headers=bearer(REVIEWER)
    )
    assert error_fields(assert_problem(unexplained, 422, "validation_failed")) == {"reason"}
    declined = await http.post(
        f"/loans/{application_id}/confirmation",
        json={"confirm": False, "reason": "Income not documented"},
        headers={**bearer(REVIEWER), "Idempotency-Key": "confirm-1"},
    )
    replayed = await http.post(
        f"/loans/{application_id}/confirmation",
        json={"confirm": False, "reason": "Income not documented"},
        headers={**bearer(REVIEWER), "Idempotency-Key": "confirm-1"},
    )

    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "manual_review"
    assert (replayed.headers["idempotent-replayed"], replayed.json()) == ("true", declined.json())


# Offers -----------------------------------------------------------------------------------------------------------


async def approved(http: httpx.AsyncClient) -> int:
    application_id: int = (await filed(http, await product(http)))["application_id"]
    await assessed(http, application_id)
    assert (await decided(http, application_id, "approved"))["status"] == "approved"
    return application_id


def expire_offer(postgresql: psycopg.Connection, application_id: int) -> None:
    """Moves the application's offer into the past, as time would: offers never change, so the rule that refuses
    it is set aside for this one statement's session (as the operator's superuser could)."""
    postgresql.autocommit = True
    postgresql.execute("set session_replication_role = replica")
    try:
        postgresql.execute(
            "update lending_private.offer set offered_at = offered_at - interval '60 days', "
            "expires_at = expires_at - interval '60 days' where application_id = %s",
            [application_id],
        )
    finally:
        postgresql.execute("set session_replication_role = origin")


async def test_an_approval_fixes_an_offer_that_the_borrower_accepts(http):
    application_id = await approved(http)
    application = (await http.get(f"/loans/{application_id}")).json()
    offer = application["offer"]
    assert (offer["amount"], offer["term_months"], offer["response"]) == ("12000.00", 36, None)
    assert offer["apr"] is not None and offer["installment"] is not None

    accepted = await http.post(
        f"/loans/{application_id}/offer/accept",
        json={"expected_version": application["version"]},
        headers={**bearer(INTAKE), "Idempotency-Key": "accept-1"},
    )
    replayed = await http.post(
        f"/loans/{application_id}/offer/accept",
        json={"expected_version": application["version"]},
        headers={**bearer(INTAKE), "Idempotency-Key": "accept-1"},
    )

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "offer_accepted"
    assert accepted.json()["offer"]["response"]["response"] == "accepted"
    assert (replayed.headers["idempotent-replayed"], replayed.json()) == ("true", accepted.json())
    declined = await http.post(f"/loans/{application_id}/offer/decline", headers=bearer(INTAKE))
    assert_problem(declined, 409, "invalid_transition")


async def test_the_borrower_declines_an_offer(http):
    application_id = await approved(http)

    refused = await http.post(f"/loans/{application_id}/offer/decline", headers=bearer("test-reader"))
    declined = await http.post(
        f"/loans/{application_id}/offer/decline", json={"reason": "Found a better rate"}, headers=bearer(INTAKE)
    )

    assert_problem(refused, 403, "forbidden")
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "offer_declined"
    assert declined.json()["offer"]["response"]["reason"] == "Found a better rate"
    assert_problem(
        await http.post(f"/loans/{application_id}/offer/accept", headers=bearer(INTAKE)), 409, "invalid_transition"
    )


async def test_accepting_an_expired_offer_is_a_409_and_the_offer_expires(http, postgresql):
    application_id = await approved(http)
    expire_offer(postgresql, application_id)

    response = await http.post(
        f"/loans/{application_id}/offer/accept", headers={**bearer(INTAKE), "Idempotency-Key": "late"}
    )
    replayed = await http.post(
        f"/loans/{application_id}/offer/accept", headers={**bearer(INTAKE), "Idempotency-Key": "late"}
    )

    problem = assert_problem(response, 409, "offer_expired")
    assert (response.headers["idempotent-replayed"], replayed.headers["idempotent-replayed"]) == ("false", "true")
    assert problem["application_id"] == application_id
    application = (await http.get(f"/loans/{application_id}")).json()
    assert application["status"] == "offer_expired"
    assert application["offer"]["response"]["response"] == "expired"
    assert {
        key: value for key, value in assert_problem(replayed, 409, "offer_expired").items() if key != "request_id"
    } == {key: value for key, value in problem.items() if key != "request_id"}
    assert_problem(
        await http.post(f"/loans/{application_id}/offer/accept", headers=bearer(INTAKE)), 409, "invalid_transition"
    )


async def test_an_offer_needs_an_approval(http):
    application_id = (await filed(http, None))["application_id"]

    for answer in ("accept", "decline"):
        response = await http.post(f"/loans/{application_id}/offer/{answer}", headers=bearer(INTAKE))
        assert_problem(response, 409, "invalid_transition")
        assert_problem(await http.post(f"/loans/987654321/offer/{answer}", headers=bearer(INTAKE)), 404, "not_found")


# Adverse-action notices -------------------------------------------------------------------------------------------


async def test_a_rejection_has_a_notice_whose_sending_is_recorded(http, postgresql):
    code = await product(http)
    application_id = (await filed(http, code, credit_score=600))["application_id"]
    assessment = await assessed(http, application_id)
    await decided(http, application_id, "rejected", reason_codes=assessment["reason_codes"])

    notice = await http.get(f"/loans/{application_id}/notice", headers=bearer("test-reader"))
    delivered = await http.post(
        f"/loans/{application_id}/notice/deliveries",
        json={"channel": "email"},
        headers={**bearer(UNDERWRITER), "Idempotency-Key": "notice-1"},
    )
    replayed = await http.post(
        f"/loans/{application_id}/notice/deliveries",
        json={"channel": "email"},
        headers={**bearer(UNDERWRITER), "Idempotency-Key": "notice-1"},
    )

    assert notice.status_code == 200, notice.text
    body = notice.json()
    assert (body["application_id"], body["applicant_name"]) == (application_id, "Jane Doe")
    assert body["action"] == "Your application for credit was denied."
    assert body["principal_reasons"] == [
        {"code": "insufficient_credit_score", "text": "Credit score below the minimum for the credit requested"}
    ]
    assert body["credit_score"]["score"] == 600
    assert delivered.status_code == 201, delivered.text
    assert (delivered.json()["application_id"], delivered.json()["channel"]) == (application_id, "email")
    assert (await http.get(f"/loans/{application_id}/notice")).json()["deliveries"] == [
        {key: delivered.json()[key] for key in ("delivery_id", "channel", "recorded_by", "sent_at")}
    ]
    assert (replayed.headers["idempotent-replayed"], replayed.json()) == ("true", delivered.json())
    assert count(postgresql, "select count(*) from lending_private.notice_delivery") == 1
    intake = await http.post(
        f"/loans/{application_id}/notice/deliveries", json={"channel": "post"}, headers=bearer(INTAKE)
    )
    assert_problem(intake, 403, "forbidden")
    bad = await http.post(f"/loans/{application_id}/notice/deliveries", json={"channel": "pigeon"})
    assert error_fields(assert_problem(bad, 422, "validation_failed")) == {"channel"}


async def test_only_a_rejection_has_a_notice(http):
    application_id = (await filed(http, None))["application_id"]

    notice = await http.get(f"/loans/{application_id}/notice")
    delivery = await http.post(f"/loans/{application_id}/notice/deliveries", json={"channel": "email"})

    for response in (notice, delivery):
        assert assert_problem(response, 409, "no_adverse_action")["current_status"] == "pending"
    assert_problem(await http.get("/loans/987654321/notice"), 404, "not_found")


def test_the_problem_descriptions_name_only_codes_that_exist(postgresql):
    """What the documented statuses the lending functions answer (403, 404, 409, 412) say about codes is true of
    the catalogue: a code renamed in SQL is renamed here."""
    from lendgres.operations import _PROBLEM_DESCRIPTIONS

    codes = {row[0] for row in postgresql.execute("select code from lending_private.error_code")}
    named = {
        word
        for status in (403, 404, 409, 412)
        for word in re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", _PROBLEM_DESCRIPTIONS[status])
    }
    assert {"offer_expired", "own_decision", "not_in_underwriting", "review_claim_required"} <= named
    assert named <= codes | {"conflict"}, named - codes  # conflict: a unique key no function checks first


async def test_a_merge_patch_passes_numbers_exactly_and_says_its_media_type(http):
    """A fact's number reaches the database as written, never as a float: 85000.10000000000000001 is refused for its
    decimals, not rounded to 85000.1, and 85000.10 keeps its two places. The document offers the merge-patch media
    type beside JSON."""
    application_id = (await filed(http, None))["application_id"]
    path = f"/loans/{application_id}"

    precise = await http.patch(
        path, content=b'{"annual_income": 85000.10000000000000001}', headers={"Content-Type": "application/json"}
    )
    exact = await http.patch(
        path, content=b'{"annual_income": 85000.10}', headers={"Content-Type": "application/merge-patch+json"}
    )

    problem = assert_problem(precise, 422, "validation_failed")
    assert problem["errors"] == [{"field": "annual_income", "message": "must have at most 2 decimal places"}]
    assert exact.status_code == 200, exact.text
    assert exact.json()["annual_income"] == "85000.10"
    document = (await http.get("/openapi.json")).json()
    for route in ("/loans/{application_id}", "/products/{product_code}"):
        content = document["paths"][route]["patch"]["requestBody"]["content"]
        assert set(content) == {"application/json", "application/merge-patch+json"}, route
