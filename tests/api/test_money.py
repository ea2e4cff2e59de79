"""One money grammar on every face: an amount is a JSON number, or a string of ASCII digits with an optional point
and decimals, with at most its currency's decimals. Whatever Python's Decimal() would also read (other scripts'
digits, underscores, signs, spaces, exponents, a bare point) is refused with the same problem over HTTP and MCP;
amounts are shown as decimal strings everywhere, the audit trail included."""

from __future__ import annotations

import json

import pytest

from lendgres.models import AMOUNT_GRAMMAR
from tests.api.support import RawMcp, assert_problem, case

pytestmark = pytest.mark.anyio

# Amounts as written in the JSON body, and what is shown back, or the message they are refused with.
AMOUNTS: list[tuple[str, str]] = [
    ("15000", "15000.00"),
    ("15000.5", "15000.50"),
    ("1.5e4", AMOUNT_GRAMMAR),  # a JSON number, but written with an exponent
    ("1E2", AMOUNT_GRAMMAR),
    ("150e-2", AMOUNT_GRAMMAR),
    ('"15000"', "15000.00"),
    ('"15000.50"', "15000.50"),
    ('"0.01"', "0.01"),
    ('"\u0661\u0660\u0660"', AMOUNT_GRAMMAR),  # Arabic-Indic digits
    ('"\U0001d7cf\U0001d7ce\U0001d7ce"', AMOUNT_GRAMMAR),  # mathematical bold digits
    ('"1_000"', AMOUNT_GRAMMAR),
    ('"+100"', AMOUNT_GRAMMAR),
    ('".5"', AMOUNT_GRAMMAR),
    ('"100."', AMOUNT_GRAMMAR),
    ('" 100 "', AMOUNT_GRAMMAR),
    ('"1e3"', AMOUNT_GRAMMAR),
    ('"1.5e4"', AMOUNT_GRAMMAR),
    ('"-5"', AMOUNT_GRAMMAR),
    ('"0x10"', AMOUNT_GRAMMAR),
    ('"NaN"', AMOUNT_GRAMMAR),
    ('""', AMOUNT_GRAMMAR),
    ("100.000", "must have at most 2 decimal places"),
    ('"100.000"', "must have at most 2 decimal places"),
    ("-5", "must be greater than 0"),
]


async def test_one_money_grammar_on_both_faces(http, served):
    async with RawMcp(served, "test-admin") as mcp:
        for written, expected in AMOUNTS:
            with case(written):
                body = f'{{"applicant_name": "Jane Doe", "amount": {written}}}'
                response = await http.post(
                    "/loans/apply", content=body.encode(), headers={"Content-Type": "application/json"}
                )
                over_mcp = await mcp.call_tool("submit_application", body)
                if expected[0].isdigit():
                    assert response.status_code == 201, response.text
                    assert response.json()["amount"] == over_mcp["structuredContent"]["amount"] == expected
                    continue
                problem = assert_problem(response, 422, "validation_failed")
                assert [(e["field"], e["message"]) for e in problem["errors"]] == [("amount", expected)]
                tool_problem = json.loads(over_mcp["content"][0]["text"])
                assert over_mcp["isError"] and tool_problem["errors"] == problem["errors"]


async def test_the_audit_trail_shows_amounts_as_strings_on_both_faces(http, served):
    filed = (await http.post("/loans/apply", json={"applicant_name": "Jane Doe", "amount": 15000})).json()
    trail = (await http.get(f"/loans/{filed['application_id']}/audit")).json()
    assert trail["entries"][0]["new"]["amount"] == "15000.00"
    async with RawMcp(served, "test-admin") as mcp:
        result = await mcp.call_tool("get_application_audit", json.dumps({"application_id": filed["application_id"]}))
    assert result["structuredContent"]["entries"][0]["new"]["amount"] == "15000.00"


async def test_the_schema_states_the_grammar(app):
    amount = app.openapi()["components"]["schemas"]["ApplyRequest"]["properties"]["amount"]
    assert {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"} in amount["anyOf"]
