# Lendgres: `make run` serves the API on an embedded PostgreSQL; `make test` runs the fast suite.
# Both create the virtual environment and install the project first. `make check` runs everything CI runs.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian's PostgreSQL 15, for proving the SQL on the oldest server we support.
PG15_BINDIR := /usr/lib/postgresql/15/bin

.PHONY: run test test-all test-pg15 chromium lint schema migration check bench clean
.PHONY: migrate-check lock

$(BIN)/lendgres: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/lendgres
	$(BIN)/lendgres serve

test: $(BIN)/lendgres
	$(BIN)/python -m pytest -m "not slow" -q

test-all: $(BIN)/lendgres chromium
	$(BIN)/python -m pytest -q

# Debian's Chromium, for the test that opens the documentation pages (Playwright's own browser download cannot run
# on every machine); installed when missing.
chromium:
	test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

# The database suites again, on PostgreSQL 15 (installed from Debian's packages when missing).
test-pg15: $(BIN)/lendgres
	test -x $(PG15_BINDIR)/initdb || (apt-get update -qq && apt-get install -y -qq postgresql-15 >/dev/null)
	LENDGRES_TEST_PG_BINDIR=$(PG15_BINDIR) $(BIN)/python -m pytest -q tests/db tests/test_migrations.py tests/test_source.py

lint: $(BIN)/lendgres
	$(BIN)/ruff check api tests bench examples
	$(BIN)/ruff format --check api tests bench examples
	$(BIN)/mypy
	$(BIN)/mypy examples

# Regenerates db/schema.sql from the migrations (CI checks that it matches: tests/test_migrations.py).
schema: $(BIN)/lendgres
	$(BIN)/python -m lendgres.devtools.schema db/schema.sql

# Writes the next migration from what changed in db/src since the last one (NAME=what_it_does), or, without
# NAME, finishes the one being written: see db/README.md. BASE=<commit> compares db/src with another commit.
migration: $(BIN)/lendgres
	$(BIN)/python -m lendgres.devtools.new_migration $(NAME) $(if $(BASE),--base $(BASE))

# Applies db/migrations with the real dbmate binary, configured and run as docker-compose.yml's dbmate service runs
# it, to a throwaway PostgreSQL 18: then nothing is pending, a second `up` applies nothing, and the newest migration
# rolls back and applies again to the same schema.
migrate-check: $(BIN)/lendgres
	$(BIN)/python -m lendgres.devtools.migrate_check

# Rewrites constraints.txt, the exact packages the Docker image installs, from pyproject.toml (docker/lock.sh),
# with the image's Python: PYTHON=python3.Y when python3 is another.
lock:
	PYTHON=$(PYTHON) docker/lock.sh

# Debian's nginx, for the reverse proxy's tests (tests/api/test_proxy.py), installed when missing.
NGINX := /usr/sbin/nginx
$(NGINX):
	apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx >/dev/null

check: lint $(NGINX) test-all test-pg15 migrate-check

bench: $(BIN)/lendgres
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .lendgres .pytest_cache .mypy_cache .ruff_cache
