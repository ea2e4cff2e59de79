"""Underwriting: what its operations take and what they answer (products, assessments, reviews, confirmations,
offers and adverse-action notices)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ..loans.models import (
    Amortization,
    ApplicationSummary,
    Claim,
    Comparison,
    CurrentAssessment,
    DecisionReason,
    OnFailure,
    ProductCode,
    ReasonCode,
    RiskGrade,
)
from ..models import Int32, Number, QueryInt32, Strict, Text, checked_range, checked_text, examples

Measure = Literal[
    "credit_score", "debt_to_income", "loan_to_income", "months_employed", "unverified_amount", "identity_verified"
]
Channel = Literal["email", "post", "in_app", "sms"]

# In a path (/products/{product_code}), or an MCP tool's argument of the same name.
ProductCodeInPath = Annotated[ProductCode, Field(description="The product's code, e.g. standard.")]

Rates = Annotated[
    dict[RiskGrade, Number],
    Field(description='Annual interest rate in percent by risk grade A-E, e.g. {"A": "6.99", "B": "8.49", ...}.'),
]


# Requests -------------------------------------------------------------------------------------------------------


class PolicyRule(Strict):
    """One rule of a product's policy: the measure, compared with the threshold, must hold; when it does not, the
    reason code is given and the application is rejected or referred to a person."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "measure": "credit_score",
                    "comparison": ">=",
                    "threshold": 640,
                    "reason_code": "insufficient_credit_score",
                    "on_failure": "reject",
                }
            ]
        }
    )

    measure: Measure = Field(
        description="credit_score; debt_to_income (a ratio: monthly debts with the new installment over monthly "
        "income); loan_to_income (amount over annual income); months_employed; unverified_amount (the amount when "
        "income is not verified, else 0); identity_verified (1 or 0)."
    )
    comparison: Comparison = Field(description="The measure must be >= or <= the threshold.")
    threshold: Number
    reason_code: ReasonCode = Field(description="The reason a failure gives (list_reason_codes).")
    on_failure: OnFailure = Field(description="reject, or refer to a person (manual_review).")


_PRODUCT_REQUEST_EXAMPLE: dict[str, Any] = {
    "product_code": "personal_36",
    "name": "Personal loan, up to 36 months",
    "currency": "USD",
    "min_amount": "1000.00",
    "max_amount": "35000.00",
    "min_term_months": 6,
    "max_term_months": 36,
    "rates": {"A": "6.99", "B": "8.99", "C": "11.99", "D": "15.99", "E": "21.99"},
    "origination_fee_percent": "1.5",
    "origination_fee_cap": "500.00",
    "agent_approval_limit": "20000.00",
    "rules": [
        {
            "measure": "credit_score",
            "comparison": ">=",
            "threshold": 640,
            "reason_code": "insufficient_credit_score",
            "on_failure": "reject",
        },
        {
            "measure": "debt_to_income",
            "comparison": "<=",
            "threshold": "0.45",
            "reason_code": "excessive_obligations",
            "on_failure": "refer",
        },
    ],
}


class CreateProductRequest(Strict):
    """A loan product: its limits, prices and policy. Its first version; changes make new versions."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PRODUCT_REQUEST_EXAMPLE]})

    product_code: ProductCode = Field(description="Unique code, lower case letters, digits and _.")
    name: Annotated[Text, checked_text(200)]
    currency: Text | None = Field(None, description="ISO 4217 code; null: any currency.")
    min_amount: Number
    max_amount: Number
    min_term_months: Annotated[Int32, checked_range(1, 480)]
    max_term_months: Annotated[Int32, checked_range(1, 480)]
    rates: Rates
    amortization: Amortization | None = Field(None, description="annuity (the default) or equal_principal.")
    origination_fee_percent: Number | None = Field(None, description="Percent of the amount; 0 by default.")
    origination_fee_cap: Number | None = Field(None, description="The most the origination fee can be.")
    late_fee_flat: Number | None = Field(None, description="For servicing: a flat late fee; 0 by default.")
    late_fee_percent: Number | None = Field(
        None, description="For servicing: a late fee in percent of the installment."
    )
    grace_days: Int32 | None = Field(None, description="For servicing: days late before a fee; 5 by default.")
    write_off_days: Int32 | None = Field(None, description="For servicing: days past due to write off; 180 by default.")
    offer_valid_days: Int32 | None = Field(None, description="How long an offer stands, in days; 30 by default.")
    agent_approval_limit: Number = Field(
        description="Approvals above this amount wait for a second person (pending_confirmation)."
    )
    requires_assessment: StrictBool | None = Field(
        None, description="Whether a decision needs an assessment first; true by default."
    )
    rules: list[PolicyRule] | None = Field(
        None, description="The policy, in order; none by default.", json_schema_extra={"maxItems": 50}
    )


class UpdateProductRequest(Strict):
    """A JSON merge patch of a product: the fields given make its next version (rates and rules are replaced
    whole); what was offered under earlier versions stays as it was."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"max_amount": "40000.00", "expected_version": 1},
                {"rates": {"A": "6.49", "B": "8.49", "C": "11.49", "D": "15.49", "E": "21.49"}},
            ]
        }
    )

    name: Annotated[Text, checked_text(200)] | None = None
    currency: Text | None = Field(None, description="ISO 4217 code; null: any currency.")
    min_amount: Number | None = None
    max_amount: Number | None = None
    min_term_months: Annotated[Int32, checked_range(1, 480)] | None = None
    max_term_months: Annotated[Int32, checked_range(1, 480)] | None = None
    rates: Rates | None = None
    amortization: Amortization | None = None
    origination_fee_percent: Number | None = None
    origination_fee_cap: Number | None = None
    late_fee_flat: Number | None = None
    late_fee_percent: Number | None = None
    grace_days: Int32 | None = None
    write_off_days: Int32 | None = None
    offer_valid_days: Int32 | None = None
    agent_approval_limit: Number | None = None
    requires_assessment: StrictBool | None = None
    rules: list[PolicyRule] | None = None
    expected_version: Int32 | None = Field(
        None, description="Not a change: fail with version_conflict unless the product is at this version."
    )


class GetProductQuery(Strict):
    version: Annotated[QueryInt32, checked_range(1, 2**31 - 1)] | None = Field(
        None, description="An earlier version (an application's product_version); the current one when omitted."
    )


class ReviewQueueQuery(Strict):
    limit: Annotated[QueryInt32, checked_range(1, 100)] = Field(50, description="Page size.")
    after: Text | None = Field(None, description="next_cursor of the previous page.")


class ConfirmRequest(Strict):
    """A second person's answer to a decision that waits for one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"confirm": True},
                {"confirm": False, "reason": "Income documents do not support the amount."},
            ]
        }
    )

    confirm: StrictBool = Field(description="true approves; false sends it back to manual_review, with a reason.")
    reason: Annotated[Text, checked_text(2000)] | None = Field(None, description="Why; needed to decline.")
    expected_version: Int32 | None = Field(
        None, description="Fail with version_conflict unless the application is at this version."
    )


class AcceptOfferRequest(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"expected_version": 2}]})

    expected_version: Int32 | None = Field(
        None, description="Fail with version_conflict unless the application is at this version."
    )


class DeclineOfferRequest(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Found a better rate elsewhere."}]})

    reason: Annotated[Text, checked_text(2000)] | None = Field(None, description="Why, if the borrower said.")
    expected_version: Int32 | None = Field(
        None, description="Fail with version_conflict unless the application is at this version."
    )


class NoticeDeliveryRequest(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"channel": "email"}]})

    channel: Channel = Field(description="How the notice was sent.")


# Answers, for the OpenAPI document and the tools' output schemas: responses are the database's JSON. -------------

_RATES_EXAMPLE = {"A": "6.99", "B": "8.99", "C": "11.99", "D": "15.99", "E": "21.99"}
_PRODUCT_EXAMPLE: dict[str, Any] = {
    "product_code": "personal_36",
    "version": 1,
    "current_version": 1,
    "name": "Personal loan, up to 36 months",
    "currency": "USD",
    "min_amount": "1000.00",
    "max_amount": "35000.00",
    "min_term_months": 6,
    "max_term_months": 36,
    "amortization": "annuity",
    "repayment_frequency": "monthly",
    "rates": _RATES_EXAMPLE,
    "origination_fee_percent": "1.5",
    "origination_fee_cap": "500.00",
    "late_fee_flat": "0",
    "late_fee_percent": "0",
    "grace_days": 5,
    "write_off_days": 180,
    "offer_valid_days": 30,
    "agent_approval_limit": "20000.00",
    "requires_assessment": True,
    "rules": [
        {
            "position": 1,
            "measure": "credit_score",
            "comparison": ">=",
            "threshold": "640",
            "reason_code": "insufficient_credit_score",
            "on_failure": "reject",
        }
    ],
    "created_by": "admin",
    "created_at": "2026-11-25T16:00:00.000000Z",
}


class ProductRule(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": _PRODUCT_EXAMPLE["rules"]})

    position: int = Field(description="Its rank: rules and their reasons are in order of importance.")
    measure: Measure
    comparison: Comparison
    threshold: str = Field(description="A decimal string.")
    reason_code: ReasonCode
    on_failure: OnFailure


class Product(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_PRODUCT_EXAMPLE]})

    product_code: str
    version: int = Field(description="The version shown; send it as expected_version or If-Match to change it.")
    current_version: int = Field(description="The version in force for new assessments.")
    name: str
    currency: str | None = Field(description="null: it lends in the application's currency.")
    min_amount: str
    max_amount: str
    min_term_months: int
    max_term_months: int
    amortization: Amortization
    repayment_frequency: Literal["monthly"]
    rates: dict[RiskGrade, str] = Field(description="Annual interest rate in percent by risk grade, as decimals.")
    origination_fee_percent: str
    origination_fee_cap: str | None
    late_fee_flat: str
    late_fee_percent: str
    grace_days: int
    write_off_days: int
    offer_valid_days: int
    agent_approval_limit: str
    requires_assessment: bool
    rules: list[ProductRule]
    created_by: str
    created_at: str


class ProductList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_PRODUCT_EXAMPLE]}]})

    items: list[Product]


class ReasonCodeEntry(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "excessive_obligations",
                    "text": "Excessive obligations in relation to income",
                    "requires_text": False,
                }
            ]
        }
    )

    code: ReasonCode
    text: str = Field(description="The words a notice shows.")
    requires_text: bool = Field(description="The decision's reason must then say the reason specifically (other).")


class ReasonCodeList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "code": "excessive_obligations",
                            "text": "Excessive obligations in relation to income",
                            "requires_text": False,
                        },
                        {"code": "other", "text": "Other", "requires_text": True},
                    ]
                }
            ]
        }
    )

    items: list[ReasonCodeEntry]


class ReviewItem(ApplicationSummary):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**examples(ApplicationSummary)[0], "status": "manual_review", "assessment": None, "claim": None}
            ]
        }
    )

    assessment: CurrentAssessment | None = Field(description="The latest assessment, and whether it is current.")
    claim: Claim | None = Field(description="The unexpired claim on it; null when nobody holds one.")


class ReviewPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": examples(ReviewItem), "next_cursor": None}]})

    items: list[ReviewItem]
    next_cursor: str | None = Field(description="Pass as `after` for the next page; null on the last page.")


_DELIVERY_EXAMPLE: dict[str, Any] = {
    "delivery_id": 2,
    "channel": "email",
    "recorded_by": "underwriter-1",
    "sent_at": "2026-11-25T16:10:00.000000Z",
}


class Delivery(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DELIVERY_EXAMPLE]})

    delivery_id: int
    channel: Channel
    recorded_by: str
    sent_at: str


class NoticeDelivery(Delivery):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_DELIVERY_EXAMPLE, "application_id": 1, "decision_id": 3}]}
    )

    application_id: int
    decision_id: int = Field(description="The rejection the notice is of.")


class DisclosedScore(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"score": 600, "range": "300-850", "source": "Experian", "date": "2026-11-20"}]}
    )

    score: int
    range: str
    source: str | None
    date: str | None = Field(description="YYYY-MM-DD.")


class Notice(BaseModel):
    """An adverse action notice (Regulation B, 12 CFR 1002.9)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "application_id": 1,
                    "decision_id": 3,
                    "applicant_name": "Jane Doe",
                    "action": "Your application for credit was denied.",
                    "amount": "12000.00",
                    "currency": "USD",
                    "action_date": "2026-11-25",
                    "principal_reasons": [
                        {
                            "code": "insufficient_credit_score",
                            "text": "Credit score below the minimum for the credit requested",
                        }
                    ],
                    "credit_score": {"score": 600, "range": "300-850", "source": "Experian", "date": "2026-11-20"},
                    "statement": "The federal Equal Credit Opportunity Act prohibits creditors from discriminating "
                    "against credit applicants on the basis of race, color, religion, national origin, sex, marital "
                    "status, age ...",
                    "deliveries": [_DELIVERY_EXAMPLE],
                }
            ]
        }
    )

    application_id: int
    decision_id: int
    applicant_name: str
    action: str = Field(description="The action taken, in words.")
    amount: str
    currency: str
    action_date: str = Field(description="The day of the decision, YYYY-MM-DD (UTC).")
    principal_reasons: list[DecisionReason] = Field(description="Most important first, in plain words.")
    credit_score: DisclosedScore | None = Field(description="The score the decision relied on, if any.")
    statement: str = Field(description="The Equal Credit Opportunity Act statement a notice carries.")
    deliveries: list[Delivery] = Field(description="Each time the notice was recorded as sent.")
