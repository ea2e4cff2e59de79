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
    UpdateApplicationRequest,
    WithdrawRequest,
)

TAG = "loans"

SUBMIT_APPLICATION = Operation(
    name="submit_application",
    summary="File a new loan application (status pending) for a new or existing applicant",
    description="Use this first, once the borrower's name and the amount are known: a new applicant by "
    "applicant_name (and optional contact details), or a known one by applicant_id. Give product_code (see "
    "list_products; the default product otherwise) and the facts you know (income, debts, employment, credit "
    "score, date of birth, what was verified); the rest can follow with update_application. Returns the "
    "application, with missing_facts for its product; keep its application_id for every later step. Safe to retry "
    "with the same idempotency key.",
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
    summary="Record an underwriting decision (approved, rejected or manual_review) with its reasons",
    description="Use after assess_application (which the product may require) to approve, reject, or refer to a "
    "person (manual_review). A rejection needs 1-4 reason_codes from list_reason_codes, most important first "
    "(`other` needs `reason` to say it specifically). Going against the assessment's recommendation needs "
    "override_reason; an agent also passes model_name, model_version and confidence (0-1). An approval fixes the "
    "offer; above the product's agent limit, or overriding a reject, it waits in pending_confirmation for a "
    "second person (confirm_decision). Deciding an application in manual_review needs your claim "
    "(claim_review). Pass expected_version from get_application (or If-Match over HTTP) to fail instead of "
    "deciding on a state you have not seen. Over HTTP the tutorial's form `?approved=true&reason=...` is also "
    "accepted (approved=false records reason code `other`).",
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

UPDATE_APPLICATION = Operation(
    name="update_application",
    summary="Change an application's facts, amount, term or product while it is pending or in review",
    description="Use when facts arrive or change after filing (income, debts, employment, credit score, what was "
    "verified), before assessing. A JSON merge patch: a field given is set, null clears it, a field left out is "
    "kept; unknown fields are refused; amount and product_code cannot be cleared. Refused with not_in_underwriting "
    "once decided. Pass expected_version (If-Match over HTTP) from get_application. Returns the application with its "
    "missing_facts; assess again afterwards, as an earlier assessment no longer counts.",
    function="lending.update_application",
    method="PATCH",
    path="/loans/{application_id}",
    result=Application,
    tag=TAG,
    path_parameters={"application_id": ApplicationId},
    body=UpdateApplicationRequest,
    body_as="changes",
    writes=True,
    idempotency="key",
    destructive=True,
    if_match=True,
    etag=True,
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
    UPDATE_APPLICATION,
    DECIDE_APPLICATION,
    WITHDRAW_APPLICATION,
    LIST_APPLICATIONS,
    GET_APPLICATION_AUDIT,
]
