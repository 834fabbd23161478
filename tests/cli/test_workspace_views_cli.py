"""The analyst's views of the workspace through the real CLI (SQLite): `run list`, `run show`,
`plan show`, `account find`, `explain --account-name` and `plan add` checking the plan's fields."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import run_cli
from services.workspace_books import write_book


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the book, its reps, plan 1 and run 1."""
    folder = tmp_path_factory.mktemp("views")
    write_book(folder)
    for step in (
        ["init"],
        ["import", "accounts", "accounts.csv"],
        ["import", "reps", "reps.csv"],
        ["plan", "add", "plan.yaml"],
        ["assign", "--plan", "1"],
    ):
        ok(ws(folder, *step))
    return folder


def ws(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(folder, "--database-url", str(folder / "ws.db"), *args)


def test_run_list_and_show(folder: Path) -> None:
    listed = ok(ws(folder, "run", "list")).stdout
    assert "Assignment runs" in listed and "│      1 │       1 │" in listed
    shown = ok(ws(folder, "run", "show", "1")).stdout
    assert "run 1: plan 1 (Book plan)" in shown and "6 accounts, 0 unassigned" in shown
    assert "SOUTH" in shown and "vacant" in shown
    missing = ws(folder, "run", "show", "5")
    assert missing.returncode == 2 and "no assignment run with id 5" in missing.stderr


def test_plan_show_prints_the_stored_yaml(folder: Path) -> None:
    shown = ok(ws(folder, "plan", "show", "1"))
    assert shown.stdout == (folder / "plan.yaml").read_text()
    assert "plan 1: Book plan, from plan.yaml" in shown.stderr


def test_plan_add_refuses_a_plan_that_does_not_fit_the_accounts(folder: Path) -> None:
    (folder / "typo.yaml").write_text((folder / "plan.yaml").read_text().replace("employees", "employes"))
    refused = ws(folder, "plan", "add", "typo.yaml")
    assert refused.returncode == 2 and "typo.yaml" in refused.stderr and "employes" in refused.stderr
    assert "│       2 │" not in ok(ws(folder, "plan", "list")).stdout


def test_account_find_and_explain_by_name(folder: Path) -> None:
    found = ok(ws(folder, "account", "find", "globex.com")).stdout
    assert "A-2" in found and "Globex Inc." in found and "A-1" not in found
    assert "no active account" in ok(ws(folder, "account", "find", "zzz")).stdout
    explained = ok(ws(folder, "explain", "--plan", "1", "--account-name", "initech llc")).stdout
    assert "Account A-3" in explained and "primary: SOUTH wins. Rep: none (vacant)." in explained
    # From files too, where only the columns the plan reads are loaded (its rules never read name).
    from_file = ok(
        ws(folder, "explain", "plan.yaml", "--accounts", "accounts.csv", "--account-name", "hooli")
    )
    assert "Account A-4" in from_file.stdout
    both = ws(folder, "explain", "--plan", "1", "--account", "A-3", "--account-name", "Initech LLC")
    assert both.returncode == 2 and "--account ID or --account-name NAME" in both.stderr
