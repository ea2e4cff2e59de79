"""The HTTP routes, one module per resource, and what they share."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from ..errors import Problem
from ..models import ProblemDetails

_PROBLEM_DESCRIPTIONS = {
    401: "No valid API key (code unauthenticated): missing, unknown, expired or revoked, or its actor deactivated.",
    403: "The key's actor may not do this (code forbidden); detail names the operation and the roles that may.",
    404: "No such application, actor or key (code not_found).",
    409: "Conflict: invalid_transition, version_conflict, applicant_exists, actor_exists or conflict; the body says "
    "which.",
    412: "If-Match named a stale version (code version_conflict).",
    422: "Invalid request (code validation_failed, with `errors`) or idempotency_key_reused.",
    503: "The database cannot be reached (code service_unavailable); retry after Retry-After.",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The problem responses an operation can give, for the OpenAPI document. Every operation that takes a key
    can also answer 401 and 403, and every one 503."""
    return {
        status: {
            "model": ProblemDetails,
            "content": {"application/problem+json": {}},
            "description": _PROBLEM_DESCRIPTIONS[status],
        }
        for status in (*statuses, 401, 403, 503)
    }


# The writing routes read Idempotency-Key with idempotency_key(request) instead of declaring it as a FastAPI header
# parameter: FastAPI inspects each declared parameter's annotation again on every request, which cost an apply about
# a fifth of its own Python time (in process, the database call stubbed). So the routes document it themselves.
IDEMPOTENT = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Retry-safe key: a repeat with the same body replays the first response and writes "
            "nothing; reusing it for another body is refused. Kept 24 hours.",
            "schema": {"type": "string", "title": "Idempotency-Key"},
        }
    ]
}


def idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key; the lending function checks it (1-255 characters, not blank)."""
    key = request.headers.get("idempotency-key")
    if key is not None and "\x00" in key:
        message = "must not contain NUL characters"
        detail = f"The request is malformed: Idempotency-Key: {message}"
        raise Problem.invalid("header", "Idempotency-Key", message, detail)
    return key
