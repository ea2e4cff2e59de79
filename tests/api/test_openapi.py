"""The OpenAPI document is what agents read to drive the API: every operation named, summarised and exemplified."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import jsonschema
import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from lendgres.app import OPERATIONS
from tests.api.support import apply, assert_problem, case
from tests.conftest import bearer

# Marked at collection: conftest adds the anyio mark only after it, and anyio then rebuilds the items without
# their @pytest.mark.parametrize parameters.
pytestmark = pytest.mark.anyio

FRAMEWORK_PATHS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")

EXPECTED_OPERATIONS = {
    ("post", "/loans/apply"): "submit_application",
    ("get", "/loans/{application_id}"): "get_application",
    ("post", "/loans/{application_id}/decision"): "decide_application",
    ("post", "/loans/{application_id}/withdraw"): "withdraw_application",
    ("get", "/loans"): "list_applications",
    ("get", "/loans/{application_id}/audit"): "get_application_audit",
    ("patch", "/loans/{application_id}"): "update_application",
    ("get", "/products"): "list_products",
    ("get", "/products/{product_code}"): "get_product",
    ("post", "/products"): "create_product",
    ("patch", "/products/{product_code}"): "update_product",
    ("get", "/reason-codes"): "list_reason_codes",
    ("post", "/loans/{application_id}/assessment"): "assess_application",
    ("get", "/reviews"): "review_queue",
    ("post", "/loans/{application_id}/claim"): "claim_review",
    ("post", "/loans/{application_id}/confirmation"): "confirm_decision",
    ("post", "/loans/{application_id}/offer/accept"): "accept_offer",
    ("post", "/loans/{application_id}/offer/decline"): "decline_offer",
    ("get", "/loans/{application_id}/notice"): "adverse_action_notice",
    ("post", "/loans/{application_id}/notice/deliveries"): "record_notice_sent",
    ("get", "/events"): "wait_for_events",
    ("get", "/me"): "who_am_i",
    ("get", "/actors"): "list_actors",
    ("post", "/actors"): "create_actor",
    ("patch", "/actors/{name}"): "update_actor",
    ("get", "/keys"): "list_api_keys",
    ("post", "/keys"): "create_api_key",
    ("post", "/keys/{key_id}/revoke"): "revoke_api_key",
    ("get", "/healthz"): "check_liveness",
    ("get", "/readyz"): "check_readiness",
}


# The models of request bodies, by the name the document gives them.
BODIES = {operation.body.__name__: operation.body for operation in OPERATIONS if operation.body is not None}


def served_routes(app):
    """(method, path) of every route the app serves, through included routers, bar the framework's own pages."""
    found = set()

    def walk(routes):
        for route in routes:
            # Included routers show up as a wrapper (FastAPI >= 0.16x keeps the router in `original_router`).
            for holder in (route, getattr(route, "router", None), getattr(route, "original_router", None)):
                nested = getattr(holder, "routes", None)
                if nested and holder is not None:
                    walk(nested)
                    break
            methods = getattr(route, "methods", None)
            path = getattr(route, "path", None)
            if methods and path and path not in FRAMEWORK_PATHS:
                found.update((method.lower(), path) for method in methods if method.lower() in HTTP_METHODS)

    walk(app.routes)
    return found


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def body_schemas(document, operation):
    """The component schemas a request body may take (through $ref and anyOf with null)."""
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    options = schema.get("anyOf", [schema])
    refs = [option["$ref"] for option in options if "$ref" in option]
    assert refs, f"request body of {operation['operationId']} is not a named model: {schema}"
    return [document["components"]["schemas"][ref.rsplit("/", 1)[1]] for ref in refs]


async def openapi(http):
    response = await http.get("/openapi.json")
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_route_is_documented_with_an_operation_id_and_summary(http, app):
    document = await openapi(http)

    documented = {(method, path) for method, path, _ in operations(document)}
    assert documented == set(EXPECTED_OPERATIONS)
    served = served_routes(app)
    assert len(served) >= len(EXPECTED_OPERATIONS)
    assert served - {("head", path) for _, path in documented} == documented
    for method, path, operation in operations(document):
        assert operation.get("operationId") == EXPECTED_OPERATIONS[(method, path)], (method, path)
        assert isinstance(operation.get("summary"), str) and len(operation["summary"]) >= 10, (method, path)


async def test_every_path_parameter_is_documented_once_with_its_type(http):
    """Every path parameter is declared, once, typed, with its range in JSON Schema's words (minimum, maximum)."""
    document = await openapi(http)

    for method, path, operation in operations(document):
        in_path = [p for p in operation.get("parameters", []) if p["in"] == "path"]
        assert [p["name"] for p in in_path] == re.findall(r"{(\w+)}", path), (method, path)
        for parameter in in_path:
            assert parameter["required"] is True and parameter["schema"].get("type") in ("integer", "string")
    for path, method in [
        ("/loans/{application_id}", "get"),
        ("/loans/{application_id}/audit", "get"),
        ("/loans/{application_id}/decision", "post"),
        ("/loans/{application_id}/withdraw", "post"),
        ("/keys/{key_id}/revoke", "post"),
    ]:
        [schema] = [p["schema"] for p in document["paths"][path][method]["parameters"] if p["in"] == "path"]
        assert (schema["minimum"], schema["maximum"]) == (1, 2**63 - 1), path
        assert "ge" not in schema and "le" not in schema, path


async def test_operation_ids_are_unique_and_snake_case(http):
    document = await openapi(http)

    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))
    assert all(SNAKE_CASE.match(operation_id) for operation_id in ids), ids


async def test_request_bodies_carry_valid_examples(http):
    document = await openapi(http)

    bodied = [(method, path, op) for method, path, op in operations(document) if "requestBody" in op]
    assert {op["operationId"] for _, _, op in bodied} == {
        "submit_application",
        "update_application",
        "decide_application",
        "withdraw_application",
        "create_product",
        "update_product",
        "assess_application",
        "claim_review",
        "confirm_decision",
        "accept_offer",
        "decline_offer",
        "record_notice_sent",
        "create_actor",
        "update_actor",
        "create_api_key",
        "revoke_api_key",
    }
    for _, _, operation in bodied:
        for schema in body_schemas(document, operation):
            examples = schema.get("examples")
            assert isinstance(examples, list) and examples, f"{operation['operationId']}: no examples"
            model: type[BaseModel] = BODIES[schema["title"]]
            for example in examples:
                model.model_validate(example)  # every example is a request the API accepts in shape


async def test_request_body_examples_work_in_order_on_a_fresh_database(http):
    """Every example of every body, sent as documented in the order given, succeeds on a database that holds
    nothing yet but actors: examples name only what the examples before them made."""
    document = await openapi(http)

    def body_examples(path, method):
        return body_schemas(document, document["paths"][path][method])[0]["examples"]

    async def filed():
        created = await http.post("/loans/apply", json=body_examples("/loans/apply", "post")[0])
        assert created.status_code == 201, created.text
        return created.json()["application_id"]

    sent = []
    for example in body_examples("/loans/apply", "post"):
        sent.append(("/loans/apply", await http.post("/loans/apply", json=example)))
    for path in ("/loans/{application_id}/decision", "/loans/{application_id}/withdraw"):
        for example in body_examples(path, "post"):
            sent.append((path, await http.post(path.format(application_id=await filed()), json=example)))
    for example in body_examples("/actors", "post"):
        sent.append(("/actors", await http.post("/actors", json=example)))
    actor = body_examples("/actors", "post")[0]["name"]
    for example in body_examples("/actors/{name}", "patch"):
        sent.append(("/actors/{name}", await http.patch(f"/actors/{actor}", json=example)))
    await http.patch(f"/actors/{actor}", json={"active": True})
    for example in body_examples("/keys", "post"):
        sent.append(("/keys", await http.post("/keys", json=example)))
    key_id = sent[-1][1].json()["key_id"]
    for example in body_examples("/keys/{key_id}/revoke", "post"):
        sent.append(("/keys/{key_id}/revoke", await http.post(f"/keys/{key_id}/revoke", json=example)))

    # Underwriting: a product first (the products' examples, in order), then applications under it.
    for example in body_examples("/products", "post"):
        sent.append(("/products", await http.post("/products", json=example)))
    product = body_examples("/products", "post")[0]["product_code"]
    for example in body_examples("/products/{product_code}", "patch"):
        sent.append(("/products/{product_code}", await http.patch(f"/products/{product}", json=example)))
    patched = await filed()
    for example in body_examples("/loans/{application_id}", "patch"):
        sent.append(("/loans/{application_id}", await http.patch(f"/loans/{patched}", json=example)))

    async def in_status(status, amount):
        """An application under the product, assessed and decided as underwriter-1 (an agent)."""
        body = {**body_examples("/loans/apply", "post")[-1], "product_code": product, "amount": amount}
        created = await http.post("/loans/apply", json=body)
        assert created.status_code == 201, created.text
        application_id = created.json()["application_id"]
        underwriter = bearer("underwriter-1")
        assessed = await http.post(f"/loans/{application_id}/assessment", json={}, headers=underwriter)
        assert assessed.json()["recommendation"] == "approve", assessed.text
        outcome = {"manual_review": "manual_review", "rejected": "rejected"}.get(status, "approved")
        decision = {**body_examples("/loans/{application_id}/decision", "post")[2], "outcome": outcome}
        decision.update({"override_reason": "For the example"} if outcome != "approved" else {"reason_codes": []})
        decided = await http.post(f"/loans/{application_id}/decision", json=decision, headers=underwriter)
        assert decided.json()["status"] == status, decided.text
        return application_id

    for example in body_examples("/loans/{application_id}/assessment", "post"):
        path = f"/loans/{await filed()}/assessment"
        sent.append(("/loans/{application_id}/assessment", await http.post(path, json=example)))
    for example in body_examples("/loans/{application_id}/claim", "post"):
        path = f"/loans/{await in_status('manual_review', '12000.00')}/claim"
        sent.append(("/loans/{application_id}/claim", await http.post(path, json=example)))
    for example in body_examples("/loans/{application_id}/confirmation", "post"):
        path = f"/loans/{await in_status('pending_confirmation', '30000.00')}/confirmation"
        sent.append(("/loans/{application_id}/confirmation", await http.post(path, json=example)))
    for answer in ("accept", "decline"):
        for example in body_examples(f"/loans/{{application_id}}/offer/{answer}", "post"):
            path = f"/loans/{await in_status('approved', '12000.00')}/offer/{answer}"
            sent.append((path, await http.post(path, json=example)))
    for example in body_examples("/loans/{application_id}/notice/deliveries", "post"):
        path = f"/loans/{await in_status('rejected', '12000.00')}/notice/deliveries"
        sent.append(("/loans/{application_id}/notice/deliveries", await http.post(path, json=example)))

    assert len(sent) >= 25
    for path, response in sent:
        assert response.status_code in (200, 201), (path, response.request.content, response.text)


async def test_every_schema_has_examples_that_it_validates(http):
    document = await openapi(http)

    for name, schema in document["components"]["schemas"].items():
        examples = schema.get("examples")
        assert examples, f"{name}: no example"
        validator = jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{name}", **document})
        for example in examples:
            validator.validate(example)


async def test_closed_sets_are_enums(http):
    document = await openapi(http)
    schemas = document["components"]["schemas"]

    def enum(schema):
        options = schema.get("anyOf", [schema])
        [values] = [option["enum"] for option in options if "enum" in option]
        return set(values)

    statuses = {
        "pending",
        "manual_review",
        "pending_confirmation",
        "approved",
        "rejected",
        "withdrawn",
        "offer_accepted",
        "offer_declined",
        "offer_expired",
    }
    outcomes = {"approved", "rejected", "manual_review"}
    events = {
        f"application.{name}"
        for name in ("filed", "updated", "assessed", "decided", "review_claimed", "decision_confirmed",
                     "decision_declined", "offer_accepted", "offer_declined", "offer_expired", "notice_sent",
                     "withdrawn")
    }  # fmt: skip
    roles = {"reader", "intake", "underwriter", "reviewer", "servicer", "admin"}
    assert enum(schemas["DecisionRequest"]["properties"]["outcome"]) == outcomes
    assert enum(schemas["Decision"]["properties"]["outcome"]) == outcomes
    assert enum(schemas["Application"]["properties"]["status"]) == statuses
    assert enum(schemas["Application"]["properties"]["next_statuses"]["items"]) == statuses
    assert enum(schemas["Event"]["properties"]["event_type"]) == events
    assert enum(schemas["Actor"]["properties"]["role"]) == enum(schemas["Me"]["properties"]["role"]) == roles
    assert enum(schemas["ApiKey"]["properties"]["state"]) == {"active", "expired", "revoked"}
    query = {
        (path, parameter["name"]): parameter["schema"]
        for path in ("/loans", "/events")
        for parameter in document["paths"][path]["get"]["parameters"]
    }
    assert enum(query[("/loans", "status")]) == statuses
    assert enum(query[("/events", "type")]) == events


# Ranges the lending functions check, as the document states them: (method, path, where, field).
RANGES = [
    ("get", "/loans", "query", "limit", (1, 100)),
    ("get", "/events", "query", "limit", (1, 1000)),
    ("post", "/keys", "body", "expires_in_days", (1, 3650)),
    ("post", "/loans/apply", "body", "term_months", (1, 480)),
]


async def test_documented_ranges_are_what_the_server_accepts(http):
    """Each range is in the schema (not only in words), and its bounds are the server's: the bounds are accepted,
    one past them refused."""
    document = await openapi(http)

    for method, path, where, field, (low, high) in RANGES:
        operation = document["paths"][path][method]
        if where == "query":
            [schema] = [p["schema"] for p in operation["parameters"] if p["name"] == field]
        else:
            schema = body_schemas(document, operation)[0]["properties"][field]
            schema = schema.get("anyOf", [schema])[0]
        with case(field):
            assert (schema["minimum"], schema["maximum"]) == (low, high), path
        for value, accepted in ((low - 1, False), (low, True), (high, True), (high + 1, False)):
            with case((path, field, value)):
                if where == "query":
                    response = await http.get(path, params={field: value})
                else:
                    base = {"actor": "intake-agent"} if path == "/keys" else {"applicant_name": "J", "amount": 1}
                    response = await http.post(path, json={**base, field: value})
                assert response.is_success is accepted, response.text
                if not accepted:
                    assert_problem(response, 422, "validation_failed")


async def test_if_match_and_etag_say_their_form(http):
    document = await openapi(http)
    withdraw = document["paths"]["/loans/{application_id}/withdraw"]["post"]
    [if_match] = [p["schema"] for p in withdraw["parameters"] if p["name"] == "If-Match"]
    etag = document["paths"]["/loans/{application_id}"]["get"]["responses"]["200"]["headers"]["ETag"]["schema"]
    application = await apply(http)

    got = await http.get(f"/loans/{application['application_id']}")
    assert re.fullmatch(etag["pattern"], got.headers["ETag"])
    assert if_match["type"] == "string"  # a header is text or absent, never null
    for value in ('"1"', "*", ' "1" '):
        assert re.search(if_match["pattern"], value), value
    for value, status, code in [
        ("1", 422, "validation_failed"),
        ('"x"', 422, "validation_failed"),
        ('"1', 422, "validation_failed"),
        ("latest", 422, "validation_failed"),
        ('W/"1"', 412, "version_conflict"),  # a weak ETag never matches
    ]:
        assert not re.search(if_match["pattern"], value), value
        refused = await http.post(f"/loans/{application['application_id']}/withdraw", headers={"If-Match": value})
        assert_problem(refused, status, code)


async def test_every_loans_operation_documents_its_result_with_an_example_and_its_problems(http):
    document = (await http.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    for (method, path), operation_id in EXPECTED_OPERATIONS.items():
        if not path.startswith(("/loans", "/events")):
            continue
        operation = document["paths"][path][method]
        success = next(status for status in operation["responses"] if status.startswith("2"))
        reference = operation["responses"][success]["content"]["application/json"]["schema"]["$ref"]
        assert schemas[reference.rsplit("/", 1)[1]].get("examples"), f"{operation_id}: result without examples"
        problems = {status for status in operation["responses"] if not status.startswith("2")}
        assert "503" in problems, operation_id
        for status in problems - {"503"}:
            content = operation["responses"][status]["content"]
            assert "application/problem+json" in content, (operation_id, status)
    assert schemas["ProblemDetails"]["examples"]
    assert "404" not in document["paths"]["/loans/apply"]["post"]["responses"]


async def test_every_route_shows_an_example_of_its_answer(http):
    document = (await http.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    for (method, path), operation_id in EXPECTED_OPERATIONS.items():
        responses = document["paths"][path][method]["responses"]
        success = next(status for status in responses if status.startswith("2"))
        content = responses[success]["content"]["application/json"]
        reference = content.get("schema", {}).get("$ref")
        example = content.get("example") or (
            schemas[reference.rsplit("/", 1)[1]].get("examples") if reference else None
        )
        assert example, f"{operation_id}: no example of its answer"


async def test_the_document_is_valid_openapi(http):
    validate(await openapi(http))  # openapi-spec-validator: the OpenAPI 3.1 schema, references resolved


async def test_every_problem_response_documents_the_problem_schema(http):
    """Problems are sent as application/problem+json: that is where their schema is, and nothing claims JSON."""
    document = await openapi(http)

    problem_responses = 0
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert set(response["content"]) == {"application/problem+json"}, (method, path, status)
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ProblemDetails"}, (method, path, status)
                problem_responses += 1
    assert problem_responses > 3 * len(EXPECTED_OPERATIONS)


def integer_schemas(node):
    if isinstance(node, dict):
        if node.get("type") == "integer":
            yield node
        for value in node.values():
            yield from integer_schemas(value)
    elif isinstance(node, list):
        for item in node:
            yield from integer_schemas(item)


async def test_integer_bounds_are_exact_integers(http):
    """Ids run from 1 to 2**63 - 1 exactly, in bodies as in paths (a float would say 2**63)."""
    response = await http.get("/openapi.json")
    document = json.loads(response.text, parse_float=Decimal)

    bounds = [
        schema[bound] for schema in integer_schemas(document) for bound in ("minimum", "maximum") if bound in schema
    ]
    assert bounds and all(type(bound) is int for bound in bounds), bounds
    applicant_id = document["components"]["schemas"]["ApplyRequest"]["properties"]["applicant_id"]["anyOf"][0]
    assert (applicant_id["minimum"], applicant_id["maximum"]) == (1, 2**63 - 1)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_documentation_pages_load_nothing_from_another_host(http, page):
    response = await http.get(page, headers={})

    assert response.status_code == 200
    sources = re.findall(r'(?:src|href|spec-url)\s*=\s*["\']([^"\']+)', response.text)
    sources += re.findall(r"url:\s*'([^']+)'", response.text)
    assert sources and all(source.startswith("/") for source in sources), sources
    for source in sources:
        assert (await http.get(source, headers={})).status_code == 200, source


# Free text with a length the lending functions check: (path, field, the text of a given length that they accept).
TEXTS = [
    ("/loans/apply", "applicant_name", lambda n: "J" * n),
    ("/loans/apply", "applicant_email", lambda n: "j" * (n - 12) + "@example.com"),
    ("/loans/apply", "applicant_external_ref", lambda n: "r" * n),
    ("/loans/apply", "purpose", lambda n: "p" * n),
    ("/loans/apply", "external_ref", lambda n: "e" * n),
    ("/loans/{application_id}/decision", "reason", lambda n: "r" * n),
    ("/loans/{application_id}/withdraw", "reason", lambda n: "r" * n),
    ("/keys", "label", lambda n: "l" * n),
]


async def send(http, path, field, value):
    """The operation at `path` with a well-formed body in which `field` is `value`."""
    if "{application_id}" in path:
        path = path.format(application_id=(await apply(http))["application_id"])
        base = {"outcome": "manual_review", "reason": "r"} if path.endswith("decision") else {}
    elif path == "/keys":
        base = {"actor": "intake-agent"}
    elif path == "/actors":
        base = {"name": "someone", "kind": "agent", "role": "reader"}
    else:
        base = {"applicant_name": "J", "amount": 1}
    return await http.post(path, json={**base, field: value})


def body_property(document, path, field):
    operation = document["paths"][path]["post"]
    schema = body_schemas(document, operation)[0]["properties"][field]
    return schema.get("anyOf", [schema])[0]


async def test_documented_lengths_are_what_the_server_accepts(http):
    document = await openapi(http)

    for path, field, text in TEXTS:
        schema = body_property(document, path, field)
        with case((path, field)):
            assert schema["minLength"] == 1
            assert (await send(http, path, field, text(schema["maxLength"]))).is_success
            refused = await send(http, path, field, text(schema["maxLength"] + 1))
            problem = assert_problem(refused, 422, "validation_failed")
            assert [error["field"] for error in problem["errors"]] == [field]
            assert_problem(await send(http, path, field, ""), 422, "validation_failed")


async def test_documented_forms_are_what_the_server_accepts(http):
    """Each pattern in the schema takes what the server takes: samples on both sides of it, sent."""
    document = await openapi(http)
    samples = {
        ("/actors", "name"): ["bot-1", "a.b_c@d", "x" * 100, "-bot", "bot 1", "é", "x" * 101],
        ("/keys", "actor"): ["intake-agent", "intake agent", "_intake"],
        ("/loans/apply", "applicant_phone"): ["+1 555 010 0199", "(555) 010-0199", "555", "+1 555 010 019x", "1234"],
    }
    for (path, field), values in samples.items():
        pattern = body_property(document, path, field)["pattern"]
        for value in values:
            with case((path, field, value)):
                response = await send(http, path, field, value)
                refused_for_form = response.status_code == 422 and field in response.text
                assert refused_for_form is not bool(re.search(pattern, value)), response.text
    # Reason codes are the database's vocabulary, listed whole in the schema.
    codes = document["components"]["schemas"]["DecisionRequest"]["properties"]["reason_codes"]["anyOf"][0]
    vocabulary = [item["code"] for item in (await http.get("/reason-codes")).json()["items"]]
    assert set(codes["items"]["enum"]) == set(vocabulary) and codes["maxItems"] == 4
    for code in ("excessive_obligations", "other", "DTI_OK", "Other", "excessive obligations"):
        with case(code):
            response = await send(http, "/loans/{application_id}/decision", "reason_codes", [code])
            assert response.is_success is (code in vocabulary), response.text
    assert (await send(http, "/loans/{application_id}/decision", "reason_codes", vocabulary[:4])).is_success
    refused = await send(http, "/loans/{application_id}/decision", "reason_codes", vocabulary[:5])
    assert_problem(refused, 422, "validation_failed")


async def test_the_description_names_only_what_exists(http, postgresql):
    """What the document's description names (operations, problem codes, headers, pages) is there."""
    document = await openapi(http)
    description = document["info"]["description"]

    named = re.findall(r"`(GET|POST|PATCH) (/\S*)`", description)
    assert named and all(method.lower() in document["paths"][path] for method, path in named), named
    codes = {row[0] for row in postgresql.execute("select code from lending_private.error_code")}
    named_codes = re.findall(r"\(`([a-z_]+)`\)", description)
    assert named_codes and set(named_codes) <= codes, named_codes
    for page in ("/docs", "/redoc", "/healthz", "/readyz"):
        assert (await http.get(page, headers={})).status_code == 200, page
    written = await http.post(
        "/loans/apply", json={"applicant_name": "J", "amount": 1}, headers={"Idempotency-Key": "d"}
    )
    headers = re.findall(r"`([A-Z][A-Za-z]*(?:-[A-Z][A-Za-z]+)+)", description)
    assert set(headers) == {"Idempotency-Key", "Idempotent-Replayed", "X-Request-Id"}
    assert {"idempotent-replayed", "x-request-id"} <= set(written.headers)
