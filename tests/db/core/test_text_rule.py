"""One rule for free text, the database's (lending_private.text_error): blank is refused, meaning text of nothing
but Unicode whitespace and invisible characters, and so are control characters anywhere. The table below is shared
by the faces: tests/api/test_text_rule.py sends the same cases over HTTP and MCP and expects the same answers."""

from __future__ import annotations

import psycopg
import pytest

from tests.db.conftest import call, refusal

BLANK = "must not be blank"
CONTROL = "must not contain control characters (such as line breaks, tabs or bidirectional overrides)"

# (what, text, the message it is refused with, or None when it is accepted)
TEXT_CASES: list[tuple[str, str, str | None]] = [
    ("a name", "Jane Doe", None),
    ("letters of other scripts", "Zoë Ångström 山田 Дмитрий", None),
    ("a zero-width non-joiner inside a Persian name", "\u0645\u06cc\u200c\u0631\u0627", None),
    ("an emoji joined by a zero-width joiner", "Ada \U0001f469\u200d\U0001f4bb", None),
    ("a no-break space between words", "Jane\u00a0Doe", None),
    ("a right-to-left mark beside Hebrew", "\u05d3\u05e0\u05d4\u200f", None),
    ("the empty string", "", BLANK),
    ("three spaces", "   ", BLANK),
    ("tabs and newlines only", "\t\n\t\r\n", BLANK),
    ("zero-width spaces only", "\u200b\u200b\u200b", BLANK),
    ("a byte order mark", "\ufeff", BLANK),
    ("a bidirectional override only", "\u202e", BLANK),
    ("ideographic and em spaces", "\u3000\u2003", BLANK),
    ("a soft hyphen and a word joiner", "\u00ad\u2060", BLANK),
    ("Hangul fillers", "\u3164\u115f", BLANK),
    ("the blank Braille pattern", "\u2800\u2800", BLANK),
    ("a variation selector", "\ufe0f", BLANK),
    ("a tag character", "\U000e0041", BLANK),
    ("next line and line separator", "\u0085\u2028\u2029", BLANK),
    ("a bell", "\u0007", CONTROL),
    ("an escape sequence", "Jane\u001b[31m", CONTROL),
    ("a delete character", "Jane\u007f", CONTROL),
    ("a C1 control", "Jane\u009b", CONTROL),
    ("a newline inside a name", "Jane\nDoe", CONTROL),
    ("a tab inside a name", "Jane\tDoe", CONTROL),
    ("a right-to-left override inside a name", "Jane \u202eeoD", CONTROL),
    ("a first-strong isolate inside a name", "Jane \u2068Doe\u2069", CONTROL),
]


@pytest.mark.parametrize(("what", "text", "message"), TEXT_CASES, ids=[case[0] for case in TEXT_CASES])
def test_text_rule_through_the_sql_api(client: psycopg.Connection, what: str, text: str, message: str | None) -> None:
    if message is None:
        filed = call(client, "lending.apply", applicant_name=text, purpose=text, amount=1, actor="intake-agent")
        assert (filed["status"], filed["body"]["applicant_name"]) == (201, text)
    else:
        _, _, detail = refusal(
            client, "lending.apply", applicant_name=text, purpose=text, amount=1, actor="intake-agent"
        )
        assert detail["errors"] == [
            {"field": "purpose", "message": message},
            {"field": "applicant_name", "message": message},
        ]


@pytest.mark.parametrize(("what", "text", "message"), TEXT_CASES, ids=[case[0] for case in TEXT_CASES])
def test_text_rule_holds_for_direct_sql(
    superuser: psycopg.Connection, what: str, text: str, message: str | None
) -> None:
    """The domains call the same function: a row written behind the API's back obeys it."""
    insert = "insert into lending_private.party (name, external_ref) values (%s, %s)"
    if message is None:
        superuser.execute(insert, [text, text])
    else:
        with pytest.raises(psycopg.errors.CheckViolation, match="party_name_is_valid"):
            superuser.execute(insert, [text, "ok"])
        with pytest.raises(psycopg.errors.CheckViolation, match="external_ref_is_valid"):
            superuser.execute(insert, ["Jane", text])
