"""Who is acting: the actor and request id every function is given are checked before anything else."""

from __future__ import annotations

import psycopg

from tests.db.conftest import refusal


def test_actor_and_request_id_are_validated(client: psycopg.Connection) -> None:
    _, _, detail = refusal(client, "lending.apply", applicant_name="Jane Doe", amount=1, actor="x" * 201, request_id="")
    assert [e["field"] for e in detail["errors"]] == ["actor", "request_id"]
