"""Loan applications over HTTP. Each handler validates the request's shape and calls one lending function."""

from __future__ import annotations

import json
import re
from typing import Annotated

from fastapi import APIRouter, Body, Header, Path, Query, Request
from pydantic import BeforeValidator
from starlette.responses import Response

from .. import db
from ..auth import AuthenticatedRoute, acting_actor
from ..errors import Problem
from ..http import envelope, json_text
from ..models import (
    Application,
    ApplicationPage,
    ApplyRequest,
    AuditTrail,
    DecisionRequest,
    DecisionResult,
    Text,
    WithdrawRequest,
)
from . import IDEMPOTENT, idempotency_key, problems

router = APIRouter(route_class=AuthenticatedRoute, tags=["loans"])


def _digits(value: object) -> object:
    """An id in a path is written in digits: /loans/1.0 names nothing, rather than application 1."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be a positive whole number written in digits")
    return value


ApplicationId = Annotated[int, BeforeValidator(_digits), Path(ge=1, le=2**63 - 1, description="The application's id.")]

# The two reads of one application take the id from the path themselves, and document it themselves: FastAPI solving
# a declared path parameter was about a seventh of a get's own Python time (in process, the database call stubbed:
# 77 -> 66 us). The writes declare it, because FastAPI solves their body anyway, and so reports a bad id together
# with a bad body.
_ID_MESSAGE = f"must be a whole number from 1 to {2**63 - 1}, written in digits"
APPLICATION_ID_IN_PATH = {
    "parameters": [
        {
            "name": "application_id",
            "in": "path",
            "required": True,
            "description": "The application's id.",
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": 2**63 - 1,
                "title": "Application Id",
                "description": "The application's id.",
            },
        }
    ]
}


def application_id_in_path(request: Request) -> int:
    """The application id of a read's path: ASCII digits only (leading zeros allowed, as the writes allow them), 1 to
    the largest bigint."""
    text: str = request.path_params["application_id"]
    # Leading zeros stripped first, so that the length check bounds the number, and int() never sees a long string.
    digits = text.lstrip("0")
    if text.isascii() and text.isdigit() and 0 < len(digits) <= 19 and int(digits) <= 2**63 - 1:
        return int(digits)
    raise Problem.invalid(
        "path", "application_id", _ID_MESSAGE, f"The request is malformed: application_id: {_ID_MESSAGE}"
    )


IfMatch = Annotated[
    str | None, Header(alias="If-Match", description='The ETag of the version you read, e.g. "3"; 412 if stale.')
]


def _database(request: Request) -> db.Database:
    database: db.Database = request.app.state.database
    return database


_ETAG = re.compile(r'^\s*(W/)?"(\d{1,9})"\s*$')


def _expected_version(if_match: str | None, expected_version: int | None) -> int | None:
    """If-Match carries the version as an ETag; it means the same as expected_version in the body."""
    if if_match is None or if_match.strip() == "*":
        return expected_version
    match = _ETAG.match(if_match)
    if match is None:
        raise Problem.invalid(
            "header", "If-Match", 'must be an ETag such as "3"', 'If-Match must be an ETag such as "3"'
        )
    if match.group(1):
        # If-Match compares strongly (RFC 9110): a weak tag never matches.
        raise Problem(
            412, "version_conflict", "Version conflict", "If-Match cannot be met by a weak ETag", {"if_match": if_match}
        )
    version = int(match.group(2))
    if expected_version is not None and expected_version != version:
        raise Problem.invalid(
            "header",
            "If-Match",
            "names another version than expected_version",
            "If-Match and expected_version disagree",
        )
    return version


@router.post(
    "/loans/apply",
    status_code=201,
    operation_id="submit_application",
    openapi_extra=IDEMPOTENT,
    summary="File a new loan application (status pending) for a new or existing applicant",
    description="Use this first, once the borrower's name and the amount are known. Returns the application; "
    "keep its application_id for every later step. Safe to retry with the same Idempotency-Key.",
    response_model=Application,
    responses={201: {"headers": {"Location": {"description": "/loans/{application_id}"}}}, **problems(409, 422)},
)
async def submit_application(
    request: Request,
    application: ApplyRequest,
) -> Response:
    result = await db.call(
        _database(request),
        "lending.apply",
        **application.model_dump(exclude_none=True),
        actor=acting_actor(request),
        request_id=request.state.request_id,
        idempotency_key=idempotency_key(request),
    )
    return envelope(result, location="/loans/{application_id}")


@router.get(
    "/loans/{application_id}",
    operation_id="get_application",
    openapi_extra=APPLICATION_ID_IN_PATH,
    summary="Read an application: status, applicant, latest decision and decision history",
    description="Use before acting on an application, to learn its status, version and allowed next statuses. "
    "The ETag header carries the version, for If-Match.",
    response_model=Application,
    responses={200: {"headers": {"ETag": {"description": 'The version, e.g. "3".'}}}, **problems(404, 422)},
)
async def get_application(request: Request) -> Response:
    result = await db.call(
        _database(request),
        "lending.get_application",
        application_id=application_id_in_path(request),
        actor=acting_actor(request),
    )
    return json_text(result, headers={"ETag": f'"{json.loads(result)["version"]}"'})


@router.post(
    "/loans/{application_id}/decision",
    status_code=201,
    operation_id="decide_application",
    openapi_extra=IDEMPOTENT,
    summary="Record an underwriting decision (approved, rejected or manual_review) with its reason",
    description="Moves the application to the outcome if the status machine allows it, and keeps the decision "
    "forever. Send the JSON body; the legacy form `?approved=true&reason=...` is also accepted. Pass "
    "expected_version (or If-Match) to fail instead of overwriting a decision you have not seen.",
    response_model=DecisionResult,
    responses=problems(404, 409, 412, 422),
)
async def decide_application(
    request: Request,
    application_id: ApplicationId,
    decision: Annotated[DecisionRequest | None, Body()] = None,
    approved: Annotated[bool | None, Query(description="Legacy form: true approves, false rejects.")] = None,
    reason: Annotated[Text | None, Query(description="Legacy form: the reason.")] = None,
    if_match: IfMatch = None,
) -> Response:
    if decision is None:
        if approved is None:
            raise Problem.invalid(
                "body",
                "",
                "Field required",
                "Send a JSON body {outcome, reason} (or the legacy query parameters approved and reason)",
            )
        decision = DecisionRequest(outcome="approved" if approved else "rejected", reason=reason or "")
    elif approved is not None or reason is not None:
        raise Problem.invalid(
            "query",
            "approved",
            "not allowed with a body",
            "Send either a JSON body or the legacy query parameters, not both",
        )
    result = await db.call(
        _database(request),
        "lending.decide",
        application_id=application_id,
        outcome=decision.outcome,
        reason=decision.reason,
        reason_codes=decision.reason_codes,
        expected_version=_expected_version(if_match, decision.expected_version),
        actor=acting_actor(request),
        request_id=request.state.request_id,
        idempotency_key=idempotency_key(request),
    )
    return envelope(result)


@router.post(
    "/loans/{application_id}/withdraw",
    operation_id="withdraw_application",
    openapi_extra=IDEMPOTENT,
    summary="Withdraw a pending or in-review application at the applicant's request",
    description="Final: a withdrawn application cannot be decided. Optional reason and expected_version.",
    response_model=Application,
    responses=problems(404, 409, 412, 422),
)
async def withdraw_application(
    request: Request,
    application_id: ApplicationId,
    withdrawal: Annotated[WithdrawRequest | None, Body()] = None,
    if_match: IfMatch = None,
) -> Response:
    withdrawal = withdrawal or WithdrawRequest()
    result = await db.call(
        _database(request),
        "lending.withdraw",
        application_id=application_id,
        reason=withdrawal.reason,
        expected_version=_expected_version(if_match, withdrawal.expected_version),
        actor=acting_actor(request),
        request_id=request.state.request_id,
        idempotency_key=idempotency_key(request),
    )
    return envelope(result)


@router.get(
    "/loans",
    operation_id="list_applications",
    summary="List applications newest first, optionally by status, one page at a time",
    description="Use to find applications waiting for work (e.g. status=manual_review). Follow next_cursor "
    "with `after` until it is null.",
    response_model=ApplicationPage,
    responses=problems(422),
)
async def list_applications(
    request: Request,
    status: Annotated[
        Text | None, Query(description="pending, manual_review, approved, rejected or withdrawn.")
    ] = None,
    limit: Annotated[int, Query(ge=-(2**31), le=2**31 - 1, description="Page size, 1-100.")] = 50,
    after: Annotated[Text | None, Query(description="next_cursor of the previous page.")] = None,
) -> Response:
    result = await db.call(
        _database(request),
        "lending.list_applications",
        status=status,
        limit=limit,
        after=after,
        actor=acting_actor(request),
    )
    return json_text(result)


@router.get(
    "/loans/{application_id}/audit",
    operation_id="get_application_audit",
    openapi_extra=APPLICATION_ID_IN_PATH,
    summary="Read an application's audit trail and whether its hash chain verifies",
    description="Every change to the application and its decisions, in order, with who made it and the request "
    "id. verified is false if any entry was edited, removed or reordered.",
    response_model=AuditTrail,
    responses=problems(404, 422),
)
async def get_application_audit(request: Request) -> Response:
    result = await db.call(
        _database(request),
        "lending.application_audit",
        application_id=application_id_in_path(request),
        actor=acting_actor(request),
    )
    return json_text(result)
