"""The database's readable source (db/src): building a database from it, and comparing that database with one built
from the migrations.

db/src holds the current definition of every object; db/migrations is what a real database is given. The two must
describe the same database, and `differences` is how we know: it compares two databases object by object (every
function's definition, comment, owner and grants; every trigger, view, domain, constraint and index; the rows a
fresh database holds) and then as pg_dump sees them, and names the source file that defines what differs.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import psycopg

from .server import Server

SOURCE_DIR = Path(__file__).resolve().parents[3] / "db" / "src"
MANIFEST = "build.sql"

# dbmate's own bookkeeping table, as dbmate creates it before the first migration: the source expects it (the owner
# reads it in lending.schema_version), and neither side of the comparison includes it.
DBMATE_TABLE = "create table public.schema_migrations (version character varying primary key)"
OUR_SCHEMAS = ("lending", "lending_private")


def is_function_file(path: str | Path) -> bool:
    """Whether a source file holds one function name's definitions: it is named `<schema>.<function>.sql`."""
    return re.fullmatch(r"\w+\.\w+\.sql", Path(path).name) is not None


def build(server: Server, database: str, source_dir: Path = SOURCE_DIR) -> None:
    """Creates `database` from the source's manifest, in one transaction (CalledProcessError, with psql's output,
    on the first error)."""
    server.create_database(database)
    server.psql(database, "-c", DBMATE_TABLE)
    server.psql(database, "--single-transaction", "-f", str(source_dir / MANIFEST))


@dataclass(frozen=True)
class Difference:
    """One object that differs: what it is, the source file that defines it, and a diff (migrations -> source)."""

    what: str
    source_files: tuple[str, ...]  # relative to db/src; empty when no file names the object
    diff: str

    def __str__(self) -> str:
        where = ", ".join(f"db/src/{name}" for name in self.source_files) or "no file of db/src defines it"
        return f"{self.what} ({where}):\n{self.diff}"


def differences(server: Server, migrated: str, built: str, source_dir: Path = SOURCE_DIR) -> list[Difference]:
    """Every difference between the database `migrated` (from the migrations) and `built` (from the source)."""
    files = SourceFiles(source_dir)
    found: list[Difference] = []
    with psycopg.connect(server.superuser_url(migrated)) as old, psycopg.connect(server.superuser_url(built)) as new:
        for kind, query in CATALOGUE.items():
            before, after = _described(old, query), _described(new, query)
            for name in sorted(before.keys() | after.keys()):
                if before.get(name) != after.get(name):
                    diff = _diff(before.get(name), after.get(name))
                    found.append(Difference(f"{kind} {name}", files.defining(kind, name), diff))
        # A table on one side only shows in the dump below; its rows are compared where both have it.
        for table in sorted(_tables(old) & _tables(new)):
            rows_before, rows_after = _rows(old, table), _rows(new, table)
            if rows_before != rows_after:
                found.append(
                    Difference(f"rows of {table}", files.defining("table", table), _diff(rows_before, rows_after))
                )
    dump_before, dump_after = schema_dump(server, migrated), schema_dump(server, built)
    if dump_before != dump_after:
        found.append(
            Difference("the schema dump", files.named_in_dumps(dump_before, dump_after), _diff(dump_before, dump_after))
        )
    return found


def schema_dump(server: Server, database: str) -> str:
    """The schema as the server's own pg_dump sees it, owners and grants included, without dbmate's table and
    pg_dump 18's random \\restrict keys."""
    dump = server.run(
        "pg_dump", "--schema-only", "--exclude-table=public.schema_migrations", server.superuser_url(database)
    )
    return "\n".join(line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


# What each kind of object looks like in the catalogue: (name, description), one row per object. A description
# holds everything that must be equal, one aspect a line, so that a diff shows which aspect differs.
_ACL = "coalesce((select string_agg(a::text, ', ' order by a::text) from unnest({}) as a), 'default')"
CATALOGUE = {
    "function": f"""
        select p.oid::regprocedure::text,
               pg_get_functiondef(p.oid) || E'\\ncomment: ' || coalesce(obj_description(p.oid, 'pg_proc'), '(none)')
               || E'\\nowner: ' || p.proowner::regrole::text || E'\\ngrants: ' || {_ACL.format("p.proacl")}
          from pg_proc as p
         where p.pronamespace::regnamespace::text = any(%(schemas)s)""",
    "trigger": """
        select t.tgname || ' on ' || t.tgrelid::regclass::text,
               pg_get_triggerdef(t.oid) || E'\\nenabled: ' || t.tgenabled::text
          from pg_trigger as t
         where not t.tgisinternal and t.tgrelid::regclass::text ~ %(prefix)s""",
    "view": f"""
        select c.oid::regclass::text,
               pg_get_viewdef(c.oid) || E'\\ncomment: ' || coalesce(obj_description(c.oid, 'pg_class'), '(none)')
               || E'\\nowner: ' || c.relowner::regrole::text || E'\\ngrants: ' || {_ACL.format("c.relacl")}
          from pg_class as c
         where c.relkind in ('v', 'm') and c.relnamespace::regnamespace::text = any(%(schemas)s)""",
    "domain": """
        select t.oid::regtype::text,
               'type: ' || format_type(t.typbasetype, t.typtypmod) || E'\\nnot null: ' || t.typnotnull
               || E'\\ndefault: ' || coalesce(t.typdefault, '(none)')
               || coalesce((select string_agg(E'\\n' || c.conname || ': ' || pg_get_constraintdef(c.oid), ''
                                              order by c.conname)
                              from pg_constraint as c where c.contypid = t.oid), '')
               || E'\\ncomment: ' || coalesce(obj_description(t.oid, 'pg_type'), '(none)')
               || E'\\nowner: ' || t.typowner::regrole::text
          from pg_type as t
         where t.typtype = 'd' and t.typnamespace::regnamespace::text = any(%(schemas)s)""",
    "constraint": """
        select c.conrelid::regclass::text || ' ' || c.conname, pg_get_constraintdef(c.oid)
          from pg_constraint as c
         where c.conrelid <> 0 and c.connamespace::regnamespace::text = any(%(schemas)s)""",
    "index": """
        select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
          from pg_index as i join pg_class as c on c.oid = i.indexrelid
         where c.relnamespace::regnamespace::text = any(%(schemas)s)""",
}
_PARAMETERS = {"schemas": list(OUR_SCHEMAS), "prefix": f"^({'|'.join(OUR_SCHEMAS)})\\."}


def _described(connection: psycopg.Connection, query: str) -> dict[str, str]:
    return {name: description for name, description in connection.execute(query, _PARAMETERS).fetchall()}


# The audit trail of a fresh database records the built-in rows as they were inserted, with their times and hashes:
# it differs between any two builds, and says nothing the rows themselves do not.
_ROWS_NOT_COMPARED = {"lending_private.audit_log", "lending_private.audit_chain_head"}
# Columns whose values differ between any two builds: when a row was made, and hashes over such times.
_VOLATILE_TYPES = ("timestamp with time zone", "bytea")


def _tables(connection: psycopg.Connection) -> set[str]:
    rows = connection.execute(
        "select c.oid::regclass::text from pg_class as c "
        "where c.relkind in ('r', 'p') and c.relnamespace::regnamespace::text = any(%(schemas)s)",
        _PARAMETERS,
    ).fetchall()
    return {name for (name,) in rows} - _ROWS_NOT_COMPARED


def _rows(connection: psycopg.Connection, table: str) -> str:
    """The rows a table holds, as text, one a line, in a stable order; volatile columns left out."""
    columns = [
        name
        for (name,) in connection.execute(
            "select quote_ident(a.attname) from pg_attribute as a where a.attrelid = %s::regclass "
            "and a.attnum > 0 and not a.attisdropped and format_type(a.atttypid, a.atttypmod) <> all(%s) "
            "order by a.attnum",
            [table, list(_VOLATILE_TYPES)],
        ).fetchall()
    ]
    if not columns:
        return ""
    listed = ", ".join(columns)
    rows = connection.execute(f"select row({listed})::text from {table} order by {listed}").fetchall()
    return f"({', '.join(columns)})\n" + "\n".join(row for (row,) in rows)


def _diff(before: str | None, after: str | None) -> str:
    lines = difflib.unified_diff(
        (before or "").splitlines(),
        (after or "").splitlines(),
        "from the migrations" if before is not None else "(not in the migrated database)",
        "from db/src" if after is not None else "(not in the database built from db/src)",
        lineterm="",
    )
    return "\n".join(lines)


class SourceFiles:
    """Which file of the source defines an object, found by reading the files as a person would search them."""

    _DEFINES: ClassVar[dict[str, re.Pattern[str]]] = {
        "schema": re.compile(r"^create schema (\w+)", re.M),
        "table": re.compile(r"^create table ([\w.]+)", re.M),
        "view": re.compile(r"^create (?:or replace )?(?:materialized )?view ([\w.]+)", re.M),
        "domain": re.compile(r"^create domain ([\w.]+)", re.M),
        "index": re.compile(r"^create (?:unique )?index (\w+)", re.M),
        "trigger": re.compile(r"^create (?:or replace )?trigger (\w+)\s.*?\bon ([\w.]+)", re.M | re.S),
    }

    def __init__(self, source_dir: Path) -> None:
        self.source_dir = source_dir
        self._definitions: dict[tuple[str, str], str] = {}
        for path in sorted(source_dir.rglob("*.sql")):
            name = str(path.relative_to(source_dir))
            if is_function_file(path):
                self._definitions[("function", path.name.removesuffix(".sql"))] = name
            text = path.read_text()
            for kind, pattern in self._DEFINES.items():
                for match in pattern.finditer(text):
                    key = " on ".join(match.groups()) if kind == "trigger" else match.group(1)
                    self._definitions.setdefault((kind, key), name)

    def defining(self, kind: str, name: str) -> tuple[str, ...]:
        """The file that defines the object `name` of this kind, as the catalogue names it."""
        if kind == "function":
            key = ("function", name.split("(", 1)[0])
        elif kind == "constraint":
            key = ("table", name.split(" ", 1)[0])  # "<table> <constraint>": its table's file
        elif kind == "index":
            key = ("index", name.rsplit(".", 1)[-1])
        else:
            key = (kind, name)
        return (self._definitions[key],) if key in self._definitions else ()

    def named_in_dumps(self, before: str, after: str) -> tuple[str, ...]:
        """The files that define what differs between two pg_dump outputs. pg_dump heads each object with
        `-- Name: <name>; Type: <type>; Schema: <schema>`: a changed line belongs to the object above it."""
        old, new = before.splitlines(), after.splitlines()
        files: set[str] = set()
        for tag, i1, _, j1, _ in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag != "equal":
                files |= {self._file_of_dumped(old, i1), self._file_of_dumped(new, j1)}
        return tuple(sorted(files - {""}))

    def _file_of_dumped(self, lines: list[str], index: int) -> str:
        for line in reversed(lines[: index + 1]):
            header = _DUMP_HEADER.match(line)
            if header:
                name, schema = header.group("name"), header.group("schema")
                if schema == "-":  # the schemas themselves, and default privileges: where the schemas are made
                    return next((file for (kind, _), file in self._definitions.items() if kind == "schema"), "")
                # "COLUMN party.version", "FUNCTION apply(...)", "party party_pkey" (a constraint), "party _900_audit"
                # (a trigger): the object, or the table it belongs to, is the first word after the kind.
                words = name.split(" ")
                table_or_object = words[1] if words[0].isupper() and len(words) > 1 else words[0]
                qualified = f"{schema}.{re.split(r'[.(]', table_or_object)[0]}"
                for kind in ("table", "function", "domain", "view"):
                    if (kind, qualified) in self._definitions:
                        return self._definitions[(kind, qualified)]
                return ""
        return ""


_DUMP_HEADER = re.compile(r"^-- Name: (?P<name>.+?); Type: [^;]+; Schema: (?P<schema>[^;]+);")
