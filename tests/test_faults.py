"""Losing the database under load: `lendgres serve` on its embedded PostgreSQL takes writes from several clients
while a backend, or the postmaster itself, is killed with SIGKILL (what the OOM killer does).

Every answer is a result or a 503 that says when to retry, never a 500. The clients retry each write with its
idempotency key until it is answered, as the README tells them to: every write acknowledged is in the database,
exactly once, so a retry of a write that had committed before the crash was replayed; and every audit chain still
verifies."""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from lendgres import embedded
from tests.test_cli import KEY, Serving, _postmaster_pid, _wait_for_readiness, lendgres

pytestmark = pytest.mark.slow

WRITERS = 4
WRITES_EACH = 40  # applications per writer, each then decided: 320 writes in all


@dataclass
class Writer:
    """One client: applies for loans and decides them, each write with its own idempotency key, retried until it
    is answered."""

    base: str
    key: str
    name: str
    statuses: Counter[int] = field(default_factory=Counter)
    retried: int = 0
    acknowledged: dict[str, int] = field(default_factory=dict)  # applicant name -> application id
    decided: set[int] = field(default_factory=set)
    failure: BaseException | None = None

    def run(self) -> None:
        try:
            for number in range(WRITES_EACH):
                applicant = f"{self.name} applicant {number}"
                created = self.write("/loans/apply", {"applicant_name": applicant, "amount": "1000.50"}, 201)
                self.acknowledged[applicant] = created["application_id"]
                path = f"/loans/{created['application_id']}/decision"
                decided = self.write(path, {"outcome": "approved", "reason": "fault test"}, 201)
                assert decided["application_id"] == created["application_id"]
                self.decided.add(created["application_id"])
        except BaseException as exc:
            self.failure = exc

    def write(self, path: str, body: dict[str, object], success: int) -> dict[str, object]:
        headers = {
            "Authorization": f"Bearer {self.key}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        deadline = time.monotonic() + 60
        attempt = 0
        while True:
            attempt += 1
            request = urllib.request.Request(self.base + path, json.dumps(body).encode(), headers)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    self.statuses[response.status] += 1
                    answer: dict[str, object] = json.loads(response.read())
                    assert response.status == success, answer
                    self.retried += attempt > 1
                    return answer
            except urllib.error.HTTPError as error:
                self.statuses[error.code] += 1
                problem = json.loads(error.read())
                assert error.code == 503, problem
                assert problem["code"] == "service_unavailable" and error.headers["Retry-After"], problem
            except (ConnectionError, http.client.HTTPException):
                self.statuses[0] += 1  # the socket itself failed: no answer at all, which is not the API's to give
            assert time.monotonic() < deadline, f"{path} never succeeded: {self.statuses}"
            time.sleep(0.05)


def _api_backends(data_dir: Path) -> list[int]:
    url = embedded.EmbeddedDatabase(data_dir).superuser_url()
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "select pid from pg_stat_activity where usename = 'lendgres_http' and backend_type = 'client backend'"
        ).fetchall()
    return [pid for (pid,) in rows]


def kill_a_backend(data_dir: Path) -> None:
    """SIGKILL of one of the API's backends: PostgreSQL ends every session and restarts, recovering from its log."""
    deadline = time.monotonic() + 10
    while not (backends := _api_backends(data_dir)):
        assert time.monotonic() < deadline, "the API has no connection to kill"
        time.sleep(0.05)
    os.kill(backends[0], signal.SIGKILL)


def kill_the_postmaster(data_dir: Path) -> None:
    """SIGKILL of the postmaster: the server is gone until someone starts it again (`lendgres db-start`)."""
    postmaster = _postmaster_pid(data_dir)
    assert postmaster is not None
    os.kill(postmaster, signal.SIGKILL)
    time.sleep(1)  # the writers meet a server that is not there
    started = lendgres("db-start", "--data-dir", str(data_dir))
    assert started.returncode == 0, started.stderr


@pytest.mark.parametrize("fault", [kill_a_backend, kill_the_postmaster], ids=["backend", "postmaster"])
def test_writes_survive_a_killed_database_and_nothing_answers_500(
    data_dir: Path, fault: Callable[[Path], None]
) -> None:
    server = Serving(data_dir)
    try:
        (admin_key,) = set(KEY.findall(server.printed()))
        writers = [Writer(server.base, admin_key, f"writer {n}") for n in range(WRITERS)]
        threads = [threading.Thread(target=writer.run) for writer in writers]
        for thread in threads:
            thread.start()
        while sum(len(writer.acknowledged) for writer in writers) < WRITERS * WRITES_EACH // 4:
            assert all(thread.is_alive() for thread in threads), [writer.failure for writer in writers]
            time.sleep(0.01)
        fault(data_dir)
        for thread in threads:
            thread.join(timeout=180)
        _wait_for_readiness(server.base, 200, server.printed)
    finally:
        output = server.stop()

    for writer in writers:
        assert writer.failure is None, f"{writer.name}: {writer.failure!r}\n{output[-3000:]}"
    statuses = sum((writer.statuses for writer in writers), Counter())
    assert set(statuses) <= {0, 201, 503}, statuses
    assert statuses[503] + statuses[0] > 0, f"the fault never reached a client: {statuses}"
    assert sum(writer.retried for writer in writers) > 0

    # Read back by the superuser, with the server started alone.
    database = embedded.EmbeddedDatabase(data_dir)
    database.start_server(keep_running=False)
    try:
        with psycopg.connect(database.superuser_url(), autocommit=True) as connection:
            rows = connection.execute(
                """select p.name, a.application_id, a.status
                     from lending_private.application as a
                     join lending_private.party as p on p.party_id = a.applicant_id"""
            ).fetchall()
            stored = Counter(name for name, _, _ in rows)
            assert max(stored.values()) == 1, "a retried write was made twice"
            found = {name: (application_id, status) for name, application_id, status in rows}
            for writer in writers:
                assert len(writer.acknowledged) == WRITES_EACH
                for name, application_id in writer.acknowledged.items():
                    assert found[name] == (application_id, "approved"), name
            for application_id, party_id in connection.execute(
                "select application_id, applicant_id from lending_private.application"
            ).fetchall():
                for subject, subject_id in (("application", application_id), ("party", party_id)):
                    (verified,) = connection.execute(
                        "select lending_private.verify_audit_chain(%s, %s)", [subject, subject_id]
                    ).fetchone() or (None,)
                    assert verified is not None and verified["verified"], (subject, subject_id, verified)
    finally:
        database.stop()
