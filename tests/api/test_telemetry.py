"""FastAPI's native OpenTelemetry: off by default, on with LENDGRES_TELEMETRY=true."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest
from opentelemetry import trace

from lendgres.app import create_app
from lendgres.settings import Settings
from tests.conftest import role_url


class RecordingTracer(trace.Tracer):
    """Notes the name of every span started; the spans themselves record nothing."""

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def start_span(self, name: str, *args: Any, **kwargs: Any) -> trace.Span:
        self.names.append(name)
        return trace.NonRecordingSpan(trace.INVALID_SPAN_CONTEXT)

    @contextmanager
    def start_as_current_span(self, name: str, *args: Any, **kwargs: Any) -> Iterator[trace.Span]:
        yield self.start_span(name)


class RecordingTracerProvider(trace.TracerProvider):
    def __init__(self) -> None:
        self.names: list[str] = []

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return RecordingTracer(self.names)


@pytest.mark.anyio
@pytest.mark.parametrize("setting", [None, "false", "true"])
async def test_requests_are_traced_only_when_telemetry_is_on(
    setting: str | None, postgresql: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = RecordingTracerProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    monkeypatch.setenv("DATABASE_URL", role_url(postgresql, "lendgres_test_http"))
    if setting is None:
        monkeypatch.delenv("LENDGRES_TELEMETRY", raising=False)
    else:
        monkeypatch.setenv("LENDGRES_TELEMETRY", setting)
    app = create_app(Settings.from_env())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lendgres.test") as client:
            assert (await client.get("/healthz")).status_code == 200
    if setting == "true":
        assert provider.names[0] == "GET" and "fastapi.endpoint" in provider.names  # the request's span, then its parts
    else:
        assert provider.names == []
