"""Underwriting: loan products and their policy, the assessment of an application, the reason codes, human review
and the second person's confirmation, the offer and the borrower's answer to it, and adverse-action notices."""

from __future__ import annotations

from ..loans.models import Application, ApplicationId, Assessment, Claim
from ..models import NoArguments
from ..operations import Operation
from .models import (
    AcceptOfferRequest,
    ConfirmRequest,
    CreateProductRequest,
    DeclineOfferRequest,
    GetProductQuery,
    Notice,
    NoticeDelivery,
    NoticeDeliveryRequest,
    Product,
    ProductCodeInPath,
    ProductList,
    ReasonCodeList,
    ReviewPage,
    ReviewQueueQuery,
    UpdateProductRequest,
)

PRODUCTS = "products"
UNDERWRITING = "underwriting"

LIST_PRODUCTS = Operation(
    name="list_products",
    summary="List the loan products in force: limits, rates by risk grade, fees and policy rules",
    description="Use before filing, to choose a product_code for submit_application and to see what its policy "
    "asks of an application (the rules and the facts they measure). Every role may read products.",
    function="lending.list_products",
    method="GET",
    path="/products",
    result=ProductList,
    tag=PRODUCTS,
    query=NoArguments,
)

GET_PRODUCT = Operation(
    name="get_product",
    summary="Read one loan product, in its current version or an earlier one",
    description="Use to read the terms an application was assessed or offered under: pass the version it names "
    "(product_version); without it, the version in force. Over HTTP the ETag header carries the version, for "
    "If-Match on update_product.",
    function="lending.get_product",
    method="GET",
    path="/products/{product_code}",
    result=Product,
    tag=PRODUCTS,
    path_parameters={"product_code": ProductCodeInPath},
    query=GetProductQuery,
    etag=True,
    problems=(404,),
)

CREATE_PRODUCT = Operation(
    name="create_product",
    summary="Create a loan product with its limits, rates, fees and policy rules (admins)",
    description="For admins: a new product_code with its first version. rates gives the annual rate for each risk "
    "grade A-E; rules are the policy, most important first, each a measure compared with a threshold and the "
    "reason code a failure gives. Every bad field is reported at once.",
    function="lending.create_product",
    method="POST",
    path="/products",
    result=Product,
    tag=PRODUCTS,
    body=CreateProductRequest,
    json_arguments=("rates", "rules"),
    writes=True,
    idempotency="key",
    location="/products/{product_code}",
    status_code=201,
    problems=(409,),
)

UPDATE_PRODUCT = Operation(
    name="update_product",
    summary="Change a loan product: its next version, as a JSON merge patch (admins)",
    description="For admins: the fields given make a new version (rates and rules are replaced whole; null clears "
    "an optional field); applications already assessed or offered keep the version they were made under. Pass "
    "expected_version (If-Match over HTTP) from get_product.",
    function="lending.update_product",
    method="PATCH",
    path="/products/{product_code}",
    result=Product,
    tag=PRODUCTS,
    path_parameters={"product_code": ProductCodeInPath},
    body=UpdateProductRequest,
    body_as="changes",
    writes=True,
    idempotency="key",
    destructive=True,
    if_match=True,
    etag=True,
    problems=(404, 409, 412),
)

LIST_REASON_CODES = Operation(
    name="list_reason_codes",
    summary="List the reason codes a decision may give, with the words a notice shows",
    description="The controlled vocabulary of decision_application's reason_codes, modelled on Regulation B's "
    "sample adverse-action reasons. `other` requires the decision's reason to state the reason specifically.",
    function="lending.list_reason_codes",
    method="GET",
    path="/reason-codes",
    result=ReasonCodeList,
    tag=UNDERWRITING,
    query=NoArguments,
)

ASSESS_APPLICATION = Operation(
    name="assess_application",
    summary="Assess an application against its product's policy: rules, score, risk grade, recommendation, offer",
    description="Use once the application's facts are in (missing_facts empty), and again after they change: "
    "evaluates every rule of the product's policy and answers each measured value with its threshold and result, "
    "a score and risk grade, the recommendation (approve, reject or refer), its reason codes most important "
    "first, and the offer an approval would make. Deterministic: the same facts and product version give the same "
    "assessment. Missing facts give refer with credit_application_incomplete. Only a pending or manual_review "
    "application is assessed (not_in_underwriting otherwise). Then decide_application.",
    function="lending.assess_application",
    method="POST",
    path="/loans/{application_id}/assessment",
    result=Assessment,
    tag=UNDERWRITING,
    path_parameters={"application_id": ApplicationId},
    body=NoArguments,
    body_optional=True,
    writes=True,
    idempotency="key",
    status_code=201,
    problems=(404, 409),
)

REVIEW_QUEUE = Operation(
    name="review_queue",
    summary="List applications referred to a person (manual_review), oldest first, with assessment and claim",
    description="For reviewers: the work waiting for a person, oldest first, each with its latest assessment and "
    "whoever holds a claim on it. Claim one with claim_review before deciding it. Pass next_cursor as `after` for "
    "the next page, until it is null.",
    function="lending.review_queue",
    method="GET",
    path="/reviews",
    result=ReviewPage,
    tag=UNDERWRITING,
    query=ReviewQueueQuery,
)

CLAIM_REVIEW = Operation(
    name="claim_review",
    summary="Claim an application in manual_review, so that you alone may decide it until the claim expires",
    description="For reviewers: take an application from review_queue before deciding it with "
    "decide_application. The claim expires (expires_at); claiming again while you hold it renews it. Refused with "
    "review_claimed while another reviewer holds one.",
    function="lending.claim_review",
    method="POST",
    path="/loans/{application_id}/claim",
    result=Claim,
    tag=UNDERWRITING,
    path_parameters={"application_id": ApplicationId},
    body=NoArguments,
    body_optional=True,
    writes=True,
    idempotency="key",
    status_code=201,
    problems=(404, 409),
)

CONFIRM_DECISION = Operation(
    name="confirm_decision",
    summary="Confirm or decline, as a second reviewer, an approval waiting in pending_confirmation",
    description="For reviewers (four-eyes): an approval above the product's agent limit, or one that overrides a "
    "reject recommendation, waits for a second person. confirm=true approves it (its offer stands); "
    "confirm=false, with a reason, sends it back to manual_review. Refused with own_decision to whoever made the "
    "decision.",
    function="lending.confirm_decision",
    method="POST",
    path="/loans/{application_id}/confirmation",
    result=Application,
    tag=UNDERWRITING,
    path_parameters={"application_id": ApplicationId},
    body=ConfirmRequest,
    writes=True,
    idempotency="key",
    destructive=True,
    if_match=True,
    problems=(404, 409, 412),
)

ACCEPT_OFFER = Operation(
    name="accept_offer",
    summary="Accept an approved application's offer on the borrower's behalf",
    description="Use when the borrower accepts the offer (amount, rate, term, fees, installment and APR, as "
    "get_application shows it) before it expires: the application becomes offer_accepted. After its expiry it is "
    "refused with offer_expired and the application becomes offer_expired.",
    function="lending.accept_offer",
    method="POST",
    path="/loans/{application_id}/offer/accept",
    result=Application,
    tag=UNDERWRITING,
    path_parameters={"application_id": ApplicationId},
    body=AcceptOfferRequest,
    body_optional=True,
    writes=True,
    idempotency="key",
    destructive=True,
    if_match=True,
    problems=(404, 409, 412),
)

DECLINE_OFFER = Operation(
    name="decline_offer",
    summary="Decline an approved application's offer on the borrower's behalf (final)",
    description="Use when the borrower turns the offer down; the application becomes offer_declined, for good. "
    "Optional reason.",
    function="lending.decline_offer",
    method="POST",
    path="/loans/{application_id}/offer/decline",
    result=Application,
    tag=UNDERWRITING,
    path_parameters={"application_id": ApplicationId},
    body=DeclineOfferRequest,
    body_optional=True,
    writes=True,
    idempotency="key",
    destructive=True,
    if_match=True,
    problems=(404, 409, 412),
)

ADVERSE_ACTION_NOTICE = Operation(
    name="adverse_action_notice",
    summary="Read the adverse action notice of a rejected application: the action and its principal reasons",
    description="Use after a rejection, to send the applicant the notice: the action taken, its date and the "
    "principal reasons in plain words, most important first (and the credit score used, if any). Then record its "
    "sending with record_notice_sent. Refused with no_adverse_action unless the application was rejected.",
    function="lending.adverse_action_notice",
    method="GET",
    path="/loans/{application_id}/notice",
    result=Notice,
    tag=UNDERWRITING,
    path_parameters={"application_id": ApplicationId},
    query=NoArguments,
    problems=(404, 409),
)

RECORD_NOTICE_SENT = Operation(
    name="record_notice_sent",
    summary="Record that a rejected application's adverse action notice was sent, and how",
    description="Use once the notice from adverse_action_notice has gone out, naming the channel (email, post, "
    "in_app or sms); each sending is kept.",
    function="lending.record_notice_sent",
    method="POST",
    path="/loans/{application_id}/notice/deliveries",
    result=NoticeDelivery,
    tag=UNDERWRITING,
    path_parameters={"application_id": ApplicationId},
    body=NoticeDeliveryRequest,
    writes=True,
    idempotency="key",
    status_code=201,
    problems=(404, 409),
)

OPERATIONS = [
    LIST_PRODUCTS,
    GET_PRODUCT,
    CREATE_PRODUCT,
    UPDATE_PRODUCT,
    LIST_REASON_CODES,
    ASSESS_APPLICATION,
    REVIEW_QUEUE,
    CLAIM_REVIEW,
    CONFIRM_DECISION,
    ACCEPT_OFFER,
    DECLINE_OFFER,
    ADVERSE_ACTION_NOTICE,
    RECORD_NOTICE_SENT,
]
