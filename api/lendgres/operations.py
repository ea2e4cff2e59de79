"""Operations, each declared once: the lending function it calls, what it takes and what it answers, and how it is
reached over HTTP and as an MCP tool.

An operation is the unit of the API. Its declaration (an `Operation`, in the package of its domain) is read in
two places: `http_route` makes its FastAPI route, and mcp_server.py its MCP tool. Both validate with the same
models, call the function the same way through `run`, as the caller's actor, and answer failures with the same
problem documents; so an agent gets the same inputs, errors and permissions whichever face it uses. To add an
operation, declare it beside its domain's others and list it in that domain's OPERATIONS.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Body, Header, Path, Query, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, create_model
from starlette.responses import Response

from . import db, errors
from .auth import acting_actor
from .errors import Problem
from .http import JSON
from .models import ProblemDetails, Text

# How a write treats an Idempotency-Key (the MCP tools' idempotency_key argument):
#   "key"        it is passed to the function, which replays the first answer to a retry with the same key and body;
#   "repeatable" it is taken and not needed: repeating the write changes nothing more;
#   "refused"    it is refused with a 422: a replay could not be honest (a new API key's secret is shown once).
# A read takes none.
Idempotency = Literal["key", "repeatable", "refused"]

# Names an operation's inputs may not take: what the endpoint and the function are given besides them.
RESERVED = {"actor", "request_id", "idempotency_key", "request", "database", "query", "body", "tutorial", "if_match"}


@dataclass(frozen=True)
class Caller:
    """What an operation is run for, whichever face it came through: the database, the acting actor, the request
    id, and the request itself (for what only some operations need, such as the events listener)."""

    request: Request
    database: db.Database
    actor: str
    request_id: str


@dataclass(frozen=True)
class Answer:
    """What an operation answered: the status and the JSON text of the document, and whether it was a replay."""

    status: int
    body: str
    replayed: bool | None = None  # for writes: whether an idempotency key replayed an earlier answer
    parsed: Any = None  # the document, when `run` parsed it already (a write's, out of its envelope)

    def document(self) -> Any:
        return self.parsed if self.parsed is not None else json.loads(self.body)


@dataclass(frozen=True)
class Operation:
    """One operation of the API. See the module's docstring."""

    name: str  # the MCP tool's name and the route's operationId
    summary: str  # one line, for the OpenAPI summary
    description: str  # when to use it, written for a model choosing among tools; also the route's description
    function: str  # the lending function it calls: once per request, unless `perform` says otherwise
    method: Literal["GET", "POST", "PATCH"]
    path: str
    result: type[BaseModel]  # documents the answer: the route's response model, the tool's output schema
    tag: str
    # What it takes. Path parameters by name, with their types; then a query (GET) or a JSON body (POST, PATCH).
    path_parameters: Mapping[str, Any] = field(default_factory=dict)
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_optional: bool = False
    # The body as one jsonb argument of this name rather than an argument per field: a JSON merge patch (RFC 7396),
    # whose fields given are passed as given, null included (it clears), and whose fields absent stay absent (they
    # keep). expected_version is no change but the precondition, and is passed apart as ever.
    body_as: str | None = None
    json_arguments: tuple[str, ...] = ()  # arguments the function takes as jsonb, passed as JSON text
    # HTTP only: the tutorial's query form, which stands in for the body (see TutorialDecision).
    tutorial_query: type[BaseModel] | None = None
    writes: bool = False  # passes the request id, and the function answers an envelope {status, body, replayed}
    idempotency: Idempotency = "repeatable"  # for writes
    destructive: bool = False  # it changes or ends what exists, rather than only adding (the tool's hint)
    if_match: bool = False  # If-Match carries expected_version, as an ETag
    etag: bool = False  # the answer's ETag is the document's version
    location: str | None = None  # Location of what a 201 made, filled from the answer: "/loans/{application_id}"
    status_code: int = 200
    problems: tuple[int, ...] = ()  # the problem statuses it answers besides 401, 403, 422 and 503
    # Instead of one call of `function`: given the caller, the function and the arguments (the events feed calls it
    # again after waiting for a change).
    perform: Callable[[Caller, str, dict[str, Any]], Awaitable[str]] | None = None

    def __post_init__(self) -> None:
        if set(re.findall(r"{(\w+)}", self.path)) != set(self.path_parameters):
            raise ValueError(f"{self.name}: its path parameters are not those its path names")
        if (self.query is not None) != (self.method == "GET") or (self.body is not None) == (self.method == "GET"):
            raise ValueError(f"{self.name}: a GET takes a query, a POST or PATCH a body")
        fields = [name for model in (self.query, self.body) if model is not None for name in model.model_fields]
        names = [*self.path_parameters, *fields]
        if len(set(names)) != len(names) or RESERVED & set(names):
            raise ValueError(f"{self.name}: its inputs' names must differ from each other and from {sorted(RESERVED)}")
        if self.body_as is not None and (self.body is None or self.body_as in names or self.body_as in RESERVED):
            raise ValueError(f"{self.name}: body_as names the argument a body is passed as, apart from the others")

    @functools.cached_property
    def path_validators(self) -> dict[str, TypeAdapter[Any]]:
        """The path parameters' validators, for the MCP tool's arguments (made once: making one costs more than a
        request's own Python)."""
        return {name: TypeAdapter(annotation) for name, annotation in self.path_parameters.items()}


async def run(operation: Operation, caller: Caller, arguments: dict[str, Any]) -> Answer:
    """Runs an operation with validated arguments (named as the function's parameters) for a caller."""
    if operation.perform is not None:
        return Answer(operation.status_code, await operation.perform(caller, operation.function, arguments))
    if operation.writes:
        arguments = {**arguments, "request_id": caller.request_id}
    result = await db.call(caller.database, operation.function, **arguments, actor=caller.actor)
    if not operation.writes:
        return Answer(operation.status_code, result)
    envelope = json.loads(result)
    if "problem" in envelope:
        # A refusal the function committed something for (an offer accepted too late is marked expired), so it
        # answers rather than raises: the same problem as a raised one, on either face, and a write's answer still
        # says whether it was a replay.
        problem = Problem.from_document(envelope["status"], envelope["problem"])
        problem.headers["Idempotent-Replayed"] = "true" if envelope.get("replayed") else "false"
        raise problem
    body = envelope["body"]
    return Answer(envelope["status"], json.dumps(body), bool(envelope.get("replayed")), body)


def arguments_of(
    operation: Operation,
    path: Mapping[str, Any],
    given: BaseModel | None,
    idempotency_key: str | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """The function's arguments from an operation's validated inputs: its path parameters, its query or body (by
    field name, which is the function's parameter name), and the key and version a face carries apart."""
    if operation.body_as is not None and given is not None:
        changes = given.model_dump(exclude_unset=True)
        given_version = changes.pop("expected_version", None)
        expected_version = expected_version if expected_version is not None else given_version
        arguments = {**path, operation.body_as: json_text(changes)}
    else:
        arguments = {**path, **(given.model_dump() if given is not None else {})}
    for name in operation.json_arguments:
        if arguments.get(name) is not None:
            arguments[name] = json_text(arguments[name])
    if operation.writes and operation.idempotency == "key":
        arguments["idempotency_key"] = idempotency_key
    if expected_version is not None:
        arguments["expected_version"] = expected_version
    return arguments


def json_text(value: Any) -> str:
    """JSON text of validated input for a jsonb argument: numbers exact (a Decimal is written as the number it is,
    without an exponent, where json.dumps would refuse it or a float round it), dates as ISO 8601 text."""
    if isinstance(value, Decimal):
        # NaN and Infinity are no JSON numbers: as text, the function refuses them in its own words.
        return format(value, "f") if value.is_finite() else json.dumps(str(value))
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(key))}: {json_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(json_text(item) for item in value) + "]"
    return json.dumps(value)


# The HTTP face --------------------------------------------------------------------------------------------------

# What an idempotency key means to an operation, by how it treats one.
IDEMPOTENCY_KEY = {
    "key": "Retry-safe key: a repeat with the same arguments replays the first answer and writes nothing; reusing it "
    "for other arguments is refused. Kept 24 hours.",
    "repeatable": "Taken and not needed: repeating this call changes nothing more, so a retry is safe without one.",
}
# An ETag names an application's version; If-Match takes one, or *. The pattern is in the schema only: _ETAG checks
# the header, so that a bad one is the same problem as ever. (A weak ETag is refused with a 412: it never matches.)
ETAG = r'^"[0-9]+"$'
IF_MATCH = r'^[ \t]*(\*|"[0-9]{1,9}")[ \t]*$'
# An idempotency key that the function is given, with the length it takes (lending_private.idempotency_key_value) in
# the schema; it checks the key, and whether it is blank. A "repeatable" write takes any key and ignores it.
IdempotencyKey = Annotated[Text, Field(json_schema_extra={"minLength": 1, "maxLength": 255})]
_KEY = {"key": TypeAdapter(IdempotencyKey | None), "repeatable": TypeAdapter(Text | None)}
IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The ETag of the version you read, e.g. "3"; 412 if stale.',
        json_schema_extra={"pattern": IF_MATCH},
    ),
]
_ETAG = re.compile(r'^\s*(W/)?"(\d{1,9})"\s*$')
MERGE_PATCH = "application/merge-patch+json"

_PROBLEM_DESCRIPTIONS = {
    401: "No valid API key (code unauthenticated): missing, unknown, expired or revoked, or its actor deactivated.",
    403: "The key's actor may not do this (code forbidden); detail names the operation and the roles that may. "
    "own_decision: nobody confirms their own decision.",
    404: "No such application, actor, key or product (code not_found).",
    409: "Conflict; the body's code says which: invalid_transition, version_conflict, applicant_exists, actor_exists, "
    "product_exists, not_in_underwriting, assessment_required, assessment_stale, not_in_review, review_claimed, "
    "review_claim_required, offer_expired, no_adverse_action or conflict.",
    408: "The body stopped arriving (code request_timeout); the connection is closed.",
    412: "If-Match named a stale version (code version_conflict).",
    413: "The body is larger than the server takes (code body_too_large, with max_body_bytes).",
    415: "The body is not JSON (code unsupported_media_type).",
    422: "Invalid request (code validation_failed, with `errors`) or idempotency_key_reused.",
    503: "The database cannot be reached (code service_unavailable); retry after Retry-After.",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The problem responses of a route, for the OpenAPI document."""
    return {
        status: {
            "model": ProblemDetails,
            "content": {"application/problem+json": {}},
            "description": _PROBLEM_DESCRIPTIONS[status],
        }
        for status in statuses
    }


def http_route(operation: Operation) -> dict[str, Any]:
    """The keyword arguments of FastAPI's add_api_route that serve `operation`.

    The endpoint's signature is made from the declaration, so that FastAPI solves and documents its path
    parameters, its query or body and its headers as it would those of a hand-written route."""
    parameters = [
        inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request),
    ]

    def parameter(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> None:
        parameters.append(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
        )

    for name, annotation in operation.path_parameters.items():
        parameter(name, Annotated[annotation, Path()])
    if operation.query is not None:
        parameter("query", Annotated[operation.query, Query()])
    if operation.tutorial_query is not None:
        parameter("tutorial", Annotated[operation.tutorial_query, Query()])
    if operation.body is not None:
        if operation.body_optional or operation.tutorial_query is not None:
            parameter("body", Annotated[operation.body | None, BeforeValidator(_bare_number), Body()], None)
        else:
            parameter("body", Annotated[operation.body, BeforeValidator(_bare_number), Body()])
    if operation.if_match:
        parameter("if_match", IfMatchHeader, None)
    if operation.writes and operation.idempotency != "refused":
        description = IDEMPOTENCY_KEY[operation.idempotency]
        header = Header(alias="Idempotency-Key", description=description)
        parameter("idempotency_key", Annotated[_idempotency_key(operation) | None, header], None)

    # The endpoint reaches the database through db.database, as every handler does, but calls it rather than
    # declaring it as a FastAPI dependency (db.DatabaseDep): solving a dependency on every request cost a GET a tenth
    # of its CPU, server and database together (bench/compare.py, 6 alternating pairs: 730 -> 663 us per request).
    async def endpoint(request: Request, **inputs: Any) -> Response:
        database = await db.database(request)
        path = {name: inputs[name] for name in operation.path_parameters}
        given = inputs["query"] if operation.query is not None else _body(operation, inputs)
        expected_version = _expected_version(inputs.get("if_match"), getattr(given, "expected_version", None))
        if operation.writes and operation.idempotency == "refused" and "idempotency-key" in request.headers:
            raise _idempotency_key_refused("header", "Idempotency-Key")
        arguments = arguments_of(operation, path, given, inputs.get("idempotency_key"), expected_version)
        caller = Caller(request, database, acting_actor(request), request.state.request_id)
        return http_response(operation, await run(operation, caller, arguments))

    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    responses: dict[int | str, dict[str, Any]] = {
        **problems(*sorted({*operation.problems, 422}), 401, 403, 503),
        # Every body is bounded and must be JSON (http.RequestLimits, http.LendgresRoute).
        **(problems(408, 413, 415) if operation.body is not None else {}),
    }
    headers = {}
    if operation.location is not None:
        headers["Location"] = {"description": operation.location, "schema": {"type": "string"}}
    if operation.etag:
        headers["ETag"] = {"description": 'The version, e.g. "3".', "schema": {"type": "string", "pattern": ETAG}}
    if headers:
        responses[operation.status_code] = {"headers": headers}
    extra: dict[str, Any] = {}
    if operation.body_as is not None and operation.body is not None:
        # A merge patch may say what it is (RFC 7396); it is JSON all the same (http.LendgresRoute takes any +json).
        schema = {"$ref": f"#/components/schemas/{operation.body.__name__}"}
        extra = {"requestBody": {"content": {MERGE_PATCH: {"schema": schema}}}}
    return {
        "path": operation.path,
        "endpoint": endpoint,
        "methods": [operation.method],
        "name": operation.name,
        "operation_id": operation.name,
        "summary": operation.summary,
        "description": operation.description,
        "response_model": operation.result,
        "status_code": operation.status_code,
        "responses": responses,
        "tags": [operation.tag],
        "openapi_extra": extra,
    }


def _bare_number(body: Any) -> Any:
    """FastAPI validates a body with from_attributes, and a number with a fraction or an exponent is read as a Decimal
    (http.ExactJSONRequest), which has attributes: a bare 0.5 would pass as a model with no field given. As a float
    it is refused as every other JSON value that is not an object is."""
    return float(body) if isinstance(body, Decimal) else body


def _body(operation: Operation, inputs: dict[str, Any]) -> BaseModel | None:
    """The request's body, or what the tutorial's query form stands for in its place (never both). Without either,
    the body is validated as empty, so that the problem names the fields it needs, as the MCP tool's does."""
    body: BaseModel | None = inputs.get("body")
    if operation.tutorial_query is None:
        return body
    tutorial = inputs["tutorial"]
    if body is not None and tutorial.given():
        raise Problem.invalid(
            "query",
            "approved",
            "not allowed with a body",
            "Send either a JSON body or the legacy query parameters, not both",
        )
    if body is not None:
        return body
    stood_for: BaseModel | None = tutorial.as_body()
    if stood_for is not None:
        return stood_for
    assert operation.body is not None  # the tutorial's form stands for a body
    try:
        return operation.body.model_validate({})
    except ValidationError as exc:
        raise errors.from_validation_errors([("body", exc.errors())]) from exc


def _expected_version(if_match: str | None, expected_version: int | None) -> int | None:
    """If-Match carries the version as an ETag; it means the same as expected_version in the body."""
    if if_match is None or if_match.strip() == "*":
        return expected_version
    match = _ETAG.match(if_match)
    if match is None:
        raise Problem.invalid(
            "header", "If-Match", 'must be an ETag such as "3"', 'If-Match must be an ETag such as "3"'
        )
    if match.group(1):
        # If-Match compares strongly (RFC 9110): a weak tag never matches.
        raise Problem(
            412, "version_conflict", "Version conflict", "If-Match cannot be met by a weak ETag", {"if_match": if_match}
        )
    version = int(match.group(2))
    if expected_version is not None and expected_version != version:
        raise Problem.invalid(
            "header",
            "If-Match",
            "names another version than expected_version",
            "If-Match and expected_version disagree",
        )
    return version


def _idempotency_key(operation: Operation) -> Any:
    return IdempotencyKey if operation.idempotency == "key" else Text


def _idempotency_key_refused(location: str, name: str) -> Problem:
    # Ignoring it would let a client believe its retry safe, and each retry would make one more live key.
    message = (
        "is not accepted here: a replay would have to keep the key's secret. Send the request without it; "
        "if an earlier attempt may have made a key, list_api_keys (GET /keys?actor=...) lists it and "
        "revoke_api_key (POST /keys/{key_id}/revoke) revokes it"
    )
    return Problem.invalid(location, name, message, f"{name} {message}")


def http_response(operation: Operation, answer: Answer) -> Response:
    headers = {}
    if answer.replayed is not None:
        headers["Idempotent-Replayed"] = "true" if answer.replayed else "false"
    if operation.location is not None:
        headers["Location"] = operation.location.format(**answer.document())
    if operation.etag:
        headers["ETag"] = f'"{answer.document()["version"]}"'
    return Response(answer.body, answer.status, headers, media_type=JSON)


# The MCP face ---------------------------------------------------------------------------------------------------


def tool_arguments_model(operation: Operation) -> type[BaseModel]:
    """The MCP tool's arguments, flat: its path parameters, its query or body fields, and idempotency_key; each
    the field its HTTP twin validates with, so that the schemas agree. For the tool's input schema."""
    fields: dict[str, Any] = {name: (annotation, ...) for name, annotation in operation.path_parameters.items()}
    for given in (operation.query, operation.body):
        if given is not None:
            fields.update({name: (info.annotation, info) for name, info in given.model_fields.items()})
    if operation.writes and operation.idempotency != "refused":
        description = IDEMPOTENCY_KEY[operation.idempotency]
        fields["idempotency_key"] = (_idempotency_key(operation) | None, Field(None, description=description))
    model: type[BaseModel] = create_model(
        f"{operation.name}_arguments", __config__=ConfigDict(extra="forbid"), **fields
    )
    return model


def tool_call_arguments(operation: Operation, given: Mapping[str, Any]) -> dict[str, Any]:
    """The function's arguments from a tool call's, validated piece by piece with the models of the HTTP route, in
    its order: a bad argument is the same problem, with the same location and message, as the same input over
    HTTP."""
    remaining = dict(given)
    failures: list[tuple[str, list[Any]]] = []
    path: dict[str, Any] = {}
    for name, validator in operation.path_validators.items():
        if name not in remaining:
            failures.append(("path", [{"loc": (name,), "msg": "Field required"}]))
            continue
        try:
            path[name] = validator.validate_python(remaining.pop(name))
        except ValidationError as exc:
            failures.append(("path", [{**error, "loc": (name, *error["loc"])} for error in exc.errors()]))
    idempotency_key = None
    takes_key = operation.writes and "idempotency_key" in remaining
    if takes_key and operation.idempotency != "refused":
        try:
            idempotency_key = _KEY[operation.idempotency].validate_python(remaining.pop("idempotency_key"))
        except ValidationError as exc:
            failures.append(("arguments", [{**error, "loc": ("idempotency_key",)} for error in exc.errors()]))
    elif takes_key:
        remaining.pop("idempotency_key")  # refused below, once the rest is valid, as the route refuses the header
    model = operation.query or operation.body
    location = "query" if operation.query is not None else "body"
    validated: BaseModel | None = None
    if model is not None and (remaining or not operation.body_optional):
        try:
            # From attributes, as FastAPI validates a route's inputs: a nested model's refusal (a product's rule that
            # is not an object) then reads the same on both faces.
            validated = model.model_validate(remaining, from_attributes=True)
        except ValidationError as exc:
            failures.append((location, exc.errors()))
    if failures:
        raise errors.from_validation_errors(failures)
    if takes_key and operation.idempotency == "refused":
        raise _idempotency_key_refused("arguments", "idempotency_key")
    return arguments_of(operation, path, validated, idempotency_key)
