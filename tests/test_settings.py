"""Settings read from the environment, and the defaults that depend on the machine."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lendgres.settings import Settings, header_timeout_from_env, usable_cpus


def test_pool_size_is_four_connections_per_usable_cpu_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://lendgres_http@/lendgres")
    monkeypatch.delenv("LENDGRES_POOL_MAX_SIZE", raising=False)
    assert Settings.from_env().pool_max_size == min(16, 4 * usable_cpus())
    monkeypatch.setenv("LENDGRES_POOL_MAX_SIZE", "3")
    assert Settings.from_env().pool_max_size == 3


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux's")
def test_a_process_held_to_one_cpu_defaults_to_a_pool_of_four() -> None:
    """A container's CPU set limits the process the same way: the pool follows the CPUs it may use, not the
    machine's."""
    script = (
        "import os; os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]}); "
        "from lendgres.settings import DEFAULT_POOL_MAX_SIZE, usable_cpus; print(usable_cpus(), DEFAULT_POOL_MAX_SIZE)"
    )
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["1", "4"]


def test_telemetry_is_true_or_false_and_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://lendgres_http@/lendgres")
    for value, expected in [("", False), ("false", False), ("TRUE", True), (" true ", True)]:
        monkeypatch.setenv("LENDGRES_TELEMETRY", value)
        assert Settings.from_env().telemetry is expected
    monkeypatch.setenv("LENDGRES_TELEMETRY", "1")
    with pytest.raises(RuntimeError, match="LENDGRES_TELEMETRY must be true or false"):
        Settings.from_env()


def test_request_limits_default_and_are_positive_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@/nothing")
    settings = Settings.from_env()
    assert (settings.max_body_bytes, settings.body_timeout_seconds) == (1024 * 1024, 30.0)
    assert header_timeout_from_env() == 10.0
    monkeypatch.setenv("LENDGRES_MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("LENDGRES_BODY_TIMEOUT", "2.5")
    monkeypatch.setenv("LENDGRES_HEADER_TIMEOUT", "3")
    settings = Settings.from_env()
    assert (settings.max_body_bytes, settings.body_timeout_seconds, header_timeout_from_env()) == (4096, 2.5, 3.0)
    readers = {
        "LENDGRES_MAX_BODY_BYTES": Settings.from_env,
        "LENDGRES_BODY_TIMEOUT": Settings.from_env,
        "LENDGRES_HEADER_TIMEOUT": header_timeout_from_env,
    }
    for name, read in readers.items():
        for bad in ("0", "-1", "lots", "nan", "inf", "1.5" if name == "LENDGRES_MAX_BODY_BYTES" else "1e400"):
            monkeypatch.setenv(name, bad)
            with pytest.raises(RuntimeError, match=f"{name} must be a positive number"):
                read()
        monkeypatch.delenv(name)
