#!/usr/bin/env bash
# `make lock`: writes constraints.txt, every package the image installs at the exact version a clean install of
# pyproject.toml picks today: the runtime dependencies, theirs in turn, and the build backend that builds the
# project's wheel. The Dockerfile installs exactly these (pip install --no-deps -r constraints.txt, then pip check),
# so a dependency added to pyproject.toml without running this again fails the image build, and
# tests/test_lock.py fails before that.
#
# Environment markers choose dependencies by Python version, so the lock is made with the image's Python (the X.Y
# of the Dockerfile's FROM python:X.Y.Z): give it as PYTHON=python3.Y when python3 is another.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
image_python="$(sed -n 's/^FROM python:\([0-9]*\.[0-9]*\)\..*/\1/p' "$root/Dockerfile" | head -n 1)"
own_python="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ "$own_python" != "$image_python" ]; then
    echo "make lock: $python is Python $own_python but the image's is $image_python; set PYTHON=python$image_python" >&2
    exit 1
fi

venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
"$python" -m venv "$venv"
build_backend="$("$venv/bin/python" -c '
import sys, tomllib
with open(sys.argv[1], "rb") as file:
    print(*tomllib.load(file)["build-system"]["requires"], sep="\n")
' "$root/pyproject.toml")"
# shellcheck disable=SC2086 # one requirement a line, none with spaces
"$venv/bin/pip" install --quiet --disable-pip-version-check "$root" $build_backend

{
    echo "# Every package the Docker image installs, for Python $own_python on Linux: written by \`make lock\`"
    echo "# (docker/lock.sh) from pyproject.toml; do not edit by hand."
    "$venv/bin/pip" freeze --disable-pip-version-check --exclude lendgres
} >"$root/constraints.txt.new"
mv "$root/constraints.txt.new" "$root/constraints.txt"
echo "make lock: wrote constraints.txt ($(grep -c '==' "$root/constraints.txt") packages)"
