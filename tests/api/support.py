"""Helpers shared by the HTTP tests: the problem document's contract, and short ways to file and decide."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "request_id"}


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
