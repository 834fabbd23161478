"""What --database-url and TERRITORIAL_DATABASE_URL accept: a plain path is a SQLite file,
postgres:// is PostgreSQL, and everything else is a clear exit 2 naming where the URL came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli
from territorial.store.workspace import database_url


def test_a_value_without_a_scheme_is_a_sqlite_path(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "--database-url", "x.db", "init").returncode == 0
    assert (tmp_path / "x.db").exists()
    listed = run_cli(tmp_path, "--database-url", "./x.db", "plan", "list")
    assert listed.returncode == 0, listed.stderr
    assert database_url("sub/x.db") == "sqlite:///sub/x.db"


def test_the_environment_variable_takes_a_path_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_cli(tmp_path, "--database-url", "y.db", "init").returncode == 0
    monkeypatch.setenv("TERRITORIAL_DATABASE_URL", "./y.db")
    listed = run_cli(tmp_path, "plan", "list")
    assert listed.returncode == 0, listed.stderr
    monkeypatch.setenv("TERRITORIAL_DATABASE_URL", "http://[::1")
    bad = run_cli(tmp_path, "plan", "list")
    assert bad.returncode == 2
    assert "TERRITORIAL_DATABASE_URL: not a database URL" in bad.stderr


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://[::1", "--database-url: not a database URL"),
        ("postgresql://root@127.0.0.1:abc/test", "--database-url: not a database URL"),
        ("mysql://a@b/c", "only SQLite and PostgreSQL workspaces are supported, not 'mysql'"),
        ("notaurl", "no workspace here"),
    ],
)
def test_urls_that_cannot_be_used_exit_2(tmp_path: Path, url: str, says: str) -> None:
    result = run_cli(tmp_path, "--database-url", url, "plan", "list")
    assert result.returncode == 2, result.stderr
    assert says in result.stderr


@pytest.mark.parametrize("command", [("init",), ("plan", "list")])
def test_a_file_that_is_not_a_database_exits_2(tmp_path: Path, command: tuple[str, ...]) -> None:
    (tmp_path / "notes.db").write_text("hello\n")
    result = run_cli(tmp_path, "--database-url", "notes.db", *command)
    assert result.returncode == 2, result.stderr
    assert "cannot open the database" in result.stderr
    assert (tmp_path / "notes.db").read_text() == "hello\n"


@pytest.mark.parametrize("command", [("init",), ("plan", "list")])
def test_a_folder_names_the_option_or_variable_it_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    (tmp_path / "folder").mkdir()
    for url in ("folder", "sqlite:///folder"):
        result = run_cli(tmp_path, "--database-url", url, *command)
        assert result.returncode == 2, result.stderr
        assert "--database-url: folder is a folder; give a SQLite file's path" in result.stderr
    monkeypatch.setenv("TERRITORIAL_DATABASE_URL", "folder")
    result = run_cli(tmp_path, *command)
    assert result.returncode == 2, result.stderr
    assert "TERRITORIAL_DATABASE_URL: folder is a folder" in result.stderr


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://", ":memory:", "file::memory:"])
def test_an_in_memory_database_is_no_workspace(tmp_path: Path, url: str) -> None:
    # init said "workspace ready" for a database gone when the command ended.
    result = run_cli(tmp_path, "--database-url", url, "init")
    assert result.returncode == 2, result.stderr
    assert "--database-url: " in result.stderr
    assert "in-memory database" in result.stderr and "a workspace must be a file" in result.stderr
    assert "ready" not in result.stderr


@pytest.mark.parametrize("command", [("init",), ("plan", "list")])
def test_an_empty_database_url_is_refused(tmp_path: Path, command: tuple[str, ...]) -> None:
    # It fell back to ./territorial.db without a word.
    result = run_cli(tmp_path, "--database-url", "", *command)
    assert result.returncode == 2, result.stderr
    assert "--database-url: the database URL is empty" in result.stderr
    assert not (tmp_path / "territorial.db").exists()


def test_postgres_scheme_means_postgresql_through_psycopg(tmp_path: Path) -> None:
    # A port nothing listens on: the driver was chosen (psycopg) and the failure is a clear one.
    result = run_cli(tmp_path, "--database-url", "postgres://root@127.0.0.1:1/test", "plan", "list")
    assert result.returncode == 2, result.stderr
    assert "cannot open the database" in result.stderr


def test_init_refuses_another_applications_sqlite_file(tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "crm.db") as db:
        db.execute("CREATE TABLE customers (id INTEGER)")
    result = run_cli(tmp_path, "--database-url", "crm.db", "init")
    assert result.returncode == 2
    assert "holds another application's tables (customers)" in result.stderr
    with sqlite3.connect(tmp_path / "crm.db") as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == [
            "customers"
        ]
