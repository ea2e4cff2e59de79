"""Compares this checkout's HTTP API with another commit's, in one session, on one machine.

Checks the other commit out into a temporary git worktree, serves both (each `lendgres serve` on its own embedded
database, one worker each), and drives them with wrk in alternating short runs, so that both see the same moments
of a noisy host. Prints one JSON line per scenario and connection count: both series of requests per second, their
medians and the median of the pairwise ratios (this checkout / the other).

    .venv/bin/python bench/compare.py --base a37b6f2 [--pairs 6] [--duration 5] [--connections 16,64]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from run import (
    APPLY_BODY,
    APPLY_LUA,
    Scenario,
    WrkResult,
    _lendgres_command,
    _seed_application,
    _server,
    _wrk,
    admin_authorization,
)

REPOSITORY = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base", required=True, help="the commit to compare with, e.g. the foundation's")
    parser.add_argument("--pairs", type=int, default=6, help="alternating runs of each server per scenario")
    parser.add_argument("--duration", type=int, default=5, help="seconds of each wrk run")
    parser.add_argument("--connections", default="16,64", help="comma-separated connection counts")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("compare: wrk is not on PATH; install it (e.g. `apt-get install wrk`)", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="lendgres-compare-"))
    base_tree = workdir / "base"
    subprocess.run(
        ["git", "-C", str(REPOSITORY), "worktree", "add", "--detach", str(base_tree), args.base],
        check=True,
        capture_output=True,
    )
    try:
        base_data, head_data = workdir / "base-data", workdir / "head-data"
        with (
            _server(
                _lendgres_command(base_data),
                workdir / "base.log",
                "/readyz",
                base_data / "pgdata",
                extra_env={"PYTHONPATH": str(base_tree / "api")},
            ) as base,
            _server(_lendgres_command(head_data), workdir / "head.log", "/readyz", head_data / "pgdata") as head,
        ):
            servers = {"base": base, "head": head}
            # Each server's first start printed its own admin key (a base from before keys printed none, and
            # ignores the header).
            authorizations = {name: admin_authorization(workdir / f"{name}.log") for name in servers}
            ids = {name: _seed_application(server.url, authorizations[name]) for name, server in servers.items()}
            scenarios = {}
            for name, server in servers.items():
                script = workdir / f"{name}-apply.lua"
                script.write_text(APPLY_LUA % {"body": APPLY_BODY, "authorization": authorizations[name]})
                scenarios[name] = {
                    "apply": Scenario("apply", f"{server.url}/loans/apply", script, server=server),
                    "get": Scenario(
                        "get", f"{server.url}/loans/{ids[name]}", authorization=authorizations[name], server=server
                    ),
                }

            for scenario in ("apply", "get"):
                for connections in (int(part) for part in args.connections.split(",")):
                    results: dict[str, list[WrkResult]] = {"base": [], "head": []}
                    for pair in range(args.pairs):
                        for name in ("base", "head") if pair % 2 == 0 else ("head", "base"):
                            results[name].append(_run(scenarios[name][scenario], connections, args.duration))
                    rates = {name: [result.requests_per_s for result in runs] for name, runs in results.items()}
                    ratios = [head / base for head, base in zip(rates["head"], rates["base"], strict=True)]
                    cpu = {name: [result.cpu_us_per_request for result in runs] for name, runs in results.items()}
                    print(
                        json.dumps(
                            {
                                "scenario": scenario,
                                "connections": connections,
                                "base": args.base,
                                "base_requests_per_s": [round(rate) for rate in rates["base"]],
                                "head_requests_per_s": [round(rate) for rate in rates["head"]],
                                "base_median": round(statistics.median(rates["base"])),
                                "head_median": round(statistics.median(rates["head"])),
                                "median_ratio": round(statistics.median(ratios), 3),
                                **_cpu_figures(cpu["base"], cpu["head"]),
                            }
                        ),
                        flush=True,
                    )
    finally:
        subprocess.run(
            ["git", "-C", str(REPOSITORY), "worktree", "remove", "--force", str(base_tree)], capture_output=True
        )
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _run(scenario: Scenario, connections: int, duration: int) -> WrkResult:
    result = _wrk(scenario, connections, duration, threads=2)
    if result.errors:
        raise RuntimeError(f"wrk saw {result.errors} errors on {scenario.url}")
    return result


def _cpu_figures(base: list[float | None], head: list[float | None]) -> dict[str, Any]:
    """CPU time per request of each server with its database, and the median of the pairwise ratios base / head
    (above 1 when this checkout needs less CPU per request), where /proc gives them."""
    if None in base or None in head:
        return {}
    base_cpu = [value for value in base if value is not None]
    head_cpu = [value for value in head if value is not None]
    return {
        "base_cpu_us_per_request": round(statistics.median(base_cpu), 1),
        "head_cpu_us_per_request": round(statistics.median(head_cpu), 1),
        "cpu_ratio": round(statistics.median(b / h for b, h in zip(base_cpu, head_cpu, strict=True)), 3),
    }


if __name__ == "__main__":
    sys.exit(main())
