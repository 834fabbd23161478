"""Headcount from the workspace's book (services.capacity), on the fake and on both databases."""

from __future__ import annotations

from pathlib import Path

from workspace_books import write_book

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.services.capacity import CapacityRequest, plan_capacity
from territorial.services.imports import import_records
from territorial.services.unit_of_work import WorkspaceStore


def test_headcount_by_segment_counts_active_owners_only(store: WorkspaceStore, tmp_path: Path) -> None:
    files = write_book(tmp_path)
    import_records(store, CTX, Entity.ACCOUNTS, files["accounts"])
    import_records(store, CTX, Entity.REPS, files["reps"])
    run = plan_capacity(
        CapacityRequest(
            from_workspace=True,
            workspace=store,
            workload="employees / 10",
            hours_per_rep=100,
            utilisation=1.0,
            by=["region"],
        )
    )
    table = run.headcount.table.sort("region")
    assert table.select("region", "accounts", "workload_hours", "reps_needed", "current_reps").rows() == [
        ("East", 2, 86.0, 1, 1),  # dee
        ("South", 1, 20.0, 1, 0),  # ghost owns it but is inactive
        ("West", 3, 650.0, 7, 3),  # jane, bob, cy
    ]
