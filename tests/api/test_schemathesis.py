"""Schemathesis against the app's own OpenAPI document: generated calls (examples, boundaries, random and
malformed inputs, and sequences that follow the document's links) as an admin and as a reader, each for a bounded
time, with Schemathesis's standard checks. No check may fail, bar those a documented choice contradicts (EXCLUDED)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests.conftest import API_KEYS, bearer

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SECONDS_PER_ROLE = 60
ACTORS = ("test-admin", "test-reader")
# Above the longest wait /events takes (events.models.MAX_WAIT_SECONDS).
REQUEST_TIMEOUT = 40

# Checks that a documented choice of the API contradicts, with the reason.
EXCLUDED: dict[str, str] = {
    "positive_data_acceptance": "The schema says a request's shape; the lending functions decide its rules "
    "(models.py), so some well-shaped requests are refused with a 422 problem: a blank or ill-formed name or reason, "
    "an applicant_id or cursor that names nothing, the tutorial's query form with a body. And integers are strict: "
    "828.0 is a JSON Schema integer, but Lendgres takes only integers written as such.",
}


async def settings(served: str, document: Path) -> dict[str, Any]:
    """What the hooks need: the document, and what the run's own calls may not change, with stand-ins."""
    async with httpx.AsyncClient(base_url=served, headers=bearer()) as http:
        await anyio.Path(document).write_text((await http.get("/openapi.json")).text)
        keys = (await http.get("/keys")).json()["items"]
        made = await http.post("/keys", json={"actor": "intake-agent", "label": "stands in for the run's keys"})
        assert made.status_code == 201, made.text
    return {
        "document": str(document),
        "actors": list(ACTORS),
        "keys": [str(key["key_id"]) for key in keys if key["actor"] in ACTORS],
        "other_actor": "intake-agent",
        "other_key": made.json()["key_id"],
    }


async def test_schemathesis_finds_no_failure(served, tmp_path):
    guarded = await settings(served, tmp_path / "openapi.json")
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
        "LENDGRES_SCHEMATHESIS": json.dumps(guarded),
        "PYTHONPATH": str(Path(__file__).parents[2]),
    }
    for actor in ACTORS:
        command = [
            str(SCHEMATHESIS),
            "run",
            f"{served}/openapi.json",
            "--header",
            f"Authorization: Bearer {API_KEYS[actor]}",
            "--max-time",
            str(SECONDS_PER_ROLE),
            # One worker: Hypothesis describes strategies with ast.parse, which Python 3.11 cannot run in threads.
            "--workers",
            "1",
            "--request-timeout",
            str(REQUEST_TIMEOUT),
            "--report",
            "ndjson",
            "--report-dir",
            str(tmp_path / actor),
        ]
        if EXCLUDED:
            command += ["--exclude-checks", ",".join(EXCLUDED)]
        # Run where its cache of failures to replay stays out of the checkout.
        result = await anyio.run_process(command, check=False, env=environment, cwd=tmp_path)
        output = result.stdout.decode() + result.stderr.decode()
        assert result.returncode == 0, f"as {actor}:\n{output}"
        assert "passed" in output, output

    # The guard held: the run's actors and keys are as they were.
    async with httpx.AsyncClient(base_url=served, headers=bearer()) as http:
        actors = {actor["name"]: actor for actor in (await http.get("/actors")).json()["items"]}
        keys = (await http.get("/keys")).json()["items"]
    assert [(actors[name]["role"], actors[name]["active"]) for name in ACTORS] == [("admin", True), ("reader", True)]
    assert {key["state"] for key in keys if str(key["key_id"]) in guarded["keys"]} == {"active"}
