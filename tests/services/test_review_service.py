"""The review through the service on PostgreSQL (review_book): what each section holds, worked out
by hand, and the page rendered from it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from conftest import fresh_database
from kpi_book import OPPORTUNITIES, REPS
from review_book import ACCOUNTS, MOVED, PLAN
from territorial.domain.entities import Entity
from territorial.services.activation import activate_plan
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.plans import add_plan
from territorial.services.review import review
from territorial.services.review_page import review_html
from territorial.services.workspace import create_workspace
from territorial.store.workspace import Workspace

CTX = Context.admin("tester", datetime(2027, 2, 15, 9, 0))


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    texts = {"accounts": ACCOUNTS, "reps": REPS, "opportunities": OPPORTUNITIES}
    for name, text in {**texts, "plan": PLAN, "moved": MOVED}.items():
        (tmp_path / f"{name}.{'yaml' if name in ('plan', 'moved') else 'csv'}").write_text(
            text, encoding="utf-8"
        )
    with fresh_database("postgresql", tmp_path) as url:
        store = create_workspace(url)
        for entity in (Entity.ACCOUNTS, Entity.REPS, Entity.OPPORTUNITIES):
            import_records(store, CTX, entity, tmp_path / f"{entity.value}.csv")
        activate_plan(store, CTX, add_plan(store, CTX, tmp_path / "plan.yaml"))
        add_plan(store, CTX, tmp_path / "moved.yaml")
        yield store
        store.engine.dispose()


def test_the_active_plans_review(workspace: Workspace) -> None:
    report = review(workspace, CTX)
    assert report.described == "the live assignment (active plan 1)" and report.quarter == "2027Q1"
    assert report.counties is not None
    primary = report.counties.counties.filter(report.counties.counties["layer"] == "primary")
    # San Francisco holds A1 and A2 (WEST), New York A3 (EAST), Cook A5 and A6 (CENTRAL).
    assert primary.select("county", "territory_id", "accounts").rows() == [
        ("06075", "WEST", 2),
        ("17031", "CENTRAL", 2),
        ("36061", "EAST", 1),
    ]
    assert report.counties.off_map.get_column("account_id").to_list() == ["A4"]
    assert report.flows is None and report.flows_note is not None
    # CENTRAL's 40 employees of workload need a rep (0.03 FTE at 1,600 h × 80%), and it has none.
    assert (
        "Add headcount: 1 rep across 1 territory — CENTRAL needs 1 rep (0.0 FTE of workload) and has 0."
        in (report.recommendations)
    )
    # Won in 2027Q1: o1 (100) and o2 (300) by r1, and o4 (400) by r2 on A1.
    assert dict(report.summary)["Bookings"] == "800"
    assert review_html(report) == review_html(review(workspace, CTX))


def test_a_what_if_plans_review_lists_the_moves(workspace: Workspace) -> None:
    report = review(workspace, CTX, plan="2")
    assert report.flows is not None
    assert report.flows.rows() == [("CENTRAL", "EAST", 2, 600.0)]
    assert report.flows_note == "Plan 1 → plan 2: the largest moves between territories."
    assert "No territory needs more reps than it has for its workload." in report.recommendations
