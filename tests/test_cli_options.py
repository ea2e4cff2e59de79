"""The `lendgres` command's options and their defaults, as the README gives them (the commands themselves run in
tests/test_cli.py, with a free port each, so none of them can show the default one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lendgres import cli


def test_serve_defaults_to_one_worker_on_localhost_port_8000_and_the_local_data_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LENDGRES_DATA_DIR", raising=False)
    args = cli.build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.workers, args.migrate) == ("127.0.0.1", 8000, 1, False)
    assert cli._data_dir(args) == Path(".lendgres")


def test_serve_takes_host_port_workers_and_data_folder() -> None:
    args = cli.build_parser().parse_args(
        ["serve", "--host", "0.0.0.0", "--port", "9000", "--workers", "4", "--data-dir", "/srv/lendgres", "--migrate"]
    )
    assert (args.host, args.port, args.workers, args.data_dir, args.migrate) == (
        "0.0.0.0",
        9000,
        4,
        Path("/srv/lendgres"),
        True,
    )


def test_the_data_folder_follows_lendgres_data_dir_unless_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDGRES_DATA_DIR", "/var/lib/lendgres")
    parser = cli.build_parser()
    assert cli._data_dir(parser.parse_args(["migrate"])) == Path("/var/lib/lendgres")
    assert cli._data_dir(parser.parse_args(["db-url", "--data-dir", "here"])) == Path("here")


@pytest.mark.parametrize("command", [["serve", "--port", "eighty"], ["frobnicate"], []])
def test_a_bad_command_line_is_refused_with_usage(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.build_parser().parse_args(command)
    assert exited.value.code == 2
    assert "usage: lendgres" in capsys.readouterr().err
