"""Reading the events feed, and the wake-ups of long-polling readers.

Each worker keeps one connection, outside the pool, LISTENing on the channel the event triggers NOTIFY at commit.
Waiters never hold a database connection while they wait: they wait on an asyncio.Event that the listener sets
when a notification arrives, then read the feed again through the pool. The same connection hears API key
revocations (channel lending_keys) and tells the key cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from fastapi import FastAPI

from . import db

log = logging.getLogger("lendgres")

CHANNEL = "lending_events"
KEYS_CHANNEL = "lending_keys"
RECONNECT_DELAY_S = 1.0


class EventsListener:
    def __init__(
        self,
        database_url: str,
        key_revoked: Callable[[str], None] = lambda _digest: None,
        keys_unknown: Callable[[], None] = lambda: None,
    ) -> None:
        self._database_url = database_url
        self._key_revoked = key_revoked
        self._keys_unknown = keys_unknown
        self._changed = asyncio.Event()
        self._connection: Any = None
        self._keeper: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()

    async def start(self) -> None:
        await self._listen()
        self._keeper = asyncio.create_task(self._keep_listening())

    async def stop(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        if self._connection is not None:
            await self._connection.close()

    def next_change(self) -> asyncio.Event:
        """The event that the next notification sets. Take it before reading the feed, so that a commit between
        the read and the wait still wakes the waiter."""
        return self._changed

    def _notified(self, *_: object) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _listen(self) -> None:
        self._lost.clear()
        self._connection = await asyncpg.connect(self._database_url)
        self._connection.add_termination_listener(lambda *_: self._lost.set())
        await self._connection.add_listener(CHANNEL, self._notified)
        await self._connection.add_listener(KEYS_CHANNEL, lambda *args: self._key_revoked(args[3]))

    async def _keep_listening(self) -> None:
        """Reconnects a lost listening connection. Once it listens again, every waiter reads the feed again: a
        change that committed while nobody was listening sent its notification to no one, and so did a revoked
        key: the key cache starts afresh."""
        while True:
            await self._lost.wait()
            try:
                await self._listen()
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("events listener cannot reconnect (%s); retrying", exc)
                await asyncio.sleep(RECONNECT_DELAY_S)
                self._lost.set()
            else:
                self._keys_unknown()
                self._notified()

    @property
    def backend_pid(self) -> int | None:
        """The listening connection's server process, for operators (and tests) to see which one it is."""
        return None if self._connection is None or self._connection.is_closed() else self._connection.get_server_pid()


async def read_events(
    app: FastAPI,
    actor: str,
    after: str | None,
    limit: int,
    wait: float,
    application_id: int | None,
    event_type: str | None,
) -> str:
    """Reads the feed; when it has nothing new and `wait` allows, waits for the next commit and reads it again."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    listener = app.state.events_listener
    while True:
        changed = listener.next_change()
        result = await db.call(
            app.state.pool,
            "lending.events_after",
            after=after,
            limit=limit,
            application_id=application_id,
            event_type=event_type,
            actor=actor,
        )
        remaining = deadline - loop.time()
        if remaining <= 0 or json.loads(result)["events"]:
            return result
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), remaining)
