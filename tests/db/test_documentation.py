"""The SQL API documents itself: every public function's comment has a summary line, a blank line, what it
returns and every error code its body can raise (following the private helpers it calls); every code is in the
catalogue table and in db/README.md."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

README = Path(__file__).resolve().parents[2] / "db" / "README.md"
RAISES = re.compile(r"lending_private\.fail\(\s*'([a-z_]+)'")
CALLS = re.compile(r"lending_private\.([a-z_]+)\(")


def _bodies(connection: psycopg.Connection, schema: str) -> dict[str, str]:
    rows = connection.execute(
        """select p.proname, pg_get_functiondef(p.oid) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = %s""",
        [schema],
    ).fetchall()
    bodies: dict[str, str] = {}
    for name, source in rows:
        bodies[name] = bodies.get(name, "") + source
    return bodies


def codes_raised(body: str, helpers: dict[str, str], seen: frozenset[str] = frozenset()) -> set[str]:
    """The error codes a body raises itself or through the private helpers it calls, transitively."""
    codes = set(RAISES.findall(body))
    for helper in set(CALLS.findall(body)) - seen:
        if helper in helpers:
            codes |= codes_raised(helpers[helper], helpers, seen | {helper})
    return codes


def test_every_public_function_documents_what_it_returns_and_raises(superuser: psycopg.Connection) -> None:
    helpers = _bodies(superuser, "lending_private")
    catalogue = {code for (code,) in superuser.execute("select code from lending_private.error_code").fetchall()}
    rows = superuser.execute(
        """select p.proname, pg_get_functiondef(p.oid), obj_description(p.oid, 'pg_proc')
             from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'lending'"""
    ).fetchall()
    assert rows
    for name, body, comment in rows:
        assert comment, f"lending.{name} has no COMMENT"
        lines = comment.splitlines()
        assert len(lines) >= 4 and lines[0].strip() and not lines[1].strip(), f"lending.{name}: summary, blank line"
        returns = [line for line in lines if line.startswith("Returns: ")]
        errors = [line for line in lines if line.startswith("Errors: ")]
        assert len(returns) == 1 and len(errors) == 1, f"lending.{name} needs one Returns: and one Errors: line"
        documented = set(re.findall(r"[a-z_]+", errors[0].removeprefix("Errors: "))) - {"none"}
        raised = codes_raised(body, helpers)
        assert raised <= documented, f"lending.{name} raises {sorted(raised - documented)} without documenting them"
        assert documented <= raised, f"lending.{name} documents {sorted(documented - raised)} that it never raises"
        assert documented <= catalogue, f"lending.{name} documents codes missing from the catalogue"


def test_every_catalogued_code_is_described_in_the_readme(superuser: psycopg.Connection) -> None:
    readme = README.read_text()
    rows = superuser.execute("select code, http_status from lending_private.error_code").fetchall()
    assert rows
    for code, status in rows:
        assert re.search(rf"\|\s*`{code}`\s*\|\s*{status}\s*\|", readme), f"{code} ({status}) is not in db/README.md"


def test_every_raised_code_is_catalogued(superuser: psycopg.Connection) -> None:
    catalogue = {code for (code,) in superuser.execute("select code from lending_private.error_code").fetchall()}
    helpers = _bodies(superuser, "lending_private")
    raised = set().union(*(RAISES.findall(body) for body in helpers.values()))
    raised |= set().union(*(RAISES.findall(body) for body in _bodies(superuser, "lending").values()))
    assert raised and raised <= catalogue
