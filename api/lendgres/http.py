"""The HTTP plumbing every route shares: exact JSON parsing, problem answers, request ids and the request log."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Coroutine
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors
from .models import WrittenWithExponent

JSON = "application/json"


def exact_number(text: str) -> Decimal:
    """A JSON number with a fraction or an exponent, as the Decimal it says; one with an exponent is marked so that
    the money grammar can refuse it (models.Number)."""
    return WrittenWithExponent(text) if "e" in text or "E" in text else Decimal(text)


class ExactJSONRequest(Request):
    """Parses JSON bodies with every number that has a fraction or exponent as a Decimal, so no digit is lost
    (15000.000000000000001 stays itself and is refused, instead of becoming the float 15000.0)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_float=exact_number, parse_constant=Decimal)
        return self._json


class LendgresRoute(APIRoute):
    """Every route parses JSON exactly, takes only JSON bodies, and answers any failure as a problem, mapped in
    errors.from_exception. A path that some route serves as written (/loans/apply) is never taken for a value of
    another's parameter (/loans/{application_id}): GET /loans/apply is 405, POST only, not a malformed id."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE and self.param_convertors and _route_path(scope) in _literal_paths(scope):
            return Match.NONE, {}
        return match, child_scope

    async def admit(self, request: Request) -> None:
        """Runs before the handler; a subclass refuses a request here by raising (see auth.AuthenticatedRoute)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        takes_body = self.body_field is not None

        async def handle(request: Request) -> Response:
            exact = ExactJSONRequest(request.scope, request.receive)
            try:
                await self.admit(exact)
                if takes_body and _has_body(exact) and not _is_json(exact.headers.get("content-type", "")):
                    raise _unsupported_media_type(exact.headers.get("content-type"))
                return await handler(exact)
            except Exception as exc:
                return problem_response(exact, exc)

        return handle


def _literal_paths(scope: Scope) -> frozenset[str]:
    """The paths that routes of the app serve as written, without parameters; found once per app."""
    app = scope["app"]
    found: frozenset[str] | None = getattr(app.state, "literal_paths", None)
    if found is None:
        found = frozenset(
            route.path for route in app.router.routes if isinstance(route, APIRoute) and not route.param_convertors
        )
        app.state.literal_paths = found
    return found


def _route_path(scope: Scope) -> str:
    """The path as routes see it: below the app's root path, when it is mounted under one."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return (length is not None and length.strip() != "0") or "transfer-encoding" in request.headers


def _is_json(content_type: str) -> bool:
    """application/json, or a JSON-based type (application/merge-patch+json), whatever its parameters."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == JSON or (media_type.startswith("application/") and media_type.endswith("+json"))


def _unsupported_media_type(content_type: str | None) -> errors.Problem:
    return errors.Problem(
        415,
        "unsupported_media_type",
        "Unsupported media type",
        f"The body must be JSON (Content-Type: application/json), not {content_type or 'of no stated type'}.",
        # RFC 5789: the types a PATCH takes; a merge patch (RFC 7396) says what it is, plain JSON is read as one.
        headers={"Accept-Post": JSON, "Accept-Patch": f"{JSON}, application/merge-patch+json"},
    )


def problem_response(request: Request, exc: Exception) -> Response:
    """Answers a failure as its problem, and notes the problem's code for the request log."""
    problem = errors.from_exception(request, exc)
    request.state.error_code = problem.code
    return problem.response(request.state.request_id)


_REQUEST_ID = re.compile(rb"[\x21-\x7e]{1,200}")


class RequestIdMiddleware:
    """Gives every request an id (the client's X-Request-Id when it is sane, else a new one), puts it in
    request.state for the database call and the logs, returns it in every response's X-Request-Id, and writes one
    JSON line per request to the `lendgres.access` log. Refused and failed calls roll back and leave no audit row,
    so this line is their only trace."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = next((value for name, value in scope["headers"] if name == b"x-request-id"), b"")
        if not _REQUEST_ID.fullmatch(request_id):
            request_id = uuid.uuid4().hex.encode()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id.decode()
        status = 500

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            _log_request(scope, status, time.perf_counter() - started)


class RequestLimits:
    """Bounds what one request may cost before any route reads it. A body larger than `max_body_bytes` is refused
    (413) unread when its Content-Length says so, and as soon as it passes the limit when it comes in chunks. A
    body that pauses for `body_timeout` seconds (a client that announced more than it sends, or sends a byte now
    and then) is refused (408). Either way the rest of the body is never read, so the connection is closed.

    Headers, and an idle connection, are bounded by the protocol (serving.LimitedHttpToolsProtocol): by the time
    an ASGI app sees a request, its headers have arrived."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, body_timeout: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
        if length is None and not chunked:  # no body (most GETs): nothing to bound
            await self.app(scope, receive, send)
            return
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await problem_response(Request(scope, receive), self._too_large())(scope, receive, send)
            return
        received = 0
        body_complete = False
        started = False

        async def bounded_receive() -> Message:
            nonlocal received, body_complete
            if body_complete:  # what is left to receive is a disconnect, which may come at any time
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except asyncio.TimeoutError:  # not yet the builtin TimeoutError on Python 3.10
                raise errors.RaisedProblem(self._timed_out()) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_complete = not message.get("more_body", False)
                if received > self.max_body_bytes:
                    raise errors.RaisedProblem(self._too_large())
            return message

        async def noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, noting_start)
        except errors.RaisedProblem as raised:  # by bounded_receive, where no route could answer it
            if started:
                raise
            await problem_response(Request(scope, receive), raised.problem)(scope, receive, send)

    def _too_large(self) -> errors.Problem:
        return errors.Problem(
            413,
            "body_too_large",
            "Request body too large",
            f"The request body is larger than {self.max_body_bytes} bytes.",
            {"max_body_bytes": self.max_body_bytes},
            {"Connection": "close"},
        )

    def _timed_out(self) -> errors.Problem:
        return errors.Problem(
            408,
            "request_timeout",
            "Request timeout",
            f"The request body stopped arriving for {self.body_timeout:g} seconds; send it whole.",
            headers={"Connection": "close"},
        )


class HeadAsGet:
    """Answers HEAD wherever a route serves GET, as GET would but without the body (RFC 9110: a server that
    answers GET answers HEAD). FastAPI's routes take only the methods they declare, so HEAD was 405 everywhere.
    The route runs as for GET, so the headers (ETag, Content-Length) are the GET's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or "GET" not in errors.methods_served(scope):
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, without_body)
        finally:
            if "route" in as_get:
                scope["route"] = as_get["route"]  # for the request log, which sees the HEAD request


access_log = logging.getLogger("lendgres.access")


def _log_request(scope: Scope, status: int, duration_s: float) -> None:
    """Writes the request's line. Built by hand, and written straight to standard output when that is where the
    log goes (the default): a LogRecord, a formatter and a flush per request cost a GET about a fifth of its Python
    time (cProfile, against the foundation's commit)."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    route = scope.get("route")
    state = scope["state"]
    line = (
        f'{{"time": "{_timestamp(time.time())}", '
        f'"request_id": {_json_string(state["request_id"])}, "actor": {_json_string(state.get("actor"))}, '
        f'"method": {_json_string(scope["method"])}, '
        f'"route": {_json_string(getattr(route, "path", None) or scope["path"])}, "status": {status}, '
        f'"code": {_json_string(state.get("error_code"))}, "duration_ms": {duration_s * 1000:.3f}}}'
    )
    handlers = access_log.handlers
    if len(handlers) == 1 and isinstance(handlers[0], StandardOutput) and not access_log.propagate:
        handlers[0].write_line(line)
    else:
        access_log.handle(access_log.makeRecord(access_log.name, logging.INFO, "", 0, line, (), None))


_second: tuple[int, str] = (0, "")


def _timestamp(now: float) -> str:
    """RFC 3339 in UTC, to the millisecond. The part down to the second changes once a second, and is formatted
    only then: strftime and gmtime were a third of the line's cost."""
    global _second
    second = int(now)
    if _second[0] != second:
        _second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{_second[1]}.{int(now * 1000) % 1000:03d}+00:00"


class StandardOutput(logging.StreamHandler):  # type: ignore[type-arg]
    """The request log's default handler: lines on standard output, flushed from the event loop at most
    FLUSH_INTERVAL_S after they were written rather than after each one. Other handlers attached to the logger
    take the usual logging path."""

    FLUSH_INTERVAL_S = 0.5

    def __init__(self) -> None:
        super().__init__(sys.stdout)
        self._flush_pending = False

    def write_line(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.flush()

    def flush(self) -> None:
        if self._flush_pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            super().flush()  # not serving: nothing to batch
            return
        self._flush_pending = True
        loop.call_later(self.FLUSH_INTERVAL_S, self._flush_now)

    def _flush_now(self) -> None:
        self._flush_pending = False
        super().flush()

    def close(self) -> None:
        self._flush_now()
        super().close()


def _json_string(value: str | None) -> str:
    return "null" if value is None else encode_basestring_ascii(value)


def json_text(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response whose body is JSON text the database produced, passed through untouched."""
    return Response(text, status, headers, media_type=JSON)
