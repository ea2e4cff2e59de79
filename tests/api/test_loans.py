"""Each route's success and error shapes, over HTTP against a real database."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from lendgres import migrations
from tests.api.support import apply, assert_problem, case, count, decide, error_fields
from tests.conftest import bearer

# Marked at collection: conftest adds the anyio mark only after it, and anyio then rebuilds the items without
# their @pytest.mark.parametrize parameters.
pytestmark = pytest.mark.anyio

JSON_HEADERS = {"content-type": "application/json"}
GENERATED_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


async def post_raw(http, url, text):
    """Posts `text` as the JSON body byte for byte, so that no number goes through a Python float."""
    return await http.post(url, content=text.encode(), headers=JSON_HEADERS)


# Not found ----------------------------------------------------------------------------------------------------


async def test_unknown_application_is_404_not_found(http):
    await apply(http)  # application 1 exists; the ones asked for do not
    for method, path, body in [
        ("GET", "/loans/424242", None),
        ("GET", "/loans/424242/audit", None),
        ("POST", "/loans/424242/decision", {"outcome": "approved", "reason": "ok"}),
        ("POST", "/loans/424242/withdraw", {}),
        ("POST", "/loans/424242/withdraw", None),
        ("GET", "/loans/9223372036854775807", None),
    ]:
        with case((method, path, body)):
            response = await http.request(method, path, json=body)

            problem = assert_problem(response, 404, "not_found")
            application_id = int(path.split("/")[2])
            assert problem["application_id"] == application_id
            assert problem["resource"] == "application"
            assert str(application_id) in problem["detail"]


async def test_unknown_route_is_404_problem(http):
    for path in ["/nope", "/loans/1/nope", "/loans/apply/1", "/loans/1/decision/1"]:
        with case(path):
            assert_problem(await http.get(path), 404, "not_found")


async def test_wrong_method_is_405_problem(http):
    response = await http.delete("/loans/1")

    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, HEAD, PATCH"


@pytest.mark.parametrize("path", ["/actors", "/keys"])
async def test_405_allows_every_method_the_path_serves(http, path):
    """GET and POST are two routes at these paths: Allow names both, not only the first route that matched."""
    response = await http.delete(path)

    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, HEAD, POST"


async def test_head_answers_like_get_without_the_body(http):
    created = (await http.post("/loans/apply", json={"applicant_name": "Jane Doe", "amount": 1})).json()
    path = f"/loans/{created['application_id']}"
    got = await http.get(path)
    head = await http.head(path)

    assert (head.status_code, head.content) == (200, b"")
    for header in ("etag", "content-length", "content-type"):
        assert head.headers[header] == got.headers[header]
    missing = await http.head("/loans/999999")
    assert (missing.status_code, missing.content) == (404, b"")
    assert missing.headers["content-type"] == "application/problem+json"
    assert (await http.head("/healthz")).status_code == 200
    # Where no route serves GET, HEAD is refused as any other method.
    refused = await http.head(f"{path}/withdraw")
    assert (refused.status_code, refused.headers["allow"]) == (405, "POST")


async def test_bad_application_id_in_path_is_422(http):
    bad = ["0", "-1", "abc", "1.5", "99999999999999999999", "9223372036854775808", "+1", "%201", "\u0661", "\uff11"]
    for application_id in [*bad, "0" * 20, "0" * 5000, "9" * 5000]:
        for path in [f"/loans/{application_id}", f"/loans/{application_id}/audit"]:
            with case(path):
                problem = assert_problem(await http.get(path), 422, "validation_failed")
                assert error_fields(problem) == {"application_id"}
                assert problem["errors"][0]["location"] == "path"
                assert problem["detail"].startswith("The request is malformed: application_id: ")


async def test_application_id_may_have_leading_zeros_on_every_route(http):
    created = (await http.post("/loans/apply", json={"applicant_name": "Jane Doe", "amount": 1})).json()
    padded = str(created["application_id"]).zfill(25)
    assert (await http.get(f"/loans/{padded}")).json()["application_id"] == created["application_id"]
    assert (await http.get(f"/loans/{padded}/audit")).status_code == 200
    withdrawn = await http.post(f"/loans/{padded}/withdraw", json={})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


# Validation of POST /loans/apply ------------------------------------------------------------------------------

# Raw JSON texts, each with what is wrong: sent byte for byte, so NaN, Infinity and long decimals reach the server
# exactly as written.
INVALID_APPLICATIONS = {
    "unknown field": ('{"applicant_name": "J", "amount": 1, "colour": "red"}', "colour"),
    "name not a string": ('{"applicant_name": 5, "amount": 1}', "applicant_name"),
    "amount a list": ('{"applicant_name": "J", "amount": [1]}', "amount"),
    "amount an object": ('{"applicant_name": "J", "amount": {"value": 1}}', "amount"),
    "amount not a number": ('{"applicant_name": "J", "amount": "lots"}', "amount"),
    "amount null": ('{"applicant_name": "J", "amount": null}', "amount"),
    "term a string": ('{"applicant_name": "J", "amount": 1, "term_months": "12"}', "term_months"),
    "term a float": ('{"applicant_name": "J", "amount": 1, "term_months": 12.0}', "term_months"),
    "term a boolean": ('{"applicant_name": "J", "amount": 1, "term_months": true}', "term_months"),
    "term out of int range": ('{"applicant_name": "J", "amount": 1, "term_months": 2147483648}', "term_months"),
    "term out of business range": ('{"applicant_name": "J", "amount": 1, "term_months": 481}', "term_months"),
    "applicant_id a string": ('{"applicant_id": "7", "amount": 1}', "applicant_id"),
    "applicant_id a boolean": ('{"applicant_id": true, "amount": 1}', "applicant_id"),
    "applicant_id zero": ('{"applicant_id": 0, "amount": 1}', "applicant_id"),
    "applicant_id beyond bigint": ('{"applicant_id": 9223372036854775808, "amount": 1}', "applicant_id"),
    "currency a number": ('{"applicant_name": "J", "amount": 1, "currency": 840}', "currency"),
    "currency unknown": ('{"applicant_name": "J", "amount": 1, "currency": "XXX"}', "currency"),
    "currency lower case": ('{"applicant_name": "J", "amount": 1, "currency": "usd"}', "currency"),
    "missing amount": ('{"applicant_name": "J"}', "amount"),
    "missing name": ('{"amount": 1}', "applicant_name"),
    "blank name": ('{"applicant_name": "   ", "amount": 1}', "applicant_name"),
    "name too long": ('{"applicant_name": "' + "x" * 256 + '", "amount": 1}', "applicant_name"),
    "bad email": ('{"applicant_name": "J", "amount": 1, "applicant_email": "not-an-email"}', "applicant_email"),
    "bad phone": ('{"applicant_name": "J", "amount": 1, "applicant_phone": "call me"}', "applicant_phone"),
    "amount true": ('{"applicant_name": "J", "amount": true}', "amount"),
    "amount false": ('{"applicant_name": "J", "amount": false}', "amount"),
    "amount NaN string": ('{"applicant_name": "J", "amount": "NaN"}', "amount"),
    "amount Infinity string": ('{"applicant_name": "J", "amount": "Infinity"}', "amount"),
    "amount -Infinity string": ('{"applicant_name": "J", "amount": "-Infinity"}', "amount"),
    "amount sNaN string": ('{"applicant_name": "J", "amount": "sNaN"}', "amount"),
    "amount bare NaN": ('{"applicant_name": "J", "amount": NaN}', "amount"),
    "amount bare Infinity": ('{"applicant_name": "J", "amount": Infinity}', "amount"),
    "amount bare -Infinity": ('{"applicant_name": "J", "amount": -Infinity}', "amount"),
    "amount negative": ('{"applicant_name": "J", "amount": -1}', "amount"),
    "amount negative cents": ('{"applicant_name": "J", "amount": "-0.01"}', "amount"),
    "amount zero": ('{"applicant_name": "J", "amount": 0}', "amount"),
    "amount zero string": ('{"applicant_name": "J", "amount": "0.00"}', "amount"),
    "amount too large": ('{"applicant_name": "J", "amount": 10000000.01}', "amount"),
    "amount huge integer": ('{"applicant_name": "J", "amount": 1000000000000000000000000000000}', "amount"),
    "amount 1e309": ('{"applicant_name": "J", "amount": 1e309}', "amount"),
    "amount 3 decimals": ('{"applicant_name": "J", "amount": 15000.001}', "amount"),
    "amount 3 decimals string": ('{"applicant_name": "J", "amount": "15000.001"}', "amount"),
    "amount beyond float precision": ('{"applicant_name": "J", "amount": 15000.000000000000001}', "amount"),
    "amount tiny exponent": ('{"applicant_name": "J", "amount": 1e-3}', "amount"),
}


async def test_invalid_application_is_422_naming_the_field(http, postgresql):
    for name, (text, field) in INVALID_APPLICATIONS.items():
        with case(name):
            response = await post_raw(http, "/loans/apply", text)

            problem = assert_problem(response, 422, "validation_failed")
            assert field in error_fields(problem)
            assert field in problem["detail"]
    assert count(postgresql, "select count(*) from lending_private.application") == 0
    assert count(postgresql, "select count(*) from lending_private.party") == 0


async def test_shape_errors_say_where_the_field_is(http):
    response = await http.post("/loans/apply", json={"applicant_name": "J", "amount": 1, "colour": "red"})

    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"] == [{"location": "body", "field": "colour", "message": "Extra inputs are not permitted"}]


async def test_every_bad_field_is_reported_at_once(http):
    response = await http.post(
        "/loans/apply",
        json={"applicant_name": "", "amount": "0.001", "currency": "ZZZ", "term_months": 0, "purpose": " "},
    )

    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) == {"applicant_name", "amount", "currency", "term_months", "purpose"}


async def test_more_than_two_decimals_is_refused_not_rounded(http, postgresql):
    response = await post_raw(http, "/loans/apply", '{"applicant_name": "J", "amount": 15000.000000000000001}')

    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"] == [{"field": "amount", "message": "must have at most 2 decimal places"}]
    assert count(postgresql, "select count(*) from lending_private.application") == 0


async def test_amount_is_kept_exactly(http, postgresql):
    for text, shown in [
        ('"2500.50"', "2500.50"),
        ("2500.5", "2500.50"),
        ("2500.50", "2500.50"),
        ("0.01", "0.01"),
        ("10000000.00", "10000000.00"),
    ]:  # 15000.000 and 1E2 are refused: an amount has its currency's decimals at most and no exponent (test_money.py)
        with case(text):
            response = await post_raw(http, "/loans/apply", '{"applicant_name": "J", "amount": ' + text + "}")

            assert response.status_code == 201, response.text
            assert response.json()["amount"] == shown
            stored = postgresql.execute(
                "select amount from lending_private.application where application_id = %s",
                (response.json()["application_id"],),
            ).fetchone()[0]
            assert stored == Decimal(shown)


async def test_currency_without_minor_units_refuses_fractions(http):
    refused = await http.post("/loans/apply", json={"applicant_name": "J", "amount": "0.5", "currency": "JPY"})
    accepted = await http.post("/loans/apply", json={"applicant_name": "J", "amount": 150000, "currency": "JPY"})

    problem = assert_problem(refused, 422, "validation_failed")
    assert problem["errors"] == [{"field": "amount", "message": "must have at most 0 decimal places"}]
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["currency"] == "JPY"
    assert accepted.json()["amount"] == "150000.00"


async def test_all_application_fields_are_kept(http):
    response = await http.post(
        "/loans/apply",
        json={
            "applicant_name": "Jane Doe",
            "applicant_email": "jane@example.com",
            "applicant_phone": "+1 555 010 0199",
            "applicant_external_ref": "crm-7",
            "amount": "15000.00",
            "currency": "EUR",
            "term_months": 36,
            "purpose": "Home improvement",
            "external_ref": "app-1042",
        },
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["applicant"] == {
        "applicant_id": body["applicant_id"],
        "name": "Jane Doe",
        "email": "jane@example.com",
        "phone": "+1 555 010 0199",
        "external_ref": "crm-7",
    }
    assert (body["currency"], body["term_months"], body["purpose"], body["external_ref"]) == (
        "EUR",
        36,
        "Home improvement",
        "app-1042",
    )


# Applicants ---------------------------------------------------------------------------------------------------


async def test_same_applicant_external_ref_twice_is_409_applicant_exists(http, postgresql):
    first = await apply(http, applicant_external_ref="crm-1")

    response = await http.post(
        "/loans/apply", json={"applicant_name": "Jane D.", "amount": 500, "applicant_external_ref": "crm-1"}
    )

    problem = assert_problem(response, 409, "applicant_exists")
    assert problem["applicant_id"] == first["applicant_id"]
    assert problem["applicant_external_ref"] == "crm-1"
    assert count(postgresql, "select count(*) from lending_private.party") == 1
    assert count(postgresql, "select count(*) from lending_private.application") == 1


async def test_repeat_borrower_applies_with_applicant_id(http, postgresql):
    first = await apply(http, applicant_external_ref="crm-1")

    second = await http.post("/loans/apply", json={"applicant_id": first["applicant_id"], "amount": 2500})

    assert second.status_code == 201, second.text
    body = second.json()
    assert body["application_id"] != first["application_id"]
    assert body["applicant_id"] == first["applicant_id"]
    assert body["applicant"] == first["applicant"]
    assert body["amount"] == "2500.00"
    ids = postgresql.execute(
        "select distinct applicant_id from lending_private.application order by applicant_id"
    ).fetchall()
    assert ids == [(first["applicant_id"],)]
    assert count(postgresql, "select count(*) from lending_private.party") == 1


async def test_applicant_id_with_applicant_fields_is_refused(http):
    first = await apply(http)

    response = await http.post(
        "/loans/apply", json={"applicant_id": first["applicant_id"], "applicant_name": "Someone", "amount": 1}
    )

    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) == {"applicant_id"}


async def test_unknown_applicant_id_is_refused(http):
    response = await http.post("/loans/apply", json={"applicant_id": 987654, "amount": 1})

    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) == {"applicant_id"}
    assert "987654" in problem["errors"][0]["message"]


# Decisions ----------------------------------------------------------------------------------------------------


async def test_decision_json_form(http):
    application = await apply(http)
    application_id = application["application_id"]

    response = await http.post(
        f"/loans/{application_id}/decision",
        json={"outcome": "approved", "reason": "Income verified; DTI 22%."},
        headers=bearer("underwriter-1"),
    )

    assert response.status_code == 201, response.text
    assert response.headers["idempotent-replayed"] == "false"
    decision = response.json()
    assert decision["application_id"] == application_id
    assert decision["outcome"] == "approved"
    assert decision["approved"] is True
    assert decision["reason"] == "Income verified; DTI 22%."
    assert (decision["reason_codes"], decision["reasons"]) == ([], [])
    assert decision["decided_by"] == "underwriter-1"
    assert decision["request_id"] == response.headers["x-request-id"]
    assert (decision["status"], decision["version"]) == ("approved", 2)

    looked_up = await http.get(f"/loans/{application_id}")
    application = looked_up.json()
    assert application["status"] == "approved"
    assert application["version"] == 2
    assert looked_up.headers["etag"] == '"2"'
    assert application["offer"] == decision["offer"]
    without_application_state = {k: v for k, v in decision.items() if k not in ("status", "version", "offer")}
    assert application["decision"] == without_application_state
    assert application["decisions"] == [without_application_state]


async def test_manual_review_then_approved_keeps_both_decisions_in_order(http):
    application_id = (await apply(http))["application_id"]

    review = await decide(http, application_id, "manual_review", reason="Bank statements inconsistent.")
    assert review.status_code == 201, review.text
    assert review.json()["approved"] is None
    assert review.json()["status"] == "manual_review"
    in_review = (await http.get(f"/loans/{application_id}")).json()
    assert in_review["next_statuses"] == ["approved", "pending_confirmation", "rejected", "withdrawn"]
    assert (await http.post(f"/loans/{application_id}/claim")).status_code == 201  # a review is decided by its claimant

    approval = await decide(http, application_id, "approved", reason="Statements explained.", expected_version=2)
    assert approval.status_code == 201, approval.text

    looked_up = await http.get(f"/loans/{application_id}")
    application = looked_up.json()
    assert application["status"] == "approved"
    assert application["version"] == 3
    assert looked_up.headers["etag"] == '"3"'
    assert [(d["outcome"], d["reason"]) for d in application["decisions"]] == [
        ("manual_review", "Bank statements inconsistent."),
        ("approved", "Statements explained."),
    ]
    assert [d["decision_id"] for d in application["decisions"]] == [
        review.json()["decision_id"],
        approval.json()["decision_id"],
    ]
    assert application["decision"] == application["decisions"][-1]


async def test_legacy_query_form(http):
    for query, outcome, approved, reason in [
        ("approved=true&reason=ok", "approved", True, "ok"),
        ("approved=false&reason=DTI+too+high", "rejected", False, "DTI too high"),
    ]:
        with case(query):
            application_id = (await apply(http))["application_id"]

            response = await http.post(f"/loans/{application_id}/decision?{query}")

            assert response.status_code == 201, response.text
            decision = response.json()
            assert (decision["outcome"], decision["approved"], decision["status"]) == (outcome, approved, outcome)
            assert decision["reason"] == reason
            application = (await http.get(f"/loans/{application_id}")).json()
            assert application["status"] == outcome
            assert application["decision"]["decision_id"] == decision["decision_id"]


async def test_legacy_form_without_reason_is_422(http):
    application_id = (await apply(http))["application_id"]

    response = await http.post(f"/loans/{application_id}/decision?approved=true")

    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) == {"reason"}


async def test_body_and_query_together_is_422(http):
    application_id = (await apply(http))["application_id"]

    response = await http.post(
        f"/loans/{application_id}/decision?approved=true&reason=ok", json={"outcome": "approved", "reason": "ok"}
    )

    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"][0]["location"] == "query"
    assert error_fields(problem) == {"approved"}
    assert (await http.get(f"/loans/{application_id}")).json()["status"] == "pending"


async def test_decision_without_body_or_query_is_422(http):
    application_id = (await apply(http))["application_id"]

    response = await http.post(f"/loans/{application_id}/decision")

    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"][0]["location"] == "body"


async def test_invalid_decision_is_422(http, postgresql):
    application_id = (await apply(http))["application_id"]
    for body, fields in [
        ({"outcome": "approved"}, {"reason"}),
        ({"reason": "ok"}, {"outcome"}),
        ({"outcome": "withdrawn", "reason": "ok"}, {"outcome"}),
        ({"outcome": "approved", "reason": ""}, {"reason"}),
        ({"outcome": "approved", "reason": "x" * 2001}, {"reason"}),
        ({"outcome": "approved", "reason": "ok", "reason_codes": ["has space"]}, {"reason_codes.0"}),
        ({"outcome": "approved", "reason": "ok", "reason_codes": ["DTI_OK"]}, {"reason_codes.0"}),
        # An approval gives no adverse-action reasons; a rejection gives 1-4 of them, each once.
        ({"outcome": "approved", "reason": "ok", "reason_codes": ["bankruptcy"]}, {"reason_codes"}),
        ({"outcome": "rejected", "reason": "ok"}, {"reason_codes"}),
        ({"outcome": "rejected", "reason": "ok", "reason_codes": ["bankruptcy", "bankruptcy"]}, {"reason_codes"}),
        ({"outcome": "approved", "reason": "ok", "reason_codes": "other"}, {"reason_codes"}),
        ({"outcome": "approved", "reason": "ok", "confidence": "2"}, {"confidence"}),
        ({"outcome": "approved", "reason": "ok", "model_version": "1"}, {"model_version"}),
        ({"outcome": "approved", "reason": "ok", "expected_version": "1"}, {"expected_version"}),
        ({"outcome": "approved", "reason": "ok", "approved": True}, {"approved"}),
        ({"outcome": True, "reason": "ok"}, {"outcome"}),
    ]:
        with case(body):
            response = await http.post(f"/loans/{application_id}/decision", json=body)

            problem = assert_problem(response, 422, "validation_failed")
            assert error_fields(problem) == fields
    assert count(postgresql, "select count(*) from lending_private.decision") == 0
    assert (await http.get(f"/loans/{application_id}")).json()["version"] == 1


async def test_decision_on_a_final_status_is_409_invalid_transition(http, postgresql):
    application_id = (await apply(http))["application_id"]
    assert (await decide(http, application_id, "rejected", reason_codes=["other"])).status_code == 201

    response = await decide(http, application_id, "approved")

    problem = assert_problem(response, 409, "invalid_transition")
    assert problem["application_id"] == application_id
    assert problem["current_status"] == "rejected"
    assert problem["requested_status"] == "approved"
    assert problem["allowed"] == []
    assert count(postgresql, "select count(*) from lending_private.decision") == 1


async def test_invalid_transition_lists_what_is_allowed(http):
    application_id = (await apply(http))["application_id"]
    assert (await decide(http, application_id, "manual_review")).status_code == 201

    response = await decide(http, application_id, "manual_review")

    problem = assert_problem(response, 409, "invalid_transition")
    assert problem["current_status"] == "manual_review"
    assert problem["allowed"] == ["approved", "pending_confirmation", "rejected", "withdrawn"]


async def test_stale_expected_version_is_409_version_conflict(http, postgresql):
    application_id = (await apply(http))["application_id"]

    response = await decide(http, application_id, "approved", expected_version=2)

    problem = assert_problem(response, 409, "version_conflict")
    assert problem["current_version"] == 1
    assert problem["expected_version"] == 2
    assert problem["current_status"] == "pending"
    assert count(postgresql, "select count(*) from lending_private.decision") == 0
    assert (await http.get(f"/loans/{application_id}")).json()["version"] == 1


# If-Match -----------------------------------------------------------------------------------------------------


async def test_if_match_with_the_current_etag_succeeds(http):
    application_id = (await apply(http))["application_id"]
    etag = (await http.get(f"/loans/{application_id}")).headers["etag"]
    assert etag == '"1"'

    response = await decide(http, application_id, "manual_review", headers={"If-Match": etag})

    assert response.status_code == 201, response.text
    assert response.json()["version"] == 2


async def test_stale_if_match_is_412_version_conflict(http, postgresql):
    application_id = (await apply(http))["application_id"]
    assert (await decide(http, application_id, "manual_review", headers={"If-Match": '"1"'})).status_code == 201

    response = await decide(http, application_id, "approved", headers={"If-Match": '"1"'})

    problem = assert_problem(response, 412, "version_conflict")
    assert problem["current_version"] == 2
    assert problem["current_status"] == "manual_review"
    assert count(postgresql, "select count(*) from lending_private.decision") == 1


async def test_stale_if_match_on_withdraw_is_412(http):
    application_id = (await apply(http))["application_id"]

    response = await http.post(f"/loans/{application_id}/withdraw", json={}, headers={"If-Match": '"7"'})

    problem = assert_problem(response, 412, "version_conflict")
    assert problem["current_version"] == 1
    assert (await http.get(f"/loans/{application_id}")).json()["status"] == "pending"


async def test_malformed_if_match_is_422(http):
    application_id = (await apply(http))["application_id"]
    for if_match in ["garbage", "1", '"abc"', '"1234567890"', '"1", "2"', '""', '"-1"']:
        with case(if_match):
            response = await decide(http, application_id, "approved", headers={"If-Match": if_match})

            problem = assert_problem(response, 422, "validation_failed")
            expected = {"location": "header", "field": "If-Match", "message": 'must be an ETag such as "3"'}
            assert problem["errors"] == [expected]
    assert (await http.get(f"/loans/{application_id}")).json()["status"] == "pending"


async def test_if_match_disagreeing_with_expected_version_is_422(http):
    application_id = (await apply(http))["application_id"]

    response = await decide(http, application_id, "approved", headers={"If-Match": '"1"'}, expected_version=2)

    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) == {"If-Match"}


async def test_if_match_star_matches_any_version(http):
    application_id = (await apply(http))["application_id"]

    response = await decide(http, application_id, "approved", headers={"If-Match": "*"})

    assert response.status_code == 201, response.text


async def test_if_match_star_leaves_a_stale_body_version_a_409(http):
    application_id = (await apply(http))["application_id"]

    response = await decide(http, application_id, "approved", headers={"If-Match": "*"}, expected_version=7)

    assert assert_problem(response, 409, "version_conflict")["current_version"] == 1


async def test_a_weak_etag_never_meets_if_match(http):
    application_id = (await apply(http))["application_id"]

    response = await decide(http, application_id, "approved", headers={"If-Match": 'W/"1"'})

    assert_problem(response, 412, "version_conflict")
    assert (await http.get(f"/loans/{application_id}")).json()["status"] == "pending"


async def test_an_undecodable_body_is_a_422(http):
    response = await http.post(
        "/loans/apply",
        content=b'{"applicant_name": "\xff\xfe", "amount": 1}',
        headers={"content-type": "application/json"},
    )

    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"][0]["location"] == "body"


# Withdrawal ---------------------------------------------------------------------------------------------------


async def test_withdraw_pending_then_again(http, postgresql):
    application_id = (await apply(http))["application_id"]

    withdrawn = await http.post(f"/loans/{application_id}/withdraw", json={"reason": "Found a better rate."})

    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.headers["idempotent-replayed"] == "false"
    body = withdrawn.json()
    assert body["application_id"] == application_id
    assert body["status"] == "withdrawn"
    assert body["withdrawal_reason"] == "Found a better rate."
    assert body["version"] == 2
    assert body["next_statuses"] == []
    assert (await http.get(f"/loans/{application_id}")).json() == body

    again = await http.post(f"/loans/{application_id}/withdraw", json={"reason": "Again."})

    problem = assert_problem(again, 409, "invalid_transition")
    assert problem["current_status"] == "withdrawn"
    assert problem["requested_status"] == "withdrawn"
    assert problem["allowed"] == []
    assert (await http.get(f"/loans/{application_id}")).json()["withdrawal_reason"] == "Found a better rate."


async def test_withdraw_without_body(http):
    application_id = (await apply(http))["application_id"]

    response = await http.post(f"/loans/{application_id}/withdraw")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    assert response.json()["withdrawal_reason"] is None


async def test_withdraw_from_manual_review_and_no_decision_after(http):
    application_id = (await apply(http))["application_id"]
    assert (await decide(http, application_id, "manual_review")).status_code == 201

    withdrawn = await http.post(f"/loans/{application_id}/withdraw", json={"expected_version": 2})
    assert withdrawn.status_code == 200, withdrawn.text

    response = await decide(http, application_id, "approved")
    problem = assert_problem(response, 409, "invalid_transition")
    assert problem["current_status"] == "withdrawn"


async def test_withdraw_approved_is_409(http):
    application_id = (await apply(http))["application_id"]
    assert (await decide(http, application_id, "approved")).status_code == 201

    response = await http.post(f"/loans/{application_id}/withdraw", json={})

    problem = assert_problem(response, 409, "invalid_transition")
    assert problem["current_status"] == "approved"


async def test_invalid_withdrawal_is_422(http):
    application_id = (await apply(http))["application_id"]
    for body, field in [
        ({"reason": "x" * 2001}, "reason"),
        ({"reason": "  "}, "reason"),
        ({"why": "no"}, "why"),
        ({"expected_version": 1.5}, "expected_version"),
        ({"reason": ["a"]}, "reason"),
    ]:
        with case(body):
            response = await http.post(f"/loans/{application_id}/withdraw", json=body)

            problem = assert_problem(response, 422, "validation_failed")
            assert error_fields(problem) == {field}
    assert (await http.get(f"/loans/{application_id}")).json()["status"] == "pending"


# Listing ------------------------------------------------------------------------------------------------------


async def file_many(http, how_many):
    return [(await apply(http, amount=100 + i))["application_id"] for i in range(how_many)]


async def read_all_pages(http, **params):
    ids, pages, cursor = [], [], None
    while True:
        query = {**params, **({"after": cursor} if cursor else {})}
        response = await http.get("/loans", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append([item["application_id"] for item in page["items"]])
        ids += pages[-1]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, pages
        assert len(pages) < 100, "pagination does not end"


async def test_list_follows_cursors_through_every_page(http):
    filed = await file_many(http, 7)

    ids, pages = await read_all_pages(http, limit=3)

    assert [len(page) for page in pages] == [3, 3, 1]
    assert ids == sorted(filed, reverse=True)  # newest first, no duplicate, no gap


async def test_list_page_exactly_full_has_no_next_cursor(http):
    filed = await file_many(http, 4)

    response = await http.get("/loans", params={"limit": 4})

    page = response.json()
    assert [item["application_id"] for item in page["items"]] == sorted(filed, reverse=True)
    assert page["next_cursor"] is None


async def test_list_is_stable_while_applications_are_filed(http):
    filed = await file_many(http, 5)
    first = (await http.get("/loans", params={"limit": 2})).json()
    newer = (await apply(http))["application_id"]

    rest, _ = await read_all_pages(http, limit=2, after=first["next_cursor"])

    ids = [item["application_id"] for item in first["items"]] + rest
    assert ids == sorted(filed, reverse=True)
    assert newer not in ids


async def test_list_items_are_applications_without_history(http):
    application_id = (await apply(http))["application_id"]
    assert (await decide(http, application_id, "approved")).status_code == 201

    page = (await http.get("/loans")).json()

    assert page["next_cursor"] is None
    [item] = page["items"]
    full = (await http.get(f"/loans/{application_id}")).json()
    recorded = ("decision", "decisions", "assessment", "offer", "review_claim")
    assert not set(recorded) & set(item)
    assert item == {k: v for k, v in full.items() if k not in recorded}


async def test_list_by_status_with_pagination(http):
    filed = await file_many(http, 8)
    approved = filed[1::2]
    for application_id in approved:
        assert (await decide(http, application_id, "approved")).status_code == 201

    ids, pages = await read_all_pages(http, status="approved", limit=3)

    assert ids == sorted(approved, reverse=True)
    assert [len(page) for page in pages] == [3, 1]
    pending, _ = await read_all_pages(http, status="pending")
    assert pending == sorted(set(filed) - set(approved), reverse=True)
    nothing = (await http.get("/loans", params={"status": "withdrawn"})).json()
    assert nothing == {"items": [], "next_cursor": None}


async def test_list_default_limit_is_50_and_100_is_allowed(http):
    await file_many(http, 51)

    default = (await http.get("/loans")).json()
    hundred = (await http.get("/loans", params={"limit": 100})).json()

    assert len(default["items"]) == 50
    assert default["next_cursor"] is not None
    assert len(hundred["items"]) == 51
    assert hundred["next_cursor"] is None


async def test_list_with_bad_query_is_422(http):
    await file_many(http, 2)
    for params, field in [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": 2**31}, "limit"),
        ({"after": "zzz"}, "after"),
        ({"after": "bm90IGFuIGlk"}, "after"),  # base64 of "not an id"
        ({"after": "!!!"}, "after"),
        ({"after": ""}, "after"),
        ({"status": "bogus"}, "status"),
        ({"status": "APPROVED"}, "status"),
    ]:
        with case(params):
            problem = assert_problem(await http.get("/loans", params=params), 422, "validation_failed")
            assert error_fields(problem) == {field}


# Audit --------------------------------------------------------------------------------------------------------


async def test_audit_trail_records_actor_and_request_id_of_each_write(http):
    created = await http.post(
        "/loans/apply",
        json={"applicant_name": "Jane Doe", "amount": 15000},
        headers={**bearer("intake-agent"), "X-Request-Id": "req-apply-1"},
    )
    assert created.headers["x-request-id"] == "req-apply-1"
    application_id = created.json()["application_id"]
    review = await decide(
        http, application_id, "manual_review", headers={**bearer("underwriter-1"), "X-Request-Id": "req-review-1"}
    )
    claim = await http.post(
        f"/loans/{application_id}/claim", headers={**bearer("reviewer-2"), "X-Request-Id": "req-claim-1"}
    )
    assert claim.status_code == 201, claim.text
    approval = await decide(http, application_id, "approved", headers=bearer("reviewer-2"))
    generated = approval.headers["x-request-id"]
    assert GENERATED_REQUEST_ID.match(generated)

    response = await http.get(f"/loans/{application_id}/audit")

    assert response.status_code == 200, response.text
    trail = response.json()
    assert trail["application_id"] == application_id
    assert trail["verified"] is True
    assert trail["broken_at_seq"] is None
    assert trail["problem"] is None
    entries = trail["entries"]
    assert trail["rows_checked"] == len(entries)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert [(e["table"], e["action"], e["actor"], e["request_id"]) for e in entries] == [
        ("application", "insert", "intake-agent", "req-apply-1"),
        ("decision", "insert", "underwriter-1", "req-review-1"),
        ("application", "update", "underwriter-1", "req-review-1"),
        ("review_claim", "insert", "reviewer-2", "req-claim-1"),
        ("decision", "insert", "reviewer-2", generated),
        ("application", "update", "reviewer-2", generated),
        ("offer", "insert", "reviewer-2", generated),
    ]
    assert entries[0]["old"] is None
    assert entries[0]["new"]["status"] == "pending"
    assert entries[2]["old"]["status"] == "pending" and entries[2]["new"]["status"] == "manual_review"
    assert entries[5]["old"]["status"] == "manual_review" and entries[5]["new"]["status"] == "approved"
    assert entries[1]["row_id"] == str(review.json()["decision_id"])
    assert entries[3]["row_id"] == str(claim.json()["claim_id"])
    assert entries[4]["row_id"] == str(approval.json()["decision_id"])
    assert entries[6]["row_id"] == str(approval.json()["offer"]["offer_id"])
    assert len({e["row_hash"] for e in entries}) == len(entries)
    assert all(re.fullmatch(r"[0-9a-f]{64}", e["row_hash"]) for e in entries)


async def test_audit_trail_notices_tampering(http, postgresql):
    application_id = (await apply(http))["application_id"]
    assert (await decide(http, application_id, "approved")).status_code == 201
    # The audit log refuses changes; a superuser can still switch its triggers off and edit a row.
    postgresql.execute("set session_replication_role = replica")
    postgresql.execute(
        "update lending_private.audit_log set actor = 'mallory' "
        "where subject = 'application' and subject_id = %s and seq = 2",
        (application_id,),
    )
    postgresql.execute("set session_replication_role = origin")

    trail = (await http.get(f"/loans/{application_id}/audit")).json()

    assert trail["verified"] is False
    assert trail["broken_at_seq"] == 2
    assert trail["problem"]


# Request ids --------------------------------------------------------------------------------------------------


async def test_request_id_is_echoed_when_given(http):
    application_id = (await apply(http))["application_id"]

    ok = await http.get(f"/loans/{application_id}", headers={"X-Request-Id": "trace-abc.123"})
    missing = await http.get("/loans/424242", headers={"X-Request-Id": "trace-404"})
    no_route = await http.get("/nowhere", headers={"X-Request-Id": "trace-no-route"})
    invalid = await http.post("/loans/apply", json={}, headers={"X-Request-Id": "trace-422"})

    assert ok.headers["x-request-id"] == "trace-abc.123"
    assert assert_problem(missing, 404, "not_found")["request_id"] == "trace-404"
    assert assert_problem(no_route, 404, "not_found")["request_id"] == "trace-no-route"
    assert assert_problem(invalid, 422, "validation_failed")["request_id"] == "trace-422"


async def test_request_id_is_generated_when_absent(http):
    first = await http.get("/healthz")
    second = await http.get("/healthz")
    problem = await http.get("/loans/424242")

    ids = [first.headers["x-request-id"], second.headers["x-request-id"], problem.headers["x-request-id"]]
    assert all(GENERATED_REQUEST_ID.match(request_id) for request_id in ids), ids
    assert len(set(ids)) == 3
    assert problem.json()["request_id"] == ids[2]


async def test_unusable_request_id_is_replaced(http):
    for request_id in ["has space", "x" * 201, "", "tab\there"]:
        with case(request_id):
            response = await http.get("/loans/424242", headers={"X-Request-Id": request_id})

            assert GENERATED_REQUEST_ID.match(response.headers["x-request-id"])
            assert response.json()["request_id"] == response.headers["x-request-id"]


# Health -------------------------------------------------------------------------------------------------------


async def test_healthz(http):
    response = await http.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_schema_version(http):
    response = await http.get("/readyz")

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "schema_version": migrations.latest_version()}


async def test_readyz_is_503_when_the_last_migration_is_missing(http, postgresql):
    postgresql.execute("delete from public.schema_migrations where version = %s", [migrations.latest_version()])

    response = await http.get("/readyz")

    problem = assert_problem(response, 503, "not_ready")
    assert problem["schema_version"] < migrations.latest_version()
    assert problem["expected_schema_version"] == migrations.latest_version()
    assert response.headers["retry-after"] == "5"


async def test_readyz_is_503_while_the_database_cannot_be_reached_and_recovers(http, postgresql):
    """The pool's connections are cut and new ones refused, as in a failover; once the database takes connections
    again, the pool reconnects and the service is ready without a restart."""
    assert (await http.get("/readyz")).status_code == 200
    postgresql.execute("alter role lendgres_test_http nologin")  # a cluster-wide role: restored below, whatever happens
    try:
        postgresql.execute(
            "select pg_terminate_backend(pid, 5000) from pg_stat_activity"  # waits until they are gone
            " where datname = current_database() and usename = 'lendgres_test_http'"
        )

        for _ in range(2):  # the cut connection first, then a refused new one
            response = await http.get("/readyz")
            problem = assert_problem(response, 503, "not_ready")
            assert problem["detail"].startswith("The database cannot be queried")
            assert response.headers["retry-after"] == "5"
    finally:
        postgresql.execute("alter role lendgres_test_http login")

    response = await http.get("/readyz")
    assert response.status_code == 200, response.text


async def test_readyz_accepts_a_database_ahead_of_the_code(http, postgresql):
    """During a rolling deploy the new migrations run while old replicas still serve."""
    postgresql.execute("insert into public.schema_migrations (version) values ('99991231235959')")

    response = await http.get("/readyz")

    assert response.status_code == 200, response.text
    assert response.json()["schema_version"] == "99991231235959"


async def test_a_real_500_logs_its_cause_with_the_request_id_and_shows_none_of_it(http, postgresql, caplog):
    postgresql.execute("revoke execute on function lending.get_application(bigint, text) from lending_api")

    response = await http.get("/loans/1", headers={"X-Request-Id": "trace-500"})

    problem = assert_problem(response, 500, "internal_error")
    assert "permission" not in response.text and "lending" not in problem["detail"]
    [logged] = [r for r in caplog.records if r.name == "lendgres" and "trace-500" in r.getMessage()]
    assert logged.exc_info is not None and "permission denied" in str(logged.exc_info[1])


async def test_every_request_leaves_one_structured_log_line(http):
    import json
    import logging

    lines: list[dict] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(record.getMessage()))

    collector = Collect()
    logging.getLogger("lendgres.access").addHandler(collector)
    try:
        created = await http.post(
            "/loans/apply",
            json={"applicant_name": "Jane Doe", "amount": 1},
            headers={**bearer("intake-agent"), "X-Request-Id": "log-1"},
        )
        refused = await http.post(
            f"/loans/{created.json()['application_id']}/decision",
            json={"outcome": "maybe", "reason": "?"},
            headers={"X-Request-Id": "log-2"},
        )
        await http.get("/no/such/route", headers={"X-Request-Id": "log-3"})
        await http.get("/loans", headers={"X-Request-Id": "log-4", "Authorization": "Bearer nonsense"})
        await http.post(
            f"/loans/{created.json()['application_id']}/decision",
            json={"outcome": "approved", "reason": "fine"},
            headers={**bearer("intake-agent"), "X-Request-Id": "log-5"},
        )
    finally:
        logging.getLogger("lendgres.access").removeHandler(collector)

    assert refused.status_code == 422
    assert [
        (line["request_id"], line["actor"], line["method"], line["route"], line["status"], line["code"])
        for line in lines
    ] == [
        ("log-1", "intake-agent", "POST", "/loans/apply", 201, None),
        ("log-2", "test-admin", "POST", "/loans/{application_id}/decision", 422, "validation_failed"),
        ("log-3", None, "GET", "/no/such/route", 404, "not_found"),
        ("log-4", None, "GET", "/loans", 401, "unauthenticated"),
        ("log-5", "intake-agent", "POST", "/loans/{application_id}/decision", 403, "forbidden"),
    ]
    assert all(line["duration_ms"] >= 0 and line["time"].endswith("+00:00") for line in lines)


async def test_ids_in_paths_are_digits(http):
    application_id = (await apply(http))["application_id"]

    for path in (f"/loans/{application_id}.0", f"/loans/+{application_id}", f"/loans/{application_id}e0"):
        problem = assert_problem(await http.get(path), 422, "validation_failed")
        assert problem["errors"][0]["field"] == "application_id"
