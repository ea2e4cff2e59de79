"""Errors as data: every failure becomes an RFC 9457 problem (application/problem+json), mapped in one place.

Lendgres functions raise SQLSTATE 'LN' + the HTTP status, with the human message as the message and a JSON
object as the detail: {"code", "title", ...facts}. Standard SQLSTATEs a client can provoke (a unique key taken, a
check failed, a value out of range) map generically. Anything else is a real 500: logged with the request id,
answered without internals.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

log = logging.getLogger("lendgres")

PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass
class Problem(Exception):
    status: int
    code: str
    title: str
    detail: str
    extensions: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def invalid(cls, location: str, field: str, message: str, detail: str) -> Problem:
        """A validation_failed problem about one field of the request, shaped like pydantic's."""
        return cls(
            422,
            "validation_failed",
            "Validation failed",
            detail,
            {"errors": [{"location": location, "field": field, "message": message}]},
        )

    def response(self, request_id: str | None) -> Response:
        return Response(json.dumps(self.body(request_id)), self.status, self.headers, media_type=PROBLEM_MEDIA_TYPE)

    def body(self, request_id: str | None) -> dict[str, Any]:
        return {
            "type": f"urn:lendgres:problem:{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            **self.extensions,
            "request_id": request_id,
        }


# SQLSTATEs of PostgreSQL itself that a client's input can cause: (status, code, title).
_INVALID_INPUT = (422, "validation_failed", "Validation failed")
_STANDARD_SQLSTATES: dict[str, tuple[int, str, str]] = {
    "23505": (409, "conflict", "Conflict"),  # unique_violation
    "23503": _INVALID_INPUT,  # foreign_key_violation: a referenced row does not exist
    "23514": _INVALID_INPUT,  # check_violation
    "23502": _INVALID_INPUT,  # not_null_violation
    "22001": _INVALID_INPUT,  # string_data_right_truncation
    "22003": _INVALID_INPUT,  # numeric_value_out_of_range
    "22007": _INVALID_INPUT,  # invalid_datetime_format
    "22008": _INVALID_INPUT,  # datetime_field_overflow
    "22021": _INVALID_INPUT,  # character_not_in_repertoire (a NUL byte in text)
    "22023": _INVALID_INPUT,  # invalid_parameter_value
    "22P02": _INVALID_INPUT,  # invalid_text_representation
    "22P05": _INVALID_INPUT,  # untranslatable_character
    "2202E": _INVALID_INPUT,  # array_subscript_error
    "40001": (409, "concurrent_update", "Concurrent update, retry"),  # serialization_failure
    "40P01": (409, "concurrent_update", "Concurrent update, retry"),  # deadlock_detected
    "55P03": (409, "concurrent_update", "Concurrent update, retry"),  # lock_not_available
    "57014": (503, "service_unavailable", "Service unavailable"),  # query_canceled (statement timeout)
    "53300": (503, "service_unavailable", "Service unavailable"),  # too_many_connections
}

# Failures to reach the database at all: retrying later can succeed.
_UNAVAILABLE = (
    OSError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.TooManyConnectionsError,
)


def from_postgres(exc: asyncpg.PostgresError) -> Problem | None:
    """The problem a database error stands for, or None when it is not the client's doing (a real 500)."""
    sqlstate = exc.sqlstate or ""
    message = getattr(exc, "message", None) or str(exc)
    if sqlstate.startswith("LN"):
        raised: dict[str, Any] = json.loads(getattr(exc, "detail", None) or "{}")
        code = raised.pop("code", "error")
        title = raised.pop("title", code)
        return Problem(int(sqlstate[2:]), code, title, message, raised)
    standard = _STANDARD_SQLSTATES.get(sqlstate)
    if standard is None:
        return None
    status, code, title = standard
    facts: dict[str, Any] = {"sqlstate": sqlstate}
    constraint = getattr(exc, "constraint_name", None)
    if constraint:
        facts["constraint"] = constraint
    if code == "validation_failed":
        facts["errors"] = [{"field": getattr(exc, "column_name", None) or "", "message": message}]
    return Problem(status, code, title, message, facts, {"Retry-After": "1"} if status == 503 else {})


def known_problem(exc: Exception) -> Problem | None:
    """The problem an exception stands for, wherever it was raised (an HTTP route or an MCP tool), or None when it
    is not the client's doing: a real 500."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, RequestValidationError):
        return from_request_validation(exc)
    if isinstance(exc, HTTPException):
        return from_http_exception(exc)
    if isinstance(exc, asyncpg.PostgresError):
        return from_postgres(exc)
    if isinstance(exc, _UNAVAILABLE):
        return Problem(
            503,
            "service_unavailable",
            "Service unavailable",
            "The database cannot be reached; retry later.",
            headers={"Retry-After": "1"},
        )
    return None


def from_exception(request: Request, exc: Exception) -> Problem:
    """Maps any exception raised while serving `request` to the problem to answer with."""
    problem = known_problem(exc)
    if problem is None:
        log.error(
            "internal error serving %s %s (request id %s)",
            request.method,
            request.url.path,
            request.state.request_id,
            exc_info=exc,
        )
        return Problem(
            500,
            "internal_error",
            "Internal error",
            "The server failed to handle the request; quote the request id when reporting it.",
        )
    if problem.code == "version_conflict" and request.headers.get("if-match", "*").strip() != "*":
        problem.status = 412  # the precondition the client sent in If-Match failed
    if problem.status == 405:
        # Starlette's 405 names only the first route whose path matched, so /actors said GET though it takes POST
        # too; Allow names the methods the resource supports (RFC 9110).
        methods = methods_served(request.scope)
        if "GET" in methods:
            methods.add("HEAD")  # http.HeadAsGet answers it
        problem.headers["Allow"] = ", ".join(sorted(methods))
    return problem


def methods_served(scope: Scope) -> set[str]:
    """Every method that some route of the app serves at the request's path, whatever the request's method."""
    methods: set[str] = set()
    for route in scope["app"].router.routes:
        match, _ = route.matches(scope)
        if match != Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return methods


def from_request_validation(exc: RequestValidationError) -> Problem:
    """FastAPI's errors, each located by its first step (path, query, header or body)."""
    return from_validation_errors([(error["loc"][0], [{**error, "loc": error["loc"][1:]}]) for error in exc.errors()])


def from_validation_errors(failures: list[tuple[str, list[Any]]]) -> Problem:
    """A validation_failed problem from pydantic's errors, each list with the location of what it validated: the
    same problem whether FastAPI validated a request or an MCP tool call validated its arguments."""
    errors = [
        {"location": location, "field": ".".join(str(step) for step in error["loc"]), "message": error.get("msg", "")}
        for location, found in failures
        for error in found
    ]
    summary = "; ".join(f"{e['field'] or e['location']}: {e['message']}" for e in errors)
    return Problem(
        422, "validation_failed", "Validation failed", f"The request is malformed: {summary}", {"errors": errors}
    )


_HTTP_CODES = {404: ("not_found", "Not found"), 405: ("method_not_allowed", "Method not allowed")}


def from_http_exception(exc: HTTPException) -> Problem:
    if exc.status_code == 400:  # a body FastAPI could not decode at all: still a malformed request, so 422
        return Problem.invalid("body", "", str(exc.detail), f"The request body cannot be read: {exc.detail}")
    code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
    headers = dict(exc.headers or {})
    return Problem(exc.status_code, code, title, str(exc.detail), headers=headers)
