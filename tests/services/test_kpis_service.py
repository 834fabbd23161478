"""KPIs and fairness through the service on PostgreSQL: a stored run, a plan as activating it would
make it, and the live assignment, on a book worked out by hand (kpi_book)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CTX, fresh_database
from kpi_book import write_kpi_book
from territorial.domain.entities import Entity
from territorial.services.activation import activate_plan
from territorial.services.assign import assign_plan
from territorial.services.imports import import_records
from territorial.services.kpis import fairness_report, kpis
from territorial.services.plans import add_plan
from territorial.services.workspace import create_workspace
from territorial.store.workspace import Workspace


@pytest.fixture
def book(tmp_path: Path) -> Iterator[tuple[Workspace, int]]:
    files = write_kpi_book(tmp_path)
    with fresh_database("postgresql", tmp_path) as url:
        workspace = create_workspace(url)
        import_records(workspace, CTX, Entity.ACCOUNTS, files["accounts"])
        import_records(workspace, CTX, Entity.REPS, files["reps"])
        import_records(workspace, CTX, Entity.OPPORTUNITIES, files["opportunities"])
        import_records(workspace, CTX, Entity.OPPORTUNITY_HISTORY, files["history"])
        plan_id = add_plan(workspace, CTX, files["plan"])
        yield workspace, plan_id
        workspace.engine.dispose()


def test_kpis_of_a_run_a_what_if_plan_and_the_live_assignment_agree(book: tuple[Workspace, int]) -> None:
    workspace, plan_id = book
    run = assign_plan(workspace, CTX, plan_id)
    of_run = kpis(workspace, CTX, run=run.run_id, by="rep", period="2027Q1")
    what_if = kpis(workspace, CTX, plan=str(plan_id), by="rep", period="2027Q1")
    assert of_run.table.equals(what_if.table)
    rows = {row["group"]: row for row in of_run.table.to_dicts()}
    assert list(rows) == ["r1", "r2", "(no territory)"]
    r1, r2 = rows["r1"], rows["r2"]
    assert (r1["accounts"], r1["workload"], r1["potential"]) == (2, 40.0, 400.0)
    assert (r1["bookings"], r1["won"], r1["lost"], r1["cycle_days"]) == (400.0, 2, 0, 20.0)
    # r2 won o4 (400) and lost o3 (200) and o5 (100): 1 of 3, 400 of 700 by value.
    assert (r2["bookings"], r2["won"], r2["lost"], r2["win_rate"]) == (400.0, 1, 2, 1 / 3)
    assert r2["win_rate_value"] == pytest.approx(400 / 700)
    # o6 on A3 (r2) is in Proposal, learned from history: o1 won, o3 lost -> 50%.
    assert (r2["open_pipeline"], r2["weighted_pipeline"]) == (1000.0, 500.0)
    assert rows["(no territory)"]["open_pipeline"] == 500.0  # o7 on A4, in no territory
    activate_plan(workspace, CTX, plan_id)
    live = kpis(workspace, CTX, plan="active", by="territory", period="2027Q1")
    by_territory = {row["group"]: row for row in live.table.to_dicts()}
    assert list(by_territory) == ["EAST", "WEST", "(no account)", "(no territory)"]
    # WEST's accounts A1, A2: o1, o2 and r2's o4 won; (no account) holds o5.
    assert (by_territory["WEST"]["bookings"], by_territory["WEST"]["won"]) == (800.0, 3)
    assert (by_territory["(no account)"]["lost"], by_territory["EAST"]["lost"]) == (1, 1)
    assert "live assignment" in live.described


def test_fairness_weights_each_reps_target_by_capacity(book: tuple[Workspace, int]) -> None:
    workspace, plan_id = book
    assign_plan(workspace, CTX, plan_id)
    report = fairness_report(workspace, CTX, measures=("workload", "potential"))
    workload, potential = report.measures
    # Workload 40 (r1, capacity 1) and 20 (r2, capacity 2): targets 20 and 40, both 100% / 50% off.
    assert workload.capacity_weighted and workload.groups == 2
    assert workload.flagged.rows() == [("r1", 40.0, 20.0, 1.0), ("r2", 20.0, 40.0, -0.5)]
    # Potential 400 and 600 against targets 333.3 and 666.7: both 20% / 10% off; r2 is within ±10%.
    assert potential.flagged.get_column("group").to_list() == ["r1"]
    assert potential.within_tolerance == 0.5
