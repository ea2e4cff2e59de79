"""The cursor of lending.list_applications: opaque, and read back exactly. PostgreSQL reads many strings as a number
("0x14", "20 ", "+20", "2_0"); a cursor is the base64 of one of them only, the id in plain digits."""

from __future__ import annotations

import base64

import psycopg
import pytest

from tests.db.conftest import apply, call, refusal


def encoded(position: str) -> str:
    return base64.b64encode(position.encode()).decode()


def test_a_next_cursor_leads_to_the_next_page(client: psycopg.Connection) -> None:
    ids = [apply(client)["application_id"] for _ in range(3)]
    first = call(client, "lending.list_applications", limit=2)
    assert first["next_cursor"] == encoded(str(ids[1]))
    rest = call(client, "lending.list_applications", limit=2, after=first["next_cursor"])
    assert [item["application_id"] for item in rest["items"]] == [ids[0]]
    # Any id is a position, whether or not an application has it: the largest starts from the newest.
    everything = call(client, "lending.list_applications", after=encoded("9223372036854775807"))
    assert [item["application_id"] for item in everything["items"]] == ids[::-1]


@pytest.mark.parametrize(
    "after",
    [
        encoded("0x14"),
        encoded("20 "),
        encoded(" 20"),
        encoded("+20"),
        encoded("2_0"),
        encoded("020"),
        encoded("20\n"),
        encoded("0"),
        encoded("-1"),
        encoded("1e1"),
        encoded("\uff12\uff10"),  # fullwidth digits
        encoded("9223372036854775808"),  # beyond bigint
        "MjA",  # "20" without its padding
        "MjB=",  # stray bits: the bytes of "20" again, under another string
        "MjA=\n",
        " MjA=",
        "20",
        "",
    ],
)
def test_a_cursor_that_names_no_position_is_refused(client: psycopg.Connection, after: str) -> None:
    apply(client)
    sqlstate, _, detail = refusal(client, "lending.list_applications", after=after)
    assert (sqlstate, [e["field"] for e in detail["errors"]]) == ("LN422", ["after"])
