"""/mcp driven by the MCP SDK's own client, and by JSON-RPC written by hand, over HTTP against a real uvicorn server
and database."""

from __future__ import annotations

import json

import httpx2
import pytest

from tests.api.support import RawMcp, assert_problem, problem_of
from tests.api.support import mcp_client as client
from tests.conftest import bearer

pytestmark = pytest.mark.anyio

# Every operation is a tool: the loans, underwriting, the events feed, and the caller's identity and the admin
# operations.
TOOLS = {
    "submit_application",
    "get_application",
    "list_applications",
    "decide_application",
    "withdraw_application",
    "get_application_audit",
    "wait_for_events",
    "who_am_i",
    "list_actors",
    "create_actor",
    "update_actor",
    "list_api_keys",
    "create_api_key",
    "revoke_api_key",
    "update_application",
    "list_products",
    "get_product",
    "create_product",
    "update_product",
    "list_reason_codes",
    "assess_application",
    "review_queue",
    "claim_review",
    "confirm_decision",
    "accept_offer",
    "decline_offer",
    "adverse_action_notice",
    "record_notice_sent",
}


async def test_an_agent_files_decides_and_follows_an_application(served, postgresql):
    async with client(served) as mcp:
        tools = {tool.name: tool for tool in (await mcp.list_tools()).tools}
        assert set(tools) == TOOLS
        assert all(len(name) <= 64 and name == name.lower() for name in tools)
        assert tools["get_application"].annotations.read_only_hint is True
        assert tools["decide_application"].annotations.destructive_hint is True
        outcome = tools["decide_application"].input_schema["properties"]["outcome"]
        assert set(outcome["enum"]) == {"approved", "rejected", "manual_review"}
        for name in ("submit_application", "decide_application", "withdraw_application"):
            assert "idempotency_key" in tools[name].input_schema["properties"], name

        filed = await mcp.call_tool(
            "submit_application", {"applicant_name": "Jane Doe", "amount": "15000.00", "idempotency_key": "mcp-1"}
        )
        assert not filed.is_error, filed.content
        application = filed.structured_content
        assert (application["status"], application["amount"]) == ("pending", "15000.00")
        again = await mcp.call_tool(
            "submit_application", {"applicant_name": "Jane Doe", "amount": "15000.00", "idempotency_key": "mcp-1"}
        )
        assert again.structured_content["application_id"] == application["application_id"]

        decided = await mcp.call_tool(
            "decide_application",
            {
                "application_id": application["application_id"],
                "outcome": "approved",
                "reason": "Income verified",
                "expected_version": 1,
            },
        )
        assert not decided.is_error, decided.content
        assert decided.structured_content["status"] == "approved"

        refused = await mcp.call_tool(
            "decide_application",
            {
                "application_id": application["application_id"],
                "outcome": "rejected",
                "reason": "Second thoughts",
                "reason_codes": ["other"],
            },
        )
        assert refused.is_error
        problem = problem_of(refused)
        assert (problem["code"], problem["status"], problem["current_status"]) == (
            "invalid_transition",
            409,
            "approved",
        )

        events = await mcp.call_tool("wait_for_events", {"application_id": application["application_id"]})
        assert [e["event_type"] for e in events.structured_content["events"]] == [
            "application.filed",
            "application.decided",
        ]
        audit = await mcp.call_tool("get_application_audit", {"application_id": application["application_id"]})
        assert audit.structured_content["verified"] is True
        assert {entry["actor"] for entry in audit.structured_content["entries"]} == {"underwriter-1"}

    # An intake agent may file, but not decide: the same permission check as over HTTP, with the same problem.
    async with client(served, "intake-agent") as mcp:
        second = await mcp.call_tool("submit_application", {"applicant_name": "John Roe", "amount": "900"})
        assert not second.is_error, second.content
        forbidden = await mcp.call_tool(
            "decide_application",
            {"application_id": second.structured_content["application_id"], "outcome": "approved", "reason": "ok"},
        )
        assert forbidden.is_error
        problem = problem_of(forbidden)
        assert (problem["code"], problem["status"], problem["operation"]) == ("forbidden", 403, "decide")
        assert problem["allowed_roles"] == ["admin", "reviewer", "underwriter"]

    count = postgresql.execute("select count(*) from lending_private.application").fetchone()
    assert count == (2,)


async def test_mcp_needs_a_valid_key(served):
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient() as http:
        for credentials in ({}, {"Authorization": "Bearer lgk_not-a-key"}, {"Authorization": "Basic eDp5"}):
            response = await http.post(f"{served}/mcp", json=initialize, headers={**headers, **credentials})
            assert response.status_code == 401, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "unauthenticated"
            assert response.headers["www-authenticate"].startswith("Bearer")


async def test_tool_arguments_are_checked_against_their_schemas(served):
    async with client(served) as mcp:
        bad_amount = await mcp.call_tool("submit_application", {"applicant_name": "Jane Doe", "amount": "lots"})
        assert bad_amount.is_error
        assert problem_of(bad_amount)["errors"][0]["field"] == "amount"
        unknown = await mcp.call_tool("get_application", {"application_id": 424242})
        assert unknown.is_error and problem_of(unknown)["code"] == "not_found"
        invalid = await mcp.call_tool("submit_application", {"applicant_name": " ", "amount": "0"})
        problem = problem_of(invalid)
        assert problem["code"] == "validation_failed"
        assert {error["field"] for error in problem["errors"]} == {"amount", "applicant_name"}


async def _post_mcp(served: str, **headers: str) -> httpx2.Response:
    async with httpx2.AsyncClient(headers=bearer()) as http:
        return await http.post(f"{served}/mcp", content=b"{}", headers={"Content-Type": "application/json", **headers})


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "127.0.0.1:8000@evil.example",  # the SDK's check took any Host starting with "127.0.0.1:"
        "localhost:8000/evil.example",
        "127.0.0.1.evil.example:8000",
        "localhost:8000:8000",
        "localhost:port",
        "",
    ],
)
async def test_unknown_hosts_are_refused(served, host):
    """DNS rebinding protection: a host name made to resolve to this machine must not reach the tools."""
    assert_problem(await _post_mcp(served, Host=host), 421, "unknown_host")


@pytest.mark.parametrize("origin", ["http://evil.example", "http://localhost:8000@evil.example", "null", "file://"])
async def test_pages_of_unknown_origins_are_refused(served, origin):
    assert_problem(await _post_mcp(served, Origin=origin), 403, "forbidden_origin")


@pytest.mark.parametrize(
    ("host", "origin"), [("LOCALHOST", "http://LocalHost"), ("Localhost:{port}", None), ("127.0.0.1:{port}", None)]
)
async def test_allowed_hosts_match_whole_names_in_any_case(served, host, origin):
    port = served.rsplit(":", 1)[1]
    extra = {"Origin": origin.format(port=port)} if origin else {}
    response = await _post_mcp(served, Host=host.format(port=port), **extra)
    assert response.status_code not in (403, 421), response.text  # through to the MCP server itself


async def test_a_deactivated_actor_is_refused_at_once_even_in_an_open_session(served, http):
    """/mcp asks the database about the key on every request: an MCP session outlives any cache, and opening one
    or listing tools calls no function that would check the actor."""
    async with RawMcp(served, "intake-agent") as mcp:
        assert (await mcp.send("tools/list", "{}")).status_code == 200
        assert (await http.patch("/actors/intake-agent", json={"active": False})).status_code == 200

        refused = await mcp.send("tools/list", "{}")

        assert_problem(refused, 401, "unauthenticated")
    with pytest.raises(AssertionError, match="401"):
        async with RawMcp(served, "intake-agent"):
            pass


async def test_a_crash_in_a_tool_is_an_internal_error_problem_logged_with_its_request_id(served, postgresql, caplog):
    postgresql.execute("revoke execute on function lending.get_application(bigint, text) from lending_api")

    async with RawMcp(served, "test-admin") as mcp:
        result = await mcp.call_tool("get_application", '{"application_id": 1}')

    assert result["isError"]
    problem = json.loads(result["content"][0]["text"])
    assert (problem["status"], problem["code"]) == (500, "internal_error")
    assert "permission" not in problem["detail"] and problem["request_id"]
    [logged] = [r for r in caplog.records if r.name == "lendgres" and problem["request_id"] in r.getMessage()]
    assert logged.exc_info is not None and "permission denied" in str(logged.exc_info[1])


async def test_an_id_is_an_integer_or_its_digits_never_a_boolean_or_a_fraction(served):
    async with RawMcp(served, "test-admin") as mcp:
        for written in ("true", "1.0", '"+1"', '" 1"'):
            result = await mcp.call_tool("get_application", f'{{"application_id": {written}}}')
            problem = json.loads(result["content"][0]["text"])
            assert (problem["code"], problem["errors"][0]["location"]) == ("validation_failed", "path"), written
        for written in ("1", '"1"', '"0001"'):
            result = await mcp.call_tool("get_application", f'{{"application_id": {written}}}')
            assert json.loads(result["content"][0]["text"])["code"] == "not_found", written


async def test_an_unknown_tool_is_a_problem(served):
    async with RawMcp(served, "test-admin") as mcp:
        result = await mcp.call_tool("no_such_tool", "{}")

    assert result["isError"]
    problem = json.loads(result["content"][0]["text"])
    assert (problem["status"], problem["code"]) == (404, "not_found") and "no_such_tool" in problem["detail"]
