"""Writes the next migration from the source files changed since the last one (`make migration NAME=...`).

A migration is never copied out of another by hand. Each function file changed in db/src goes into the new
migration whole: its current text in the up section, its earlier text (from git) in the down section, with `drop
function` lines where a function went away or changed in a way `create or replace` cannot make, and the grants and
comments its new text no longer states taken back. Changes to other files (tables, domains, reference rows) need
ALTERs or data moves that only a person can write: they become marked placeholders, showing the change, and the
tool refuses to finish while one is left. Finishing checks that a database migrated to the new migration is the
one db/src builds, and rewrites db/schema.sql.

    python -m lendgres.devtools.new_migration NAME [--base REF]   writes db/migrations/<timestamp>_NAME.sql
    python -m lendgres.devtools.new_migration                     finishes the migration written, once edited

"Since the last one" is since the newest commit that changed db/migrations (--base names another commit): a
migration is committed together with the source change it makes, so the source at that commit is what the
committed migrations build. The migration being written is the one no commit holds yet.
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

    def last_migrated(self) -> str:
        """The newest commit that changed db/migrations: what db/src was when the newest committed migration was
        written, since a migration is committed with the source change it makes."""
        commit = self.git("log", "-1", "--format=%H", "--", "db/migrations").strip()
        if not commit:
            raise RuntimeError("no commit holds a migration yet: pass --base")
        return commit

    def at(self, base: str, path: str) -> str | None:
        """The text of `path` (relative to the root) at commit `base`, or None if it did not exist there."""
        try:
            return self.git("show", f"{base}:{path}")
        except subprocess.CalledProcessError:
            return None

    def source_files(self, base: str) -> set[str]:
        """The files of db/src at `base`, relative to it."""
        return {
            name.removeprefix("db/src/") for name in self.git("ls-tree", "-r", "--name-only", base, "db/src").split()
        }

    def changed_source(self, base: str) -> list[str]:
        """The files of db/src (relative to it) that differ between `base` and the work tree, untracked included.
        A file moved between folders is a deletion and an addition here (see `write`, which pairs them)."""
        tracked = self.git("diff", "--no-renames", "--name-only", base, "--", "db/src").split()
        untracked = self.git("ls-files", "--others", "--exclude-standard", "--", "db/src").split()
        return sorted({name.removeprefix("db/src/") for name in (*tracked, *untracked)} - {source.MANIFEST})

    def being_written(self) -> list[Path]:
        """The migrations in the work tree that no commit holds yet."""
        committed = set(self.git("ls-tree", "--name-only", "HEAD", "db/migrations/").split())
        return sorted(
            path for path in self.migrations_dir.glob("*.sql") if f"db/migrations/{path.name}" not in committed
        )


# Functions ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    mode: str  # in, out, inout or variadic
    name: str
    type: str
    has_default: bool


@dataclass(frozen=True)
class Function:
    """One `create or replace function` of a source file, as written: its name, parameters and result."""

    name: str
    parameters: tuple[Parameter, ...]
    result: str

    @property
    def signature(self) -> str:
        """Its identity, as `drop function` and `grant` name it: the types of its parameters but the OUT ones."""
        types = (parameter.type for parameter in self.parameters if parameter.mode != "out")
        return f"{self.name}({', '.join(types)})"

    def replaceable_by(self, other: Function) -> bool:
        """Whether `create or replace` can make this function `other`. PostgreSQL refuses to change its result,
        the names and modes of its parameters, or to take a default away; it may add one."""
        if self.result != other.result or len(self.parameters) != len(other.parameters):
            return False
        pairs = zip(self.parameters, other.parameters, strict=True)
        return all(
            (p.mode, p.name, p.type) == (q.mode, q.name, q.type) and q.has_default >= p.has_default for p, q in pairs
        )


def functions_in(text: str) -> list[Function]:
    """The functions a source file creates, in order. Lendgres names every parameter."""
    found = []
    for match in re.finditer(r"^create or replace function ([\w.]+)\(", text, re.M):
        parameters, end = _balanced(text, match.end(), match.group(1))
        result = re.match(r"\s*returns\s+", text[end:], re.I)
        if result is None:
            raise RuntimeError(f"{match.group(1)}: no `returns` after its parameters")
        start = end + result.end()
        if text[start:].lower().startswith("table"):
            columns, _ = _balanced(text, text.index("(", start) + 1, match.group(1))
            returns = f"table({columns})"
        else:
            returns = text[start:].split("\n", 1)[0]
        found.append(Function(match.group(1), _parameters(parameters), " ".join(returns.lower().split())))
    return found


def _balanced(text: str, start: int, name: str) -> tuple[str, int]:
    """The text from `start` up to the parenthesis that closes the one before it, and the index after that one;
    quoted strings and identifiers may hold parentheses."""
    depth, index, quote = 1, start, ""
    while depth:
        if index >= len(text):
            raise RuntimeError(f"{name}: its parameter list does not close")
        char = text[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        else:
            depth += {"(": 1, ")": -1}.get(char, 0)
        index += 1
    return text[start : index - 1], index


def _parameters(text: str) -> tuple[Parameter, ...]:
    """`[mode] name type [default ...]`, comma-separated (commas inside parentheses or quotes do not count)."""
    found = []
    for written in _top_level_split(text):
        default = re.search(r"\s+default\s+|\s*=\s*", written, re.I)
        words = (written[: default.start()] if default else written).split()
        if not words:
            continue
        mode = words.pop(0).lower() if words[0].lower() in ("in", "out", "inout", "variadic") else "in"
        found.append(Parameter(mode, words[0], " ".join(words[1:]).lower(), default is not None))
    return tuple(found)


def _top_level_split(parameters: str) -> list[str]:
    parts, depth, current, quote = [], 0, "", ""
    for char in parameters:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0 and not quote:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


_GRANT = re.compile(r"^grant execute on function ([\w.]+\([^)]*\)) to ([\w, ]+);", re.M)
_COMMENT = re.compile(r"^comment on function ([\w.]+\([^)]*\)) is", re.M)


def replace_function_file(before: str | None, after: str | None) -> str:
    """What takes a database from one version of a function file to another: `drop function` for each function
    that goes away or that `create or replace` cannot change into its new version; the new text, with its comments
    and grants; and the revocations and comments removed that the new text no longer states."""
    old = {function.signature: function for function in functions_in(before or "")}
    new = {function.signature: function for function in functions_in(after or "")}
    dropped = {
        signature
        for signature, function in old.items()
        if signature not in new or not function.replaceable_by(new[signature])
    }
    undone = []
    for signature in old.keys() & new.keys() - dropped:
        for role in sorted(_grantees(before, signature) - _grantees(after, signature)):
            undone.append(f"revoke execute on function {signature} from {role};")
        if _commented(before, signature) and not _commented(after, signature):
            undone.append(f"comment on function {signature} is null;")
    drops = [f"drop function {signature};" for signature in old if signature in dropped]
    return "\n".join([*drops, *([after.rstrip("\n")] if after else []), *undone])


def _grantees(text: str | None, signature: str) -> set[str]:
    return {
        role.strip()
        for granted, roles in _GRANT.findall(text or "")
        if _same_signature(granted, signature)
        for role in roles.split(",")
    }


def _commented(text: str | None, signature: str) -> bool:
    return any(_same_signature(commented, signature) for commented in _COMMENT.findall(text or ""))


def _same_signature(written: str, signature: str) -> bool:
    return " ".join(written.lower().split()) == " ".join(signature.lower().split())


# Writing and finishing ------------------------------------------------------------------------------------------


def write(repository: Repository, name: str, base: str, now: datetime | None = None) -> Path:
    """Writes the migration for the source changed since `base`; returns its path."""
    if not NAME.match(name):
        raise RuntimeError(f"the name must be lower case words joined by _, such as create_products, not {name!r}")
    drafts = repository.being_written()
    if drafts:
        raise RuntimeError(
            f"{drafts[0].relative_to(repository.root)} is already being written: finish it with `make migration`, "
            "or delete it to write it again"
        )
    changes = _changes(repository, base)
    if not changes:
        raise RuntimeError(f"nothing in db/src changed since {base[:12]}: there is nothing to migrate")

    order = _manifest_order(repository, base)
    up, down = [], []
    for path, (before, after) in sorted(changes.items(), key=lambda change: order.get(change[0], len(order))):
        if source.is_function_file(path):
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


def _changes(repository: Repository, base: str) -> dict[str, tuple[str | None, str | None]]:
    """Each changed source file, by its path now (or at `base`, if it is gone), with its text then and now. A
    function file is known by its name, whatever its folder: one moved to another domain is changed, not dropped
    and made anew."""
    was = {Path(path).name: path for path in repository.source_files(base) if source.is_function_file(path)}
    now = {path.name: str(path.relative_to(repository.source_dir)) for path in repository.source_dir.rglob("*.*.sql")}
    changes: dict[str, tuple[str | None, str | None]] = {}
    for path in repository.changed_source(base):
        name = Path(path).name
        if source.is_function_file(path):
            before = repository.at(base, f"db/src/{was[name]}") if name in was else None
            current = repository.source_dir / now[name] if name in now else None
            after = current.read_text() if current is not None else None
            if before != after:
                changes[now.get(name, path)] = (before, after)
        else:
            current = repository.source_dir / path
            changes[path] = (repository.at(base, f"db/src/{path}"), current.read_text() if current.exists() else None)
    return changes


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


def finish(repository: Repository, server: throwaway.Server | None = None) -> list[Path]:
    """Checks the migrations being written: no placeholder left, and the database they make is the one db/src
    builds (on `server`, or a throwaway one); then rewrites db/schema.sql. Raises RuntimeError, saying what is
    wrong, otherwise."""
    drafts = repository.being_written()
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
    parser.add_argument("--base", help="the commit db/src is compared with (default: the last that added a migration)")
    args = parser.parse_args(argv)
    repository = Repository(source.SOURCE_DIR.parents[1])
    try:
        if args.name:
            migration = write(repository, args.name, args.base or repository.last_migrated())
            print(f"wrote {migration.relative_to(repository.root)}")
            left = placeholders(migration)
            if left:
                print(
                    f"{len(left)} placeholder(s) to write by hand (lines {', '.join(map(str, left))}); then run "
                    "`make migration` to finish."
                )
                return 1
        for draft in finish(repository):
            print(f"{draft.relative_to(repository.root)} makes what db/src describes; db/schema.sql is rewritten.")
        print("Now run `make test`, and commit the source, the migration and db/schema.sql together.")
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        output = getattr(exc, "stderr", None) or getattr(exc, "stdout", None) or ""
        print(f"make migration: {exc}\n{output}".rstrip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
