"""What one request may cost, over a real socket: a body over the size limit is refused before it is read, a
request without a valid key is refused before its body is read, and a client that is slow to send its headers or
its body, or sends nothing at all, loses its connection. The limits are small here so that the tests are quick."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import psycopg
import pytest
from fastapi import FastAPI

from lendgres.app import create_app
from lendgres.serving import LimitedHttpToolsProtocol
from lendgres.settings import Settings
from tests.api.conftest import serving
from tests.conftest import API_KEYS, role_url

pytestmark = pytest.mark.anyio

LIMIT = 2000
TIMEOUT = 0.5  # seconds, for headers and for pauses in a body
PATIENCE = 10  # seconds a test waits for what should happen within TIMEOUT


class QuickToTimeOut(LimitedHttpToolsProtocol):
    header_timeout = TIMEOUT


@pytest.fixture
async def limited(postgresql: psycopg.Connection) -> AsyncIterator[FastAPI]:
    postgresql.autocommit = True
    settings = Settings(
        database_url=role_url(postgresql, "lendgres_test_http"),
        pool_min_size=1,
        max_body_bytes=LIMIT,
        body_timeout_seconds=TIMEOUT,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def address(limited: FastAPI) -> AsyncIterator[tuple[str, int]]:
    async with serving(limited, QuickToTimeOut) as base:
        host, port = base.removeprefix("http://").split(":")
        yield host, int(port)


def request_head(method: str, path: str, *headers: str, key: str | None = "test-admin") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers]
    if key:
        lines.append(f"Authorization: Bearer {API_KEYS[key]}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection (failing the test if it never does)."""
    received = b""
    async with asyncio.timeout(PATIENCE):
        while chunk := await reader.read(65536):
            received += chunk
    return received


def parse(response: bytes) -> tuple[int, dict[str, str], dict[str, object]]:
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, json.loads(body) if body else {}


async def applications(postgresql: psycopg.Connection) -> int:
    row = postgresql.execute("select count(*) from lending_private.application").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("path", ["/loans/apply", "/mcp"])
async def test_a_body_over_the_limit_is_refused_unread(
    address: tuple[str, int], postgresql: psycopg.Connection, path: str
) -> None:
    reader, writer = await asyncio.open_connection(*address)
    writer.write(request_head("POST", path, "Content-Type: application/json", f"Content-Length: {LIMIT + 1}"))
    await writer.drain()  # and not a byte of the body: the answer must not wait for it
    status, headers, problem = parse(await until_closed(reader))
    writer.close()
    assert (status, problem["code"], problem["max_body_bytes"]) == (413, "body_too_large", LIMIT)
    assert headers["content-type"] == "application/problem+json" and headers["connection"] == "close"
    assert await applications(postgresql) == 0


async def test_a_chunked_body_is_refused_once_it_passes_the_limit(
    address: tuple[str, int], postgresql: psycopg.Connection
) -> None:
    """Without a Content-Length the size is known only as the body arrives."""
    reader, writer = await asyncio.open_connection(*address)
    writer.write(request_head("POST", "/loans/apply", "Content-Type: application/json", "Transfer-Encoding: chunked"))
    body = json.dumps({"applicant_name": "x" * LIMIT, "amount": 100}).encode()
    for start in range(0, len(body), 500):
        piece = body[start : start + 500]
        writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    writer.write(b"0\r\n\r\n")
    await writer.drain()
    status, headers, problem = parse(await until_closed(reader))
    writer.close()
    assert (status, problem["code"], headers["connection"]) == (413, "body_too_large", "close")
    assert await applications(postgresql) == 0


@pytest.mark.parametrize("path", ["/loans/apply", "/mcp"])
async def test_without_a_valid_key_the_body_is_never_waited_for(address: tuple[str, int], path: str) -> None:
    """The body is announced and never sent: the refusal comes before any wait for it (which would end in 408)."""
    for key in (None, "test-admin"):
        reader, writer = await asyncio.open_connection(*address)
        authorization = () if key else ("Authorization: Bearer lgk_" + "x" * 64,)
        head = request_head("POST", path, "Content-Type: application/json", "Content-Length: 1000", *authorization)
        writer.write(head if not key else head.replace(API_KEYS[key].encode(), b"lgk_" + b"y" * 64))
        await writer.drain()
        async with asyncio.timeout(PATIENCE):
            response = await reader.readuntil(b"\r\n\r\n")
        writer.close()
        assert response.startswith(b"HTTP/1.1 401 "), response


async def test_a_body_shorter_than_its_length_times_out(
    address: tuple[str, int], postgresql: psycopg.Connection
) -> None:
    reader, writer = await asyncio.open_connection(*address)
    writer.write(request_head("POST", "/loans/apply", "Content-Type: application/json", "Content-Length: 100"))
    writer.write(b'{"applicant_name": "Jane"')
    await writer.drain()
    status, headers, problem = parse(await until_closed(reader))
    writer.close()
    assert (status, problem["code"], headers["connection"]) == (408, "request_timeout", "close")
    assert await applications(postgresql) == 0


async def test_a_connection_that_sends_nothing_is_closed(address: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*address)
    assert await until_closed(reader) == b""
    writer.close()


async def test_headers_sent_a_line_at_a_time_are_cut_off(address: tuple[str, int]) -> None:
    """Slowloris: each line arrives well within the timeout, the whole never does."""
    reader, writer = await asyncio.open_connection(*address)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    closed = asyncio.ensure_future(until_closed(reader))
    for line in range(int(PATIENCE / 0.1)):
        if closed.done():
            break
        try:
            writer.write(f"X-Line-{line}: 1\r\n".encode())
            await writer.drain()
        except ConnectionError:
            break
        await asyncio.sleep(0.1)
    assert await closed == b"", "the server answered headers that never ended"
    writer.close()


async def test_each_request_on_a_kept_connection_has_the_same_limit(address: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*address)
    for _ in range(2):  # answered in full, and the connection kept
        writer.write(request_head("GET", "/healthz", key=None))
        await writer.drain()
        async with asyncio.timeout(PATIENCE):
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 ")
            length = int(parse(head)[1]["content-length"])
            await reader.readexactly(length)
    writer.write(b"GET /healthz HTTP/1.1\r\n")  # a third, whose headers never end
    await writer.drain()
    assert await until_closed(reader) == b""
    writer.close()
