"""Writes the next migration from the source files changed since the branch point (`make migration NAME=...`).

A migration is never copied out of another by hand. Each function file changed in db/src goes into the new
migration whole: its current text in the up section, its text at the branch point (from git) in the down section,
with `drop function` lines where a signature went away or changed in a way `create or replace` cannot make.
Changes to other files (tables, domains, reference rows) need ALTERs or data moves that only a person can write:
they become marked placeholders, showing the change, and the tool refuses to finish while one is left. Finishing
checks that a database migrated to the new migration is the one db/src builds, and rewrites db/schema.sql.

    python -m lendgres.devtools.new_migration NAME [--base REF]   writes db/migrations/<timestamp>_NAME.sql
    python -m lendgres.devtools.new_migration                     finishes the migration written, once edited

The branch point is `git merge-base HEAD origin/main` (or `main` when there is no remote). On main itself that is
HEAD, so the change is the work tree's: write the migration before committing the source change, or pass --base.
"""

from __future__ import annotations

import argparse
import difflib
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lendgres import migrations

from . import schema, source
from . import server as throwaway

# The line a placeholder starts with; no migration may keep one.
PLACEHOLDER = "-- WRITE BY HAND:"
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
FUNCTION_FILE = re.compile(r"^\w+\.\w+\.sql$")


@dataclass(frozen=True)
class Repository:
    """The checkout the tool works in: db/src, db/migrations and db/schema.sql under `root`."""

    root: Path

    @property
    def source_dir(self) -> Path:
        return self.root / "db" / "src"

    @property
    def migrations_dir(self) -> Path:
        return self.root / "db" / "migrations"

    def git(self, *arguments: str) -> str:
        return subprocess.run(["git", *arguments], cwd=self.root, check=True, capture_output=True, text=True).stdout

    def branch_point(self) -> str:
        for main in ("origin/main", "main"):
            try:
                return self.git("merge-base", "HEAD", main).strip()
            except subprocess.CalledProcessError:
                continue
        raise RuntimeError("no main branch to find the branch point from: pass --base")

    def at(self, base: str, path: str) -> str | None:
        """The text of `path` (relative to the root) at commit `base`, or None if it did not exist there."""
        try:
            return self.git("show", f"{base}:{path}")
        except subprocess.CalledProcessError:
            return None

    def changed_source(self, base: str) -> list[str]:
        """The files of db/src (relative to it) that differ between `base` and the work tree, untracked included."""
        tracked = self.git("diff", "--name-only", base, "--", "db/src").split()
        untracked = self.git("ls-files", "--others", "--exclude-standard", "--", "db/src").split()
        prefix = "db/src/"
        return sorted({name.removeprefix(prefix) for name in (*tracked, *untracked)} - {source.MANIFEST})

    def new_migrations(self, base: str) -> list[Path]:
        """Migrations in the work tree that `base` does not have: the ones being written."""
        landed = set(self.git("ls-tree", "--name-only", base, "db/migrations/").split())
        return sorted(path for path in self.migrations_dir.glob("*.sql") if f"db/migrations/{path.name}" not in landed)


# Functions ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Function:
    """One `create or replace function` of a source file: its name, identity signature and header."""

    name: str
    argument_types: tuple[str, ...]
    header: str  # the parameter list and what it returns, as written: create or replace cannot change these

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.argument_types)})"


def functions_in(text: str) -> list[Function]:
    """The functions a source file creates, in order."""
    found = []
    for match in re.finditer(r"^create or replace function ([\w.]+)\(", text, re.M):
        parameters, end = _balanced(text, match.end())
        returns = re.match(r"\s*returns\s+(setof\s+)?[\w.\[\]]+(\s*\([^)]*\))?", text[end:], re.I)
        header = " ".join((parameters + (returns.group(0) if returns else "")).split())
        found.append(Function(match.group(1), _argument_types(parameters), header))
    return found


def _balanced(text: str, start: int) -> tuple[str, int]:
    """The text from `start` up to the parenthesis that closes the one before it, and the index after that one."""
    depth, index, quoted = 1, start, False
    while depth:
        char = text[index]
        if char == "'":
            quoted = not quoted
        elif not quoted:
            depth += {"(": 1, ")": -1}.get(char, 0)
        index += 1
    return text[start : index - 1], index


def _argument_types(parameters: str) -> tuple[str, ...]:
    """The types that identify a function, from its parameter list: `name type [default ...]`, with an optional
    mode; OUT parameters are not part of the identity. Lendgres names every parameter."""
    types = []
    for parameter in _top_level_split(parameters):
        words = re.split(r"\s+(?:default\b|=)", parameter.strip(), maxsplit=1, flags=re.I)[0].split()
        if not words:
            continue
        mode = words[0].lower() if words[0].lower() in ("in", "out", "inout", "variadic") else None
        if mode:
            words = words[1:]
        if mode != "out":
            types.append(" ".join(words[1:]))
    return tuple(types)


def _top_level_split(parameters: str) -> list[str]:
    parts, depth, current, quoted = [], 0, "", False
    for char in parameters:
        if char == "'":
            quoted = not quoted
        if not quoted and char in "([":
            depth += 1
        elif not quoted and char in ")]":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def replace_function_file(before: str | None, after: str | None) -> str:
    """What takes a database from one version of a function file to another: `drop function` for each signature
    that goes away or whose parameters or result change (create or replace cannot change those), then the new text."""
    old = {function.signature: function for function in functions_in(before or "")}
    new = {function.signature: function for function in functions_in(after or "")}
    drops = [
        f"drop function {signature};"
        for signature, function in old.items()
        if signature not in new or new[signature].header != function.header
    ]
    return "\n".join([*drops, *([after.rstrip("\n")] if after else [])])


# Writing and finishing ------------------------------------------------------------------------------------------


def write(repository: Repository, name: str, base: str, now: datetime | None = None) -> Path:
    """Writes the migration for the source changed since `base`; returns its path."""
    if not NAME.match(name):
        raise RuntimeError(f"the name must be lower case words joined by _, such as create_products, not {name!r}")
    drafts = repository.new_migrations(base)
    if drafts:
        raise RuntimeError(
            f"{drafts[0].relative_to(repository.root)} is already being written: finish it with `make migration`, "
            "or delete it to write it again"
        )
    changed = repository.changed_source(base)
    if not changed:
        raise RuntimeError(f"nothing in db/src changed since {base[:12]}: there is nothing to migrate")

    order = _manifest_order(repository, base)
    up, down = [], []
    for path in sorted(changed, key=lambda path: order.get(path, len(order))):
        before = repository.at(base, f"db/src/{path}")
        current = repository.source_dir / path
        after = current.read_text() if current.exists() else None
        if FUNCTION_FILE.match(Path(path).name):
            up.append(f"-- db/src/{path}\n{replace_function_file(before, after)}")
            down.append(f"-- db/src/{path}\n{replace_function_file(after, before)}")
        else:
            up.append(_placeholder(path, before, after, "from what it was (-) to what it is (+)"))
            down.append(_placeholder(path, before, after, "back from what it is (+) to what it was (-)"))
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d%H%M%S")
    migration = repository.migrations_dir / f"{stamp}_{name}.sql"
    migration.write_text(
        "-- migrate:up\nset local role lending_owner;\n\n"
        + "\n\n".join(up)
        + "\n\nreset role;\n\n-- migrate:down\nset local role lending_owner;\n\n"
        + "\n\n".join(reversed(down))
        + "\n\nreset role;\n"
    )
    return migration


def _manifest_order(repository: Repository, base: str) -> dict[str, int]:
    """Each source file's place in the manifest (now, else at the branch point): migrations keep dependency order."""
    order: dict[str, int] = {}
    manifests = [(repository.source_dir / source.MANIFEST).read_text(), repository.at(base, "db/src/build.sql") or ""]
    for manifest in manifests:
        for line in manifest.splitlines():
            if line.startswith("\\ir "):
                order.setdefault(line.split(maxsplit=1)[1], len(order))
    return order


def _placeholder(path: str, before: str | None, after: str | None, direction: str) -> str:
    """A marked placeholder for a change only a person can write, showing the change (was -> is)."""
    lines = difflib.unified_diff(
        (before or "").splitlines(), (after or "").splitlines(), f"{path} (was)", f"{path} (is)", lineterm="", n=2
    )
    shown = "\n".join(f"--   {line}" for line in lines)
    return (
        f"{PLACEHOLDER} db/src/{path} changed. Write the statements (ALTERs, data moves) that take a database\n"
        f"-- {direction}, then delete these comment lines.\n{shown}"
    )


def placeholders(migration: Path) -> list[int]:
    """The line numbers of the placeholders left in a migration."""
    return [number for number, line in enumerate(migration.read_text().splitlines(), 1) if line.startswith(PLACEHOLDER)]


def finish(repository: Repository, base: str, server: throwaway.Server | None = None) -> list[Path]:
    """Checks the migrations being written: no placeholder left, and the database they make is the one db/src
    builds (on `server`, or a throwaway one); then rewrites db/schema.sql. Raises RuntimeError, saying what is
    wrong, otherwise."""
    drafts = repository.new_migrations(base)
    if not drafts:
        raise RuntimeError("no migration is being written: `make migration NAME=...` writes one")
    left = [f"{draft.relative_to(repository.root)}:{line}" for draft in drafts for line in placeholders(draft)]
    if left:
        raise RuntimeError(
            "placeholders are left; write those statements by hand, delete the placeholder lines, and run "
            "`make migration` again:\n  " + "\n  ".join(left)
        )
    own = server is None
    server = server or throwaway.start()
    migrated, built = f"migrated_{uuid.uuid4().hex[:8]}", f"built_{uuid.uuid4().hex[:8]}"
    try:
        server.create_database(migrated)
        migrations.dbmate(server.dbmate_url(migrated), "up", folder=repository.migrations_dir)
        source.build(server, built, repository.source_dir)
        found = source.differences(server, migrated, built, repository.source_dir)
        if found:
            raise RuntimeError(
                "the migrations do not make the database db/src describes yet:\n\n" + "\n\n".join(map(str, found))
            )
        schema.dump_schema(repository.root / "db" / "schema.sql", repository.migrations_dir, server)
    finally:
        if own:
            server.stop()
        else:
            server.drop_database(migrated)
            server.drop_database(built)
    return drafts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make migration", description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", help="what the migration does, e.g. create_products; omit to finish")
    parser.add_argument("--base", help="the commit db/src is compared with (default: the branch point)")
    args = parser.parse_args(argv)
    repository = Repository(source.SOURCE_DIR.parents[1])
    try:
        base = args.base or repository.branch_point()
        if args.name:
            migration = write(repository, args.name, base)
            print(f"wrote {migration.relative_to(repository.root)}")
            left = placeholders(migration)
            if left:
                print(
                    f"{len(left)} placeholder(s) to write by hand (lines {', '.join(map(str, left))}); then run "
                    "`make migration` to finish."
                )
                return 1
        for draft in finish(repository, base):
            print(f"{draft.relative_to(repository.root)} makes what db/src describes; db/schema.sql is rewritten.")
        print("Now run `make test`, and commit the source, the migration and db/schema.sql together.")
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        output = getattr(exc, "stderr", None) or getattr(exc, "stdout", None) or ""
        print(f"make migration: {exc}\n{output}".rstrip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
