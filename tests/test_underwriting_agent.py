"""The example agent (examples/underwriting_agent.py) as a user runs it: `lendgres serve` on its embedded database, a
product with a policy, an underwriter key, a batch of generated applications, and the agent as a process of its own,
speaking MCP. Every application's outcome is checked against what the test expects from its facts, computed here
from the policy with a Decimal annuity, not read from the server.

A real `lendgres serve` rather than tests/api's in-process `served` app: the agent is documentation for users, and
this is the configuration they run it against (the embedded database, the admin key serve prints, keys made over
HTTP). It starts real processes, so it is in the slow suite, as tests/test_cli.py is."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import random
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.test_cli import KEY, ROOT, Serving

pytestmark = pytest.mark.slow

AGENT = ROOT / "examples" / "underwriting_agent.py"
UNDERWRITER, INTAKE, REVIEWER = "uw-bot", "intake-desk", "reviewer-jo"

# The product: amounts 1000-50000 over 6-60 months; an agent approves up to 20000 alone. Its policy, most important
# first: three rules that reject, three that refer to a person.
AGENT_LIMIT = Decimal("20000.00")
MIN_AMOUNT, MAX_AMOUNT, MIN_TERM, MAX_TERM = Decimal("1000.00"), Decimal("50000.00"), 6, 60
RATES = {"A": "6.99", "B": "8.99", "C": "11.99", "D": "15.99", "E": "21.99"}
RULES: list[dict[str, Any]] = [
    {"measure": "credit_score", "comparison": ">=", "threshold": "640", "reason_code": "insufficient_credit_score",
     "on_failure": "reject"},
    {"measure": "debt_to_income", "comparison": "<=", "threshold": "0.45", "reason_code": "excessive_obligations",
     "on_failure": "reject"},
    {"measure": "loan_to_income", "comparison": "<=", "threshold": "0.5", "reason_code": "insufficient_income",
     "on_failure": "reject"},
    {"measure": "months_employed", "comparison": ">=", "threshold": "12", "reason_code": "length_of_employment",
     "on_failure": "refer"},
    {"measure": "unverified_amount", "comparison": "<=", "threshold": "10000", "reason_code": "unable_to_verify_income",
     "on_failure": "refer"},
    {"measure": "identity_verified", "comparison": ">=", "threshold": "1", "reason_code": "unable_to_verify_identity",
     "on_failure": "refer"},
]  # fmt: skip
PRODUCT: dict[str, Any] = {
    "product_code": "personal",
    "name": "Personal loan",
    "currency": "USD",
    "min_amount": str(MIN_AMOUNT),
    "max_amount": str(MAX_AMOUNT),
    "min_term_months": MIN_TERM,
    "max_term_months": MAX_TERM,
    "rates": RATES,
    "origination_fee_percent": "1.5",
    "origination_fee_cap": "500.00",
    "agent_approval_limit": str(AGENT_LIMIT),
    "requires_assessment": True,
    "rules": RULES,
}
# Every assessment needs these, and each rule the facts it measures.
NEEDED = {"term_months", "credit_score", "date_of_birth", "annual_income", "monthly_debt_payments",
          "months_employed", "income_verified", "identity_verified"}  # fmt: skip


# The test's own underwriting -----------------------------------------------------------------------------------


def risk_grade(credit_score: int, income_verified: bool, months_employed: int) -> str:
    """The grade of the documented score: the credit score, +10 for verified income, -20 under a year employed."""
    score = min(850, max(300, credit_score + (10 if income_verified else 0) - (20 if months_employed < 12 else 0)))
    return next(
        grade for grade, floor in (("A", 740), ("B", 690), ("C", 640), ("D", 590), ("E", 300)) if score >= floor
    )


def installment(amount: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """The annuity's level payment P*i / (1 - (1+i)^-n), i = rate / 1200, to the cent (half up)."""
    with localcontext() as exact:
        exact.prec = 60
        i = annual_rate / 1200
        payment = amount * i / (1 - (1 + i) ** -months)
    return payment.quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class Expected:
    recommendation: str | None  # None: incomplete, never assessed
    reason_codes: list[str]
    status: str
    installment: Decimal | None = None


def measures(facts: dict[str, Any]) -> dict[str, Decimal | None]:
    """Each rule's measure of a complete application; debt-to-income is None without an offer (amount or term outside
    the product), since it needs the installment."""
    amount, months = Decimal(facts["amount"]), facts["term_months"]
    income, debts = Decimal(facts["annual_income"]), Decimal(facts["monthly_debt_payments"])
    grade = risk_grade(facts["credit_score"], facts["income_verified"], facts["months_employed"])
    offered = MIN_AMOUNT <= amount <= MAX_AMOUNT and MIN_TERM <= months <= MAX_TERM
    payment = installment(amount, Decimal(RATES[grade]), months) if offered else None
    return {
        "credit_score": Decimal(facts["credit_score"]),
        "debt_to_income": (debts + payment) / (income / 12) if payment is not None else None,
        "loan_to_income": amount / income,
        "months_employed": Decimal(facts["months_employed"]),
        "unverified_amount": Decimal(0) if facts["income_verified"] else amount,
        "identity_verified": Decimal(1 if facts["identity_verified"] else 0),
        "installment": payment,
    }


def expected(facts: dict[str, Any]) -> Expected:
    """What the policy makes of these facts, and so what the agent must have done."""
    if NEEDED - {name for name, value in facts.items() if value is not None}:
        return Expected(None, [], "pending")
    measured = measures(facts)
    amount = Decimal(facts["amount"])
    failed: list[tuple[str, str]] = []  # (on_failure, reason code), most important first
    if amount < MIN_AMOUNT:
        failed.append(("reject", "amount_below_product_minimum"))
    if amount > MAX_AMOUNT:
        failed.append(("reject", "amount_exceeds_product_limit"))
    if not MIN_TERM <= facts["term_months"] <= MAX_TERM:
        failed.append(("reject", "term_outside_product_limits"))
    for rule in RULES:
        value, threshold = measured[rule["measure"]], Decimal(rule["threshold"])
        if value is not None and not (value >= threshold if rule["comparison"] == ">=" else value <= threshold):
            failed.append((rule["on_failure"], rule["reason_code"]))
    rejects = [code for on_failure, code in failed if on_failure == "reject"]
    refers = [code for on_failure, code in failed if on_failure == "refer"]
    codes = list(dict.fromkeys(rejects + refers))[:4]  # reject reasons first, each once, at most four
    if rejects:
        return Expected("reject", codes, "rejected")
    if refers:
        return Expected("refer", codes, "manual_review")
    return Expected("approve", [], "pending_confirmation" if amount > AGENT_LIMIT else "approved",
                    measured["installment"])  # fmt: skip


def assert_unambiguous(facts: dict[str, Any]) -> None:
    """The generated facts keep clear of every threshold, so that no expectation hangs on a rounding: a fault in the
    agent or the policy shows as a wrong outcome, never as a disagreement in the fourth decimal."""
    if NEEDED - {name for name, value in facts.items() if value is not None}:
        return
    measured = measures(facts)
    assert abs(measured["credit_score"] - 640) >= 10
    if measured["debt_to_income"] is not None:
        assert abs(measured["debt_to_income"] - Decimal("0.45")) >= Decimal("0.03"), facts
    assert abs(measured["loan_to_income"] - Decimal("0.5")) >= Decimal("0.03"), facts
    assert abs(Decimal(facts["amount"]) - AGENT_LIMIT) >= 500, facts
    if not facts["income_verified"]:
        assert abs(Decimal(facts["amount"]) - 10000) >= 500, facts


# The batch ------------------------------------------------------------------------------------------------------


def batch(seed: int = 14) -> list[dict[str, Any]]:
    """Generated applications, one path of the policy each, in a shuffled order: approvals within and above the
    agent's limit, rejections for one reason and for several, referrals, and applications that lack facts."""
    rng = random.Random(seed)

    def sound(**over: Any) -> dict[str, Any]:
        """An applicant the policy approves: a good score, a modest loan against a verified income."""
        facts = {
            "applicant_name": f"Applicant {rng.randrange(10**6):06d}",
            "product_code": PRODUCT["product_code"],
            "amount": f"{rng.randrange(2000, 15001, 50)}.00",
            "term_months": rng.choice([24, 36, 48, 60]),
            "annual_income": f"{rng.randrange(60000, 150001, 1000)}.00",
            "monthly_debt_payments": f"{rng.randrange(0, 600, 25)}.00",
            "employment_status": "employed",
            "months_employed": rng.randrange(24, 240),
            "housing_status": rng.choice(["rent", "own", "mortgage"]),
            "credit_score": rng.randrange(700, 830),
            "credit_score_source": "Experian",
            "credit_score_date": "2026-11-20",
            "date_of_birth": f"{rng.randrange(1950, 2000)}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 10)}",
            "income_verified": True,
            "identity_verified": True,
        }
        return {**facts, **over}

    def strained() -> dict[str, Any]:
        """A low score, debts and a loan too large for a small income, a new job: reasons to spare."""
        return sound(
            credit_score=rng.randrange(520, 600),
            annual_income=f"{rng.randrange(20000, 27001, 500)}.00",
            amount=f"{rng.randrange(14500, 15001, 50)}.00",
            term_months=36,
            monthly_debt_payments=f"{rng.randrange(900, 1201, 50)}.00",
            months_employed=rng.randrange(3, 9),
        )

    def overextended() -> dict[str, Any]:
        facts = sound()
        monthly_income = Decimal(facts["annual_income"]) / 12
        facts["monthly_debt_payments"] = str(
            (monthly_income * Decimal(rng.randrange(60, 76)) / 100).quantize(Decimal(1))
        )
        return facts

    applications = [
        *(sound() for _ in range(5)),
        *(
            sound(
                amount=f"{rng.randrange(25000, 45001, 500)}.00",
                annual_income=f"{rng.randrange(120000, 200001, 1000)}.00",
                term_months=rng.choice([36, 48, 60]),
            )
            for _ in range(3)
        ),
        *(sound(credit_score=rng.randrange(500, 620)) for _ in range(2)),
        *(overextended() for _ in range(2)),
        strained(),
        {**strained(), "income_verified": False},  # five reasons, of which the first four are given
        sound(amount="60000.00", annual_income="250000.00", term_months=60),
        *(sound(months_employed=rng.randrange(1, 10)) for _ in range(2)),
        *(sound(income_verified=False, amount=f"{rng.randrange(12000, 19001, 500)}.00") for _ in range(2)),
        sound(identity_verified=False),
        sound(credit_score=None),
        sound(annual_income=None, monthly_debt_payments=None),
    ]
    rng.shuffle(applications)
    return [{key: value for key, value in facts.items() if value is not None} for facts in applications]


# Running the agent ----------------------------------------------------------------------------------------------


@dataclass
class Run:
    lines: list[dict[str, Any]]
    log: str


def run_agent(base: str, key: str, *options: str, exit_code: int = 0) -> Run:
    """The agent as a user starts it, with its key in the environment; waits for it to stop by itself."""
    finished = subprocess.run(
        [sys.executable, str(AGENT), "--url", f"{base}/mcp", *options],
        env={"LENDGRES_API_KEY": key, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == exit_code, finished.stderr
    return Run([json.loads(line) for line in finished.stdout.splitlines()], finished.stderr)


@pytest.fixture
def lendgres(data_dir: Path) -> Iterator[tuple[str, httpx.Client]]:
    """`lendgres serve` on a fresh embedded database, and an HTTP client with the admin key it printed."""
    server = Serving(data_dir)
    try:
        (admin_key,) = set(KEY.findall(server.printed()))
        with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {admin_key}"}, timeout=60) as admin:
            yield server.base, admin
    finally:
        server.stop()


def made(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    document: dict[str, Any] = response.json()
    return document


def key_of(admin: httpx.Client, actor: str, kind: str, role: str) -> str:
    """A new actor and its API key, made by the admin over HTTP."""
    made(admin.post("/actors", json={"name": actor, "kind": kind, "role": role}))
    api_key: str = made(admin.post("/keys", json={"actor": actor, "label": "underwriting agent test"}))["api_key"]
    return api_key


def set_up(admin: httpx.Client) -> dict[str, str]:
    made(admin.post("/products", json=PRODUCT))
    return {
        UNDERWRITER: key_of(admin, UNDERWRITER, "agent", "underwriter"),
        INTAKE: key_of(admin, INTAKE, "agent", "intake"),
        REVIEWER: key_of(admin, REVIEWER, "human", "reviewer"),
    }


def file(admin: httpx.Client, intake_key: str, facts: dict[str, Any]) -> int:
    response = admin.post("/loans/apply", json=facts, headers={"Authorization": f"Bearer {intake_key}"})
    application_id: int = made(response)["application_id"]
    return application_id


# The tests ------------------------------------------------------------------------------------------------------


def test_the_agent_underwrites_a_batch_as_the_policy_says_and_never_twice(
    lendgres: tuple[str, httpx.Client], tmp_path: Path
) -> None:
    base, admin = lendgres
    keys = set_up(admin)
    version = subprocess.run(
        [sys.executable, str(AGENT), "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[-1]

    facts_of = {file(admin, keys[INTAKE], facts): facts for facts in batch()}
    for facts in facts_of.values():
        assert_unambiguous(facts)
    expectations = {application_id: expected(facts) for application_id, facts in facts_of.items()}
    # The batch takes every path: without this, a generator that drifted would let the test pass on less.
    assert {e.status for e in expectations.values()} == {
        "approved", "pending_confirmation", "rejected", "manual_review", "pending"
    }  # fmt: skip
    rejections = [tuple(e.reason_codes) for e in expectations.values() if e.recommendation == "reject"]
    assert len(set(rejections)) >= 4 and max(map(len, rejections)) == 4, rejections
    assert {code for e in expectations.values() if e.recommendation == "refer" for code in e.reason_codes} == {
        "length_of_employment", "unable_to_verify_income", "unable_to_verify_identity"
    }  # fmt: skip

    first = run_agent(base, keys[UNDERWRITER], "--max-idle", "3")

    # One line per application, saying what the agent did and where it left the application.
    assert sorted(line["application_id"] for line in first.lines) == sorted(facts_of), first.log
    for line in first.lines:
        expectation = expectations[line["application_id"]]
        outcome = {"approve": "approved", "reject": "rejected", "refer": "manual_review", None: "incomplete"}
        assert (line.get("recommendation"), line["outcome"], line["status"]) == (
            expectation.recommendation, outcome[expectation.recommendation], expectation.status
        ), (line, facts_of[line["application_id"]])  # fmt: skip

    # And the server agrees, decision by decision.
    documents = {application_id: made(admin.get(f"/loans/{application_id}"), 200) for application_id in facts_of}
    for application_id, application in documents.items():
        expectation = expectations[application_id]
        context = (application_id, facts_of[application_id], application)
        assert application["status"] == expectation.status, context
        if expectation.recommendation is None:
            assert application["missing_facts"] and application["decisions"] == [], context
            assert application["assessment"] is None, context
            continue
        assessment = application["assessment"]
        assert (assessment["recommendation"], assessment["reason_codes"], assessment["current"]) == (
            expectation.recommendation, expectation.reason_codes, True
        ), context  # fmt: skip
        (decision,) = application["decisions"]
        assert decision["decided_by"] == UNDERWRITER and decision["decided_by_kind"] == "agent", context
        assert (decision["model_name"], decision["model_version"]) == ("lendgres-example-agent", version), context
        assert decision["confidence"] is not None and 0 < Decimal(decision["confidence"]) <= 1, context
        assert decision["assessment_id"] == assessment["assessment_id"], context
        assert decision["overrides_recommendation"] is False, context
        assert decision["reason_codes"] == expectation.reason_codes, context
        for code in expectation.reason_codes:
            assert code in decision["reason"], context
        # Four-eyes: an approval above the agent's limit waits for a person, unconfirmed and with no offer yet.
        waits = expectation.status == "pending_confirmation"
        assert decision["requires_confirmation"] is waits and decision["confirmation"] is None, context
        if expectation.status == "approved":
            assert Decimal(application["offer"]["installment"]) == expectation.installment, context
            assert application["offer"]["annual_rate"] in RATES.values(), context
        else:
            assert application["offer"] is None, context

    # Run again from the beginning of the feed: it decides nothing and assesses nothing new (the only lines are the
    # applications still lacking facts), and every application reads as it did.
    cursor_file = tmp_path / "cursor"
    second = run_agent(base, keys[UNDERWRITER], "--max-idle", "2", "--cursor-file", str(cursor_file))
    incomplete = sorted(i for i, e in expectations.items() if e.recommendation is None)
    assert sorted(line["application_id"] for line in second.lines) == incomplete, second.log
    assert {line["outcome"] for line in second.lines} == {"incomplete"}
    for application_id, document in documents.items():
        assert made(admin.get(f"/loans/{application_id}"), 200) == document, application_id

    # Intake completes one of them: the agent, resumed from its cursor file, sees the update and decides that alone.
    completed = next(i for i in incomplete if "credit_score" not in facts_of[i])
    assert expected({**facts_of[completed], "credit_score": 760}).status == "approved"
    patched = admin.patch(
        f"/loans/{completed}", json={"credit_score": 760}, headers={"Authorization": f"Bearer {keys[INTAKE]}"}
    )
    assert made(patched, 200)["missing_facts"] == []
    third = run_agent(base, keys[UNDERWRITER], "--max-idle", "10", "--limit", "1", "--cursor-file", str(cursor_file))
    assert [(line["application_id"], line["outcome"], line["status"]) for line in third.lines] == [
        (completed, "approved", "approved")
    ], third.log


# An applicant the policy approves, for the test of refusals.
SOUND: dict[str, Any] = {
    "product_code": PRODUCT["product_code"],
    "amount": "8000.00",
    "term_months": 36,
    "annual_income": "90000.00",
    "monthly_debt_payments": "450.00",
    "employment_status": "employed",
    "months_employed": 48,
    "housing_status": "rent",
    "credit_score": 745,
    "credit_score_source": "Experian",
    "credit_score_date": "2026-11-20",
    "date_of_birth": "1985-06-01",
    "income_verified": True,
    "identity_verified": True,
}


def load_agent() -> ModuleType:
    """The example as a module, to drive it in this process."""
    spec = importlib.util.spec_from_file_location("underwriting_agent", AGENT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_agent_reads_each_refusal_and_carries_on(lendgres: tuple[str, httpx.Client], capsys: Any) -> None:
    """People and facts move while the agent works. Just before the agent's decision on an application (the moment a
    race would hit), the test changes its facts or decides it as a person, through the real server: the agent gets
    the refusal a real race gives, reads its code, and does what the code asks."""
    base, admin = lendgres
    keys = set_up(admin)
    stale_once, stale_twice, taken = (
        file(admin, keys[INTAKE], {**SOUND, "applicant_name": name}) for name in ("Ann Once", "Bob Twice", "Cy Taken")
    )
    agent_module = load_agent()

    async def scenario() -> None:
        intake = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {keys[INTAKE]}"}, timeout=60)
        reviewer = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {keys[REVIEWER]}"}, timeout=60)

        def debts_become(amount: str) -> Callable[[int], Awaitable[None]]:
            async def change(application_id: int) -> None:
                made(await intake.patch(f"/loans/{application_id}", json={"monthly_debt_payments": amount}), 200)

            return change

        async def a_person_rejects(application_id: int) -> None:
            body = {
                "outcome": "rejected",
                "reason": "The employer named does not exist",
                "reason_codes": ["unable_to_verify_employment"],
                "override_reason": "Found on a call the assessment could not make",
            }
            made(await reviewer.post(f"/loans/{application_id}/decision", json=body))

        # What happens just before each of the agent's decisions on an application, in turn.
        before_deciding = {
            stale_once: [debts_become("5000.00")],
            stale_twice: [debts_become("5000.00"), debts_become("100.00")],
            taken: [a_person_rejects],
        }

        class RacedLendgres(agent_module.Lendgres):  # type: ignore[misc,name-defined]
            async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
                if tool == "decide_application" and before_deciding.get(arguments["application_id"]):
                    await before_deciding[arguments["application_id"]].pop(0)(arguments["application_id"])
                answer: dict[str, Any] = await super().call(tool, **arguments)
                return answer

        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {keys[UNDERWRITER]}"}, timeout=60)
        client = Client(streamable_http_client(f"{base}/mcp", http_client=http))
        agent = agent_module.Agent(RacedLendgres(client), None, None)
        try:
            async with client:
                await agent.follow(max_idle=3, limit=None)
        finally:
            await asyncio.gather(http.aclose(), intake.aclose(), reviewer.aclose())
        assert not any(before_deciding.values()), "a planned change never happened"

    asyncio.run(scenario())
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    def said(application_id: int) -> list[tuple[str | None, str, str, str | None]]:
        return [
            (line.get("recommendation"), line["outcome"], line["status"], line.get("note"))
            for line in lines
            if line["application_id"] == application_id
        ]

    def read(application_id: int) -> dict[str, Any]:
        return made(admin.get(f"/loans/{application_id}"), 200)

    # The facts changed once under the agent: assessment_stale, so it assessed again and decided on the new facts.
    assert said(stale_once) == [("reject", "rejected", "rejected", None)], lines
    application = read(stale_once)
    assert application["decision"]["reason_codes"] == ["excessive_obligations"]
    assert application["decision"]["assessment_id"] == application["assessment"]["assessment_id"]
    assert application["assessment"]["facts"]["monthly_debt_payments"] == "5000.00"

    # Twice: it gave up after one new assessment and left the application pending; the update that made it stale
    # came down the feed, and brought the application back, to be decided on its final facts.
    assert said(stale_twice) == [
        ("reject", "not_decided", "pending", "assessment_stale"),
        ("approve", "approved", "approved", None),
    ], lines
    application = read(stale_twice)
    assert [decision["outcome"] for decision in application["decisions"]] == ["approved"]
    assert application["assessment"]["facts"]["monthly_debt_payments"] == "100.00"

    # A person decided first: the agent's decision was refused (invalid_transition), and the person's stands alone.
    assert said(taken) == [("approve", "not_decided", "rejected", "invalid_transition")], lines
    assert [decision["decided_by"] for decision in read(taken)["decisions"]] == [REVIEWER]

    # A key whose role cannot assess stops the agent with the refusal, rather than failing every application in turn.
    fresh = file(admin, keys[INTAKE], {**SOUND, "applicant_name": "Di Fresh"})
    refused = run_agent(base, keys[INTAKE], "--max-idle", "2", exit_code=2)
    assert refused.lines == [] and "forbidden" in refused.log, refused.log
    assert read(fresh)["status"] == "pending" and read(fresh)["assessment"] is None
