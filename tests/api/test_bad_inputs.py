"""Bad input of every kind, in every field, path, query parameter and header: never a 500, always a problem.

Two sources of input: a hand-picked list of nasty values put into each field in turn (plus seeded random mixes of
them), and hypothesis strategies. Hypothesis runs inside the async test (anyio's pytest plugin drives each
example on the test's event loop), so all examples share one app and one database.

Generated text includes lone UTF-16 surrogates and NUL characters, and generated numbers reach exponents far beyond
what PostgreSQL's numeric can hold: both once crashed the service, and have tests of their own at the end.
"""

from __future__ import annotations

import base64
import json
import os
import random
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.support import (
    RawNumber,
    apply,
    assert_problem,
    assert_well_formed_problem,
    case,
    error_fields,
    json_text,
)

# Marked at collection: conftest adds the anyio mark only after it, and anyio then rebuilds the items without
# their @pytest.mark.parametrize parameters.
pytestmark = pytest.mark.anyio

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # no .hypothesis directory in the checkout
    # The same examples on every run, so that CI is repeatable; LENDGRES_FUZZ_RANDOM=1 explores new ones locally.
    derandomize=not os.environ.get("LENDGRES_FUZZ_RANDOM"),
)

NASTY: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**31,
    2**63,
    10**30,
    -(10**30),
    1e308,
    -0.0,
    0.5,
    1e-7,
    float("nan"),
    float("inf"),
    float("-inf"),
    "",
    " ",
    "\t\n",
    "\u0000",
    "a\u0000b",
    "x" * 10_000,
    "0",
    "-1",
    "1e1000",
    "1e-1000",
    "NaN",
    "-Infinity",
    "0x10",
    "1_000",
    "\u0661\u0662\u0663",  # Arabic-Indic digits
    "\U0001f4b8\U0001f4b8",
    "\u202egnp.exe",
    "null",
    "'; drop table lending_private.application; --",
    "%s%s%n",
    "<script>alert(1)</script>",
    [],
    [1, "a"],
    {},
    {"a": {"b": [None]}},
    [[[[[]]]]],
]

APPLY_FIELDS = [
    "amount",
    "applicant_name",
    "applicant_id",
    "applicant_email",
    "applicant_phone",
    "applicant_external_ref",
    "currency",
    "term_months",
    "purpose",
    "external_ref",
    "unknown_field",
]
DECISION_FIELDS = ["outcome", "reason", "reason_codes", "expected_version", "unknown_field"]
WITHDRAW_FIELDS = ["reason", "expected_version", "unknown_field"]

BAD_IDS = [
    "0",
    "-1",
    "99999999999999999999",
    "9223372036854775808",
    "-9223372036854775809",
    "abc",
    "1.0",
    "1e3",
    "+1",
    "0x1",
    " 1",
    "\u0661",
    "%00",
    "%20",
    "%2F",
    "..",
    "1;drop",
]

# What each route may answer; anything else (a 500 above all) fails. 400 is the framework's answer to a body too
# deeply nested to parse.
APPLY_STATUSES = {201, 400, 409, 422}
DECIDE_STATUSES = {201, 400, 404, 409, 412, 422}
WITHDRAW_STATUSES = {200, 400, 404, 409, 412, 422}
READ_STATUSES = {200, 307, 404, 405, 422}  # 307: the router's redirect of /loans/%2F to /loans/
LIST_STATUSES = {200, 422}


def check(response: httpx.Response, allowed: set[int]) -> None:
    assert response.status_code in allowed, (response.request.method, response.request.url, response.text[:500])
    if response.status_code >= 400:
        assert_well_formed_problem(response)
    elif response.status_code == 307:
        assert response.headers["location"]
    else:
        assert response.headers["content-type"] == "application/json"
        assert isinstance(response.json(), dict)


def raw_json(value: Any) -> bytes:
    """JSON text of `value`, NaN and Infinity included as bare constants (which the server parses)."""
    return json.dumps(value, allow_nan=True).encode()


async def post(http: httpx.AsyncClient, url: str, body: Any, headers: dict[str, Any] | None = None) -> httpx.Response:
    return await http.post(url, content=raw_json(body), headers={"content-type": "application/json", **(headers or {})})


def header_value(value: Any) -> bytes:
    text = value if isinstance(value, str) else json.dumps(value, allow_nan=True)
    return text.encode("utf-8")


# Hand-picked nasty values ------------------------------------------------------------------------------------


async def test_nasty_values_in_each_application_field(http):
    for field in APPLY_FIELDS:
        for value in NASTY:
            with case((field, value if not isinstance(value, str) else value[:20])):
                body = {"applicant_name": "J", "amount": 1, field: value}
                check(await post(http, "/loans/apply", body), APPLY_STATUSES)
    applicant_id = (await apply(http))["applicant_id"]
    for value in NASTY:
        with case(("with applicant_id", value if not isinstance(value, str) else value[:20])):
            body = {"applicant_id": applicant_id, "amount": value}
            check(await post(http, "/loans/apply", body), APPLY_STATUSES)


async def test_nasty_values_in_each_decision_and_withdrawal_field(http):
    application_id = (await apply(http))["application_id"]
    for field in DECISION_FIELDS:
        for value in NASTY:
            with case(("decision", field, value if not isinstance(value, str) else value[:20])):
                body = {"outcome": "manual_review", "reason": "ok", field: value}
                check(await post(http, f"/loans/{application_id}/decision", body), DECIDE_STATUSES)
    for field in WITHDRAW_FIELDS:
        for value in NASTY:
            with case(("withdrawal", field, value if not isinstance(value, str) else value[:20])):
                check(await post(http, f"/loans/{application_id}/withdraw", {field: value}), WITHDRAW_STATUSES)


async def test_nasty_whole_bodies(http):
    application_id = (await apply(http))["application_id"]
    texts = [
        b"",
        b"{",
        b"}",
        b"[]",
        b"null",
        b"0",
        b'"x"',
        b"{}{}",
        b'{"amount": 1,}',
        b"\xff\xfe",
        b"\x00",
        b"{" * 10_000,
        b"[" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    ]
    for text in texts + [raw_json(value) for value in NASTY]:
        for url, allowed in [
            ("/loans/apply", APPLY_STATUSES),
            (f"/loans/{application_id}/decision", DECIDE_STATUSES),
            (f"/loans/{application_id}/withdraw", WITHDRAW_STATUSES),
        ]:
            with case((url, text[:20])):
                response = await http.post(url, content=text, headers={"content-type": "application/json"})
                check(response, allowed)
                if url == "/loans/apply":
                    assert response.status_code in {400, 422}


async def test_nasty_ids_in_paths(http):
    await apply(http)
    for bad in BAD_IDS:
        for method, suffix, allowed in [
            ("GET", "", READ_STATUSES),
            ("GET", "/audit", READ_STATUSES),
            ("POST", "/decision", DECIDE_STATUSES | {405}),
            ("POST", "/withdraw", WITHDRAW_STATUSES | {405}),
        ]:
            with case((method, bad, suffix)):
                body = {"outcome": "approved", "reason": "ok"} if suffix == "/decision" else None
                check(await http.request(method, f"/loans/{bad}{suffix}", json=body), allowed)


async def test_nasty_query_parameters(http):
    await apply(http)
    cursors = ["MQ==", "MA==", "LTE=", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5"]  # base64 of 1, 0, -1 and a huge number
    values = [v if isinstance(v, str) else json.dumps(v, allow_nan=True) for v in NASTY] + cursors
    for name in ("limit", "status", "after"):
        for value in values:
            with case((name, value[:20])):
                check(await http.get("/loans", params={name: value}), LIST_STATUSES)
    repeated = await http.get("/loans?limit=1&limit=abc&status=pending&status=zzz")
    check(repeated, LIST_STATUSES)
    for name in ("after", "limit", "wait", "application_id", "type"):
        for value in [*values, "7421-18", "99999999999999999999999-1", "1e308", "30.0000001"]:
            with case(("/events", name, value[:20])):
                check(await http.get("/events", params={name: value}), {200, 422})


async def test_nasty_headers(http):
    application_id = (await apply(http))["application_id"]
    for header in ("Idempotency-Key", "If-Match", "X-Request-Id"):
        for value in NASTY:
            with case((header, value if not isinstance(value, str) else value[:20])):
                headers = {header: header_value(value)}
                check(await post(http, "/loans/apply", {"applicant_name": "J", "amount": 1}, headers), APPLY_STATUSES)
                body = {"outcome": "manual_review", "reason": "ok"}
                check(await post(http, f"/loans/{application_id}/decision", body, headers), DECIDE_STATUSES)


async def test_nasty_credentials_are_401(http):
    """Whatever stands in the Authorization header in place of a key, the answer is a 401 problem."""
    for value in [*NASTY, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer lgk_" + "A" * 64]:
        for prefix in ("", "Bearer "):
            with case((prefix, value if not isinstance(value, str) else value[:20])):
                headers = {"Authorization": prefix.encode() + header_value(value)}
                response = await post(http, "/loans/apply", {"applicant_name": "J", "amount": 1}, headers)
                assert_problem(response, 401, "unauthenticated")
                assert response.headers["www-authenticate"].startswith("Bearer")


async def test_seeded_random_mixes(http):
    generator = random.Random(1234)
    application_id = (await apply(http))["application_id"]
    for number in range(150):
        with case(number):
            body = {field: generator.choice(NASTY) for field in generator.sample(APPLY_FIELDS, generator.randint(1, 6))}
            check(await post(http, "/loans/apply", body), APPLY_STATUSES)
            decision = {f: generator.choice(NASTY) for f in generator.sample(DECISION_FIELDS, generator.randint(1, 4))}
            check(await post(http, f"/loans/{application_id}/decision", decision), DECIDE_STATUSES)


# Hypothesis --------------------------------------------------------------------------------------------------

# Numbers as JSON number text, exponents kept within what asyncpg encodes (see the module's docstring).
NUMBER_TEXT = st.from_regex(r"-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,40})?([eE][+-]?[0-9]{1,7})?", fullmatch=True)
# Every code point, unpaired surrogates and NUL included: JSON can carry them all. A URL cannot carry a surrogate
# (it is percent-encoded UTF-8), so paths and query strings draw from the rest.
TEXT = st.characters(exclude_categories=())
URL_TEXT = st.characters(exclude_categories=("Cs",))


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(TEXT, max_size=300),
    st.sampled_from(NASTY),
    NUMBER_TEXT.map(RawNumber),
    NUMBER_TEXT,
)


def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=4) | st.dictionaries(st.text(TEXT, max_size=8), children, max_size=4)


json_values = st.recursive(leaves, containers, max_leaves=8)

VALID_APPLY_FIELDS = {
    "amount": st.decimals(min_value="0.01", max_value="10000000", places=2).map(str),
    "applicant_name": st.text(TEXT, min_size=1, max_size=255),
    "applicant_email": st.emails(),
    "applicant_phone": st.from_regex(r"\+?[0-9]{5,15}", fullmatch=True),
    "applicant_external_ref": st.text(TEXT, min_size=1, max_size=100),
    "currency": st.sampled_from(["USD", "EUR", "JPY", "KWD", "usd", "XXX"]),
    "term_months": st.integers(min_value=-5, max_value=500),
    "purpose": st.text(TEXT, max_size=600),
    "external_ref": st.text(TEXT, max_size=120),
    "applicant_id": st.integers(min_value=-2, max_value=5),
}
apply_bodies = st.fixed_dictionaries(
    {}, optional={field: strategy | json_values for field, strategy in VALID_APPLY_FIELDS.items()}
) | st.dictionaries(st.text(TEXT, max_size=20), json_values, max_size=5)

decision_bodies = st.fixed_dictionaries(
    {},
    optional={
        "outcome": st.sampled_from(["approved", "rejected", "manual_review", "withdrawn", "APPROVED"]) | json_values,
        "reason": st.text(TEXT, max_size=2100) | json_values,
        "reason_codes": st.lists(st.from_regex(r"[A-Za-z0-9_.:-]{1,70}", fullmatch=True) | st.text(TEXT), max_size=25)
        | json_values,
        "expected_version": st.integers(min_value=-3, max_value=5) | json_values,
    },
)

header_bytes = st.binary(max_size=300).filter(lambda b: b"\r" not in b and b"\n" not in b)


@FUZZ
@given(body=apply_bodies)
async def test_generated_applications(http, body):
    response = await http.post("/loans/apply", content=json_text(body), headers={"content-type": "application/json"})

    check(response, APPLY_STATUSES)


@FUZZ
@given(body=decision_bodies, application_id=st.integers(min_value=1, max_value=3), legacy=st.booleans())
async def test_generated_decisions(http, body, application_id, legacy):
    if (await http.get(f"/loans/{application_id}")).status_code == 404:
        await apply(http)
    if legacy:
        params = {k: v if isinstance(v, str) else json_text(v) for k, v in body.items()}
        response = await http.post(f"/loans/{application_id}/decision", params=params)
    else:
        content = json_text(body)
        response = await http.post(
            f"/loans/{application_id}/decision", content=content, headers={"content-type": "application/json"}
        )

    check(response, DECIDE_STATUSES)


@FUZZ
@given(raw=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
async def test_generated_raw_bodies(http, raw):
    for url, allowed in [
        ("/loans/apply", {400, 422}),
        ("/loans/1/decision", DECIDE_STATUSES),
        ("/loans/1/withdraw", WITHDRAW_STATUSES),
    ]:
        response = await http.post(url, content=raw, headers={"content-type": "application/json"})
        check(response, allowed)


@FUZZ
@given(
    segment=st.integers().map(str) | st.text(URL_TEXT, max_size=40),
    suffix=st.sampled_from(["", "/audit", "/decision", "/withdraw"]),
    method=st.sampled_from(["GET", "POST"]),
)
async def test_generated_paths(http, segment, suffix, method):
    response = await http.request(method, f"/loans/{quote(segment, safe='')}{suffix}")

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_well_formed_problem(response)


@FUZZ
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            "limit": st.integers().map(str) | st.text(URL_TEXT, max_size=30),
            "status": st.sampled_from(["pending", "approved", "manual_review"]) | st.text(URL_TEXT, max_size=30),
            "after": st.text(URL_TEXT, max_size=60)
            | st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode()),
        },
    )
)
async def test_generated_list_queries(http, params):
    check(await http.get("/loans", params=params), LIST_STATUSES)


@FUZZ
@given(key=header_bytes, if_match=header_bytes, request_id=header_bytes)
async def test_generated_headers(http, key, if_match, request_id):
    headers = {"Idempotency-Key": key, "If-Match": if_match, "X-Request-Id": request_id}
    applied = await http.post("/loans/apply", json={"applicant_name": "J", "amount": 1}, headers=headers)
    check(applied, APPLY_STATUSES)
    decided = await http.post("/loans/1/decision", json={"outcome": "manual_review", "reason": "ok"}, headers=headers)
    check(decided, DECIDE_STATUSES)


# Inputs that once crashed the service or misled the client ----------------------------------------------------


async def test_amount_beyond_numerics_exponent_range_is_422(http, postgresql):
    for text in ['"1e1000000"', '"1e-1000000"', "1e-16384", "1e1000000", '"1e262144"']:
        with case(text):
            response = await http.post(
                "/loans/apply",
                content='{"applicant_name": "J", "amount": ' + text + "}",
                headers={"content-type": "application/json"},
            )
            problem = assert_problem(response, 422, "validation_failed")
            assert "amount" in error_fields(problem)


async def test_lone_surrogate_in_text_is_422(http):
    application_id = (await apply(http))["application_id"]
    for url, text in [
        ("/loans/apply", '{"applicant_name": "\\ud800", "amount": 1}'),
        ("/loans/apply", '{"applicant_name": "J", "amount": 1, "purpose": "\\udfff"}'),
        (f"/loans/{application_id}/decision", '{"outcome": "approved", "reason": "\\ud800"}'),
        (f"/loans/{application_id}/decision", '{"outcome": "approved", "reason": "ok", "reason_codes": ["\\ud800"]}'),
        (f"/loans/{application_id}/withdraw", '{"reason": "\\ud800"}'),
    ]:
        with case(text):
            response = await http.post(url, content=text, headers={"content-type": "application/json"})
            assert_problem(response, 422, "validation_failed")


async def test_huge_amount_is_reported_as_too_large(http):
    for text in ["1e131072", "9.99e200000"]:
        with case(text):
            response = await http.post("/loans/apply", json={"applicant_name": "J", "amount": text})
            problem = assert_problem(response, 422, "validation_failed")
            [error] = [e for e in problem["errors"] if e["field"] == "amount"]
            assert "greater than 0" not in error["message"]
            assert "decimal places" not in error["message"]


async def test_nul_byte_problem_names_the_field(http):
    response = await http.post("/loans/apply", json={"applicant_name": "Jane\u0000Doe", "amount": 1})

    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) == {"applicant_name"}
