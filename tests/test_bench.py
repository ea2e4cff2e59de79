"""The benchmark's own arithmetic: what it reads from wrk, and the CPU time it charges to a server."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import run

WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:8000/loans/1
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.91ms    3.01ms  41.22ms   80.11%
    Req/Sec     0.90k   102.33     1.11k    71.00%
  Latency Distribution
     50%    8.40ms
     75%   10.12ms
     90%   12.51ms
     99%    1.02s
  8967 requests in 5.01s, 6.11MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:   1789.86
Transfer/sec:      1.22MB
"""


def test_wrk_report_is_read_with_its_units_and_errors() -> None:
    result = run.parse_wrk(WRK_OUTPUT)
    assert result.requests_per_s == 1789.86
    assert result.p50_ms == 8.4
    assert result.p99_ms == 1020.0
    assert result.errors == 6
    assert result.requests == 8967


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="CPU time is read from /proc")
def test_cpu_time_counts_descendants_and_the_children_they_reaped() -> None:
    """A shell runs a child that spins for 0.3 s of CPU, then sleeps: while the child runs it is counted as a
    descendant, and once the shell has reaped it, as part of the shell's own children's time."""
    spin = (
        "import os, time; print(os.getpid(), flush=True); t = time.process_time()\n"
        "while time.process_time() - t < 0.3: pass"
    )
    shell = subprocess.Popen(["sh", "-c", f'{sys.executable} -c "{spin}"; sleep 10'], stdout=subprocess.PIPE, text=True)
    try:
        assert shell.stdout is not None
        child = int(shell.stdout.readline())
        time.sleep(0.1)
        running = run.cpu_seconds([shell.pid])
        assert running is not None and 0.0 < running < 0.3
        deadline = time.monotonic() + 10
        while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        reaped = run.cpu_seconds([shell.pid])
        assert reaped is not None and 0.3 <= reaped < 1.0
    finally:
        shell.kill()
        shell.wait()
