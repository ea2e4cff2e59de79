"""Loan applications: what the operations take and what they answer."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StrictBool, WithJsonSchema
from pydantic_core import PydanticCustomError

from ..models import Id, Int32, Number, PathId, QueryInt32, Strict, Text, checked_range, checked_text, examples

# In a path (/loans/{application_id}), or an MCP tool's argument of the same name.
ApplicationId = Annotated[PathId, Field(description="The application's id.")]

# The status machine's statuses and a decision's outcomes, as enums for agents to pick from; the database holds the
# same lists (application_status, the decision_outcome domain) and refuses anything else anyway.
Status = Literal[
    "pending",
    "manual_review",
    "pending_confirmation",
    "approved",
    "rejected",
    "withdrawn",
    "offer_accepted",
    "offer_declined",
    "offer_expired",
]
Outcome = Literal["approved", "rejected", "manual_review"]

# The reasons a decision may give: Regulation B's sample adverse-action reasons (form C-1), as the database lists
# them (lending_private.adverse_reason; list_reason_codes answers each with the words a notice shows).
ReasonCode = Literal[
    "credit_application_incomplete",
    "insufficient_credit_references",
    "unable_to_verify_credit_references",
    "temporary_or_irregular_employment",
    "unable_to_verify_employment",
    "length_of_employment",
    "too_short_residence",
    "unable_to_verify_residence",
    "no_credit_file",
    "limited_credit_experience",
    "insufficient_credit_score",
    "delinquent_credit_obligations",
    "collection_action_or_judgment",
    "bankruptcy",
    "excessive_obligations",
    "insufficient_income",
    "unable_to_verify_income",
    "unable_to_verify_identity",
    "amount_exceeds_product_limit",
    "amount_below_product_minimum",
    "term_outside_product_limits",
    "terms_not_offered",
    "other",
]
ReasonCodes = Annotated[list[ReasonCode], Field(json_schema_extra={"maxItems": 4})]

# Forms the lending functions check (lending_private.phone_error, the product's code), for the schema.
PHONE = r"^\+?[0-9][0-9 ().-]{3,30}[0-9]$"
PRODUCT_CODE = r"^[a-z][a-z0-9_]{1,49}$"
ProductCode = Annotated[Text, checked_text(pattern=PRODUCT_CODE)]

RiskGrade = Literal["A", "B", "C", "D", "E"]
Amortization = Literal["annuity", "equal_principal"]
Comparison = Literal[">=", "<="]
OnFailure = Literal["reject", "refer"]
Recommendation = Literal["approve", "reject", "refer"]
EmploymentStatus = Literal["employed", "self_employed", "unemployed", "retired", "student", "other"]
HousingStatus = Literal["own", "mortgage", "rent", "living_with_family", "other"]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _calendar_date(value: object) -> date:
    """A date is written as JSON text, YYYY-MM-DD, and is a day of the calendar: not a number of seconds, not a
    date and time, not 2026-02-30."""
    if isinstance(value, date):
        return value  # already validated: a model built in Python (the tutorial's form)
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_form", "must be a date written YYYY-MM-DD, such as 1990-04-17")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_value", "must be a day of the calendar") from None


IsoDate = Annotated[
    date,
    PlainValidator(_calendar_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": f"^{_ISO_DATE.pattern}$"}),
]


class ApplicationFacts(Strict):
    """What underwriting needs to know about an application, beyond the amount: each optional when filing, and
    changed later with update_application. The product's rules say which it needs (missing_facts)."""

    product_code: ProductCode | None = Field(
        None, description="The loan product (list_products); the default product `standard` when omitted."
    )
    annual_income: Number | None = Field(None, description="Gross yearly income, as an amount.")
    monthly_debt_payments: Number | None = Field(
        None, description="What the applicant pays each month on other debts, as an amount."
    )
    employment_status: EmploymentStatus | None = None
    months_employed: Annotated[Int32, checked_range(0, 1200)] | None = Field(
        None, description="Months in the current employment."
    )
    housing_status: HousingStatus | None = None
    credit_score: Annotated[Int32, checked_range(300, 850)] | None = Field(None, description="300-850.")
    credit_score_source: Annotated[Text, checked_text(100)] | None = Field(
        None, description="Where the score comes from, e.g. the bureau's name."
    )
    credit_score_date: IsoDate | None = Field(None, description="When the score was pulled, YYYY-MM-DD.")
    date_of_birth: IsoDate | None = Field(
        None, description="YYYY-MM-DD; the applicant must be an adult on the filing date."
    )
    income_verified: StrictBool | None = Field(None, description="Whether the income was verified (true/false).")
    identity_verified: StrictBool | None = Field(None, description="Whether the identity was verified (true/false).")


class ApplyRequest(ApplicationFacts):
    """A loan application. Name a new applicant with applicant_name (and optional contact fields), or a known
    one with applicant_id; give the facts underwriting needs now, or later with update_application."""

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
                {
                    "applicant_name": "John Roe",
                    "amount": "12000.00",
                    "term_months": 36,
                    "purpose": "Car",
                    "annual_income": "85000.00",
                    "monthly_debt_payments": "450.00",
                    "employment_status": "employed",
                    "months_employed": 48,
                    "housing_status": "rent",
                    "credit_score": 720,
                    "credit_score_source": "Experian",
                    "credit_score_date": "2026-11-20",
                    "date_of_birth": "1988-04-17",
                    "income_verified": True,
                    "identity_verified": True,
                },
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
                {"outcome": "approved", "reason": "Income verified; DTI 22%."},
                {"outcome": "manual_review", "reason": "Bank statements inconsistent.", "expected_version": 1},
                {
                    "outcome": "rejected",
                    "reason": "Debt-to-income 61% against a 45% maximum.",
                    "reason_codes": ["excessive_obligations"],
                    "model_name": "underwriting-agent",
                    "model_version": "2026.11",
                    "confidence": "0.92",
                },
            ]
        },
    )

    outcome: Outcome = Field(description="approved or rejected, or manual_review to leave it to a person.")
    reason: Annotated[Text, checked_text(2000)] = Field(
        description="Why, in 1-2000 characters; kept for audit. With reason code `other`, the specific reason a "
        "notice shows."
    )
    reason_codes: ReasonCodes | None = Field(
        None,
        description="The principal reasons, most important first (list_reason_codes): a rejection needs 1-4; "
        "`other` needs `reason` to say it specifically.",
    )
    override_reason: Annotated[Text, checked_text(2000)] | None = Field(
        None, description="Why the decision goes against the latest assessment's recommendation; needed then."
    )
    model_name: Annotated[Text, checked_text(100)] | None = Field(
        None,
        description="For an agent: the model that decided; required of an agent under a product that requires "
        "an assessment.",
    )
    model_version: Annotated[Text, checked_text(100)] | None = Field(
        None, description="For an agent: the model's version (with model_name)."
    )
    confidence: Number | None = Field(
        None,
        description="For an agent: its confidence in the decision, from 0 to 1 with at most 4 decimals (e.g. 0.92); "
        "required with model_name's rule.",
    )
    expected_version: Int32 | None = Field(
        None, description="Fail with version_conflict unless the application is at this version."
    )


class UpdateApplicationRequest(ApplicationFacts):
    """A JSON merge patch (RFC 7396) of an application's facts: a field given is set, null clears it, a field left
    out is kept."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"annual_income": "85000.00", "income_verified": True},
                {"term_months": 48, "credit_score": None, "expected_version": 2},
            ]
        },
    )

    amount: Number | None = Field(None, description="Principal requested, as in submit_application.")
    term_months: Annotated[Int32, checked_range(1, 480)] | None = Field(None, description="Loan term in months.")
    purpose: Annotated[Text, checked_text(500)] | None = Field(
        None, description="What the loan is for, at most 500 characters."
    )
    expected_version: Int32 | None = Field(
        None, description="Not a change: fail with version_conflict unless the application is at this version."
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
    reason: Text | None = Field(None, description="Legacy form: the reason (a rejection's reason code is `other`).")

    def given(self) -> bool:
        return self.approved is not None or self.reason is not None

    def as_body(self) -> DecisionRequest | None:
        """The decision it stands for; None when `approved` is missing. A rejection needs a reason code, and the
        form's free text is the specific reason that code `other` stands for."""
        if self.approved is None:
            return None
        if self.approved:
            return DecisionRequest(outcome="approved", reason=self.reason or "")
        return DecisionRequest(outcome="rejected", reason=self.reason or "", reason_codes=["other"])


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
    "reason_codes": [],
    "reasons": [],
    "assessment_id": 7,
    "recommendation": "approve",
    "overrides_recommendation": False,
    "override_reason": None,
    "decided_by": "underwriter-1",
    "decided_by_kind": "agent",
    "model_name": "underwriting-agent",
    "model_version": "2026.11",
    "confidence": "0.92",
    "requires_confirmation": False,
    "confirmation": None,
    "request_id": "5f0c7c2e9b1d4f7a",
    "decided_at": "2026-11-25T16:02:11.482913Z",
}
_OFFER_EXAMPLE: dict[str, Any] = {
    "offer_id": 4,
    "decision_id": 9,
    "assessment_id": 7,
    "product_code": "personal_36",
    "product_version": 1,
    "amount": "12000.00",
    "currency": "USD",
    "risk_grade": "B",
    "annual_rate": "8.99",
    "term_months": 36,
    "amortization": "annuity",
    "installment": "381.55",
    "total_interest": "1735.64",
    "origination_fee": "180.00",
    "total_repayable": "13735.64",
    "apr": "10.02",
    "offered_at": "2026-11-25T16:02:11.482913Z",
    "expires_at": "2026-12-25T16:02:11.482913Z",
    "response": None,
}
_OFFER_RESPONSE_EXAMPLE: dict[str, Any] = {
    "response": "accepted",
    "reason": None,
    "recorded_by": "intake-agent",
    "recorded_at": "2026-11-26T09:30:00.000000Z",
}


class OfferResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_OFFER_RESPONSE_EXAMPLE]})

    response: Literal["accepted", "declined", "expired"]
    reason: str | None
    recorded_by: str
    recorded_at: str


class Offer(BaseModel):
    """An offer as an approval fixed it: its terms never change, whatever happens to the product."""

    model_config = ConfigDict(json_schema_extra={"examples": [_OFFER_EXAMPLE]})

    offer_id: int
    decision_id: int
    assessment_id: int | None = Field(description="The assessment it took its terms from; null without one.")
    product_code: str
    product_version: int
    amount: str
    currency: str
    risk_grade: RiskGrade | None
    annual_rate: str = Field(description="Nominal annual rate, percent.")
    term_months: int | None
    amortization: Amortization
    installment: str | None = Field(description="The first monthly payment; null without a term.")
    total_interest: str | None
    origination_fee: str
    total_repayable: str | None
    apr: str | None = Field(description="Annual percentage rate, percent (Regulation Z Appendix J).")
    offered_at: str
    expires_at: str
    response: OfferResponse | None = Field(description="The borrower's answer, once recorded.")


_OFFER_TERMS_EXAMPLE: dict[str, Any] = {
    "product_code": "personal_36",
    "product_version": 1,
    "amount": "12000.00",
    "currency": "USD",
    "risk_grade": "B",
    "annual_rate": "8.99",
    "term_months": 36,
    "amortization": "annuity",
    "installment": "381.55",
    "total_interest": "1735.64",
    "origination_fee": "180.00",
    "total_repayable": "13735.64",
    "apr": "10.02",
    "valid_days": 30,
}
_RULE_RESULT_EXAMPLE: dict[str, Any] = {
    "source": "policy",
    "position": 2,
    "measure": "debt_to_income",
    "comparison": "<=",
    "threshold": "0.45",
    "value": "0.1163",
    "result": "pass",
    "reason_code": "excessive_obligations",
    "on_failure": "refer",
}
_FACTS_EXAMPLE: dict[str, Any] = {
    "product_code": "personal_36",
    "amount": "12000.00",
    "currency": "USD",
    "term_months": 36,
    "annual_income": "85000.00",
    "monthly_debt_payments": "450.00",
    "employment_status": "employed",
    "months_employed": 48,
    "housing_status": "rent",
    "credit_score": 720,
    "credit_score_source": "Experian",
    "credit_score_date": "2026-11-20",
    "date_of_birth": "1988-04-17",
    "income_verified": True,
    "identity_verified": True,
}
_ASSESSMENT_EXAMPLE: dict[str, Any] = {
    "assessment_id": 7,
    "application_id": 1,
    "product_code": "personal_36",
    "product_version": 1,
    "recommendation": "approve",
    "score": 712,
    "risk_grade": "B",
    "reason_codes": [],
    "reasons": [],
    "missing_facts": [],
    "rules": [_RULE_RESULT_EXAMPLE],
    "offer": _OFFER_TERMS_EXAMPLE,
    "facts": _FACTS_EXAMPLE,
    "assessed_by": "underwriter-1",
    "request_id": "5f0c7c2e9b1d4f7a",
    "assessed_at": "2026-11-25T16:01:00.000000Z",
}


class RuleResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_RULE_RESULT_EXAMPLE]})

    source: Literal["product", "policy"] = Field(description="The product's own limits, or a rule of its policy.")
    position: int
    measure: str = Field(description="amount and term_months (the product's limits), or a policy measure.")
    comparison: Comparison
    threshold: str
    value: str | None = Field(description="What was measured, as a decimal; null when it could not be.")
    result: Literal["pass", "fail", "missing", "skipped"] = Field(
        description="missing: a fact it needs is missing; skipped: it cannot be measured (no offer to measure)."
    )
    reason_code: ReasonCode
    on_failure: OnFailure


class OfferTerms(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_OFFER_TERMS_EXAMPLE]})

    product_code: str
    product_version: int
    amount: str
    currency: str
    risk_grade: RiskGrade
    annual_rate: str = Field(description="Nominal annual rate, percent.")
    term_months: int
    amortization: Amortization
    installment: str = Field(description="The first monthly payment.")
    total_interest: str
    origination_fee: str
    total_repayable: str
    apr: str = Field(description="Annual percentage rate, percent, by Regulation Z Appendix J's actuarial method.")
    valid_days: int = Field(description="How long the offer stands once an approval fixes it.")


class Reason(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"code": "excessive_obligations", "text": "Excessive obligations in relation to income"}]
        }
    )

    code: ReasonCode
    text: str = Field(description="The words a notice shows.")


class Assessment(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ASSESSMENT_EXAMPLE]})

    assessment_id: int
    application_id: int
    product_code: str
    product_version: int = Field(description="The product version assessed under (get_product with version).")
    recommendation: Recommendation
    score: int | None
    risk_grade: RiskGrade | None
    reason_codes: list[ReasonCode] = Field(description="At most four, most important first.")
    reasons: list[Reason] = Field(description="The reason codes with their words, in the same order.")
    missing_facts: list[str] = Field(description="Facts the product needs that the application lacks.")
    rules: list[RuleResult] = Field(description="Every rule evaluated, in order of importance.")
    offer: OfferTerms | None = Field(description="The offer an approval would fix; null when none can be made.")
    facts: dict[str, Any] = Field(description="The facts assessed, as they were.")
    assessed_by: str
    request_id: str | None
    assessed_at: str


_CLAIM_EXAMPLE: dict[str, Any] = {
    "claim_id": 3,
    "application_id": 1,
    "claimed_by": "reviewer-2",
    "claimed_at": "2026-11-25T16:05:00.000000Z",
    "expires_at": "2026-11-25T16:35:00.000000Z",
}


class Claim(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CLAIM_EXAMPLE]})

    claim_id: int
    application_id: int
    claimed_by: str
    claimed_at: str
    expires_at: str = Field(description="Until when the claim holds; claim again before then to renew it.")


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


class DecisionReason(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"code": "excessive_obligations", "text": "Excessive obligations in relation to income"}]
        }
    )

    code: str
    text: str = Field(description="The words a notice shows: for `other`, the decision's own reason.")


class Confirmation(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "confirmed": True,
                    "reason": None,
                    "confirmed_by": "reviewer-2",
                    "confirmed_at": "2026-11-25T16:30:00.000000Z",
                }
            ]
        }
    )

    confirmed: bool
    reason: str | None
    confirmed_by: str
    confirmed_at: str


class Decision(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DECISION_EXAMPLE]})

    decision_id: int
    application_id: int
    outcome: Outcome
    approved: bool | None = Field(description="true for approved, false for rejected, null for manual_review.")
    reason: str
    reason_codes: list[str] = Field(description="Most important first (decisions before underwriting kept free codes).")
    reasons: list[DecisionReason] = Field(description="The reason codes with the words a notice shows.")
    assessment_id: int | None = Field(description="The current assessment it relied on, if any.")
    recommendation: Recommendation | None = Field(description="That assessment's recommendation.")
    overrides_recommendation: bool
    override_reason: str | None
    decided_by: str
    decided_by_kind: Literal["agent", "human", "service"] | None
    model_name: str | None
    model_version: str | None
    confidence: str | None = Field(description="A decimal string in [0, 1].")
    requires_confirmation: bool = Field(description="An approval that waits for a second reviewer (four-eyes).")
    confirmation: Confirmation | None = Field(description="The second reviewer's answer, once given.")
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
    "next_statuses": ["approved", "manual_review", "pending_confirmation", "rejected", "withdrawn"],
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
    "product_code": "standard",
    "annual_income": None,
    "monthly_debt_payments": None,
    "employment_status": None,
    "months_employed": None,
    "housing_status": None,
    "credit_score": None,
    "credit_score_source": None,
    "credit_score_date": None,
    "date_of_birth": None,
    "income_verified": None,
    "identity_verified": None,
    "missing_facts": ["credit_score", "date_of_birth", "term_months"],
    "assessment": None,
    "offer": None,
    "review_claim": None,
    "decision": None,
    "decisions": [],
}


class CurrentAssessment(Assessment):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_ASSESSMENT_EXAMPLE, "current": True}]})

    current: bool = Field(description="Whether the facts are still those assessed; a decision needs a current one.")


class ApplicationSummary(BaseModel):
    """An application's own fields and facts, without what is recorded about it (assessments, decisions)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    key: value
                    for key, value in _APPLICATION_EXAMPLE.items()
                    if key not in ("assessment", "offer", "review_claim", "decision", "decisions")
                }
            ]
        }
    )

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
    product_code: str = Field(description="The loan product (get_product).")
    annual_income: str | None
    monthly_debt_payments: str | None
    employment_status: EmploymentStatus | None
    months_employed: int | None
    housing_status: HousingStatus | None
    credit_score: int | None
    credit_score_source: str | None
    credit_score_date: str | None = Field(description="YYYY-MM-DD.")
    date_of_birth: str | None = Field(description="YYYY-MM-DD.")
    income_verified: bool | None
    identity_verified: bool | None
    missing_facts: list[str] = Field(description="Facts an assessment under its product needs and it lacks.")


class Application(ApplicationSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [_APPLICATION_EXAMPLE]})

    assessment: CurrentAssessment | None = Field(None, description="The latest assessment (absent in lists).")
    offer: Offer | None = Field(None, description="The offer an approval fixed (absent in lists).")
    review_claim: Claim | None = Field(None, description="The unexpired review claim on it (absent in lists).")
    decision: Decision | None = Field(None, description="The latest decision (absent in lists).")
    decisions: list[Decision] | None = Field(None, description="Every decision, oldest first (absent in lists).")


class DecisionResult(Decision):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**_DECISION_EXAMPLE, "status": "approved", "version": 2, "offer": _OFFER_EXAMPLE}]
        }
    )

    status: Status = Field(description="The application's status after the decision.")
    version: int = Field(description="The application's version after the decision.")
    offer: Offer | None = Field(description="The offer an approval fixed (none while it waits for confirmation).")


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
