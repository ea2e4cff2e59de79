"""The tutorial's flow, step by step, as a new user would run it."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

# Marked at collection: conftest adds the anyio mark only after it, and anyio then rebuilds the items without
# their @pytest.mark.parametrize parameters.
pytestmark = pytest.mark.anyio

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


async def test_apply_then_read_the_application(http):
    created = await http.post("/loans/apply", json={"applicant_name": "Jane Doe", "amount": 15000})

    assert created.status_code == 201, created.text
    assert created.headers["content-type"] == "application/json"
    assert created.headers["idempotent-replayed"] == "false"
    body = created.json()
    application_id = body["application_id"]
    assert isinstance(application_id, int) and application_id >= 1
    assert created.headers["location"] == f"/loans/{application_id}"
    assert body["status"] == "pending"
    assert body["amount"] == "15000.00"  # a decimal string, never a JSON number
    assert body["currency"] == "USD"
    assert body["applicant_name"] == "Jane Doe"
    assert isinstance(body["applicant_id"], int)
    assert body["applicant"] == {
        "applicant_id": body["applicant_id"],
        "name": "Jane Doe",
        "email": None,
        "phone": None,
        "external_ref": None,
    }
    assert RFC3339_UTC.match(body["created_at"]), body["created_at"]
    datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    assert body["updated_at"] == body["created_at"]
    assert body["version"] == 1
    assert body["next_statuses"] == ["approved", "manual_review", "pending_confirmation", "rejected", "withdrawn"]
    assert (body["product_code"], body["missing_facts"]) == (
        "standard",
        ["credit_score", "date_of_birth", "term_months"],
    )
    assert body["decision"] is None
    assert body["decisions"] == []

    looked_up = await http.get(created.headers["location"])

    assert looked_up.status_code == 200, looked_up.text
    assert looked_up.headers["content-type"] == "application/json"
    assert looked_up.headers["etag"] == '"1"'
    application = looked_up.json()
    assert application["status"] == "pending"
    assert application["decision"] is None
    assert application["decisions"] == []
    # The write answers with the same document a read returns.
    assert application == body


async def test_tutorial_continues_to_a_decision(http):
    created = (await http.post("/loans/apply", json={"applicant_name": "Jane Doe", "amount": 15000})).json()
    application_id = created["application_id"]

    decided = await http.post(
        f"/loans/{application_id}/decision",
        json={"outcome": "approved", "reason": "Income verified; DTI 22%."},
    )

    assert decided.status_code == 201, decided.text
    assert decided.json()["status"] == "approved"
    assert decided.json()["version"] == 2
    looked_up = await http.get(f"/loans/{application_id}")
    assert looked_up.headers["etag"] == '"2"'
    application = looked_up.json()
    assert application["status"] == "approved"
    # The default product needs no assessment: the approval is recorded as not assessed, and fixes an offer.
    assert application["next_statuses"] == ["offer_accepted", "offer_declined", "offer_expired"]
    assert application["decision"]["outcome"] == "approved"
    assert (application["decision"]["reason_codes"], application["decision"]["assessment_id"]) == ([], None)
    assert application["offer"]["amount"] == "15000.00"
    assert [d["decision_id"] for d in application["decisions"]] == [decided.json()["decision_id"]]
