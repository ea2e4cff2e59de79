"""Loan applications: filing, reading, deciding, withdrawing, listing, and their audit trails."""

from __future__ import annotations

from ..models import NoArguments
from ..operations import Operation
from .models import (
    Application,
    ApplicationId,
    ApplicationPage,
    ApplyRequest,
    AuditTrail,
    DecisionRequest,
    DecisionResult,
    ListApplicationsQuery,
    TutorialDecision,
    WithdrawRequest,
)

TAG = "loans"

SUBMIT_APPLICATION = Operation(
    name="submit_application",
    summary="File a new loan application (status pending) for a new or existing applicant",
    description="Use this first, once the borrower's name and the amount are known: a new applicant by "
    "applicant_name (and optional contact details), or a known one by applicant_id. Returns the application; keep "
    "its application_id for every later step. Safe to retry with the same idempotency key.",
    function="lending.apply",
    method="POST",
    path="/loans/apply",
    result=Application,
    tag=TAG,
    body=ApplyRequest,
    writes=True,
    idempotency="key",
    location="/loans/{application_id}",
    status_code=201,
    problems=(409,),
)

GET_APPLICATION = Operation(
    name="get_application",
    summary="Read an application: status, applicant, latest decision and decision history",
    description="Use before acting on an application, to learn its status, version and allowed next statuses. "
    "Over HTTP the ETag header carries the version, for If-Match.",
    function="lending.get_application",
    method="GET",
    path="/loans/{application_id}",
    result=Application,
    tag=TAG,
    path_parameters={"application_id": ApplicationId},
    query=NoArguments,
    etag=True,
    problems=(404,),
)

DECIDE_APPLICATION = Operation(
    name="decide_application",
    summary="Record an underwriting decision (approved, rejected or manual_review) with its reason",
    description="Moves the application to the outcome if the status machine allows it, and keeps the decision "
    "forever: approved and rejected are final. Pass expected_version from get_application (or If-Match over HTTP) "
    "to fail instead of deciding on a state you have not seen. Over HTTP the tutorial's form "
    "`?approved=true&reason=...` is also accepted.",
    function="lending.decide",
    method="POST",
    path="/loans/{application_id}/decision",
    result=DecisionResult,
    tag=TAG,
    path_parameters={"application_id": ApplicationId},
    body=DecisionRequest,
    tutorial_query=TutorialDecision,
    writes=True,
    idempotency="key",
    destructive=True,
    if_match=True,
    status_code=201,
    problems=(404, 409, 412),
)

WITHDRAW_APPLICATION = Operation(
    name="withdraw_application",
    summary="Withdraw a pending or in-review application at the applicant's request",
    description="Final: a withdrawn application cannot be decided. Optional reason and expected_version.",
    function="lending.withdraw",
    method="POST",
    path="/loans/{application_id}/withdraw",
    result=Application,
    tag=TAG,
    path_parameters={"application_id": ApplicationId},
    body=WithdrawRequest,
    body_optional=True,
    writes=True,
    idempotency="key",
    destructive=True,
    if_match=True,
    problems=(404, 409, 412),
)

LIST_APPLICATIONS = Operation(
    name="list_applications",
    summary="List applications newest first, optionally by status, one page at a time",
    description="Use to find applications waiting for work (e.g. status manual_review). Pass next_cursor as "
    "`after` for the next page, until it is null.",
    function="lending.list_applications",
    method="GET",
    path="/loans",
    result=ApplicationPage,
    tag=TAG,
    query=ListApplicationsQuery,
)

GET_APPLICATION_AUDIT = Operation(
    name="get_application_audit",
    summary="Read an application's audit trail and whether its hash chain verifies",
    description="Every change to the application and its decisions, in order, with who made it and the request "
    "id. verified is false if any entry was edited, removed or reordered.",
    function="lending.application_audit",
    method="GET",
    path="/loans/{application_id}/audit",
    result=AuditTrail,
    tag=TAG,
    path_parameters={"application_id": ApplicationId},
    query=NoArguments,
    problems=(404,),
)

OPERATIONS = [
    SUBMIT_APPLICATION,
    GET_APPLICATION,
    DECIDE_APPLICATION,
    WITHDRAW_APPLICATION,
    LIST_APPLICATIONS,
    GET_APPLICATION_AUDIT,
]
