# The Lendgres HTTP API. The database and its migrations run elsewhere (see docker-compose.yml): give it
# DATABASE_URL, a login role granted lending_gateway (the role that checks API keys and names each call's actor),
# never a superuser.
#
# An exact tag: the Python that `make lock` wrote constraints.txt for (docker/lock.sh reads the X.Y here). See
# docker-compose.yml for pinning its digest.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Exactly the locked packages and nothing resolved here: --no-deps, then pip check proves the set is complete.
COPY constraints.txt ./
RUN pip install --no-cache-dir --no-deps -r constraints.txt

COPY pyproject.toml README.md ./
COPY api/ api/
COPY db/ db/
# The wheel carries db/migrations (pyproject's force-include), which serve needs to check the schema version. It is
# built with the locked build backend installed above, not one fetched for the build.
RUN pip install --no-cache-dir --no-deps --no-build-isolation . && pip check && rm -rf /src

COPY docker/serve.sh /usr/local/bin/lendgres-serve

RUN useradd --system --create-home --home-dir /home/lendgres --shell /usr/sbin/nologin lendgres
USER lendgres
WORKDIR /home/lendgres

EXPOSE 8000
# One worker per CPU unless LENDGRES_WORKERS says otherwise (docker/serve.sh).
CMD ["lendgres-serve"]
