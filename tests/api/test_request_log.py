"""The request log's default handler: every line written, flushes batched on the event loop."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from lendgres.http import StandardOutput, _timestamp, access_log

pytestmark = pytest.mark.anyio


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1


async def test_lines_are_written_at_once_and_flushed_together_within_the_interval(monkeypatch):
    monkeypatch.setattr(StandardOutput, "FLUSH_INTERVAL_S", 0.05)
    handler = StandardOutput()
    stream = CountingStream()
    handler.stream = stream
    for number in range(3):
        handler.write_line(json.dumps({"n": number}))
    assert [json.loads(line)["n"] for line in stream.getvalue().splitlines()] == [0, 1, 2]
    assert stream.flushes == 0
    await asyncio.sleep(0.2)
    assert stream.flushes == 1


async def test_the_default_handler_gets_each_request_line(http, monkeypatch):
    handler = StandardOutput()
    stream = CountingStream()
    handler.setStream(stream)
    monkeypatch.setattr(access_log, "handlers", [handler])
    monkeypatch.setattr(access_log, "propagate", False)
    await http.get("/loans", headers={"X-Request-Id": "line-1"})
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert (line["request_id"], line["actor"], line["route"], line["status"]) == ("line-1", "test-admin", "/loans", 200)


def test_outside_an_event_loop_a_line_is_flushed_at_once():
    handler = StandardOutput()
    stream = CountingStream()
    handler.setStream(stream)
    handler.write_line("{}")
    assert stream.flushes == 1


def test_the_time_is_utc_to_the_millisecond_across_seconds():
    # 2026-11-25T23:59:59 UTC, then the next second: the cached part must move on with it.
    assert _timestamp(1795651199.5) == "2026-11-25T23:59:59.500+00:00"
    assert _timestamp(1795651199.999) == "2026-11-25T23:59:59.999+00:00"
    assert _timestamp(1795651200.007) == "2026-11-26T00:00:00.007+00:00"
    assert _timestamp(1795651199.25) == "2026-11-25T23:59:59.250+00:00"
