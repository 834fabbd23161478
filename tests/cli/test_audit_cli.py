"""`territorial audit` and `audit verify` through the command line: the rows of an account, the
head printed, exit 3 naming an edited entry or a truncated tail, exit 2 for a malformed head."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import CTX, run_cli
from services.workspace_books import write_book
from territorial.domain.entities import Entity
from territorial.services.activation import activate_plan
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.overrides import add_override
from territorial.services.plans import add_plan
from territorial.store.workspace import init_workspace


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace made through the services (the CLI's own tests cover those commands); the plan
    stored by ann, the override by bob, as --actor would name them."""
    monkeypatch.delenv("TERRITORIAL_TIME_ZONE", raising=False)
    paths = write_book(tmp_path)
    workspace = init_workspace(str(tmp_path / "territorial.db"))
    import_records(workspace, CTX, Entity.REPS, paths["reps"])
    import_records(workspace, CTX, Entity.ACCOUNTS, paths["accounts"])
    plan_id = add_plan(workspace, Context.admin("ann", CTX.now()), paths["plan"])
    activate_plan(workspace, CTX, plan_id)
    add_override(workspace, Context.admin("bob", CTX.now()), "A-3", "WEST", None, "strategic account")
    workspace.engine.dispose()
    return tmp_path


def test_audit_shows_who_moved_an_account_and_verify_prints_the_head(folder: Path) -> None:
    shown = run_cli(folder, "audit", "--account", "A-3")
    assert shown.returncode == 0, shown.stderr
    assert "SOUTH / (vacant) → WEST / cy" in shown.stdout
    assert "override by a planner: strategic account" in shown.stdout and "bob" in shown.stdout
    plan = run_cli(folder, "audit", "--plan", "active")
    assert "plan 1 added from plan.yaml" in plan.stdout and "ann" in plan.stdout
    verified = run_cli(folder, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    head = verified.stdout.strip()
    assert head.startswith("3:") and len(head) == 2 + 64
    assert run_cli(folder, "audit", "verify", "--expect-head", head).returncode == 0

    with sqlite3.connect(folder / "territorial.db") as connection:
        connection.execute("DELETE FROM audit_entries WHERE seq = 3")
    truncated = run_cli(folder, "audit", "verify", "--expect-head", head)
    assert truncated.returncode == 3
    assert "entry 3 was truncated: the chain ends at entry 2" in truncated.stderr
    with sqlite3.connect(folder / "territorial.db") as connection:
        connection.execute("UPDATE audit_entries SET entry = REPLACE(entry, 'ann', 'eve') WHERE seq = 1")
    edited = run_cli(folder, "audit", "verify")
    assert edited.returncode == 3 and "entry 1 was edited" in edited.stderr

    bad = run_cli(folder, "audit", "verify", "--expect-head", "three")
    assert bad.returncode == 2 and "--expect-head" in bad.stderr
    both = run_cli(folder, "audit", "--account", "A-3", "--rep", "jane")
    assert both.returncode == 2
