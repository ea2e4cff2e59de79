"""Helpers shared by the HTTP and MCP tests: the problem document's contract, short ways to file and decide, and MCP
clients (the SDK's, and one that writes JSON-RPC by hand)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import httpx2
import psycopg
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import bearer

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "request_id"}


class RawNumber(str):
    """A number to be written into JSON text as is."""


def json_text(value: Any) -> str:
    """JSON text of `value`, with Decimals and RawNumbers written as the numbers they are (json.dumps would turn a
    Decimal into a float or refuse it), and NaN and Infinity as bare constants (which the server parses)."""
    if isinstance(value, (RawNumber, Decimal)):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(key)}: {json_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(json_text(item) for item in value) + "]"
    return json.dumps(value, allow_nan=True)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Asserts that `response` is an RFC 9457 problem with this status and code, and returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE, response.headers
    body = response.json()
    assert PROBLEM_KEYS <= body.keys(), body
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:lendgres:problem:{code}"
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def assert_well_formed_problem(response: httpx.Response) -> dict[str, Any]:
    """Asserts that a 4xx/5xx `response` is a problem document whose status matches the response's."""
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE, (response.status_code, response.text)
    body = response.json()
    assert PROBLEM_KEYS <= body.keys(), body
    assert body["status"] == response.status_code, body
    assert isinstance(body["code"], str) and body["code"], body
    assert body["type"] == f"urn:lendgres:problem:{body['code']}"
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def error_fields(problem: dict[str, Any]) -> set[str]:
    """The fields a validation_failed problem names."""
    assert isinstance(problem.get("errors"), list) and problem["errors"], problem
    for error in problem["errors"]:
        assert isinstance(error["message"], str) and error["message"], error
    return {error["field"] for error in problem["errors"]}


async def apply(http: httpx.AsyncClient, headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    """Files an application (Jane Doe, 1000 unless told otherwise) and returns its body."""
    body = {"applicant_name": "Jane Doe", "amount": 1000, **fields}
    response = await http.post("/loans/apply", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def decide(
    http: httpx.AsyncClient, application_id: int, outcome: str, headers: dict[str, str] | None = None, **fields: Any
) -> httpx.Response:
    body = {"outcome": outcome, "reason": f"{outcome} in a test", **fields}
    return await http.post(f"/loans/{application_id}/decision", json=body, headers=headers)


def count(postgresql: psycopg.Connection, query: str, *params: Any) -> int:
    row = postgresql.execute(query, params or None).fetchone()
    assert row is not None
    return int(row[0])


async def wait_for_lock_waiters(postgresql: psycopg.Connection, waiters: int, timeout: float = 15.0) -> None:
    """Waits until `waiters` backends of the HTTP service's role are blocked on a lock in this database."""
    deadline = time.monotonic() + timeout
    while True:
        blocked = count(
            postgresql,
            "select count(*) from pg_stat_activity where datname = current_database() "
            "and usename = 'lendgres_test_http' and wait_event_type = 'Lock'",
        )
        if blocked >= waiters:
            return
        assert time.monotonic() < deadline, f"only {blocked} of {waiters} requests reached the lock"
        await asyncio.sleep(0.01)


@contextmanager
def case(name: object) -> Iterator[None]:
    """Names the table row an assertion failed on, for tests that loop over many cases on one database (a fresh
    database per case would cost a quarter second each)."""
    try:
        yield
    except AssertionError as exc:
        raise AssertionError(f"case {name!r}: {exc}") from exc


# MCP -----------------------------------------------------------------------------------------------------------


def mcp_client(url: str, actor: str = "underwriter-1") -> Client:
    """The SDK's client of the server at `url` (the `served` fixture), sending `actor`'s API key."""
    http = httpx2.AsyncClient(headers=bearer(actor), timeout=30)
    return Client(streamable_http_client(f"{url}/mcp", http_client=http))


def problem_of(result: Any) -> dict[str, Any]:
    """The problem document a tool error carries."""
    assert result.is_error, result
    problem: dict[str, Any] = json.loads(result.content[0].text)
    return problem


class RawMcp:
    """A session of JSON-RPC messages written by hand, for what the SDK's client cannot send: numbers as the client
    wrote them (the SDK writes floats), arguments its schema check would refuse, headers of our choosing."""

    PROTOCOL = "2025-06-18"

    def __init__(self, url: str, actor: str = "underwriter-1") -> None:
        self.url = f"{url}/mcp"
        self.http = httpx.AsyncClient(
            headers={**bearer(actor), "Accept": "application/json, text/event-stream"}, timeout=30
        )
        self.session: dict[str, str] = {}
        self.ids = 0

    async def __aenter__(self) -> RawMcp:
        initialize = {"protocolVersion": self.PROTOCOL, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
        response = await self.send("initialize", json.dumps(initialize))
        assert response.status_code == 200, response.text
        self.session = {"Mcp-Session-Id": response.headers["mcp-session-id"], "Mcp-Protocol-Version": self.PROTOCOL}
        notified = await self.http.post(
            self.url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=self.session
        )
        assert notified.status_code == 202, notified.text
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.http.aclose()

    async def send(self, method: str, params_json: str) -> httpx.Response:
        """Posts one request whose params are the JSON text given, byte for byte."""
        self.ids += 1
        body = f'{{"jsonrpc": "2.0", "id": {self.ids}, "method": {json.dumps(method)}, "params": {params_json}}}'
        return await self.http.post(
            self.url, content=body.encode(), headers={**self.session, "Content-Type": "application/json"}
        )

    async def call_tool(self, name: str, arguments_json: str) -> dict[str, Any]:
        """Calls a tool with arguments written as JSON text; returns the JSON-RPC result (a CallToolResult)."""
        response = await self.send("tools/call", f'{{"name": {json.dumps(name)}, "arguments": {arguments_json}}}')
        assert response.status_code == 200, response.text
        for message in _messages(response):
            if message.get("id") == self.ids:
                result: dict[str, Any] = message["result"]
                return result
        raise AssertionError(f"no answer to the call: {response.text}")


def _messages(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON-RPC messages of a response, whether JSON or a stream of server-sent events."""
    if response.headers["content-type"].startswith("application/json"):
        return [response.json()]
    return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]
