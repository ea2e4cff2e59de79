"""Every machine code the HTTP layer itself can answer with is catalogued in db/README.md, with its status, next to
the codes the SQL functions raise (tests/db/test_documentation.py checks those): an agent looks a code up there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "api" / "lendgres"
README = ROOT / "db" / "README.md"
CODE = re.compile(r"[a-z]+(_[a-z]+)*")


def codes_in_the_http_layer() -> set[tuple[int | None, str]]:
    """(status, code) of every problem the package builds: `Problem(status, "code", ...)` calls, the mapping tables'
    `(status, "code", "Title")` entries, and `("code", "Title")` pairs whose status comes from elsewhere (None)."""
    found: set[tuple[int | None, str]] = set()
    for source in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            called = (
                getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if isinstance(node, ast.Call)
                else None
            )
            if called in ("Problem", "cls"):
                values = node.args[:2]
            elif isinstance(node, ast.Tuple):
                values = node.elts
            else:
                continue
            constants = [value.value for value in values if isinstance(value, ast.Constant)]
            if len(constants) != len(values):
                continue
            if len(constants) < 2 or not all(isinstance(value, (int, str)) for value in constants[:2]):
                continue
            first, second = constants[:2]
            if isinstance(first, int) and isinstance(second, str) and CODE.fullmatch(second):
                found.add((first, second))
            elif len(constants) == 2 and isinstance(first, str) and CODE.fullmatch(first) and str(second)[:1].isupper():
                found.add((None, first))
    return found


def test_the_scan_finds_the_codes_it_should() -> None:
    found = codes_in_the_http_layer()
    for expected in [
        (422, "validation_failed"),
        (409, "conflict"),
        (503, "service_unavailable"),
        (503, "not_ready"),
        (500, "internal_error"),
        (401, "unauthenticated"),
        (None, "method_not_allowed"),
        (None, "http_error"),
    ]:
        assert expected in found


def test_every_http_layer_code_is_catalogued_with_its_status() -> None:
    """Each code has a row of its own; a status the code is answered with appears in that row (version_conflict is
    409 from SQL, and 412 when the client's If-Match failed)."""
    rows = {match[1]: match[0] for match in re.finditer(r"^\|\s*`([a-z_]+)`\s*\|.*$", README.read_text(), re.M)}
    for status, code in sorted(codes_in_the_http_layer(), key=str):
        assert code in rows, f"{code} is not in db/README.md"
        if status is not None:
            assert re.search(rf"\b{status}\b", rows[code]), f"{code}'s row in db/README.md does not say {status}"
