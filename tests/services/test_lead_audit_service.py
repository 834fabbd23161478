"""The routing audit (services.lead_audit): decisions stored with their paths, explained, and the
fairness report, on the fake and on both databases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from workspace_books import write_book

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.imports import import_records
from territorial.services.lead_audit import explain_lead, fairness_report
from territorial.services.routing import open_router, route_file
from territorial.services.unit_of_work import WorkspaceStore

LEADS = """\
lead_id,email,company,state,country,created
L-1,a@new.com,New A,CA,US,2026-03-02
L-2,b@new.com,New B,WA,US,2026-03-02
L-3,c@new.com,New C,OR,US,2026-03-03
L-4,d@new.com,New D,CA,US,2026-03-03
L-5,a@new.com,New A,CA,US,2026-03-04
L-6,e@new.com,New E,NY,US,2026-04-01
"""


@pytest.fixture
def routed(store: WorkspaceStore, tmp_path: Path) -> int:
    files = write_book(tmp_path)
    import_records(store, CTX, Entity.REPS, files["reps"])
    (tmp_path / "leads.csv").write_text(LEADS)
    # Leads carry no region: the plan routes the West by state.
    plan = files["plan"].read_text().replace("region = 'West'", "state IN ('CA', 'WA', 'OR')")
    files["plan"].write_text(plan)
    router = open_router(store, files["plan"])
    return route_file(store, CTX, router, tmp_path / "leads.csv").route_run_id


def test_every_decision_is_explained_with_its_path(store: WorkspaceStore, routed: int) -> None:
    (first,) = explain_lead(store, "L-1")
    assert (first.route_run_id, first.decision, first.territory_id) == (routed, "routed", "WEST")
    assert [step["step"] for step in first.path][:2] == ["duplicate check", "fit"]
    (again,) = explain_lead(store, "L-5")
    assert again.decision == "duplicate" and again.rep_id == first.rep_id
    with pytest.raises(BadInput, match="no routing decision is stored for lead 'L-404'"):
        explain_lead(store, "L-404")


def test_fairness_counts_pooled_leads_against_weight_shares(store: WorkspaceStore, routed: int) -> None:
    march = fairness_report(store, date(2026, 3, 1), date(2026, 3, 31))
    west = {r["rep_id"]: r for r in march.filter(march["territory_id"] == "WEST").iter_rows(named=True)}
    assert sum(r["leads"] for r in west.values()) == 4  # L-5 is a duplicate: it follows ownership
    assert west["bob"]["weight"] == 2.0 and west["bob"]["weight_share"] == 0.5
    assert fairness_report(store, route_run_id=routed).height >= march.height
    april = fairness_report(store, date(2026, 4, 1), None)
    assert april.get_column("territory_id").to_list() == ["EAST"]


def test_fairness_uses_the_weights_each_lead_was_routed_with(store: WorkspaceStore, tmp_path: Path) -> None:
    """A reps file's weights hold for the leads routed with it, whatever the workspace's reps say."""
    files = write_book(tmp_path)
    import_records(store, CTX, Entity.REPS, files["reps"])  # bob 2, jane 1, cy 1
    plan = files["plan"].read_text().replace("region = 'West'", "state IN ('CA', 'WA', 'OR')")
    files["plan"].write_text(plan.replace("reps: [jane, bob, cy]", "reps: [jane, bob]"))
    (tmp_path / "weights.csv").write_text("rep_id,lead_weight\njane,2\nbob,1\ncy,1\ndee,1\nghost,1\n")
    rows = "".join(f"L-{n},l{n}@new.com,New {n},CA,US,2026-03-02\n" for n in range(30))
    (tmp_path / "leads.csv").write_text("lead_id,email,company,state,country,created\n" + rows)
    router = open_router(store, files["plan"], tmp_path / "weights.csv")
    run = route_file(store, CTX, router, tmp_path / "leads.csv").route_run_id

    for report in (fairness_report(store, route_run_id=run), fairness_report(store)):
        west = {r["rep_id"]: r for r in report.iter_rows(named=True)}
        assert {rep: r["leads"] for rep, r in west.items()} == {"jane": 20, "bob": 10}
        assert {rep: r["weight"] for rep, r in west.items()} == {"jane": 2.0, "bob": 1.0}
        assert {rep: r["weight_share"] for rep, r in west.items()} == {"jane": 0.6667, "bob": 0.3333}
        assert {rep: r["leads_vs_share"] for rep, r in west.items()} == {"jane": 0.0, "bob": 0.0}

    # A later run with the workspace's weights (bob 2): each lead is judged by its own run's weights.
    more = "".join(f"M-{n},m{n}@new.com,More {n},CA,US,2026-03-03\n" for n in range(30))
    (tmp_path / "more.csv").write_text("lead_id,email,company,state,country,created\n" + more)
    route_file(store, CTX, open_router(store, files["plan"]), tmp_path / "more.csv")
    both = {r["rep_id"]: r for r in fairness_report(store).iter_rows(named=True)}
    assert {rep: r["leads"] for rep, r in both.items()} == {"jane": 30, "bob": 30}
    assert {rep: r["weight_share"] for rep, r in both.items()} == {"jane": 0.5, "bob": 0.5}
    assert {rep: r["weight"] for rep, r in both.items()} == {"jane": 1.0, "bob": 2.0}
