"""`territorial serve` refuses bad configuration with one clear message and exit 2, before it listens."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from conftest import run_cli


@pytest.fixture
def ready(tmp_path: Path) -> Path:
    assert run_cli(tmp_path, "init").returncode == 0
    return tmp_path


def test_a_bad_setting_names_the_variable_or_the_file(ready: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITORIAL_SERVE_PORT", "eighty")
    result = run_cli(ready, "serve")
    assert result.returncode == 2 and "TERRITORIAL_SERVE_PORT" in result.stderr
    monkeypatch.delenv("TERRITORIAL_SERVE_PORT")
    (ready / "territorial.toml").write_text("serve_workers = 0\n", encoding="utf-8")
    result = run_cli(ready, "serve")
    assert result.returncode == 2 and "territorial.toml [serve_workers]" in result.stderr
    (ready / "territorial.toml").write_text("serve_wrokers = 2\n", encoding="utf-8")
    result = run_cli(ready, "serve")
    assert result.returncode == 2 and "unknown setting 'serve_wrokers'" in result.stderr


def test_bad_options_a_taken_port_and_no_workspace_exit_2(
    ready: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    result = run_cli(ready, "serve", "--port", "70000")
    assert result.returncode == 2 and "--port: expected a port from 1 to 65535" in result.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(ready, "serve", "--port", port)
    assert result.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in result.stderr
    empty = tmp_path_factory.mktemp("empty")
    result = run_cli(empty, "serve")
    assert result.returncode == 2 and "territorial init" in result.stderr
