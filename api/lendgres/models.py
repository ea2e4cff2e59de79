"""Request shapes, and response shapes for the documentation.

Pydantic checks shape only: types, unknown fields, sizes that could not reach the database. Every business rule
(ranges, formats, transitions) lives in the lending functions, which report all bad fields at once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

# Identifiers are bigint in the database; anything larger could not name a row.
Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]
Int32 = Annotated[StrictInt, Field(ge=-(2**31), le=2**31 - 1)]


def _storable_text(value: str) -> str:
    """PostgreSQL text holds UTF-8 without NUL bytes; a lone surrogate or a NUL could never be stored."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no unpaired surrogates)") from None
    return value


def _storable_number(value: Decimal) -> Decimal:
    """Numbers whose exponent PostgreSQL's numeric cannot represent are refused here, before the driver would
    misencode them; every real rule about amounts is the database's."""
    if value != 0 and not -1000 < value.adjusted() < 1000:
        raise ValueError("is too large or too small to be a number")
    return value


Text = Annotated[str, AfterValidator(_storable_text)]
Number = Annotated[Decimal, AfterValidator(_storable_number)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
                {"applicant_id": 7, "amount": 2500, "currency": "EUR", "term_months": 12},
            ]
        },
    )

    amount: Number = Field(
        description="Principal requested: a JSON number or a decimal string, > 0, at most 10000000.00, at most "
        "2 decimal places. Parsed exactly; 15000.000000000000001 is refused, not rounded."
    )
    applicant_name: Text | None = Field(None, description="Full name of a new applicant, 1-255 characters.")
    applicant_id: Id | None = Field(None, description="An existing applicant, instead of the applicant fields.")
    applicant_email: Text | None = Field(None, description="Email address of a new applicant.")
    applicant_phone: Text | None = Field(None, description="Phone number of a new applicant, e.g. +1 555 010 0199.")
    applicant_external_ref: Text | None = Field(None, description="The applicant's id in your systems (unique).")
    currency: Text | None = Field(None, description="ISO 4217 code; USD when omitted.")
    term_months: Int32 | None = Field(None, description="Loan term in months, 1-480.")
    purpose: Text | None = Field(None, description="What the loan is for, at most 500 characters.")
    external_ref: Text | None = Field(None, description="The application's id in your systems, at most 100 characters.")


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

    outcome: Text = Field(description="approved, rejected or manual_review.")
    reason: Text = Field(description="Why, in 1-2000 characters; kept for audit.")
    reason_codes: list[Text] | None = Field(None, description="Up to 20 short machine codes, e.g. DTI_TOO_HIGH.")
    expected_version: Int32 | None = Field(
        None, description="Fail with version_conflict unless the application is at this version."
    )


class WithdrawRequest(Strict):
    """A withdrawal by the applicant."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Found a better rate."}]})

    reason: Text | None = Field(None, description="Why, at most 2000 characters.")
    expected_version: Int32 | None = Field(
        None, description="Fail with version_conflict unless the application is at this version."
    )


# Response shapes, for the OpenAPI document only: responses are the database's JSON, passed through.


class Decision(BaseModel):
    decision_id: int
    application_id: int
    outcome: str
    approved: bool | None = Field(description="true for approved, false for rejected, null for manual_review.")
    reason: str
    reason_codes: list[str]
    decided_by: str
    request_id: str | None
    decided_at: str


class Applicant(BaseModel):
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
    "applicant": {
        "applicant_id": 1,
        "name": "Jane Doe",
        "email": None,
        "phone": None,
        "external_ref": None,
    },
    "version": 1,
    "created_at": "2026-11-25T15:42:50.666442Z",
    "updated_at": "2026-11-25T15:42:50.666442Z",
    "decision": None,
    "decisions": [],
}


class Application(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_APPLICATION_EXAMPLE]})

    application_id: int
    status: str
    next_statuses: list[str] = Field(description="Statuses the application may move to next.")
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
        json_schema_extra={
            "examples": [
                {
                    "decision_id": 3,
                    "application_id": 1,
                    "outcome": "approved",
                    "approved": True,
                    "reason": "Income verified; DTI 22%.",
                    "reason_codes": ["DTI_OK"],
                    "decided_by": "underwriter-1",
                    "request_id": "5f0c7c2e9b1d4f7a",
                    "decided_at": "2026-11-25T16:02:11.482913Z",
                    "status": "approved",
                    "version": 2,
                }
            ]
        }
    )

    status: str = Field(description="The application's status after the decision.")
    version: int = Field(description="The application's version after the decision.")


class ApplicationPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": Application.model_config["json_schema_extra"]["examples"],  # type: ignore[index]
                    "next_cursor": "MQ==",
                }
            ]
        }
    )

    items: list[Application]
    next_cursor: str | None = Field(description="Pass as `after` for the next page; null on the last page.")


class AuditEntry(BaseModel):
    seq: int
    table: str
    row_id: str
    action: str
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
                    "entries": [
                        {
                            "seq": 1,
                            "table": "application",
                            "row_id": "1",
                            "action": "insert",
                            "old": None,
                            "new": {"application_id": 1, "status": "pending", "amount": 15000.00},
                            "actor": "intake-agent",
                            "request_id": "5f0c7c2e9b1d4f7a",
                            "recorded_at": "2026-11-25T15:42:50.666442Z",
                            "row_hash": "9c1d0f5e6a0b7d2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f809",
                        }
                    ],
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


class Event(BaseModel):
    cursor: str = Field(description="Resume after this event by passing it as `after`.")
    event_type: str
    application_id: int
    payload: dict[str, Any]
    actor: str
    request_id: str | None
    occurred_at: str


class EventPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "events": [
                        {
                            "cursor": "7421-18",
                            "event_type": "application.decided",
                            "application_id": 1,
                            "payload": {
                                "status": "approved",
                                "version": 2,
                                "previous_status": "pending",
                                "decision": {"decision_id": 3, "outcome": "approved", "reason_codes": ["DTI_OK"]},
                            },
                            "actor": "underwriter-1",
                            "request_id": "5f0c7c2e9b1d4f7a",
                            "occurred_at": "2026-11-25T16:02:11.482913Z",
                        }
                    ],
                    "next_cursor": "7421-18",
                }
            ]
        }
    )

    events: list[Event]
    next_cursor: str = Field(description="Pass as `after` next time, whether or not events came back.")


class ProblemDetails(BaseModel):
    """RFC 9457 problem details; `code` is stable and machine-readable."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:lendgres:problem:invalid_transition",
                    "title": "Invalid status transition",
                    "status": 409,
                    "detail": "Application 1 is approved and cannot become rejected",
                    "code": "invalid_transition",
                    "application_id": 1,
                    "current_status": "approved",
                    "requested_status": "rejected",
                    "allowed": [],
                    "request_id": "5f0c7c2e9b1d4f7a",
                },
                {
                    "type": "urn:lendgres:problem:validation_failed",
                    "title": "Validation failed",
                    "status": 422,
                    "detail": "one field is invalid: amount must have at most 2 decimal places",
                    "code": "validation_failed",
                    "errors": [{"field": "amount", "message": "must have at most 2 decimal places"}],
                    "request_id": "5f0c7c2e9b1d4f7a",
                },
                {
                    "type": "urn:lendgres:problem:forbidden",
                    "title": "Operation not permitted",
                    "status": 403,
                    "detail": "Actor intake-bot (role intake) may not decide",
                    "code": "forbidden",
                    "actor": "intake-bot",
                    "role": "intake",
                    "operation": "decide",
                    "allowed_roles": ["admin", "reviewer", "underwriter"],
                    "request_id": "5f0c7c2e9b1d4f7a",
                },
            ]
        }
    )

    type: str
    title: str
    status: int
    detail: str
    code: str
    request_id: str | None
    errors: list[dict[str, str]] | None = Field(None, description="For validation_failed: each field at fault.")


class Me(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "actor_id": 2,
                    "name": "underwriter-1",
                    "kind": "agent",
                    "role": "underwriter",
                    "active": True,
                    "version": 1,
                    "created_at": "2026-11-25T16:00:00.000000Z",
                    "updated_at": "2026-11-25T16:00:00.000000Z",
                    "operations": ["apply", "assess", "decide", "read_applications", "read_events"],
                }
            ]
        }
    )

    actor_id: int
    name: str
    kind: str = Field(description="agent, human or service.")
    role: str = Field(description="reader, intake, underwriter, reviewer, servicer or admin.")
    active: bool
    version: int
    created_at: str
    updated_at: str
    operations: list[str] = Field(description="Every operation the role permits.")


# Actors and API keys, for admins --------------------------------------------------------------------------------

ActorKind = Literal["agent", "human", "service"]
ActorRole = Literal["reader", "intake", "underwriter", "reviewer", "servicer", "admin"]

_ACTOR_EXAMPLE: dict[str, Any] = {
    "actor_id": 4,
    "name": "intake-bot",
    "kind": "agent",
    "role": "intake",
    "db_role": None,
    "active": True,
    "version": 1,
    "created_at": "2026-11-25T16:00:00.000000Z",
    "updated_at": "2026-11-25T16:00:00.000000Z",
}
_KEY_EXAMPLE: dict[str, Any] = {
    "key_id": 9,
    "actor": "intake-bot",
    "prefix": "lgk_3q0VbX1a",
    "label": "intake agent, prod",
    "created_at": "2026-11-25T16:00:00.000000Z",
    "expires_at": "2027-02-23T16:00:00.000000Z",
    "revoked_at": None,
    "state": "active",
}


class CreateActorRequest(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "intake-bot", "kind": "agent", "role": "intake"},
                {"name": "billing", "kind": "service", "role": "servicer", "db_role": "billing_login"},
            ]
        }
    )

    name: Text = Field(description="1-100 letters, digits and . _ @ -; unique.")
    kind: ActorKind
    role: ActorRole
    db_role: Text | None = Field(None, description="A PostgreSQL login (granted lending_api) that acts as this actor.")


class UpdateActorRequest(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "underwriter"}, {"active": False}]})

    role: ActorRole | None = None
    active: bool | None = Field(None, description="false deactivates the actor: every key of it stops working.")


class Actor(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ACTOR_EXAMPLE]})

    actor_id: int
    name: str
    kind: str
    role: str
    db_role: str | None
    active: bool
    version: int
    created_at: str
    updated_at: str


class ActorList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_ACTOR_EXAMPLE]}]})

    items: list[Actor]


class CreateKeyRequest(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"actor": "intake-bot", "label": "intake agent, prod"},
                {"actor": "intake-bot", "expires_in_days": 7},
            ]
        }
    )

    actor: Text = Field(description="The actor the key acts as.")
    expires_in_days: int = Field(90, ge=-(2**31), le=2**31 - 1, description="1-3650 (default 90).")
    label: Text | None = Field(None, description="What the key is for, at most 100 characters.")


class ApiKey(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_KEY_EXAMPLE]})

    key_id: int
    actor: str
    prefix: str = Field(description="The key's first characters, to recognise it.")
    label: str | None
    created_at: str
    expires_at: str
    revoked_at: str | None
    state: str = Field(description="active, expired or revoked.")


class NewApiKey(ApiKey):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_KEY_EXAMPLE, "api_key": "lgk_3q0VbX1a..."}]})

    api_key: str = Field(description="The secret, shown this once: send it as `Authorization: Bearer <api_key>`.")


class ApiKeyList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_KEY_EXAMPLE]}]})

    items: list[ApiKey]
