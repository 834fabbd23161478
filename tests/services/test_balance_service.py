"""Balancing the workspace's book (services.balance with --workspace), on the fake and on both
databases: the stored accounts, active reps and current owners are what is balanced."""

from __future__ import annotations

from pathlib import Path

import pytest
from workspace_books import write_book

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.balance import BalanceOptions, balance_files
from territorial.services.draft_plan import draft_plan
from territorial.services.imports import import_records
from territorial.services.plans import add_plan
from territorial.services.unit_of_work import WorkspaceStore


@pytest.fixture
def book(store: WorkspaceStore, tmp_path: Path) -> dict[str, Path]:
    files = write_book(tmp_path)
    import_records(store, CTX, Entity.ACCOUNTS, files["accounts"])
    import_records(store, CTX, Entity.REPS, files["reps"])
    return files


def test_the_workspace_book_is_balanced_among_its_active_reps(
    store: WorkspaceStore, book: dict[str, Path]
) -> None:
    plan_id = add_plan(store, CTX, book["plan"])
    run = balance_files(
        BalanceOptions(
            from_workspace=True, workspace=store, plan=str(plan_id), metrics={"accounts": 0.5}, seed=1
        )
    )
    assert sorted(run.table.get_column("id")) == ["A-1", "A-2", "A-3", "A-4", "A-5", "A-6"]
    assert set(run.table.get_column("rep_id")) <= {"jane", "bob", "cy", "dee"}  # ghost is inactive
    assert run.report["totals"]["within_tolerance"] == 4
    assert run.report["totals"]["workload"] == "employees"  # the stored plan's workload
    assert "postal_code IN" in draft_plan(run) or "account_id IN" in draft_plan(run)


def test_a_stored_plan_needs_the_workspace_and_must_exist(
    store: WorkspaceStore, book: dict[str, Path]
) -> None:
    with pytest.raises(BadInput, match="--plan ID names a stored plan: it needs the workspace"):
        balance_files(BalanceOptions(accounts=book["accounts"], k=2, plan="3"))
    with pytest.raises(BadInput, match="no plan with id 3"):
        balance_files(BalanceOptions(from_workspace=True, workspace=store, plan="3"))
