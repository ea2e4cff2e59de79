"""What every domain's models share: the field types, the base of request models, and the problem document.

Pydantic checks shape only: types, unknown fields, sizes that could not reach the database. Every business rule
(ranges, formats, transitions) lives in the lending functions, which report all bad fields at once. Request models
describe what an operation takes, over HTTP and as an MCP tool alike; response models document what it answers
(the answer itself is the database's JSON, passed through).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, WithJsonSchema
from pydantic_core import PydanticCustomError

# Identifiers are bigint in the database; anything larger could not name a row.
BIGINT_MAX = 2**63 - 1
Id = Annotated[StrictInt, Field(ge=1, le=BIGINT_MAX)]
Int32 = Annotated[StrictInt, Field(ge=-(2**31), le=2**31 - 1)]
# A query string carries text, so its integers are parsed from it (a body's must be JSON integers).
QueryInt32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]


def checked_range(low: int, high: int) -> Any:
    """The range of an integer that a lending function checks (and so words the refusal of, with every other bad
    field at once), for the schema: a client learns it there without asking. Use as Annotated[Int32, ...]."""
    return Field(json_schema_extra={"minimum": low, "maximum": high})


def checked_text(max_length: int | None = None, pattern: str | None = None) -> Any:
    """The length and form of free text that a lending function checks, for the schema, as checked_range does for
    integers. Blank text is always refused, so it is at least one character; which characters count as blank, and
    that control characters are refused, the schema cannot say (lending_private.text_error does)."""
    limits = {"maxLength": max_length} if max_length is not None else {}
    return Field(json_schema_extra={"minLength": 1, **limits, **({"pattern": pattern} if pattern else {})})


def _whole_number(value: object) -> object:
    """An id in a path or a query string is ASCII digits (/loans/1.0, /keys/+1 and /keys/1_0 name nothing, rather
    than 1, 1 and 10); as an MCP tool's argument, an integer or the same digits (true and 1.0 are not ids)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, str))
        or (isinstance(value, str) and not (value.isascii() and value.isdigit()))
    ):
        raise ValueError("must be a positive whole number written in digits")
    return value


# An id that a path or a query string carries. The range comes before the validator, so that the schema says
# minimum and maximum.
PathId = Annotated[int, Field(ge=1, le=BIGINT_MAX), BeforeValidator(_whole_number)]


# lending_private.text_error's words for a control character.
CONTROL_CHARACTERS = "must not contain control characters (such as line breaks, tabs or bidirectional overrides)"


def _storable_text(value: str) -> str:
    """PostgreSQL text holds UTF-8 without NUL bytes; a lone surrogate or a NUL could never be stored. Every other
    rule about text is the database's (lending_private.text_error), whose words a NUL is refused with: it is a
    control character, which that rule refuses too."""
    if "\x00" in value:
        raise PydanticCustomError("control_character", CONTROL_CHARACTERS)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no unpaired surrogates)") from None
    return value


# An amount written as a string: ASCII digits, and a point with decimals after it or none ("15000", "15000.50").
# How many decimals an amount may have is the database's rule (lending_private.amount_error), as for a JSON number.
_DECIMAL_STRING = re.compile(r"[0-9]+(\.[0-9]+)?")
AMOUNT_GRAMMAR = (
    'must be ASCII digits with an optional point and no exponent, as a JSON number or a string: 15000.50 or "15000.50"'
)


class WrittenWithExponent(Decimal):
    """A JSON number written with an exponent (1.5e4): read exactly (http.ExactJSONRequest), but no amount."""


def _decimal_string(value: object) -> object:
    """Decimal() reads far more than that grammar: " 100 ", "+100", ".5", "100.", "1_000", "1e3", and the digits of
    other scripts (Arabic-Indic, mathematical bold). An amount must be written as the API writes amounts, as a
    string or as a JSON number (whose grammar is ASCII already, but allows an exponent)."""
    if isinstance(value, WrittenWithExponent) or (isinstance(value, str) and not _DECIMAL_STRING.fullmatch(value)):
        raise PydanticCustomError("decimal_string", AMOUNT_GRAMMAR)
    return value


def _storable_number(value: Decimal) -> Decimal:
    """Numbers whose exponent PostgreSQL's numeric cannot represent are refused here, before the driver would
    misencode them; every real rule about amounts is the database's."""
    if value != 0 and not -1000 < value.adjusted() < 1000:
        raise ValueError("is too large or too small to be a number")
    return value


Text = Annotated[str, AfterValidator(_storable_text)]
Number = Annotated[
    Decimal,
    BeforeValidator(_decimal_string),
    AfterValidator(_storable_number),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "pattern": f"^{_DECIMAL_STRING.pattern}$"}]}),
]


class Strict(BaseModel):
    """A request: fields it does not know are refused, not ignored (a misspelt field would otherwise be lost)."""

    model_config = ConfigDict(extra="forbid")


class NoArguments(Strict):
    """The query or body of an operation that takes none: any field is refused."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})


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


def examples(model: type[BaseModel]) -> list[Any]:
    """The examples a model documents (json_schema_extra), for other models' examples to reuse."""
    extra = model.model_config.get("json_schema_extra")
    return list(extra["examples"]) if isinstance(extra, dict) else []  # type: ignore[arg-type]
