"""Who is acting: the actor and request id every function is given are checked before anything else."""

from __future__ import annotations

import psycopg

from tests.db.conftest import call, refusal


def test_actor_and_request_id_are_validated(client: psycopg.Connection) -> None:
    _, _, detail = refusal(client, "lending.apply", applicant_name="Jane Doe", amount=1, actor="x" * 201, request_id="")
    assert [e["field"] for e in detail["errors"]] == ["actor", "request_id"]


def test_a_request_id_from_sql_follows_the_text_rule(client: psycopg.Connection, superuser: psycopg.Connection) -> None:
    """HTTP's request ids are printable ASCII; a SQL caller's may be any text but blank, control or bidirectional
    characters, which would otherwise be written into the audit trail."""
    for refused in ("\x1b[31mred", "job\n42", "\u202eevil", "\u200b", "   "):
        _, _, detail = refusal(client, "lending.apply", applicant_name="Jane Doe", amount=1, request_id=refused)
        assert [e["field"] for e in detail["errors"]] == ["request_id"], repr(refused)
    for accepted in ("job 42", "réunion-7", "7ecd6a1ef8b8463c91b0563734236ee7"):
        filed = call(client, "lending.apply", applicant_name="Jane Doe", amount=1, request_id=accepted)
        assert filed["status"] == 201, accepted
        row = superuser.execute(
            "select request_id from lending_private.audit_log where subject = 'application' and subject_id = %s",
            [filed["body"]["application_id"]],
        ).fetchone()
        assert row == (accepted,)
