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

from run import APPLY_BODY, APPLY_LUA, KEY, Scenario, _lendgres_command, _seed_application, _server, _wrk

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
            ) as base_url,
            _server(_lendgres_command(head_data), workdir / "head.log", "/readyz", head_data / "pgdata") as head_url,
        ):
            # The head's first start made an admin key; a base without keys ignores the header.
            key = KEY.search((workdir / "head.log").read_text(errors="replace"))
            authorization = f"Bearer {key.group(0)}" if key else ""
            servers = {"base": base_url, "head": head_url}
            ids = {name: _seed_application(url, authorization) for name, url in servers.items()}
            script = workdir / "apply.lua"
            script.write_text(APPLY_LUA % {"body": APPLY_BODY, "authorization": authorization})

            scenarios = {
                name: {
                    "apply": Scenario("apply", f"{url}/loans/apply", script),
                    "get": Scenario("get", f"{url}/loans/{ids[name]}", authorization=authorization),
                }
                for name, url in servers.items()
            }

            for scenario in ("apply", "get"):
                for connections in (int(part) for part in args.connections.split(",")):
                    rates: dict[str, list[float]] = {"base": [], "head": []}
                    for pair in range(args.pairs):
                        for name in ("base", "head") if pair % 2 == 0 else ("head", "base"):
                            rates[name].append(_rate(scenarios[name][scenario], connections, args.duration))
                    ratios = [head / base for head, base in zip(rates["head"], rates["base"], strict=True)]
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


def _rate(scenario: Scenario, connections: int, duration: int) -> float:
    result = _wrk(scenario, connections, duration, threads=2)
    if result.errors:
        raise RuntimeError(f"wrk saw {result.errors} errors on {scenario.url}")
    return result.requests_per_s


if __name__ == "__main__":
    sys.exit(main())
