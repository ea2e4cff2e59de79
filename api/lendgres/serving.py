"""How uvicorn serves Lendgres: its httptools protocol, with a limit on how long a client may take to send a
request's headers.

uvicorn closes a keep-alive connection that stays idle after a response, but nothing else: a connection that never
sends a byte, or sends a header line now and then (slowloris), holds its socket for as long as the client likes.
Here every connection must deliver a request's headers within the header timeout of opening, or of its previous
response ending. The body's own limits (size, pauses) are the app's: http.RequestLimits.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import header_timeout_from_env


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request headers take longer than
    `header_timeout` seconds to arrive."""

    # Read once per process; uvicorn's worker processes import this class by name (cli.serve).
    header_timeout: float = header_timeout_from_env()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def on_headers_complete(self) -> None:
        self._stop_awaiting_headers()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not (self.transport.is_closing() or self.pipeline):  # a pipelined request has its headers already
            self._await_headers()  # the next request on this connection has as long as the first

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_awaiting_headers()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        self._stop_awaiting_headers()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_awaiting_headers(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()
