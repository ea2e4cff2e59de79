"""Underwriting as MCP tools, against the database: the flow an agent follows, who may call which tool, a replay,
and the same problems as over HTTP (the offer-expired refusal among them, which the database answers as data)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.support import RawMcp, json_text, mcp_client, problem_of
from tests.api.test_underwriting import (
    AGENT,
    FACTS,
    PRODUCT,
    approved,
    assessed,
    decided,
    expire_offer,
    filed,
    product,
    referred,
    waiting_for_confirmation,
)
from tests.conftest import bearer

pytestmark = pytest.mark.anyio


async def called(mcp: Any, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await mcp.call_tool(tool, arguments)
    assert not result.is_error, result.content
    document: dict[str, Any] = result.structured_content
    return document


async def test_an_agent_underwrites_an_application_through_the_tools(served, postgresql):
    async with mcp_client(served, "test-admin") as admin:
        tools = {tool.name: tool for tool in (await admin.list_tools()).tools}
        assert tools["list_products"].annotations.read_only_hint is True
        assert tools["update_application"].annotations.destructive_hint is True
        assert "changes" not in tools["update_application"].input_schema["properties"]  # its fields, flat
        made = await called(admin, "create_product", {**PRODUCT, "product_code": "tools"})
        assert (made["product_code"], made["version"]) == ("tools", 1)
        changed = await called(
            admin, "update_product", {"product_code": "tools", "origination_fee_cap": None, "expected_version": 1}
        )
        assert (changed["version"], changed["origination_fee_cap"]) == (2, None)

    async with mcp_client(served, "intake-agent") as intake:
        products = await called(intake, "list_products", {})
        assert {"standard", "tools"} <= {item["product_code"] for item in products["items"]}
        facts = {key: value for key, value in FACTS.items() if key != "credit_score"}
        application = await called(
            intake, "submit_application", {"applicant_name": "Jane Doe", "product_code": "tools", **facts}
        )
        assert application["missing_facts"] == ["credit_score"]
        patched = await called(
            intake,
            "update_application",
            {"application_id": application["application_id"], "credit_score": 745, "purpose": None},
        )
        assert (patched["credit_score"], patched["purpose"], patched["missing_facts"]) == (745, None, [])
        assert patched["annual_income"] == FACTS["annual_income"]  # absent, so kept

    application_id = application["application_id"]
    async with mcp_client(served, "underwriter-1") as underwriter:
        assessment = await called(underwriter, "assess_application", {"application_id": application_id})
        assert (assessment["recommendation"], assessment["risk_grade"]) == ("approve", "A")
        decision = await called(
            underwriter,
            "decide_application",
            {"application_id": application_id, "outcome": "approved", "reason": "Within policy", **AGENT},
        )
        assert (decision["status"], decision["assessment_id"]) == ("approved", assessment["assessment_id"])
        assert decision["offer"]["annual_rate"] == PRODUCT["rates"]["A"]

    async with mcp_client(served, "intake-agent") as intake:
        accepted = await called(intake, "accept_offer", {"application_id": application_id})
        assert accepted["status"] == "offer_accepted"


async def test_reviewers_claim_confirm_and_read_notices_through_the_tools(served, http):
    in_review = await referred(http)
    to_confirm = await waiting_for_confirmation(http)
    rejected = (await filed(http, await product(http), credit_score=600))["application_id"]
    await decided(http, rejected, "rejected", reason_codes=(await assessed(http, rejected))["reason_codes"])

    async with mcp_client(served, "reviewer-2") as reviewer:
        queue = await called(reviewer, "review_queue", {"limit": 10})
        assert in_review in [item["application_id"] for item in queue["items"]]
        claim = await called(reviewer, "claim_review", {"application_id": in_review})
        assert claim["claimed_by"] == "reviewer-2"
        decision = await called(
            reviewer,
            "decide_application",
            {
                "application_id": in_review,
                "outcome": "rejected",
                "reason": "Debts too high for the income",
                "reason_codes": ["other"],
                "override_reason": "Referred, and confirmed too high",
            },
        )
        assert decision["status"] == "rejected"
        confirmed = await called(reviewer, "confirm_decision", {"application_id": to_confirm, "confirm": True})
        assert confirmed["status"] == "approved"
        notice = await called(reviewer, "adverse_action_notice", {"application_id": rejected})
        assert [reason["code"] for reason in notice["principal_reasons"]] == ["insufficient_credit_score"]
        sent = await called(reviewer, "record_notice_sent", {"application_id": rejected, "channel": "post"})
        assert sent["channel"] == "post"
        codes = await called(reviewer, "list_reason_codes", {})
        assert "other" in [item["code"] for item in codes["items"]]


@pytest.mark.parametrize(
    ("actor", "tool", "operation"),
    [
        ("intake-agent", "assess_application", "assess"),
        ("intake-agent", "decide_application", "decide"),
        ("underwriter-1", "claim_review", "claim_review"),
        ("underwriter-1", "confirm_decision", "confirm_decision"),
        ("reviewer-2", "create_product", "manage_products"),
        ("test-reader", "accept_offer", "accept_offer"),
    ],
)
async def test_a_tool_outside_the_role_is_refused(served, http, actor, tool, operation):
    application_id = (await filed(http, None))["application_id"]
    arguments: dict[str, Any] = {
        "assess_application": {"application_id": application_id},
        "decide_application": {"application_id": application_id, "outcome": "approved", "reason": "ok"},
        "claim_review": {"application_id": application_id},
        "confirm_decision": {"application_id": application_id, "confirm": True},
        "create_product": {**PRODUCT, "product_code": "refused"},
        "accept_offer": {"application_id": application_id},
    }[tool]

    async with mcp_client(served, actor) as mcp:
        problem = problem_of(await mcp.call_tool(tool, arguments))

    assert (problem["status"], problem["code"], problem["operation"]) == (403, "forbidden", operation)
    assert (await http.get(f"/loans/{application_id}")).json()["status"] == "pending"


async def test_an_expired_offer_is_a_tool_error_and_the_application_expires(served, http, postgresql):
    application_id = await approved(http)
    expire_offer(postgresql, application_id)

    async with mcp_client(served, "intake-agent") as intake:
        problem = problem_of(await intake.call_tool("accept_offer", {"application_id": application_id}))

    assert (problem["status"], problem["code"], problem["current_status"]) == (409, "offer_expired", "offer_expired")
    assert problem["type"] == "urn:lendgres:problem:offer_expired" and problem["request_id"]
    assert (await http.get(f"/loans/{application_id}")).json()["status"] == "offer_expired"


async def test_a_write_replays_with_its_idempotency_key(served, http, postgresql):
    application_id = (await filed(http, await product(http)))["application_id"]
    arguments = {"application_id": application_id, "idempotency_key": "mcp-assess"}

    async with mcp_client(served, "underwriter-1") as mcp:
        first = await called(mcp, "assess_application", arguments)
        again = await called(mcp, "assess_application", arguments)

    assert again == first
    assert postgresql.execute("select count(*) from lending_private.assessment").fetchone() == (1,)


# The same problem on both faces -----------------------------------------------------------------------------------


def without_request_id(problem: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in problem.items() if key != "request_id"}


async def over_both_faces(
    http, served: str, method: str, path: str, tool: str, arguments: dict[str, Any], actor: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The problem HTTP answers to a request, and the one the tool answers to the same arguments."""
    # What the path carries is no part of the body.
    body = {
        key: value for key, value in arguments.items() if not path.endswith(f"/{value}") and f"/{value}/" not in path
    }
    headers = {**bearer(actor), "Content-Type": "application/json"}
    response = await http.request(method, path, content=json_text(body).encode() if body else None, headers=headers)
    assert response.headers["content-type"] == "application/problem+json", response.text
    async with RawMcp(served, actor) as raw:
        result = await raw.call_tool(tool, json_text(arguments))
    assert result["isError"], result
    return response.json(), json.loads(result["content"][0]["text"])


async def test_both_faces_answer_underwriting_problems_alike(served, http):
    code = await product(http)
    own = await waiting_for_confirmation(http, decider="reviewer-2")
    unassessed = (await filed(http, code))["application_id"]
    pending = (await filed(http, code))["application_id"]
    cases: list[tuple[str, str, str, dict[str, Any], str, str]] = [
        (
            "POST",
            f"/loans/{own}/confirmation",
            "confirm_decision",
            {"application_id": own, "confirm": True},
            "reviewer-2",
            "own_decision",
        ),
        (
            "POST",
            f"/loans/{unassessed}/decision",
            "decide_application",
            {"application_id": unassessed, "outcome": "approved", "reason": "r", **AGENT},
            "underwriter-1",
            "assessment_required",
        ),
        (
            "PATCH",
            f"/loans/{pending}",
            "update_application",
            {"application_id": pending, "credit_score": 9000, "date_of_birth": "2020-01-01", "nickname": "J"},
            "intake-agent",
            "validation_failed",
        ),
        (
            "PATCH",
            f"/loans/{pending}",
            "update_application",
            {"application_id": pending, "credit_score": 9000, "date_of_birth": "2020-01-01"},
            "intake-agent",
            "validation_failed",
        ),
        (
            "PATCH",
            f"/loans/{pending}",
            "update_application",
            {"application_id": pending, "term_months": 24, "expected_version": 7},
            "intake-agent",
            "version_conflict",
        ),
        (
            "GET",
            f"/loans/{pending}/notice",
            "adverse_action_notice",
            {"application_id": pending},
            "test-reader",
            "no_adverse_action",
        ),
        ("POST", f"/loans/{pending}/claim", "claim_review", {"application_id": pending}, "reviewer-2", "not_in_review"),
        ("POST", "/products", "create_product", {**PRODUCT, "product_code": code}, "test-admin", "product_exists"),
        (
            "PATCH",
            f"/products/{code}",
            "update_product",
            {"product_code": code, "rates": {"A": "1"}},
            "test-admin",
            "validation_failed",
        ),
    ]

    for method, path, tool, arguments, actor, expected in cases:
        over_http, over_mcp = await over_both_faces(http, served, method, path, tool, arguments, actor)
        assert over_http["code"] == expected, (tool, over_http)
        assert without_request_id(over_mcp) == without_request_id(over_http), tool


async def test_both_faces_answer_an_expired_offer_alike(served, http, postgresql):
    """The refusal the database answers as data, on two applications alike: the first call moves its application to
    offer_expired, so each face gets its own."""
    by_http, by_mcp = await approved(http), await approved(http)
    expire_offer(postgresql, by_http)
    expire_offer(postgresql, by_mcp)

    over_http = await http.post(f"/loans/{by_http}/offer/accept", headers=bearer("intake-agent"))
    async with RawMcp(served, "intake-agent") as raw:
        result = await raw.call_tool("accept_offer", json_text({"application_id": by_mcp}))
    over_mcp = json.loads(result["content"][0]["text"])

    assert over_http.status_code == 409 and result["isError"]
    own = {"application_id", "offer_id", "expires_at", "detail", "request_id"}
    assert {k: v for k, v in over_mcp.items() if k not in own} == {
        k: v for k, v in over_http.json().items() if k not in own
    }
    assert (over_mcp["application_id"], over_http.json()["application_id"]) == (by_mcp, by_http)
    for application_id in (by_http, by_mcp):
        assert (await http.get(f"/loans/{application_id}")).json()["status"] == "offer_expired"
