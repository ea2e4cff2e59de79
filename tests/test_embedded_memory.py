"""The embedded PostgreSQL's memory is sized to the machine: PostgreSQL's own defaults (128 MB of shared buffers)
cost random reads 30-50% once the data outgrows them."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from lendgres import embedded

GB = 1024**3


def test_memory_settings_follow_the_memory_there_is() -> None:
    assert embedded.memory_settings(2 * GB) == {
        "shared_buffers": "512MB",
        "effective_cache_size": "1536MB",
        "maintenance_work_mem": "128MB",
        "work_mem": "5MB",
    }
    assert embedded.memory_settings(64 * GB) == {
        "shared_buffers": "16384MB",
        "effective_cache_size": "49152MB",
        "maintenance_work_mem": "2048MB",
        "work_mem": "64MB",
    }
    # Never below PostgreSQL's own defaults.
    assert embedded.memory_settings(256 * 1024**2) == {
        "shared_buffers": "128MB",
        "effective_cache_size": "512MB",
        "maintenance_work_mem": "64MB",
        "work_mem": "4MB",
    }


def test_the_machine_memory_is_at_most_what_there_is() -> None:
    assert 0 < embedded.machine_memory() <= os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def settings(database: embedded.EmbeddedDatabase) -> dict[str, str]:
    names = list(embedded.memory_settings(GB))
    with psycopg.connect(database.superuser_url("postgres")) as connection:
        rows = connection.execute("select name, current_setting(name) from unnest(%s::text[]) as name", [names])
        return dict(rows.fetchall())


@pytest.mark.slow
def test_the_embedded_server_runs_with_them_from_its_first_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "machine_memory", lambda: 3 * GB)
    database = embedded.EmbeddedDatabase(tmp_path / "data")
    database.start()
    try:
        assert settings(database) == {
            "shared_buffers": "768MB",
            "effective_cache_size": "2304MB",
            "maintenance_work_mem": "192MB",
            "work_mem": "7MB",
        }
        # An operator's ALTER SYSTEM wins over them, and the next start keeps it.
        with psycopg.connect(database.superuser_url("postgres"), autocommit=True) as connection:
            connection.execute("alter system set work_mem = '12MB'")
        database.stop()
        database.start()
        assert settings(database)["work_mem"] == "12MB"
    finally:
        database.stop()
