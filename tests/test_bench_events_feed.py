"""bench/events_feed.py: how it judges a plan of the feed (which tests/db/events/test_feed_plans.py relies on too),
and a run of the whole benchmark on small feeds."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import events_feed


def node(node_type: str, *children: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"Node Type": node_type, "Plans": list(children), **fields}


def scan(node_type: str, index: str | None = None) -> dict[str, Any]:
    fields = {"Relation Name": "event", **({"Index Name": index} if index else {})}
    return node(node_type, **fields)


def test_reads_of_the_whole_feed_are_found() -> None:
    page = node("Limit", scan("Index Scan", "event_pkey"))
    assert events_feed.unbounded_reads({"Plan": node("Aggregate", node("Sort", page))}) == []
    # Pages of each type, merged by a sort of those pages only.
    merged = node(
        "Sort", node("Nested Loop", node("Function Scan"), node("Limit", scan("Index Scan", "event_of_type")))
    )
    assert events_feed.unbounded_reads({"Plan": node("Limit", merged)}) == []

    assert events_feed.unbounded_reads({"Plan": node("Limit", node("Sort", scan("Seq Scan")))}) == [
        "Seq Scan on event",
        "Sort of Seq Scan on event",
    ]
    bitmap = node("Sort", node("Bitmap Heap Scan", node("Bitmap Index Scan"), **{"Relation Name": "event"}))
    assert events_feed.unbounded_reads({"Plan": node("Limit", bitmap)}) == [
        "Bitmap Heap Scan on event",
        "Sort of Bitmap Heap Scan on event",
    ]
    sorted_index = node("Limit", node("Sort", scan("Index Scan", "event_application")))
    assert events_feed.unbounded_reads({"Plan": sorted_index}) == [
        "Sort of Index Scan on event using event_application"
    ]


def test_a_plan_for_any_position_is_told_from_a_plan_for_one() -> None:
    def index_scan(condition: str) -> dict[str, Any]:
        return {"Plan": node("Index Scan", **{"Relation Name": "event", "Index Cond": condition})}

    assert events_feed.is_generic(index_scan("((application_id = $3) AND (transaction_id < $4))")) is True
    assert (
        events_feed.is_generic(index_scan("((application_id = '7'::bigint) AND (transaction_id < '4255'::xid8))"))
        is False
    )
    assert events_feed.is_generic(index_scan("(event_type > $0)")) is None  # no position: the types present


@pytest.mark.slow
def test_the_benchmark_runs_on_small_feeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert events_feed.main(["--sizes", "300,600", "--calls", "2", "--rounds", "1", "--limit", "10"]) == 0
    table = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    shapes = ["first page", "mid cursor", "from the end", "by application", "by type"]
    assert [line.split(" | ")[0].removeprefix("| ") for line in table[1:]] == [
        *shapes,
        *(f"{shape}, as a reader" for shape in shapes),
    ]
