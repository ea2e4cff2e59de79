"""/mcp driven by the MCP SDK's own client over HTTP, against a real uvicorn server and database."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import bearer

pytestmark = pytest.mark.anyio

# Every operation is a tool: the loans, the events feed, and the caller's identity and the admin operations.
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
}


@pytest.fixture
async def served(app) -> AsyncIterator[str]:
    """The app (its lifespan already running) behind a real HTTP server on a free local port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve())
    for _ in range(500):  # uvicorn exposes startup only as a flag
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


def problem_of(result) -> dict:
    """The problem document in a tool error, after the SDK's "Error executing tool <name>: " prefix."""
    text = result.content[0].text
    return json.loads(text[text.index("{") :])


def client(url: str, actor: str = "underwriter-1") -> Client:
    """The SDK's client, sending `actor`'s API key with every request."""
    http = httpx2.AsyncClient(headers=bearer(actor), timeout=30)
    return Client(streamable_http_client(f"{url}/mcp", http_client=http))


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
            {"application_id": application["application_id"], "outcome": "rejected", "reason": "Second thoughts"},
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


async def test_unknown_hosts_are_refused(served):
    async with httpx2.AsyncClient(headers=bearer()) as http:
        response = await http.post(
            f"{served}/mcp", content=b"{}", headers={"Host": "evil.example", "Content-Type": "application/json"}
        )
    assert response.status_code in (403, 421), response.text
