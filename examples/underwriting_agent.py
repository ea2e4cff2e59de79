"""An example underwriting agent for Lendgres: small, deterministic (no language model), and speaking only MCP.

It follows the events feed (the `wait_for_events` tool) and, for every application that is filed or updated while it
is pending, does what the product's policy says:

    get_application      missing facts?  -> leave it (intake has work to do; an update will bring it back here)
    assess_application   the policy's recommendation, with its reason codes and the offer an approval would make
    decide_application   approve -> approved (above the product's agent limit it waits in pending_confirmation for
                                    a person: this agent cannot confirm anything, its role has no confirm_decision)
                         reject  -> rejected, with the assessment's reason codes, most important first
                         refer   -> manual_review, with the reason codes, for a person to take from review_queue

Every write carries an idempotency key made from what it acts on (the application's version for an assessment, the
assessment for a decision), so a restarted agent, or one whose answer was lost, never assesses or decides twice.
A refusal is a problem document with a stable `code`, and the agent reads the code rather than crash on it:
`assessment_stale` (the facts changed under it) -> assess again, once; any other refusal of a decision (a person
got there first: invalid_transition, review_claim_required, ...) -> report it and move on; `forbidden` or
`unauthenticated` (a key that cannot do this work) -> stop, with exit status 2, since every application would meet it.

Run it with an `underwriter` key (`lendgres actors create --name uw-bot --kind agent --role underwriter`, then
`lendgres keys create --actor uw-bot`):

    python examples/underwriting_agent.py --url http://127.0.0.1:8000/mcp --api-key lgk_...

It prints one JSON line per application it handled: application_id, recommendation, outcome, status. Logs go to
standard error. Give --cursor-file to resume where it stopped; it runs until interrupted, or for --max-idle seconds
without an event, or until it has handled --limit applications.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

MODEL_NAME = "lendgres-example-agent"
MODEL_VERSION = "1.0.0"

# How sure the agent is of each kind of decision, recorded with it. A fixed number: the agent only carries out the
# policy's recommendation, and it is as sure as the policy is. A referral says least, since it decides nothing.
CONFIDENCE = {"approve": "0.9", "reject": "0.9", "refer": "0.5"}

# The decision that carries out each recommendation.
OUTCOME = {"approve": "approved", "reject": "rejected", "refer": "manual_review"}

# The events that may bring an application to underwrite: it was filed, or its facts changed.
EVENTS_TO_FOLLOW = {"application.filed", "application.updated"}

# The longest wait the server allows in one wait_for_events call, in seconds.
LONGEST_WAIT = 30

# How often, and after how long, a call refused with service_unavailable (the database is restarting) is tried again.
RETRIES = 5
RETRY_DELAY_SECONDS = 2.0

log = logging.getLogger("underwriting-agent")


class Refused(Exception):
    """A tool answered with a problem document: its `code` says what went wrong and what to do."""

    def __init__(self, tool: str, problem: dict[str, Any]) -> None:
        super().__init__(f"{tool}: {problem.get('code')}: {problem.get('detail')}")
        self.problem = problem
        self.code = str(problem.get("code"))
        self.status = int(problem.get("status", 0))


class Lendgres:
    """The MCP tools of a Lendgres server, called as functions that return the answer's JSON document."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """Calls `tool`; raises Refused with the problem document when it refuses. A write carries its idempotency
        key, so trying it again after service_unavailable is safe: it is done once, whatever happened the first
        time."""
        for attempt in range(1, RETRIES + 1):
            result = await self.client.call_tool(tool, arguments)
            if not result.is_error:
                answer: dict[str, Any] = result.structured_content or {}
                return answer
            problem = json.loads(result.content[0].text)  # type: ignore[union-attr]  # a tool error's one text
            if problem.get("code") != "service_unavailable" or attempt == RETRIES:
                raise Refused(tool, problem)
            log.warning("%s: service unavailable, trying again in %.0f s", tool, RETRY_DELAY_SECONDS)
            await asyncio.sleep(RETRY_DELAY_SECONDS)
        raise AssertionError("unreachable")


@dataclass
class Report:
    """What the agent did with one application: the line it prints."""

    application_id: int
    recommendation: str | None  # the assessment's, or None when there was none
    outcome: str  # the decision it recorded (approved, rejected, manual_review), or what it did instead
    status: str  # the application's status afterwards
    assessment_id: int | None = None
    decision_id: int | None = None
    reason_codes: list[str] | None = None
    note: str | None = None  # why it did not decide, when it did not

    def line(self) -> str:
        return json.dumps({key: value for key, value in vars(self).items() if value is not None})


class Agent:
    def __init__(self, lendgres: Lendgres, cursor: str | None, cursor_file: Path | None) -> None:
        self.lendgres = lendgres
        self.cursor = cursor  # where the feed is read from next; None is its beginning
        self.cursor_file = cursor_file
        self.handled = 0

    # Following the feed ------------------------------------------------------------------------------------------

    async def follow(self, max_idle: float | None, limit: int | None) -> None:
        """Reads the feed from the cursor and underwrites what it brings, until `max_idle` seconds pass without an
        event or `limit` applications have been handled (either may be None: no such limit)."""
        last_event = time.monotonic()
        while True:
            waited = time.monotonic() - last_event
            if max_idle is not None and waited >= max_idle:
                log.info("no event for %.0f s: stopping", waited)
                return
            # Wait in whole seconds, at most what the server allows and about what is left of the idle time.
            wait = LONGEST_WAIT if max_idle is None else max(1, min(LONGEST_WAIT, math.ceil(max_idle - waited)))
            page = await self.lendgres.call("wait_for_events", **self._after(), wait=wait, limit=100)
            if page["events"]:
                last_event = time.monotonic()

            # An application may appear several times in a page (filed, then updated): it is looked at once, at its
            # first event, since get_application reads it as it is now.
            looked_at: set[int] = set()
            for event in page["events"]:
                application_id = event["application_id"]
                if event["event_type"] in EVENTS_TO_FOLLOW and application_id not in looked_at:
                    looked_at.add(application_id)
                    report = await self.underwrite(application_id)
                    if report is not None:
                        print(report.line(), flush=True)
                        self.handled += 1
                self._keep_cursor(event["cursor"])
                if limit is not None and self.handled >= limit:
                    log.info("handled %d applications: stopping", self.handled)
                    return
            # After a short page the next cursor also moves past events the call examined and did not return.
            self._keep_cursor(page["next_cursor"])

    def _after(self) -> dict[str, str]:
        return {} if self.cursor is None else {"after": self.cursor}

    def _keep_cursor(self, cursor: str) -> None:
        self.cursor = cursor
        if self.cursor_file is not None:
            self.cursor_file.write_text(cursor + "\n")

    # Underwriting one application --------------------------------------------------------------------------------

    async def underwrite(self, application_id: int) -> Report | None:
        """Assesses a pending application and decides it as its assessment recommends. Returns what it did, or
        None when the application is not pending (decided already, by this agent or by a person: nothing to do)."""
        application = await self.lendgres.call("get_application", application_id=application_id)
        if application["status"] != "pending":
            log.info("application %d is %s: nothing to do", application_id, application["status"])
            return None

        # Facts can change between the assessment and the decision (assessment_stale): then assess once more.
        for attempt in (1, 2):
            if application["missing_facts"]:
                missing = ", ".join(application["missing_facts"])
                log.info("application %d lacks %s: left for intake", application_id, missing)
                return Report(application_id, None, "incomplete", application["status"], note=f"missing {missing}")
            try:
                assessment = await self.assess(application)
            except Refused as refused:
                return await self.not_decided(application_id, None, refused)
            try:
                return await self.decide(application, assessment)
            except Refused as refused:
                if refused.code == "assessment_stale" and attempt == 1:
                    log.info("application %d changed while it was assessed: assessing again", application_id)
                    application = await self.lendgres.call("get_application", application_id=application_id)
                    if application["status"] != "pending":
                        return await self.not_decided(application_id, assessment, refused)
                    continue
                return await self.not_decided(application_id, assessment, refused)
        raise AssertionError("unreachable")

    async def assess(self, application: dict[str, Any]) -> dict[str, Any]:
        """The assessment of the application as it is. The key names its version: asked again about the same facts
        (a restart), the server answers the assessment it made, and keeps no second one."""
        application_id = application["application_id"]
        return await self.lendgres.call(
            "assess_application",
            application_id=application_id,
            idempotency_key=f"assess-{application_id}-v{application['version']}",
        )

    async def decide(self, application: dict[str, Any], assessment: dict[str, Any]) -> Report:
        """Records the decision the assessment recommends. The key names the assessment, so the decision on one
        assessment is made once: a retry, or a restarted agent, gets the first answer back."""
        application_id = application["application_id"]
        recommendation = assessment["recommendation"]
        reason_codes = assessment["reason_codes"] if recommendation != "approve" else []
        decision = await self.lendgres.call(
            "decide_application",
            application_id=application_id,
            outcome=OUTCOME[recommendation],
            reason=reason_for(assessment),
            reason_codes=reason_codes,
            model_name=MODEL_NAME,
            model_version=MODEL_VERSION,
            confidence=CONFIDENCE[recommendation],
            idempotency_key=f"decide-{application_id}-a{assessment['assessment_id']}",
        )
        if decision["status"] == "pending_confirmation":
            log.info("application %d approved above the agent's limit: waits for a person", application_id)
        return Report(
            application_id,
            recommendation,
            decision["outcome"],
            decision["status"],
            assessment_id=assessment["assessment_id"],
            decision_id=decision["decision_id"],
            reason_codes=decision["reason_codes"],
        )

    async def not_decided(self, application_id: int, assessment: dict[str, Any] | None, refused: Refused) -> Report:
        """The report of an application the agent was refused: most often a person got there first. A refusal that
        no retry can cure (a key without the right) stops the agent instead: every application would meet it."""
        if refused.status in (401, 403):
            raise refused
        log.info("application %d: not decided: %s", application_id, refused)
        application = await self.lendgres.call("get_application", application_id=application_id)
        return Report(
            application_id,
            assessment["recommendation"] if assessment else None,
            "not_decided",
            application["status"],
            assessment_id=assessment["assessment_id"] if assessment else None,
            note=refused.code,
        )


def reason_for(assessment: dict[str, Any]) -> str:
    """The decision's reason, in words, from the assessment: what a person reading the audit trail needs."""
    number = assessment["assessment_id"]
    reasons = "; ".join(f"{reason['text']} ({reason['code']})" for reason in assessment["reasons"])
    if assessment["recommendation"] == "approve":
        offer = assessment["offer"]
        return (
            f"Assessment {number} passed every rule of product {assessment['product_code']} version "
            f"{assessment['product_version']}: score {assessment['score']}, grade {assessment['risk_grade']}; "
            f"{offer['annual_rate']}% over {offer['term_months']} months, installment {offer['installment']}, "
            f"APR {offer['apr']}%."
        )
    if assessment["recommendation"] == "reject":
        return f"Assessment {number} recommends rejection: {reasons}."
    return f"Assessment {number} refers the application to a person: {reasons or 'no reason given'}."


# The command ---------------------------------------------------------------------------------------------------


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default="http://127.0.0.1:8000/mcp", help="the server's MCP endpoint")
    parser.add_argument(
        "--api-key", default=os.environ.get("LENDGRES_API_KEY"), help="an underwriter's key (or LENDGRES_API_KEY)"
    )
    parser.add_argument("--after", help="start after this cursor of the events feed (default: its beginning)")
    parser.add_argument("--cursor-file", type=Path, help="read the cursor from this file, and keep it there")
    parser.add_argument("--max-idle", type=float, help="stop after this many seconds without an event")
    parser.add_argument("--limit", type=int, help="stop after handling this many applications")
    parser.add_argument("--version", action="version", version=f"{MODEL_NAME} {MODEL_VERSION}")
    parsed = parser.parse_args(argv)
    if not parsed.api_key:
        parser.error("an API key is needed: --api-key or LENDGRES_API_KEY")
    return parsed


async def main(options: argparse.Namespace) -> int:
    cursor = options.after
    if cursor is None and options.cursor_file is not None and options.cursor_file.exists():
        cursor = options.cursor_file.read_text().strip() or None
    # The HTTP timeout outlasts the longest wait_for_events call.
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {options.api_key}"}, timeout=LONGEST_WAIT + 30)
    agent = Agent(Lendgres(Client(streamable_http_client(options.url, http_client=http))), cursor, options.cursor_file)
    stopped = 0
    async with http, agent.lendgres.client:
        # Caught in here: the client runs its session in a task group, which would wrap the exception on its way out.
        try:
            me = await agent.lendgres.call("who_am_i")
            log.info("acting as %s (%s), from %s", me["name"], me["role"], cursor or "the beginning of the feed")
            await agent.follow(options.max_idle, options.limit)
        except Refused as refused:
            log.error("stopped: %s", refused)
            stopped = 2
    log.info("handled %d applications", agent.handled)
    if agent.cursor is not None:
        log.info("to resume here: --after %s", agent.cursor)
    return stopped


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # not a line per HTTP request
    try:
        sys.exit(asyncio.run(main(arguments())))
    except KeyboardInterrupt:
        sys.exit(130)
