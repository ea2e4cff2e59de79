"""The MCP endpoint: task-shaped tools for agents, mounted at /mcp in the same app (streamable HTTP).

Each tool calls the same lending function as its HTTP twin, through the same pool, as the actor of the same bearer
key; a failure comes back as a tool error whose text is the same problem document (code, detail, and the facts to
correct the call). Every request to /mcp needs the key: without one it is refused with the same 401 problem as any
route, before the SDK sees it.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ToolAnnotations
from pydantic import Field
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import __version__, auth, db, errors
from .events import read_events
from .http import problem_response

# The status machine's values, as enums in the tool schemas so that an agent picks a valid one. The database holds
# the same lists (application_status, decision outcomes) and refuses anything else anyway.
Outcome = Literal["approved", "rejected", "manual_review"]
Status = Literal["pending", "manual_review", "approved", "rejected", "withdrawn"]
EventType = Literal["application.filed", "application.decided", "application.withdrawn", "application.updated"]

Amount = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)?$", description="Decimal string, e.g. '15000.00'.")]
ApplicationId = Annotated[int, Field(ge=1, le=2**63 - 1, description="The application's id.")]
IdempotencyKey = Annotated[
    str | None,
    Field(max_length=255, description="Send the same key when retrying the same call: it is done once."),
]

READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
FINAL = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False)

INSTRUCTIONS = """\
Lendgres files, decides and audits loan applications. Typical flow: submit_application, then get_application to
read its status and version, then decide_application (or withdraw_application). wait_for_events follows changes.
Every failure is a problem document with a stable `code`; validation_failed lists the fields to fix."""


def mount(app: FastAPI, allowed_hosts: list[str]) -> MCPServer:
    """Adds the MCP endpoint to `app` at /mcp; its session manager must run inside the app's lifespan."""
    server = MCPServer(name="lendgres", version=__version__, instructions=INSTRUCTIONS)
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=allowed_hosts,
        allowed_origins=[f"http://{host}" for host in allowed_hosts] + [f"https://{host}" for host in allowed_hosts],
    )

    async def invoke(function: str, context: Context, write: bool = False, **arguments: Any) -> Any:
        """Calls a lending function as the key's actor; a write also passes the HTTP request id, and answers with
        an envelope whose body is the tool's result."""
        state = context.request_context.request.state  # type: ignore[union-attr]
        arguments["actor"] = state.actor
        if write:
            arguments["request_id"] = state.request_id
        try:
            result = await db.call(app.state.database, function, **arguments)
        except Exception as exc:
            problem = errors.known_problem(exc)
            if problem is None:
                raise  # a crash: the SDK logs it and tells the client only that the tool failed
            raise ToolError(json.dumps(problem.body(arguments.get("request_id")))) from exc
        document = json.loads(result)
        return document["body"] if write else document

    @server.tool(
        annotations=WRITE,
        description=(
            "File a new loan application, in status pending, for a new applicant (applicant_name and optional contact "
            "details) or a known one (applicant_id). Returns the application; keep its application_id."
        ),
    )
    async def submit_application(
        context: Context,
        amount: Amount,
        applicant_name: str | None = None,
        applicant_id: Annotated[int | None, Field(ge=1, le=2**63 - 1)] = None,
        applicant_email: str | None = None,
        applicant_phone: str | None = None,
        applicant_external_ref: str | None = None,
        currency: Annotated[str | None, Field(description="ISO 4217, default USD.")] = None,
        term_months: Annotated[int | None, Field(ge=1, le=480)] = None,
        purpose: str | None = None,
        external_ref: str | None = None,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        try:
            exact = Decimal(amount)
        except InvalidOperation:
            raise ToolError("amount must be a decimal string such as 15000.00") from None
        result: dict[str, Any] = await invoke(
            "lending.apply",
            context,
            write=True,
            amount=exact,
            applicant_name=applicant_name,
            applicant_id=applicant_id,
            applicant_email=applicant_email,
            applicant_phone=applicant_phone,
            applicant_external_ref=applicant_external_ref,
            currency=currency,
            term_months=term_months,
            purpose=purpose,
            external_ref=external_ref,
            idempotency_key=idempotency_key,
        )
        return result

    @server.tool(
        annotations=READ,
        description=(
            "Read one application: status, version, allowed next statuses, applicant, latest decision and history. "
            "Use it before deciding, to know the current state."
        ),
    )
    async def get_application(context: Context, application_id: ApplicationId) -> dict[str, Any]:
        result: dict[str, Any] = await invoke("lending.get_application", context, application_id=application_id)
        return result

    @server.tool(
        annotations=READ,
        description=(
            "List applications newest first, optionally only those in one status (e.g. manual_review, to find work). "
            "Pass next_cursor as after for the next page."
        ),
    )
    async def list_applications(
        context: Context,
        status: Status | None = None,
        limit: Annotated[int, Field(ge=1, le=100)] = 20,
        after: str | None = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = await invoke(
            "lending.list_applications", context, status=status, limit=limit, after=after
        )
        return result

    @server.tool(
        annotations=FINAL,
        description=(
            "Record an underwriting decision with its reason: approved or rejected (final) or manual_review. Pass "
            "expected_version from get_application to avoid deciding on a state you have not seen."
        ),
    )
    async def decide_application(
        context: Context,
        application_id: ApplicationId,
        outcome: Outcome,
        reason: Annotated[str, Field(min_length=1, max_length=2000)],
        reason_codes: list[str] | None = None,
        expected_version: Annotated[int | None, Field(ge=1)] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = await invoke(
            "lending.decide",
            context,
            write=True,
            application_id=application_id,
            outcome=outcome,
            reason=reason,
            reason_codes=reason_codes,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )
        return result

    @server.tool(
        annotations=FINAL,
        description=("Withdraw a pending or in-review application at the applicant's request. Final."),
    )
    async def withdraw_application(
        context: Context,
        application_id: ApplicationId,
        reason: str | None = None,
        expected_version: Annotated[int | None, Field(ge=1)] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = await invoke(
            "lending.withdraw",
            context,
            write=True,
            application_id=application_id,
            reason=reason,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )
        return result

    @server.tool(
        annotations=READ,
        description=(
            "Read an application's audit trail (every change, who made it, with which request id) and whether its "
            "hash chain verifies."
        ),
    )
    async def get_application_audit(context: Context, application_id: ApplicationId) -> dict[str, Any]:
        result: dict[str, Any] = await invoke("lending.application_audit", context, application_id=application_id)
        return result

    @server.tool(
        annotations=READ,
        description=(
            "Wait for what changes next: returns events after the cursor in commit order, waiting up to wait_seconds "
            "for one to commit. Pass next_cursor as after next time."
        ),
    )
    async def wait_for_events(
        context: Context,
        after: str | None = None,
        limit: Annotated[int, Field(ge=1, le=1000)] = 100,
        wait_seconds: Annotated[float, Field(ge=0, le=30)] = 0,
        application_id: Annotated[int | None, Field(ge=1, le=2**63 - 1)] = None,
        event_type: EventType | None = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(
            await read_events(
                app,
                context.request_context.request.state.actor,  # type: ignore[union-attr]
                after=after,
                limit=limit,
                wait=wait_seconds,
                application_id=application_id,
                event_type=event_type,
            )
        )
        return result

    # The SDK builds a Starlette app around its handler; its one route joins ours, so that /mcp shares the app's
    # middleware (request ids, the request log) and lifespan, behind the same keys.
    for route in server.streamable_http_app(streamable_http_path="/mcp", transport_security=security).routes:
        if isinstance(route, Route):
            route.app = _require_key(route.app)
        app.router.routes.append(route)
    return server


def _require_key(handler: ASGIApp) -> ASGIApp:
    """Lets a request through to `handler` only with a valid bearer key, whose actor the tools then act as."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            await auth.identify(request, auth.bearer_key(request))
        except Exception as exc:
            await problem_response(request, exc)(scope, receive, send)
            return
        await handler(scope, receive, send)

    return guarded
