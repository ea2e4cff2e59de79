"""Reading the events feed, and the wake-ups of long-polling readers.

Each worker keeps one connection, outside the pool, LISTENing on the channel the event triggers NOTIFY at commit.
Waiters never hold a database connection while they wait: they wait on an asyncio.Event that the listener sets
when a notification arrives, then read the feed again through the pool. The same connection hears API key
revocations (channel lending_keys) and tells the key cache.

Changes NOTIFY only while some listening session watches (NOTIFY makes commits queue behind each other; see the
migration notify_only_watched_events). So the first waiter of a worker registers the worker's listening session
with lending.watch_events, which returns once every change that did not notify has committed, and reads the feed
again before it waits; the registration is taken back a while after the last waiter left.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg

from .. import db

log = logging.getLogger("lendgres")

CHANNEL = "lending_events"
KEYS_CHANNEL = "lending_keys"
RECONNECT_DELAY_S = 1.0
# How long a worker stays registered as a watcher after its last waiter left: long polls come in series, and each
# registration briefly holds back the writers.
UNWATCH_AFTER_S = 60.0


class EventsListener:
    def __init__(
        self,
        database_url: str,
        database: db.Database | None = None,
        key_revoked: Callable[[str], None] = lambda _digest: None,
        keys_unknown: Callable[[], None] = lambda: None,
    ) -> None:
        self._database_url = database_url
        self._database = database
        self._watch_actor = ""
        self._key_revoked = key_revoked
        self._keys_unknown = keys_unknown
        self._changed = asyncio.Event()
        self._connection: Any = None
        self._keeper: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self._waiters = 0
        self._watched_pid: int | None = None  # the listening session lending.watch_events registered
        self._watch_lock = asyncio.Lock()
        self._unwatch: asyncio.TimerHandle | None = None
        self._unwatching: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self._listen()
        self._keeper = asyncio.create_task(self._keep_listening())

    async def stop(self) -> None:
        if self._unwatch is not None:
            self._unwatch.cancel()
            self._start_unwatching()
        for task in list(self._unwatching):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        if self._connection is not None:
            await self._connection.close()

    @contextlib.asynccontextmanager
    async def waiting(self) -> AsyncIterator[None]:
        """Counts a reader that may wait; a while after the last one left, the worker stops watching."""
        self._waiters += 1
        if self._unwatch is not None:
            self._unwatch.cancel()
            self._unwatch = None
        try:
            yield
        finally:
            self._waiters -= 1
            if self._waiters == 0 and self._watched_pid is not None:
                self._unwatch = asyncio.get_running_loop().call_later(UNWATCH_AFTER_S, self._start_unwatching)

    def watched(self) -> bool:
        """Whether changes notify this worker's listening session now."""
        return self._watched_pid is not None and self._watched_pid == self.backend_pid

    async def watch(self, database: db.Database, actor: str) -> None:
        """Registers the listening session as a watcher (once for concurrent waiters), as `actor`, who may read
        events. Returns when every change that did not notify has committed."""
        async with self._watch_lock:
            pid = self.backend_pid
            if pid is None or pid == self._watched_pid:
                return
            await db.call(database, "lending.watch_events", listener_pid=pid, actor=actor)
            self._watched_pid = pid
            self._watch_actor = actor

    def _start_unwatching(self) -> None:
        self._unwatch = None
        task = asyncio.get_running_loop().create_task(self._unwatch_now())
        self._unwatching.add(task)
        task.add_done_callback(self._unwatching.discard)

    async def _unwatch_now(self) -> None:
        async with self._watch_lock:
            if self._waiters > 0 or self._watched_pid is None or self._database is None:
                return
            pid, self._watched_pid = self._watched_pid, None
            try:
                await db.call(self._database, "lending.unwatch_events", listener_pid=pid, actor=self._watch_actor)
            except (OSError, asyncpg.PostgresError) as exc:
                # Changes keep notifying until the next registration clears sessions that are gone: harmless.
                log.warning("events listener could not stop watching (%s)", exc)

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
    listener: EventsListener, database: db.Database, function: str, actor: str, wait: float, **query: Any
) -> str:
    """Reads the feed as `actor` (`function`, lending.events_after, with `query`: after, limit, application_id,
    event_type); when it has nothing new and `wait` allows, waits for the next commit and reads it again."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    async with listener.waiting():
        while True:
            changed = listener.next_change()
            result = await db.call(database, function, **query, actor=actor)
            remaining = deadline - loop.time()
            page = json.loads(result)
            if remaining <= 0 or page["events"]:
                return result
            # The next read starts where this one left off: past every event it examined (none of them matched).
            query["after"] = page["next_cursor"]
            if not listener.watched():
                # Nobody was watching, so changes did not notify: register, then read again before waiting. (While
                # the listening connection is down there is nothing to register; its reconnection wakes waiters.)
                await listener.watch(database, actor)
                if listener.watched():
                    continue
            with contextlib.suppress(asyncio.TimeoutError):  # TimeoutError itself only from Python 3.11
                await asyncio.wait_for(changed.wait(), remaining)
