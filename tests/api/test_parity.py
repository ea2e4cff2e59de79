"""Every operation, over HTTP and as an MCP tool, checked against itself: the same arguments in the same schema, the
same problem for the same bad input, the same result for the same good input.

Both faces are driven with the same flat arguments, written as JSON text: over HTTP they are put where the route
takes them (path, query string, body, Idempotency-Key), over MCP they are the tool's arguments, sent as written
(RawMcp), so that numbers reach both exactly as the client wrote them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import jsonschema
import psycopg
import pytest

from lendgres.app import OPERATIONS
from lendgres.operations import Operation
from tests.api.support import RawMcp, apply, assert_problem, case, json_text, mcp_client
from tests.conftest import bearer

pytestmark = pytest.mark.anyio

BY_NAME = {operation.name: operation for operation in OPERATIONS}


def exact(text: str) -> dict[str, Any]:
    return json.loads(text, parse_float=Decimal)


async def over_http(http: httpx.AsyncClient, operation: Operation, arguments: str, actor: str) -> httpx.Response:
    """Calls the operation's route with the flat arguments (JSON text) put where the route takes them."""
    rest = exact(arguments)
    path = operation.path
    for name in operation.path_parameters:
        path = path.replace(f"{{{name}}}", quote(str(rest.pop(name)), safe=""))
    headers = bearer(actor)
    if "idempotency_key" in rest:
        headers["Idempotency-Key"] = rest.pop("idempotency_key")
    if operation.method == "GET":
        params = {name: value if isinstance(value, str) else json_text(value) for name, value in rest.items()}
        return await http.get(path, params=params, headers=headers)
    if not rest and operation.body_optional:
        return await http.request(operation.method, path, headers=headers)
    headers["Content-Type"] = "application/json"
    return await http.request(operation.method, path, content=json_text(rest).encode(), headers=headers)


def without_request_id(problem: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in problem.items() if key != "request_id"}


def in_tool_terms(problem: dict[str, Any]) -> dict[str, Any]:
    """An HTTP problem as the MCP tool names things: the Idempotency-Key header is the tool's idempotency_key
    argument. Every other input has the same name and location on both faces."""
    text = json.dumps(problem).replace(
        '"location": "header", "field": "Idempotency-Key"', '"location": "arguments", "field": "idempotency_key"'
    )
    return json.loads(text.replace("Idempotency-Key", "idempotency_key"))  # type: ignore[no-any-return]


# The same arguments ---------------------------------------------------------------------------------------------


def _resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref") or next((s["$ref"] for s in schema.get("anyOf", []) if "$ref" in s), None)
    return document["components"]["schemas"][reference.rsplit("/", 1)[1]] if reference else schema


def _comparable(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema without its title (FastAPI titles a parameter after its Python name, the tool after its field) and
    without a default of null, which a parameter's schema leaves out and means the same: the argument is optional.
    Numbers are compared exactly, as their JSON text: 9223372036854775807 is not 9.223372036854776e+18."""
    return {key: value for key, value in schema.items() if key != "title" and not (key == "default" and value is None)}


def _as_components(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's schema with its nested models referred to as the OpenAPI document refers to them."""
    return json.loads(json.dumps(schema).replace('"#/$defs/', '"#/components/schemas/'))  # type: ignore[no-any-return]


async def test_both_faces_take_the_same_arguments_with_the_same_schemas(http, served):
    document = exact((await http.get("/openapi.json")).text)
    async with mcp_client(served) as mcp:
        tools = {tool.name: tool for tool in (await mcp.list_tools()).tools}

    assert set(tools) == set(BY_NAME)
    for operation in OPERATIONS:
        route = document["paths"][operation.path][operation.method.lower()]
        over_http: dict[str, dict[str, Any]] = {}
        parameters: set[str] = set()
        required: set[str] = set()
        # The tutorial's query form of a decision is HTTP's alone: its body's fields, written another way.
        tutorial = set(operation.tutorial_query.model_fields) if operation.tutorial_query else set()
        for parameter in route.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in tutorial:
                continue
            if parameter["in"] == "header":
                if parameter["name"] == "Idempotency-Key":
                    over_http["idempotency_key"] = parameter["schema"]
                    parameters.add("idempotency_key")
                continue  # If-Match is HTTP's form of expected_version, which the body and the tool both take
            over_http[parameter["name"]] = parameter["schema"]
            parameters.add(parameter["name"])
            if parameter["required"]:
                required.add(parameter["name"])
        if "requestBody" in route:
            body = _resolved(document, route["requestBody"]["content"]["application/json"]["schema"])
            over_http.update(body["properties"])
            # A body the tutorial's form may stand for is optional over HTTP, and required without that form.
            if route["requestBody"].get("required") or tutorial:
                required.update(body.get("required", []))
        schema = tools[operation.name].input_schema

        assert set(schema["properties"]) == set(over_http), operation.name
        for name, expected in over_http.items():
            argument = _as_components(schema["properties"][name])
            if name in parameters:
                argument = _as_parameter(argument)
            assert _comparable(argument) == _comparable(expected), (operation.name, name)
        # The models nested in the arguments (a product's rules) are the same on both faces too.
        for nested, definition in _as_components(schema.get("$defs", {})).items():
            assert _comparable(definition) == _comparable(document["components"]["schemas"][nested]), nested
        assert set(schema.get("required", [])) == required, operation.name
        assert schema.get("additionalProperties") is False, operation.name


def _as_parameter(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's argument as the HTTP parameter it stands for: a parameter is absent where the argument may be null,
    so an optional one's schema is its value's."""
    options = schema.get("anyOf", [])
    values = [option for option in options if option != {"type": "null"}]
    if len(options) == 2 and len(values) == 1:
        return {**values[0], **{key: value for key, value in schema.items() if key != "anyOf"}}
    return schema


# The same problems -----------------------------------------------------------------------------------------------

NOT_AN_APPLICATION = 987654321

Arguments = dict[str, Any]
Setup = Callable[[httpx.AsyncClient], Awaitable[Arguments]]


async def _filed(http: httpx.AsyncClient, **fields: Any) -> int:
    application_id: int = (await apply(http, **fields))["application_id"]
    return application_id


async def _key_id(http: httpx.AsyncClient) -> int:
    made = await http.post("/keys", json={"actor": "intake-agent", "label": "for parity"})
    assert made.status_code == 201, made.text
    key_id: int = made.json()["key_id"]
    return key_id


_names = iter(range(10**6))


# One good call of each operation, made on a state of its own: what setting it up returns is the call's arguments.
GOOD: dict[str, Setup] = {
    "submit_application": lambda http: _arguments(
        applicant_name="Jane Doe",
        amount=Decimal("15000.5"),
        currency="EUR",
        term_months=36,
        idempotency_key=f"parity-{next(_names)}",
    ),
    "get_application": lambda http: _with_application(http),
    "decide_application": lambda http: _with_application(
        http,
        outcome="manual_review",
        reason="Bank statements to check",
        reason_codes=["unable_to_verify_income"],
        expected_version=1,
    ),
    "withdraw_application": lambda http: _with_application(http, reason="Found a better rate"),
    "list_applications": lambda http: _arguments(status="pending", limit=2),
    "get_application_audit": lambda http: _with_application(http),
    "wait_for_events": lambda http: _with_application(http, limit=10),
    "who_am_i": lambda http: _arguments(),
    "list_actors": lambda http: _arguments(),
    "create_actor": lambda http: _arguments(name=f"parity-{next(_names)}", kind="agent", role="reader"),
    "update_actor": lambda http: _with_actor(http, role="intake", idempotency_key="taken, not needed"),
    "list_api_keys": lambda http: _arguments(actor="intake-agent"),
    "create_api_key": lambda http: _arguments(actor="intake-agent", label="parity", expires_in_days=7),
    "revoke_api_key": lambda http: _with_key(http),
    "update_application": lambda http: _with_application(
        http, annual_income=Decimal("52000.50"), housing_status="own", purpose=None, expected_version=1
    ),
    "list_products": lambda http: _arguments(),
    "get_product": lambda http: _arguments(product_code="standard", version=1),
    "create_product": lambda http: _arguments(**_product(), idempotency_key=f"parity-{next(_names)}"),
    "update_product": lambda http: _with_product(http, max_amount="40000.00", rules=[], expected_version=1),
    "list_reason_codes": lambda http: _arguments(),
    "assess_application": lambda http: _with_application(http, idempotency_key=f"parity-{next(_names)}"),
    "review_queue": lambda http: _arguments(limit=5),
    "claim_review": lambda http: _in_status(http, "manual_review"),
    "confirm_decision": lambda http: _in_status(http, "pending_confirmation", confirm=True),
    "accept_offer": lambda http: _in_status(http, "approved"),
    "decline_offer": lambda http: _in_status(http, "approved", reason="Found a better rate"),
    "adverse_action_notice": lambda http: _in_status(http, "rejected"),
    "record_notice_sent": lambda http: _in_status(http, "rejected", channel="email"),
}


def _product() -> Arguments:
    """A product whose approvals above 1000 wait for a second person, and which needs no assessment."""
    return {
        "product_code": f"parity_{next(_names)}",
        "name": "Parity loan",
        "min_amount": 100,
        "max_amount": "50000.00",
        "min_term_months": 1,
        "max_term_months": 60,
        "rates": {"A": "5", "B": "6", "C": "7", "D": "8", "E": Decimal("9.5")},
        "agent_approval_limit": "1000.00",
        "requires_assessment": False,
        "rules": [
            {
                "measure": "credit_score",
                "comparison": ">=",
                "threshold": 600,
                "reason_code": "insufficient_credit_score",
                "on_failure": "reject",
            }
        ],
    }


async def _with_product(http: httpx.AsyncClient, **arguments: Any) -> Arguments:
    product = _product()
    made = await http.post("/products", content=json_text(product), headers={"Content-Type": "application/json"})
    assert made.status_code == 201, made.text
    return {"product_code": product["product_code"], **arguments}


async def _in_status(http: httpx.AsyncClient, status: str, **arguments: Any) -> Arguments:
    """An application brought to `status` by the usual steps, as the actors who take them."""
    code = (await _with_product(http))["product_code"]
    application_id = await _filed(http, product_code=code, amount=5000 if status == "pending_confirmation" else 500)
    underwriter = bearer("underwriter-1")
    outcome = {"manual_review": "manual_review", "rejected": "rejected"}.get(status, "approved")
    decision = {"outcome": outcome, "reason": "In a parity test"}
    if outcome == "rejected":
        decision["reason_codes"] = ["other"]
    decided = await http.post(f"/loans/{application_id}/decision", json=decision, headers=underwriter)
    assert decided.status_code == 201 and decided.json()["status"] == status, decided.text
    return {"application_id": application_id, **arguments}


async def _arguments(**arguments: Any) -> Arguments:
    return arguments


async def _with_application(http: httpx.AsyncClient, **arguments: Any) -> Arguments:
    return {"application_id": await _filed(http), **arguments}


async def _with_actor(http: httpx.AsyncClient, **arguments: Any) -> Arguments:
    name = f"parity-{next(_names)}"
    made = await http.post("/actors", json={"name": name, "kind": "agent", "role": "reader"})
    assert made.status_code == 201, made.text
    return {"name": name, **arguments}


async def _with_key(http: httpx.AsyncClient) -> Arguments:
    return {"key_id": await _key_id(http), "idempotency_key": "taken, not needed"}


def bad_shapes(operation: Operation, good: Arguments, schema: dict[str, Any]) -> list[tuple[str, Arguments]]:
    """Inputs the declaration's own models refuse, made from a good call: an unknown argument, each argument of
    the wrong type, each required one missing, and ids out of range."""
    cases = [("an unknown argument", {**good, "no_such_argument": 1})]
    for name, property_schema in schema["properties"].items():
        if name == "idempotency_key":
            continue  # a header over HTTP, which carries text only (the key's own rules are the function's)
        if name in operation.path_parameters:
            if property_schema.get("type") == "integer":
                cases += [(f"{name} {value}", {**good, name: value}) for value in ("0", "+1", "1_0", "1.0")]
            continue
        if operation.method == "GET":
            if _takes_any_string(property_schema):
                continue  # every query string value is some string
            cases.append((f"{name} not a value it takes", {**good, name: "x"}))
        else:
            cases.append((f"{name} of the wrong type", {**good, name: [[1]]}))
    for name in schema.get("required", []):
        if name not in operation.path_parameters:
            cases.append((f"{name} missing", {key: value for key, value in good.items() if key != name}))
    return cases


def _takes_any_string(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(option.get("type") == "string" and "enum" not in option for option in options)


async def bad_in_the_database(http: httpx.AsyncClient) -> list[tuple[str, str, Arguments, str]]:
    """Inputs of the right shape that the lending functions refuse: (operation, what, arguments, actor)."""
    decided = await _filed(http)
    assert (await http.post(f"/loans/{decided}/decision", json={"outcome": "approved", "reason": "ok"})).is_success
    pending = await _filed(http, applicant_external_ref="parity-known")
    reused = await http.post(
        "/loans/apply", json={"applicant_name": "A", "amount": 1}, headers={"Idempotency-Key": "parity-reused"}
    )
    assert reused.status_code == 201
    cases = [
        ("submit_application", "an amount of zero", {"applicant_name": "J", "amount": 0}),
        ("submit_application", "too many decimals", {"applicant_name": "J", "amount": Decimal("1.000000000000000001")}),
        (
            "submit_application",
            "a known applicant",
            {"applicant_name": "J", "amount": 1, "applicant_external_ref": "parity-known"},
        ),
        (
            "submit_application",
            "a reused key",
            {"applicant_name": "B", "amount": 2, "idempotency_key": "parity-reused"},
        ),
        ("get_application", "no such application", {"application_id": NOT_AN_APPLICATION}),
        ("get_application_audit", "no such application", {"application_id": NOT_AN_APPLICATION}),
        (
            "decide_application",
            "a final status",
            {"application_id": decided, "outcome": "rejected", "reason": "r", "reason_codes": ["other"]},
        ),
        (
            "decide_application",
            "a rejection without reasons",
            {"application_id": pending, "outcome": "rejected", "reason": "r"},
        ),
        (
            "decide_application",
            "a stale version",
            {"application_id": pending, "outcome": "approved", "reason": "r", "expected_version": 9},
        ),
        ("decide_application", "a blank reason", {"application_id": pending, "outcome": "approved", "reason": " "}),
        ("withdraw_application", "a final status", {"application_id": decided}),
        ("list_applications", "a page too long", {"limit": 101}),
        ("list_applications", "a cursor never given", {"after": "not a cursor"}),
        ("wait_for_events", "a cursor never given", {"after": "not a cursor"}),
        ("wait_for_events", "a cursor out of range", {"after": "99999999999999999999-1"}),
        ("update_actor", "no such actor", {"name": "nobody-here", "role": "reader"}),
        ("create_actor", "a name taken", {"name": "intake-agent", "kind": "agent", "role": "reader"}),
        ("create_actor", "a role that is none", {"name": "new-one", "kind": "agent", "role": "boss"}),
        ("create_api_key", "no such actor", {"actor": "nobody-here"}),
        ("create_api_key", "an idempotency key", {"actor": "intake-agent", "idempotency_key": "k"}),
        ("create_api_key", "an idempotency key and a bad body", {"actor": [1], "idempotency_key": "k"}),
        ("revoke_api_key", "no such key", {"key_id": 2**62}),
        ("get_product", "no such product", {"product_code": "no_such_product"}),
        ("get_product", "no such version", {"product_code": "standard", "version": 99}),
        ("create_product", "a code taken", {**_product(), "product_code": "standard"}),
        ("create_product", "bad terms", {**_product(), "min_amount": 0, "rates": {"A": 1}}),
        ("update_product", "a stale version", {"product_code": "standard", "name": "x", "expected_version": 9}),
        ("update_product", "no such product", {"product_code": "no_such_product", "name": "x"}),
        ("update_application", "a final status", {"application_id": decided, "annual_income": 1}),
        ("update_application", "a fact it cannot clear", {"application_id": pending, "amount": None}),
        ("update_application", "a stale version", {"application_id": pending, "term_months": 2, "expected_version": 9}),
        (
            "update_application",
            "facts out of range",
            {"application_id": pending, "credit_score": 1, "months_employed": -1},
        ),
        ("assess_application", "a final status", {"application_id": decided}),
        ("assess_application", "no such application", {"application_id": NOT_AN_APPLICATION}),
        ("review_queue", "a cursor never given", {"after": "not a cursor"}),
        ("claim_review", "no review", {"application_id": pending}),
        ("confirm_decision", "nothing to confirm", {"application_id": pending, "confirm": True}),
        ("confirm_decision", "a decline without reason", {"application_id": pending, "confirm": False}),
        ("accept_offer", "no offer", {"application_id": pending}),
        ("decline_offer", "no offer", {"application_id": pending, "reason": "r"}),
        ("adverse_action_notice", "no rejection", {"application_id": pending}),
        ("record_notice_sent", "no rejection", {"application_id": pending, "channel": "email"}),
    ]
    found = [(operation, what, arguments, "test-admin") for operation, what, arguments in cases]
    # A role without the operation: the reader may only read.
    for operation in OPERATIONS:
        if operation.writes:
            found.append((operation.name, "a role without it", await GOOD[operation.name](http), "test-reader"))
    return found


async def same_problem(http, raw: RawMcp, operation: Operation, arguments: Arguments, actor: str = "test-admin"):
    """Calls an operation with the same bad arguments on both faces; asserts the same problem comes back."""
    text = json_text(arguments)
    response = await over_http(http, operation, text, actor)
    assert response.headers["content-type"] == "application/problem+json", (response.status_code, response.text)
    over_mcp = await raw.call_tool(operation.name, text)
    assert over_mcp["isError"], over_mcp
    problem = json.loads(over_mcp["content"][0]["text"])
    assert problem["request_id"], problem
    assert without_request_id(problem) == without_request_id(in_tool_terms(response.json()))
    assert response.status_code == problem["status"]


async def test_both_faces_answer_the_same_problem_to_the_same_bad_input(http, served):
    async with mcp_client(served, "test-admin") as mcp:
        schemas = {tool.name: tool.input_schema for tool in (await mcp.list_tools()).tools}
    checked: set[str] = set()
    async with RawMcp(served, "test-admin") as admin, RawMcp(served, "test-reader") as reader:
        for operation in OPERATIONS:
            good = await GOOD[operation.name](http)
            for what, arguments in bad_shapes(operation, good, schemas[operation.name]):
                with case((operation.name, what)):
                    await same_problem(http, admin, operation, arguments)
                    checked.add(operation.name)
        for name, what, arguments, actor in await bad_in_the_database(http):
            with case((name, what)):
                await same_problem(http, reader if actor == "test-reader" else admin, BY_NAME[name], arguments, actor)

    assert checked == set(BY_NAME)


# The same results ------------------------------------------------------------------------------------------------

# What differs between two writes of the same arguments: the ids they made, when, and the secrets of new keys.
MADE_ANEW = {
    "application_id",
    "applicant_id",
    "decision_id",
    "key_id",
    "actor_id",
    "name",
    "api_key",
    "prefix",
    "request_id",
    "created_at",
    "updated_at",
    "decided_at",
    "expires_at",
    "revoked_at",
    "product_code",
    "assessment_id",
    "claim_id",
    "offer_id",
    "delivery_id",
    "assessed_at",
    "claimed_at",
    "confirmed_at",
    "offered_at",
    "sent_at",
    "occurred_at",
    "recorded_at",
    "cursor",
    "next_cursor",
    "row_hash",
}


def masked(document: Any) -> Any:
    if isinstance(document, dict):
        return {key: "…" if key in MADE_ANEW else masked(value) for key, value in document.items()}
    if isinstance(document, list):
        return [masked(item) for item in document]
    return document


async def test_both_faces_answer_the_same_result_to_the_same_good_input(http, served):
    async with mcp_client(served, "test-admin") as mcp:
        output_schemas = {tool.name: tool.output_schema for tool in (await mcp.list_tools()).tools}
    async with RawMcp(served, "test-admin") as raw:
        for operation in OPERATIONS:
            with case(operation.name):
                if operation.writes:
                    # Two states made alike, one for each face.
                    by_http, by_mcp = await GOOD[operation.name](http), await GOOD[operation.name](http)
                else:
                    by_http = by_mcp = await GOOD[operation.name](http)
                response = await over_http(http, operation, json_text(by_http), "test-admin")
                assert response.status_code == operation.status_code, response.text
                over_mcp = await raw.call_tool(operation.name, json_text(by_mcp))
                assert not over_mcp.get("isError"), over_mcp
                assert json.loads(over_mcp["content"][0]["text"]) == over_mcp["structuredContent"]
                # What the tool says it answers is what it answers (the SDK's client checks this too).
                jsonschema.validate(over_mcp["structuredContent"], output_schemas[operation.name])
                if operation.writes:
                    assert masked(over_mcp["structuredContent"]) == masked(response.json())
                else:
                    assert over_mcp["structuredContent"] == response.json()


async def test_amounts_are_exact_as_json_numbers_and_decimal_strings_on_both_faces(http, served):
    async with RawMcp(served, "test-admin") as raw:
        # The refusals, an exponent among them, are tests/api/test_money.py's.
        for amount in ("15000.5", '"15000.5"', "15000.50", "15000.500000000000000000000000000000000001"):
            with case(amount):
                arguments = f'{{"applicant_name": "Jane Doe", "amount": {amount}}}'
                over_mcp = await raw.call_tool("submit_application", arguments)
                response = await over_http(http, BY_NAME["submit_application"], arguments, "test-admin")
                if len(amount) > 10:  # not rounded to a float's 15000.5 on either face
                    assert over_mcp["isError"] and response.status_code == 422
                    continue
                assert response.json()["amount"] == over_mcp["structuredContent"]["amount"] == "15000.50"


def test_every_argument_is_a_parameter_of_the_function_it_is_passed_to(postgresql: psycopg.Connection) -> None:
    """The declared inputs are named as the function's parameters (a misnamed optional field would fail only when a
    client first sent it); `actor` and `request_id` are the faces' own."""
    for operation in OPERATIONS:
        row = postgresql.execute(
            "select proargnames from pg_proc where oid = (select %s::regproc)", [operation.function]
        ).fetchone()
        assert row is not None, operation.function
        fields = [
            name for model in (operation.query, operation.body) if model is not None for name in model.model_fields
        ]
        if operation.body_as is not None:  # a merge patch's fields are one argument; expected_version stays apart
            fields = [operation.body_as, *({"expected_version"} & set(fields))]
        passed = {*operation.path_parameters, *fields} - ({"wait"} if operation.perform else set())
        if operation.writes and operation.idempotency == "key":
            passed.add("idempotency_key")
        with case(operation.name):
            assert passed <= set(row[0]) - {"actor", "request_id"}


async def test_booleans_are_json_booleans_on_both_faces(http, served):
    """What deactivates an actor is true or false, never 0, 1 or a word: each is refused alike on both faces, and
    the actor stays as it was."""
    arguments = await _with_actor(http)
    async with RawMcp(served, "test-admin") as raw:
        for value in (0, 1, "no", "off", "yes", "false", 0.0):
            with case(value):
                await same_problem(http, raw, BY_NAME["update_actor"], {**arguments, "active": value})
                actor = (await http.get("/actors")).json()["items"]
                assert {"name": arguments["name"], "active": True} in [
                    {"name": a["name"], "active": a["active"]} for a in actor
                ]


async def test_a_body_that_is_not_an_object_is_refused_by_every_write(http):
    """A tool's arguments are an object by the protocol; over HTTP a body is whatever JSON was sent, and a bare
    number with a fraction (read exactly, as a Decimal) once passed for an empty body."""
    for operation in OPERATIONS:
        if operation.body is None:
            continue
        path = operation.path.format(**{name: 1 for name in operation.path_parameters})
        for body in ("0.5", "3.394302630369365e+16", "1E2", "7", "true", '"x"', "[]"):
            with case((operation.name, body)):
                response = await http.request(
                    operation.method, path, content=body, headers={"Content-Type": "application/json"}
                )
                assert_problem(response, 422, "validation_failed")
