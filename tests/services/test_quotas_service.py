"""Quota allocation through the service on PostgreSQL: a ramping rep, saving with the actor, then KPIs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from conftest import CTX, fresh_database
from kpi_book import PLAN, write_kpi_book
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.imports import import_records
from territorial.services.kpis import kpis
from territorial.services.plans import add_plan
from territorial.services.quotas import allocate_quotas, parse_ramp, parse_weights
from territorial.services.workspace import create_workspace
from territorial.store.workspace import Workspace

# r3 joins EAST on 2027-07-02: employed 183 of FY2027's 365 days.
REPS = """\
rep_id,name,manager_id,start_date
r1,Ada,m1,
r2,Bo,m1,
r3,Cy,m1,2027-07-02
"""

# An overlay over WEST and EAST: its trailing bookings are WEST's 999, so it takes 999 … 1,298.
OVERLAY = """\
  - id: SPEC
    layer: overlay
    rule: state IN ('CA', 'NY')
    reps: [r1, r2]
"""


@pytest.fixture
def book(tmp_path: Path) -> Iterator[tuple[Workspace, int]]:
    files = write_kpi_book(tmp_path)
    files["reps"].write_text(REPS)
    files["plan"].write_text(PLAN.replace("reps: [r2]", "reps: [r2, r3]") + OVERLAY)
    with fresh_database("postgresql", tmp_path) as url:
        workspace = create_workspace(url)
        import_records(workspace, CTX, Entity.ACCOUNTS, files["accounts"])
        import_records(workspace, CTX, Entity.REPS, files["reps"])
        import_records(workspace, CTX, Entity.OPPORTUNITIES, files["opportunities"])
        yield workspace, add_plan(workspace, CTX, files["plan"])
        workspace.engine.dispose()


def test_a_ramping_rep_gives_up_what_they_do_not_work_to_the_territory(book: tuple[Workspace, int]) -> None:
    workspace, plan_id = book
    report = allocate_quotas(workspace, CTX, 2000, "FY2027", str(plan_id), round_to=1, save=True)
    quotas = {(t, r): q for t, r, q, *_ in report.table.iter_rows()}
    east = quotas[("EAST", "r2")] + quotas[("EAST", "r3")]
    assert east + quotas[("WEST", "r1")] == 2000
    # A full EAST share is east / 2; r3 keeps 183/365 of it and r2 takes the rest.
    assert abs(quotas[("EAST", "r3")] - east / 2 * 183 / 365) < 1
    with workspace.unit_of_work() as uow:
        saved = uow.quotas.overlapping(date(2027, 1, 1), date(2027, 12, 31))
    assert {(q.territory_id, q.rep_id, q.amount, q.actor) for q in saved} == {
        (t, r, q, CTX.actor) for (t, r), q in quotas.items()
    }
    overlay = allocate_quotas(
        workspace, CTX, 1200, "FY2027", str(plan_id), round_to=1, layer="overlay", save=True
    )
    assert overlay.table.select("territory_id", "rep_id", "quota").rows() == [
        ("SPEC", "r1", 600.0),
        ("SPEC", "r2", 600.0),
    ]
    # By rep, the primary layer's quota: an overlay's is on top of it; by layer, each its own.
    figures = kpis(workspace, CTX, plan=str(plan_id), by="rep", period="FY2027")
    by_rep = {row["group"]: row["quota"] for row in figures.table.to_dicts()}
    assert (by_rep["r1"], by_rep["r3"]) == (quotas[("WEST", "r1")], quotas[("EAST", "r3")])
    by_layer = kpis(workspace, CTX, plan=str(plan_id), by="layer", period="FY2027")
    assert {row["group"]: row["quota"] for row in by_layer.table.to_dicts() if row["quota"]} == {
        "primary": 2000,
        "overlay": 1200,
    }


def test_a_ramp_schedule_lowers_a_new_reps_first_months_and_a_missing_layer_is_named(
    book: tuple[Workspace, int],
) -> None:
    workspace, plan_id = book
    plain = allocate_quotas(workspace, CTX, 2000, "FY2027", str(plan_id), round_to=1)
    ramped = allocate_quotas(workspace, CTX, 2000, "FY2027", str(plan_id), round_to=1, ramp="0.25,0.5,0.75")
    r3 = [t.filter(t["rep_id"] == "r3")["quota"].item() for t in (plain.table, ramped.table)]
    assert r3[1] < r3[0]
    assert ramped.table["quota"].sum() == 2000
    with pytest.raises(BadInput, match="--layer: the plan has no territory in layer 'security'"):
        allocate_quotas(workspace, CTX, 2000, "FY2027", str(plan_id), layer="security")


@pytest.mark.parametrize(
    ("weights", "ramp", "message"),
    [
        ("fame=1", None, "--weights: 'fame=1' is not a weight"),
        ("potential=0", None, "--weights: the weights sum to 0"),
        ("potential=1", "0.5,2", "--ramp: '2' is not a share between 0 and 1"),
    ],
)
def test_bad_weights_and_ramps_name_their_option(weights: str, ramp: str | None, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        parse_weights(weights)
        parse_ramp(ramp)
