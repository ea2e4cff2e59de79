"""Free text over HTTP and as MCP tools answers what the database answers: the cases of tests/db/core/test_text_rule.py,
sent as an applicant's name and a loan's purpose, are refused with the same messages, or accepted, on every face."""

from __future__ import annotations

import json

import pytest

from tests.api.support import RawMcp, assert_problem, json_text
from tests.db.core.test_text_rule import CONTROL, TEXT_CASES

pytestmark = pytest.mark.anyio


async def test_text_rule_over_http_and_mcp_is_the_databases(http, served):
    async with RawMcp(served, "test-admin") as mcp:
        for what, text, message in TEXT_CASES:
            body = {"applicant_name": text, "purpose": text, "amount": 1}
            response = await http.post("/loans/apply", json=body)
            over_mcp = await mcp.call_tool("submit_application", json_text(body))
            if message is None:
                assert response.status_code == 201, (what, response.text)
                assert response.json()["applicant_name"] == text, what
                assert not over_mcp.get("isError"), (what, over_mcp)
                assert over_mcp["structuredContent"]["applicant_name"] == text, what
            else:
                expected = [{"field": f, "message": message} for f in ("purpose", "applicant_name")]
                problem = assert_problem(response, 422, "validation_failed")
                assert [{k: e[k] for k in ("field", "message")} for e in problem["errors"]] == expected, what
                assert over_mcp["isError"], (what, over_mcp)
                tool_problem = json.loads(over_mcp["content"][0]["text"])
                assert [{k: e[k] for k in ("field", "message")} for e in tool_problem["errors"]] == expected, what


async def test_a_nul_which_sql_cannot_carry_is_refused_as_the_control_character_it_is(http):
    problem = assert_problem(
        await http.post("/loans/apply", json={"applicant_name": "Jane\u0000Doe", "amount": 1}), 422, "validation_failed"
    )
    assert [(e["field"], e["message"]) for e in problem["errors"]] == [("applicant_name", CONTROL)]
