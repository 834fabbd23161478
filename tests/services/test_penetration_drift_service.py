"""Penetration, coverage gaps and drift through the services on PostgreSQL (coverage_book)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from conftest import CTX, fresh_database
from coverage_book import write_coverage_book
from territorial.domain.entities import Entity
from territorial.services.activation import activate_plan
from territorial.services.drift import drift
from territorial.services.imports import import_records
from territorial.services.penetration import gaps, penetration
from territorial.services.plans import add_plan
from territorial.services.workspace import create_workspace
from territorial.store.workspace import Workspace


@pytest.fixture
def book(tmp_path: Path) -> Iterator[tuple[Workspace, int, dict[str, Path]]]:
    files = write_coverage_book(tmp_path)
    with fresh_database("postgresql", tmp_path) as url:
        workspace = create_workspace(url)
        import_records(workspace, CTX, Entity.ACCOUNTS, files["accounts"])
        import_records(workspace, CTX, Entity.REPS, files["reps"])
        import_records(workspace, CTX, Entity.OPPORTUNITIES, files["opportunities"])
        plan_id = add_plan(workspace, CTX, files["plan"])
        activate_plan(workspace, CTX, plan_id)
        yield workspace, plan_id, files
        workspace.engine.dispose()


def test_penetration_gaps_and_drift_of_the_live_assignment(
    book: tuple[Workspace, int, dict[str, Path]],
) -> None:
    workspace, plan_id, files = book
    report = penetration(workspace, CTX, period="2027Q1")
    # WEST booked all 800 on a third of the potential (400 of 1,200): index 3; EAST booked nothing.
    assert report.index.select("territory_id", "index", "under_penetrated").rows() == [
        ("EAST", 0.0, True),
        ("WEST", pytest.approx(3.0), False),
    ]
    # A3 has the open o6: A5 is EAST's one account with potential and no open deal.
    assert report.untapped.select("territory_id", "account_id", "untapped").rows() == [("EAST", "A5", 200.0)]

    found = gaps(workspace, CTX, market=files["market"])
    assert found.accounts.select("account_id", "area", "gap").rows() == [
        ("A6", "98101", "no territory"),
        ("A4", "73301", "no territory"),
    ]
    assert found.areas.select("area", "uncovered_potential").rows() == [("98101", 70.0), ("73301", 50.0)]
    assert found.market is not None and found.market.rows() == [("60601", 900.0), ("02110", 300.0)]

    steady = drift(workspace, CTX)
    assert steady.drifted.is_empty() and steady.rebalance is None and steady.owners == ()
    import_records(workspace, CTX, Entity.ACCOUNTS, files["changed"])
    moved = drift(workspace, CTX)
    assert moved.drifted.select("territory_id", "measure", "then", "now").rows() == [
        ("EAST", "workload", 28.0, 48.0)
    ]
    assert moved.workload_changes.get_column("territory_id").to_list() == ["EAST"]
    assert (
        moved.rebalance
        == f"territorial balance --workspace --plan {plan_id} --metric workload=0.1 --max-moves 0.05 "
        "--plan-out rebalanced.yaml"
    )
    assert [(o.account_id, o.crm_owner_id, o.rep_id) for o in moved.owners] == [("A1", "r2", "r1")]
    segments = moved.table.filter(
        pl.col("measure").str.starts_with("segment:") & (pl.col("territory_id") == "EAST")
    )
    assert segments.select("measure", "then", "now").rows() == [
        ("segment:ENT", 1.0, 1.0),
        ("segment:SMB", 1.0, 1.0),
    ]
