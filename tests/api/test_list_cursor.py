"""GET /loans?after=: the cursor is opaque and read back exactly; one that names no position is a problem."""

from __future__ import annotations

import base64

import pytest

from tests.api.support import apply, assert_problem

pytestmark = pytest.mark.anyio


def encoded(position: str) -> str:
    return base64.b64encode(position.encode()).decode()


async def test_only_the_cursors_the_list_gives_are_taken(http):
    ids = [(await apply(http))["application_id"] for _ in range(3)]
    first = (await http.get("/loans", params={"limit": 2})).json()
    rest = (await http.get("/loans", params={"limit": 2, "after": first["next_cursor"]})).json()
    assert [item["application_id"] for item in rest["items"]] == [ids[0]]

    # PostgreSQL reads each of these as the number 20; none of them is the cursor of a position.
    for forged in (encoded("0x14"), encoded("20 "), encoded("+20"), encoded("2_0"), encoded("020"), "MjB="):
        problem = assert_problem(await http.get("/loans", params={"after": forged}), 422, "validation_failed")
        assert [error["field"] for error in problem["errors"]] == ["after"]
