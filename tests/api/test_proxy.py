"""The reverse proxy of docker-compose.yml in front of the API, over real sockets: nginx runs
docker/nginx/lendgres.conf, with the API served as `lendgres serve` serves it. It passes requests and the client's
Host on, refuses a large body and an unreachable API with problems shaped like the API's, and drops slow clients
while a long poll goes through.

Debian's nginx is used (`make check` installs it when missing); it predates `resolve` in an upstream (1.27.3, in the
compose image), so the API's address is written in directly: the only change made to the configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import bearer

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PATIENCE = 30  # seconds a test waits for what the proxy should do within its 10 s client timeouts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def proxy(api_port: int) -> Iterator[int]:
    """nginx with the repository's configuration, passing to the API on `api_port`; yields the port it listens on."""
    if not os.access(NGINX, os.X_OK):
        pytest.skip("nginx is not installed (`make check` installs Debian's)")
    port = free_port()
    conf = (ROOT / "docker" / "nginx" / "lendgres.conf").read_text()
    for compose_only, here in (("server api:8000 resolve;", f"server 127.0.0.1:{api_port};"), ("listen 8080;", "")):
        assert conf.count(compose_only) == 1
        conf = conf.replace(compose_only, here)
    conf = conf.replace("server_tokens off;", f"listen 127.0.0.1:{port};\n    server_tokens off;")
    root = Path(tempfile.mkdtemp(prefix="lendgres-nginx-"))
    root.chmod(0o755)  # run as root, nginx's workers are nobody: they read the configuration and keep temp files
    (root / "lendgres.conf").write_text(conf)
    temp_paths = "\n".join(f"    {kind}_temp_path {root}/{kind};" for kind in ("client_body", "proxy", "fastcgi"))
    (root / "nginx.conf").write_text(
        f"daemon off;\nworker_processes 1;\npid {root}/nginx.pid;\nerror_log {root}/error.log;\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\n    access_log off;\n{temp_paths}\n    uwsgi_temp_path {root}/uwsgi;\n"
        f"    scgi_temp_path {root}/scgi;\n    include {root}/lendgres.conf;\n}}\n"
    )
    process = subprocess.Popen([NGINX, "-p", str(root), "-c", str(root / "nginx.conf")], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert process.poll() is None, process.stderr.read() if process.stderr else b""
            assert time.monotonic() < deadline, "nginx did not start listening"
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(root, ignore_errors=True)


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


async def until_closed(reader: asyncio.StreamReader) -> bytes:
    """What the proxy sends before it closes the connection."""
    received = b""
    while chunk := await reader.read(65536):
        received += chunk
    return received


async def stalled(port: int, head: bytes) -> bytes:
    """Sends `head` and nothing more; returns what came back before the proxy closed the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        await writer.drain()
        return await asyncio.wait_for(until_closed(reader), PATIENCE)
    finally:
        writer.close()


async def test_the_proxy_passes_requests_and_the_clients_host_on(served: str) -> None:
    with proxy(port_of(served)) as port:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=bearer()) as client:
            me = await client.get("/me")
            assert me.status_code == 200 and me.json()["name"] == "test-admin"

            initialize = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"},
                },
            }
            accept = {"Accept": "application/json, text/event-stream"}
            # /mcp answers only the hosts it is told of (localhost:* by default): the Host the client sent arrives.
            for host, status in ((f"localhost:{port}", 200), ("evil.example", 421)):
                answer = await client.post("/mcp", json=initialize, headers={**accept, "Host": host})
                assert answer.status_code == status, (host, answer.text)


async def test_the_proxy_refuses_a_large_body_with_a_problem(served: str) -> None:
    with proxy(port_of(served)) as port:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=bearer()) as client:
            answer = await client.post("/loans/apply", content=b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "body_too_large"


async def test_slow_clients_lose_their_connection_while_a_long_poll_goes_through(served: str) -> None:
    with proxy(port_of(served)) as port:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=bearer(), timeout=PATIENCE) as client:
            cursor = (await client.get("/events")).json()["next_cursor"]
            short_body = (
                "POST /loans/apply HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                f"Authorization: {bearer()['Authorization']}\r\nContent-Length: 100\r\n\r\n{{"
            ).encode()
            headers_unfinished = b"GET /readyz HTTP/1.1\r\nHost: loc"
            # The long poll waits past the proxy's 10 s client timeouts: they are about sending, not waiting.
            poll, *dropped = await asyncio.gather(
                client.get("/events", params={"after": cursor, "wait": 12}),
                stalled(port, short_body),
                stalled(port, headers_unfinished),
            )
    assert poll.status_code == 200 and poll.json()["events"] == []
    assert dropped == [b"", b""], "dropped without an answer"


async def test_an_unreachable_api_is_a_503_problem_with_retry_after() -> None:
    with proxy(free_port()) as port:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for method in ("GET", "POST"):
                answer = await client.request(method, "/loans/1")
                assert answer.status_code == 503
                assert answer.headers["content-type"] == "application/problem+json"
                assert answer.headers["retry-after"] == "1"
                assert json.loads(answer.text)["code"] == "service_unavailable"
