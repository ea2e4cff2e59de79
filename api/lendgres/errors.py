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

    @classmethod
    def from_document(cls, status: int, document: dict[str, Any]) -> Problem:
        """The problem a lending function answered as data ({code, title, detail, ...facts}) rather than raised."""
        facts = {key: value for key, value in document.items() if key not in ("type", "status", "request_id")}
        code = str(facts.pop("code", "error"))
        title = str(facts.pop("title", code))
        return cls(status, code, title, str(facts.pop("detail", title)), facts)

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


# SQLSTATEs of PostgreSQL itself that a client's input can cause: (status, code, title, what to tell the client).
# The lending functions check their input and raise their own codes first; this is the safety net for what they
# miss. What PostgreSQL said (its message, the constraint, the SQLSTATE) names private tables and is the operators'
# business: it goes to the log with the request id, never into the problem.
_INVALID = (422, "validation_failed", "Validation failed")
_RETRY = (409, "concurrent_update", "Concurrent update, retry")
_STANDARD_SQLSTATES: dict[str, tuple[int, str, str, str]] = {
    "23505": (409, "conflict", "Conflict", "The request conflicts with a record that already exists."),
    "23503": (*_INVALID, "The request refers to a record that does not exist."),
    "23514": (*_INVALID, "A value breaks a rule of the record it would be stored in."),
    "23502": (*_INVALID, "A required value is missing."),
    "22001": (*_INVALID, "A value is too long."),
    "22003": (*_INVALID, "A number is out of range."),
    "22007": (*_INVALID, "A date or time is not valid."),
    "22008": (*_INVALID, "A date or time is out of range."),
    "22021": (*_INVALID, "Text contains bytes that are not valid UTF-8."),  # a NUL byte in text, too
    "22023": (*_INVALID, "A value is not valid here."),
    "22P02": (*_INVALID, "A value is not written in the form its type needs."),
    "22P05": (*_INVALID, "Text contains characters that cannot be stored."),
    "2202E": (*_INVALID, "A value is out of range."),
    "40001": (*_RETRY, "Another request changed the same records at the same time; retry."),  # serialization
    "40P01": (*_RETRY, "Another request changed the same records at the same time; retry."),  # deadlock
    "55P03": (*_RETRY, "Another request holds the records this one needs; retry."),  # lock_not_available
    "57014": (503, "service_unavailable", "Service unavailable", "The database took too long to answer; retry later."),
}


class DatabaseUnavailable(Exception):
    """The database, or the connection a statement ran on, was lost (db.Database raises it): retrying later, on
    another connection, can succeed. A write that was under way may or may not have committed, which is what an
    idempotency key is for."""


class RaisedProblem(HTTPException):
    """A problem raised from where FastAPI catches every exception but an HTTPException (reading a request's body,
    which it would answer 400 "There was an error parsing the body")."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.status, problem.detail, problem.headers)
        self.problem = problem


# Errors that say the connection they came from is gone, or in a state the driver cannot recover from (asyncpg's
# InternalClientError after the server died mid-conversation): such a connection is never lent again (db.Database).
CONNECTION_LOST = (
    OSError,
    asyncpg.PostgresConnectionError,  # 08: the connection failed or does not exist
    asyncpg.CannotConnectNowError,  # 57P03: starting up, shutting down, or in recovery
    asyncpg.AdminShutdownError,  # 57P01
    asyncpg.CrashShutdownError,  # 57P02: another backend crashed and the server is restarting
    asyncpg.InternalClientError,
)

# Failures to reach the database, or to keep a connection to it: retrying later can succeed, so they are 503, never
# 500, whichever PostgreSQL error class they belong to.
_UNAVAILABLE = (*CONNECTION_LOST, DatabaseUnavailable, asyncpg.TooManyConnectionsError)


def from_postgres(exc: asyncpg.PostgresError) -> Problem | None:
    """The problem a database error stands for, or None when it is not the client's doing (a real 500)."""
    sqlstate = exc.sqlstate or ""
    if sqlstate.startswith("LN"):
        raised: dict[str, Any] = json.loads(getattr(exc, "detail", None) or "{}")
        code = raised.pop("code", "error")
        title = raised.pop("title", code)
        return Problem(int(sqlstate[2:]), code, title, getattr(exc, "message", None) or str(exc), raised)
    standard = _STANDARD_SQLSTATES.get(sqlstate)
    if standard is None:
        return None
    status, code, title, detail = standard
    facts: dict[str, Any] = {}
    if code == "validation_failed":
        facts["errors"] = [{"field": "", "message": detail}]
    return Problem(status, code, title, detail, facts, {"Retry-After": "1"} if status == 503 else {})


def known_problem(exc: Exception) -> Problem | None:
    """The problem an exception stands for, wherever it was raised (an HTTP route or an MCP tool), or None when it
    is not the client's doing: a real 500."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, RaisedProblem):
        return exc.problem
    if isinstance(exc, RequestValidationError):
        return from_request_validation(exc)
    if isinstance(exc, HTTPException):
        return from_http_exception(exc)
    if isinstance(exc, _UNAVAILABLE):  # before PostgresError: most of these are PostgreSQL errors too
        return Problem(
            503,
            "service_unavailable",
            "Service unavailable",
            "The database cannot be reached; retry later.",
            headers={"Retry-After": "1"},
        )
    if isinstance(exc, asyncpg.PostgresError):
        return from_postgres(exc)
    return None


def from_exception(request: Request, exc: Exception) -> Problem:
    """Maps any exception raised while serving `request` to the problem to answer with."""
    problem = known_problem(exc)
    if problem is not None and isinstance(exc, asyncpg.PostgresError) and not (exc.sqlstate or "").startswith("LN"):
        log.warning(
            "PostgreSQL refused %s %s with %s: %s (answered %s, request id %s)",
            request.method,
            request.url.path,
            exc.sqlstate,
            getattr(exc, "message", None) or exc,
            problem.code,
            request.state.request_id,
        )
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
    """FastAPI's errors, each located by its first step (path, query, header or body). A body that is not JSON at
    all names no field: FastAPI puts the character where parsing failed where a field's name would be."""
    failures = []
    for error in exc.errors():
        location, *steps = error["loc"]
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "it cannot be parsed")
            at = f" at character {steps[0]}" if steps else ""
            error = {**error, "msg": f"The body is not valid JSON: {reason}{at}"}
            steps = []
        failures.append((location, [{**error, "loc": tuple(steps)}]))
    return from_validation_errors(failures)


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
