"""Loan applications: what the operations take and what they answer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models import Id, Int32, Number, PathId, QueryInt32, Strict, Text, checked_range, checked_text, examples

# In a path (/loans/{application_id}), or an MCP tool's argument of the same name.
ApplicationId = Annotated[PathId, Field(description="The application's id.")]

# The status machine's statuses and a decision's outcomes, as enums for agents to pick from; the database holds the
# same lists (application_status, the decision_outcome domain) and refuses anything else anyway.
Status = Literal["pending", "manual_review", "approved", "rejected", "withdrawn"]
Outcome = Literal["approved", "rejected", "manual_review"]

# Forms the lending functions check (lending_private.phone_error, reason_codes_error), for the schema.
PHONE = r"^\+?[0-9][0-9 ().-]{3,30}[0-9]$"
ReasonCodes = Annotated[
    list[Annotated[Text, checked_text(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]],
    Field(json_schema_extra={"maxItems": 20}),
]


class ApplyRequest(Strict):
    """A loan application. Name a new applicant with applicant_name (and optional contact fields), or a known
    one with applicant_id."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"applicant_name": "Jane Doe", "amount": "15000.00"},
                {
                    "applicant_name": "Jane Doe",
                    "applicant_email": "jane@example.com",
                    "amount": "15000.00",
                    "currency": "USD",
                    "term_months": 36,
                    "purpose": "Home improvement",
                    "external_ref": "crm-1042",
                },
                {"applicant_name": "Acme Ltd", "amount": 2500, "currency": "EUR", "term_months": 12},
            ]
        },
    )

    amount: Number = Field(
        description="Principal requested: a JSON number or a decimal string, > 0, at most 10000000.00, at most "
        "2 decimal places. Parsed exactly; 15000.000000000000001 is refused, not rounded."
    )
    applicant_name: Annotated[Text, checked_text(255)] | None = Field(
        None, description="Full name of a new applicant, 1-255 characters."
    )
    applicant_id: Id | None = Field(None, description="An existing applicant, instead of the applicant fields.")
    applicant_email: Annotated[Text, checked_text(254)] | None = Field(
        None, description="Email address of a new applicant."
    )
    applicant_phone: Annotated[Text, checked_text(pattern=PHONE)] | None = Field(
        None, description="Phone number of a new applicant, e.g. +1 555 010 0199."
    )
    applicant_external_ref: Annotated[Text, checked_text(100)] | None = Field(
        None, description="The applicant's id in your systems (unique)."
    )
    currency: Text | None = Field(None, description="ISO 4217 code; USD when omitted.")
    term_months: Annotated[Int32, checked_range(1, 480)] | None = Field(None, description="Loan term in months.")
    purpose: Annotated[Text, checked_text(500)] | None = Field(
        None, description="What the loan is for, at most 500 characters."
    )
    external_ref: Annotated[Text, checked_text(100)] | None = Field(
        None, description="The application's id in your systems, at most 100 characters."
    )


class DecisionRequest(Strict):
    """An underwriting decision."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"outcome": "approved", "reason": "Income verified; DTI 22%.", "reason_codes": ["DTI_OK"]},
                {"outcome": "manual_review", "reason": "Bank statements inconsistent.", "expected_version": 1},
            ]
        },
    )

    outcome: Outcome = Field(description="approved or rejected (final), or manual_review.")
    reason: Annotated[Text, checked_text(2000)] = Field(description="Why, in 1-2000 characters; kept for audit.")
    reason_codes: ReasonCodes | None = Field(None, description="Up to 20 short machine codes, e.g. DTI_TOO_HIGH.")
    expected_version: Int32 | None = Field(
        None, description="Fail with version_conflict unless the application is at this version."
    )


class WithdrawRequest(Strict):
    """A withdrawal by the applicant."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Found a better rate."}]})

    reason: Annotated[Text, checked_text(2000)] | None = Field(None, description="Why, at most 2000 characters.")
    expected_version: Int32 | None = Field(
        None, description="Fail with version_conflict unless the application is at this version."
    )


class TutorialDecision(Strict):
    """The tutorial's form of a decision, in the query string: ?approved=true&reason=..."""

    approved: bool | None = Field(None, description="Legacy form: true approves, false rejects.")
    reason: Text | None = Field(None, description="Legacy form: the reason.")

    def given(self) -> bool:
        return self.approved is not None or self.reason is not None

    def as_body(self) -> DecisionRequest | None:
        """The decision it stands for; None when `approved` is missing."""
        if self.approved is None:
            return None
        return DecisionRequest(outcome="approved" if self.approved else "rejected", reason=self.reason or "")


class ListApplicationsQuery(Strict):
    status: Status | None = Field(None, description="Only applications in this status.")
    limit: Annotated[QueryInt32, checked_range(1, 100)] = Field(50, description="Page size.")
    after: Text | None = Field(None, description="next_cursor of the previous page.")


# Response shapes, for the OpenAPI document only: responses are the database's JSON, passed through.

_DECISION_EXAMPLE: dict[str, Any] = {
    "decision_id": 3,
    "application_id": 1,
    "outcome": "approved",
    "approved": True,
    "reason": "Income verified; DTI 22%.",
    "reason_codes": ["DTI_OK"],
    "decided_by": "underwriter-1",
    "request_id": "5f0c7c2e9b1d4f7a",
    "decided_at": "2026-11-25T16:02:11.482913Z",
}
_APPLICANT_EXAMPLE: dict[str, Any] = {
    "applicant_id": 1,
    "name": "Jane Doe",
    "email": None,
    "phone": None,
    "external_ref": None,
}
_AUDIT_ENTRY_EXAMPLE: dict[str, Any] = {
    "seq": 1,
    "table": "application",
    "row_id": "1",
    "action": "insert",
    "old": None,
    "new": {"application_id": 1, "status": "pending", "amount": "15000.00"},
    "actor": "intake-agent",
    "request_id": "5f0c7c2e9b1d4f7a",
    "recorded_at": "2026-11-25T15:42:50.666442Z",
    "row_hash": "9c1d0f5e6a0b7d2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f809",
}


class Decision(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DECISION_EXAMPLE]})

    decision_id: int
    application_id: int
    outcome: Outcome
    approved: bool | None = Field(description="true for approved, false for rejected, null for manual_review.")
    reason: str
    reason_codes: list[str]
    decided_by: str
    request_id: str | None
    decided_at: str


class Applicant(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_APPLICANT_EXAMPLE]})

    applicant_id: int
    name: str
    email: str | None
    phone: str | None
    external_ref: str | None


_APPLICATION_EXAMPLE: dict[str, Any] = {
    "application_id": 1,
    "status": "pending",
    "next_statuses": ["approved", "manual_review", "rejected", "withdrawn"],
    "amount": "15000.00",
    "currency": "USD",
    "term_months": None,
    "purpose": None,
    "external_ref": None,
    "withdrawal_reason": None,
    "applicant_id": 1,
    "applicant_name": "Jane Doe",
    "applicant": _APPLICANT_EXAMPLE,
    "version": 1,
    "created_at": "2026-11-25T15:42:50.666442Z",
    "updated_at": "2026-11-25T15:42:50.666442Z",
    "decision": None,
    "decisions": [],
}


class Application(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_APPLICATION_EXAMPLE]})

    application_id: int
    status: Status
    next_statuses: list[Status] = Field(description="Statuses the application may move to next.")
    amount: str = Field(description="Decimal string with two places, e.g. 15000.00.")
    currency: str
    term_months: int | None
    purpose: str | None
    external_ref: str | None
    withdrawal_reason: str | None
    applicant_id: int
    applicant_name: str
    applicant: Applicant
    version: int = Field(description="Bumped on every change; send it as expected_version or If-Match.")
    created_at: str
    updated_at: str
    decision: Decision | None = Field(None, description="The latest decision (absent in list items).")
    decisions: list[Decision] | None = Field(None, description="Every decision, oldest first (absent in lists).")


class DecisionResult(Decision):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_DECISION_EXAMPLE, "status": "approved", "version": 2}]}
    )

    status: Status = Field(description="The application's status after the decision.")
    version: int = Field(description="The application's version after the decision.")


class ApplicationPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": examples(Application),
                    "next_cursor": "MQ==",
                }
            ]
        }
    )

    items: list[Application]
    next_cursor: str | None = Field(description="Pass as `after` for the next page; null on the last page.")


class AuditEntry(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_AUDIT_ENTRY_EXAMPLE]})

    seq: int
    table: str
    row_id: str
    action: Literal["insert", "update"]
    old: dict[str, Any] | None
    new: dict[str, Any]
    actor: str
    request_id: str | None
    recorded_at: str
    row_hash: str


class AuditTrail(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "application_id": 1,
                    "verified": True,
                    "rows_checked": 1,
                    "broken_at_seq": None,
                    "problem": None,
                    "entries": [_AUDIT_ENTRY_EXAMPLE],
                }
            ]
        }
    )

    application_id: int
    verified: bool = Field(description="Whether the hash chain recomputes from the first entry to the last.")
    rows_checked: int
    broken_at_seq: int | None
    problem: str | None
    entries: list[AuditEntry]
