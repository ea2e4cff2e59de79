# The Lendgres HTTP API. The database and its migrations run elsewhere (see docker-compose.yml): give it
# DATABASE_URL, a login role granted lending_api, never a superuser.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY api/ api/
COPY db/ db/
# The wheel carries db/migrations (pyproject's force-include), which serve needs to check the schema version.
RUN pip install --no-cache-dir . && rm -rf /src

RUN useradd --system --create-home --home-dir /home/lendgres --shell /usr/sbin/nologin lendgres
USER lendgres
WORKDIR /home/lendgres

EXPOSE 8000
CMD ["lendgres", "serve", "--host", "0.0.0.0", "--port", "8000"]
