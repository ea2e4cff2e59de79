"""The MCP endpoint: every operation as a tool for agents, at /mcp in the same app (streamable HTTP, the official
SDK's low-level server).

A tool is made from its operation's declaration (operations.py), as the HTTP route is: its input schema from the
same models, its arguments validated with them, the same lending function called through the same pool as the
actor of the same bearer key. A failure of any kind is a tool error whose text is the problem document HTTP would
answer (code, detail, the facts to correct the call, and the request id); a crash is logged with that id and
answered as internal_error, never as a bare traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import mcp_types as types
from fastapi import FastAPI, Request
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import __version__, auth, db, errors, operations
from .auth import acting_actor
from .http import exact_number, problem_response
from .operations import Caller, Operation

INSTRUCTIONS = """\
Lendgres files, underwrites and audits loan applications. Typical flow: list_products, submit_application with
the applicant's facts (update_application adds them later), assess_application, then decide_application with the
assessment's reason codes (list_reason_codes); get_application reads status, version and offer at any step.
Referrals wait in review_queue for a person (claim_review, then decide); large approvals wait for a second
reviewer (confirm_decision). The borrower answers the offer with accept_offer or decline_offer; a rejection's notice
is adverse_action_notice, then record_notice_sent. wait_for_events follows changes; who_am_i tells what your key
may do. Every failure is a problem document with a stable `code`; validation_failed lists the fields to fix."""


def tool(operation: Operation) -> types.Tool:
    """The MCP tool of an operation."""
    return types.Tool(
        name=operation.name,
        title=operation.summary,
        description=operation.description,
        input_schema=operations.tool_arguments_model(operation).model_json_schema(by_alias=True),
        output_schema=operation.result.model_json_schema(),
        annotations=types.ToolAnnotations(
            read_only_hint=not operation.writes,
            destructive_hint=operation.destructive,
            # Repeating it changes nothing more; a write that takes a key is so only with the key.
            idempotent_hint=not operation.writes or operation.idempotency == "repeatable",
            open_world_hint=False,
        ),
    )


def mount(app: FastAPI, served: Iterable[Operation], allowed_hosts: list[str]) -> Server[Any]:
    """Adds the MCP endpoint to `app` at /mcp; its session manager must run inside the app's lifespan."""
    by_name = {operation.name: operation for operation in served}
    tools = [tool(operation) for operation in by_name.values()]

    async def list_tools(
        _: ServerRequestContext[Any], __: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(context: ServerRequestContext[Any], call: types.CallToolRequestParams) -> types.CallToolResult:
        request: Request = context.request  # type: ignore[assignment]  # the HTTP request that carried the call
        try:
            operation = by_name.get(call.name)
            if operation is None:
                raise errors.Problem(404, "not_found", "Not found", f"There is no tool named {call.name!r}", {})
            arguments = operations.tool_call_arguments(operation, _exact_arguments(request, call))
            caller = Caller(request, await db.database(request), acting_actor(request), request.state.request_id)
            answer = await operations.run(operation, caller, arguments)
        except Exception as exc:
            problem = errors.from_exception(request, exc)
            request.state.error_code = problem.code
            text = json.dumps(problem.body(request.state.request_id))
            return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=answer.body)], structured_content=answer.document()
        )

    server: Server[Any] = Server(
        "lendgres", version=__version__, instructions=INSTRUCTIONS, on_list_tools=list_tools, on_call_tool=call_tool
    )
    # DNS rebinding protection is ours (_require_known_host): the SDK's takes "127.0.0.1:*" to allow any Host that
    # starts with "127.0.0.1:", such as 127.0.0.1:8000@evil.example, and compares names case-sensitively.
    security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    # The SDK builds a Starlette app around its handler; its one route joins ours, so that /mcp shares the app's
    # middleware (request ids, the request log) and lifespan, behind the same keys.
    for route in server.streamable_http_app(streamable_http_path="/mcp", transport_security=security).routes:
        if isinstance(route, Route):
            route.app = _require_known_host(_require_key(route.app), [HostPattern.parse(h) for h in allowed_hosts])
        app.router.routes.append(route)
    return server


def _exact_arguments(request: Request, call: types.CallToolRequestParams) -> dict[str, Any]:
    """The call's arguments as the client wrote them: numbers with a fraction or an exponent as Decimal, as HTTP
    bodies are parsed, so that 15000.000000000000001 is refused rather than rounded to a float. The SDK parses the
    message with floats, so they are read again from the body _require_key kept."""
    body: bytes = getattr(request.state, "mcp_body", b"")
    try:
        message = json.loads(body, parse_float=exact_number, parse_constant=Decimal)
        params = message["params"]
        if message.get("method") == "tools/call" and params.get("name") == call.name:
            arguments = params.get("arguments") or {}
            if isinstance(arguments, dict):
                return arguments
    except (ValueError, TypeError, KeyError, AttributeError):
        pass
    return dict(call.arguments or {})


# A Host header, or the host and port of an Origin: a name or IPv4 address, or an IPv6 address in brackets, and
# an optional port. Nothing else (user info, a path, a second host) may follow.
_HOST = re.compile(r"(?P<name>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?")


@dataclass(frozen=True)
class HostPattern:
    """An allowed host (LENDGRES_ALLOWED_HOSTS): a name and a port, or any port ("localhost:*")."""

    name: str  # lower case
    port: str | None  # None: any port, or none

    @classmethod
    def parse(cls, pattern: str) -> HostPattern:
        name, _, port = pattern.strip().rpartition(":") if pattern.strip().endswith(":*") else (pattern, "", "")
        found = _HOST.fullmatch(name.strip())
        if found is None:
            raise RuntimeError(f"LENDGRES_ALLOWED_HOSTS: {pattern!r} is not a host, host:port or host:*")
        return cls(found["name"].lower(), found["port"] if port != "*" else None)

    def allows(self, host: str) -> bool:
        found = _HOST.fullmatch(host)
        return (
            found is not None
            and found["name"].lower() == self.name
            and (self.port is None or found["port"] == self.port)
        )


def _origin_host(origin: str) -> str | None:
    """The host[:port] of an Origin header (scheme://host[:port]), or None when it is not one."""
    scheme, separator, host = origin.partition("://")
    return host if separator and scheme.lower() in ("http", "https") else None


def _require_known_host(handler: ASGIApp, allowed: list[HostPattern]) -> ASGIApp:
    """Refuses a request whose Host, or Origin when a browser sent one, is not an allowed host: a page on another
    site, whose name was made to resolve to this machine (DNS rebinding), must not reach the tools. Names match
    whole and case-insensitively, ports exactly."""

    def known(host: str | None) -> bool:
        return host is not None and any(pattern.allows(host) for pattern in allowed)

    async def checked(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        origin = request.headers.get("origin")
        problem = None
        if not known(request.headers.get("host")):
            problem = errors.Problem(
                421,
                "unknown_host",
                "Misdirected request",
                "The Host header names no host this server answers to at /mcp (see LENDGRES_ALLOWED_HOSTS).",
            )
        elif origin is not None and not known(_origin_host(origin)):
            problem = errors.Problem(
                403, "forbidden_origin", "Forbidden origin", "Pages of this Origin may not call the MCP endpoint."
            )
        if problem is not None:
            await problem_response(request, problem)(scope, receive, send)
            return
        await handler(scope, receive, send)

    return checked


def _require_key(handler: ASGIApp) -> ASGIApp:
    """Lets a request through to `handler` only with a valid bearer key of an active actor, asked of the database
    for every request (an MCP session outlives any cache, and its requests need not call a function that would
    check); the tools then act as that actor. Keeps the body for _exact_arguments, and hands it on."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            await auth.identify(request, auth.bearer_key(request), fresh=True)
            body = await request.body()
        except Exception as exc:
            await problem_response(request, exc)(scope, receive, send)
            return
        request.state.mcp_body = body
        delivered = False

        async def receive_again() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await handler(scope, receive_again, send)

    return guarded
