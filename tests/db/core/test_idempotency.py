"""Idempotency keys: a retry replays the first answer, another request under the key is refused, a failed write
keeps no key, and keys last 24 hours and are cleaned up by later writes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg

from tests.db.conftest import call, refusal


def test_idempotency_key_replays_and_refuses_reuse(client: psycopg.Connection, superuser: psycopg.Connection) -> None:
    first = call(
        client, "lending.apply", applicant_name="Jane Doe", amount=15000, idempotency_key="k-1", actor="intake-agent"
    )
    again = call(
        client, "lending.apply", applicant_name="Jane Doe", amount=15000, idempotency_key="k-1", actor="intake-agent"
    )
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["body"] == first["body"] and again["status"] == 201
    other_actor = call(
        client, "lending.apply", applicant_name="Jane Doe", amount=15000, idempotency_key="k-1", actor="underwriter-1"
    )
    assert other_actor["replayed"] is False
    sqlstate, _, detail = refusal(
        client, "lending.apply", applicant_name="Jane Doe", amount=16000, idempotency_key="k-1", actor="intake-agent"
    )
    assert (sqlstate, detail["code"], detail["operation"]) == ("LN422", "idempotency_key_reused", "apply")
    count = superuser.execute("select count(*) from lending_private.application").fetchone()
    assert count == (2,)
    # After 24 hours the key is forgotten: the same request writes again.
    superuser.execute("update lending_private.idempotency_key set expires_at = now() - interval '1 second'")
    later = call(
        client, "lending.apply", applicant_name="Jane Doe", amount=16000, idempotency_key="k-1", actor="intake-agent"
    )
    assert later["replayed"] is False
    assert superuser.execute("select count(*) from lending_private.application").fetchone() == (3,)


def test_an_idempotency_key_is_kept_for_24_hours(client: psycopg.Connection, superuser: psycopg.Connection) -> None:
    def apply_with_the_key() -> dict[str, Any]:
        return call(client, "lending.apply", applicant_name="Jane Doe", amount=15000, idempotency_key="k-24")

    assert apply_with_the_key()["replayed"] is False
    kept_for = superuser.execute("select expires_at - created_at from lending_private.idempotency_key").fetchone()
    assert kept_for == (timedelta(hours=24),)
    # Filed 23 hours 59 minutes ago, the request is still answered from the key.
    superuser.execute(
        "update lending_private.idempotency_key"
        " set created_at = created_at - interval '23 hours 59 minutes',"
        " expires_at = expires_at - interval '23 hours 59 minutes'"
    )
    assert apply_with_the_key()["replayed"] is True
    # A minute later it is forgotten, and the same request files again.
    superuser.execute(
        "update lending_private.idempotency_key"
        " set created_at = created_at - interval '1 minute', expires_at = expires_at - interval '1 minute'"
    )
    assert apply_with_the_key()["replayed"] is False
    assert superuser.execute("select count(*) from lending_private.application").fetchone() == (2,)


def test_a_failed_write_does_not_keep_its_idempotency_key(
    client: psycopg.Connection, superuser: psycopg.Connection
) -> None:
    refusal(client, "lending.apply", applicant_name="Jane Doe", amount=0, idempotency_key="k-2")
    assert superuser.execute("select count(*) from lending_private.idempotency_key").fetchone() == (0,)
    assert call(client, "lending.apply", applicant_name="Jane Doe", amount=1, idempotency_key="k-2")["status"] == 201


def test_writes_with_keys_remove_expired_keys(client: psycopg.Connection, superuser: psycopg.Connection) -> None:
    superuser.execute(
        """insert into lending_private.idempotency_key (actor, idempotency_key, operation, request_hash, response,
                                                        created_at, expires_at)
           select 'someone', 'old-' || n, 'apply', '\\x00', '{}', now() - interval '2 days', now() - interval '1 day'
             from generate_series(1, 10) n"""
    )

    # About one keyed write in eight cleans up, by a coin: 200 writes all miss it with a chance of 2.5e-12.
    def expired() -> int:
        row = superuser.execute("select count(*) from lending_private.idempotency_key where expires_at <= now()")
        return int(row.fetchone()[0])

    writes = 0
    while expired() > 0 and writes < 200:
        call(client, "lending.apply", applicant_name="Jane Doe", amount=1, idempotency_key=f"new-{writes}")
        writes += 1
    assert expired() == 0
    assert superuser.execute("select count(*) from lending_private.idempotency_key").fetchone() == (writes,)


def test_create_actor_replays_under_its_idempotency_key(client: psycopg.Connection) -> None:
    arguments = {"name": "keyed-agent", "kind": "agent", "role": "reader", "idempotency_key": "actor-k"}
    first = call(client, "lending.create_actor", **arguments)
    again = call(client, "lending.create_actor", **arguments)
    assert (first["status"], first["replayed"], again["replayed"]) == (201, False, True)
    assert again["body"] == first["body"]
    sqlstate, _, detail = refusal(client, "lending.create_actor", **{**arguments, "role": "admin"})
    assert (sqlstate, detail["code"], detail["operation"]) == ("LN422", "idempotency_key_reused", "create_actor")
    unkeyed = refusal(client, "lending.create_actor", **{**arguments, "idempotency_key": None})
    assert unkeyed[2]["code"] == "actor_exists"
