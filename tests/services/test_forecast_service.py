"""The forecast through the service on SQLite: by territory from a stored run, on a book worked out
by hand (kpi_book)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conftest import CTX, fresh_database
from kpi_book import write_kpi_book
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.assign import assign_plan
from territorial.services.forecast import forecast_bookings
from territorial.services.imports import import_records
from territorial.services.plans import add_plan
from territorial.services.workspace import create_workspace


def test_a_finished_quarter_by_territory_is_what_closed_won_in_it(tmp_path: Path) -> None:
    files = write_kpi_book(tmp_path)
    with fresh_database("sqlite", tmp_path) as url:
        workspace = create_workspace(url)
        for entity, name in [
            (Entity.ACCOUNTS, "accounts"),
            (Entity.REPS, "reps"),
            (Entity.OPPORTUNITIES, "opportunities"),
            (Entity.OPPORTUNITY_HISTORY, "history"),
        ]:
            import_records(workspace, CTX, entity, files[name])
        run = assign_plan(workspace, CTX, add_plan(workspace, CTX, files["plan"]))
        report = forecast_bookings(workspace, CTX, "2027-03-31", "territory", "quarter", 1, run=run.run_id)
        rows = {r["group"]: r for r in report.result.table.iter_rows(named=True)}
        # WEST holds A1 and A2: o1 (100), o2 (300) and o4 (400) won in 2027Q1; the quarter is over.
        west = rows["WEST"]
        assert (west["period_start"], west["forecast"], west["low"], west["high"]) == (
            date(2027, 1, 1),
            800.0,
            800.0,
            800.0,
        )
        assert report.described == f"run {run.run_id} (plan 1)"
        with pytest.raises(BadInput, match="--run: no assignment run with id 99"):
            forecast_bookings(workspace, CTX, "2027-03-31", "territory", run=99)
        workspace.engine.dispose()
