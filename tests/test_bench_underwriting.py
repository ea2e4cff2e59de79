"""bench/underwriting.py: a run of the whole benchmark with a few calls, which must make every call it names (each
checked by the script: a refusal or a replay stops it) and print every figure it promises."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import underwriting

SCENARIOS = ["apply", "apply-facts", "get", "get-approved", "assess", "decide", "decide-unassessed"]


def test_a_backends_cpu_time_is_read_from_proc() -> None:
    if not Path("/proc/self/stat").exists():
        assert underwriting.backend_cpu_seconds(os.getpid()) is None
        return
    spent = underwriting.backend_cpu_seconds(os.getpid())
    sum(range(3_000_000))
    again = underwriting.backend_cpu_seconds(os.getpid())
    assert spent is not None and again is not None and again > spent
    assert underwriting.backend_cpu_seconds(2**22 + 1) is None  # above any pid this kernel gives


@pytest.mark.slow
def test_the_benchmark_runs_every_scenario_and_profiles_an_assessment(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--rounds", "2", "--calls", "3", "--warm-up", "2", "--profile-calls", "4"]
    assert underwriting.main(arguments) == 0
    output = capsys.readouterr().out.splitlines()
    lines = [json.loads(line) for line in output if line.startswith("{")]

    scenarios = [line for line in lines if "scenario" in line]
    assert [line["scenario"] for line in scenarios] == SCENARIOS
    for line in scenarios:
        assert line["calls"] == 2 * 3
        assert set(line) == {
            "scenario",
            "calls",
            "database_cpu_us_per_call",
            "wall_us_median",
            "cpu_to_apply",
            "wall_to_apply",
        }
        assert line["wall_us_median"] > 0
    assert scenarios[0]["wall_to_apply"] == 1.0

    profile = {line["function"]: line for line in lines if line.get("profile") == "assess"}
    for function in (
        "lending.assess_application",
        "lending_private.evaluate_policy",
        "lending_private.repayment_schedule",
        "lending_private.annual_percentage_rate",
    ):
        assert profile[function]["calls_per_call"] == 1.0, function
        assert profile[function]["total_us_per_call"] >= profile[function]["self_us_per_call"] > 0
    # Only the profiled assessments are counted: no apply ran between the two readings.
    assert "lending.apply" not in profile
    # Everything an assessment runs happens inside it.
    assessment = profile["lending.assess_application"]["total_us_per_call"]
    assert all(line["total_us_per_call"] <= assessment for line in profile.values())

    tables = [line.split(" | ")[0].removeprefix("| ") for line in output if line.startswith("| ")]
    assert tables[1 : 1 + len(SCENARIOS)] == SCENARIOS  # after the header (the rule line starts "|---")
    assert [title for title in tables if title.startswith("function")] == [
        "function (per assess call)",
        "function (per apply call)",
    ]
