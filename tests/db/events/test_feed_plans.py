"""The events feed reads a bounded number of pages whatever its size: every shape of lending.events_after, as every
role, in PostgreSQL's custom and generic plan modes, on a feed large enough that a scan or a sort of it shows
(40,000 applications, as many events as the issue's worst case and more)."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import ACTOR_ROLES

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import events_feed

APPLICATIONS = 40_000
LIMIT = 20
# Pages of 20 events, each event on a table page of its own (the rare types), for each of the five types (a role
# that may not read every family reads type by type), with the index pages above them: far fewer than the table
# holds (asserted below). A scan of every event after the cursor reads thousands.
MOST_BUFFERS = 200


@pytest.fixture
def large_feed(superuser: psycopg.Connection) -> psycopg.Connection:
    events_feed.fill_feed(superuser, APPLICATIONS)
    events_feed.explain_nested_statements(superuser)
    return superuser


@pytest.mark.parametrize("plan_mode", events_feed.PLAN_MODES)
def test_every_shape_reads_a_bounded_number_of_pages(large_feed: psycopg.Connection, plan_mode: str) -> None:
    row = large_feed.execute("select pg_relation_size('lending_private.event') / 8192").fetchone()
    assert row is not None and row[0] > 5 * MOST_BUFFERS, "the feed is too small to show a scan of it"
    # The function plans its statements once per session, for any value (its plan_cache_mode is
    # force_generic_plan, whatever the session's): so the plans are generic as it stands, and the same statements
    # planned for each call's values must be as bounded.
    large_feed.execute("set plan_cache_mode = force_custom_plan")
    if plan_mode != "force_generic_plan":
        large_feed.execute(
            f"alter function lending.events_after(text, integer, bigint, text, text) set plan_cache_mode = {plan_mode}"
        )
    for role in ACTOR_ROLES:  # the admin may read every family; the others all but the admin-only one
        for shape in events_feed.feed_shapes(large_feed, APPLICATIONS, actor=f"test-{role}"):
            plans = events_feed.feed_plans(large_feed, shape, LIMIT)
            assert plans, shape
            for plan in plans:
                where = (plan_mode, role, shape.name, plan["Query Text"])
                assert events_feed.unbounded_reads(plan) == [], where
                assert events_feed.buffers(plan) <= MOST_BUFFERS, where
                assert events_feed.is_generic(plan) in (None, plan_mode == "force_generic_plan"), where
