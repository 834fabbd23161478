"""The workspace on real SQLite and real PostgreSQL: schema, opening, bulk round trips, plans."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import text

from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.workspace import add_plan, list_plans
from territorial.store import tables
from territorial.store.bulk import insert_frame, read_frame, upsert_frame
from territorial.store.workspace import init_workspace, open_workspace


def test_open_needs_init_then_works(workspace_url: str) -> None:
    if workspace_url.startswith("sqlite"):
        with pytest.raises(BadInput, match="territorial init"):
            open_workspace(workspace_url)
    init_workspace(workspace_url)
    workspace = open_workspace(workspace_url)
    with workspace.reading() as connection:
        assert connection.execute(text("SELECT count(*) FROM accounts")).scalar_one() == 0


def test_an_outdated_workspace_says_to_upgrade(workspace_url: str) -> None:
    workspace = init_workspace(workspace_url)
    with workspace.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(BadInput, match="territorial db upgrade"):
        open_workspace(workspace_url)


REPS = pl.DataFrame(
    {
        "rep_id": ["r1", "r2", "r3"],
        "name": ["Ann", None, "Cé O'Neil, Jr."],
        "capacity": [1.0, 0.5, None],
        "start_date": [date(2024, 1, 31), None, date(1999, 12, 1)],
        "active": [True, False, True],
    }
)
REP_TYPES = {
    "rep_id": pl.String(),
    "name": pl.String(),
    "capacity": pl.Float64(),
    "start_date": pl.Date(),
    "active": pl.Boolean(),
}


def test_bulk_insert_read_and_upsert_round_trip_every_type(workspace_url: str) -> None:
    workspace = init_workspace(workspace_url)
    table = tables.ENTITY_TABLES[Entity.REPS]
    with workspace.writing("test") as connection:
        insert_frame(connection, table, REPS)
    with workspace.reading() as connection:
        back = read_frame(connection, table, REP_TYPES, "ORDER BY rep_id")
    assert_frame_equal(back, REPS)
    change = pl.DataFrame({"rep_id": ["r2", "r4"], "name": ["Bo", "Di"]})
    with workspace.writing("test") as connection:
        upsert_frame(connection, table, change, ["rep_id"])
    with workspace.reading() as connection:
        back = read_frame(connection, table, REP_TYPES, "ORDER BY rep_id")
    assert back.get_column("name").to_list() == ["Ann", "Bo", "Cé O'Neil, Jr.", "Di"]
    assert back.get_column("capacity").to_list() == [1.0, 0.5, None, None]  # untouched columns kept
    assert back.get_column("active").to_list() == [True, False, True, True]  # new rows take the default


def test_plans_are_stored_verbatim_and_listed(workspace_url: str, tmp_path: Path) -> None:
    workspace = init_workspace(workspace_url)
    source = "name: Tiny\n# a comment kept verbatim\nterritories:\n  - id: ALL\n"
    (tmp_path / "tiny.yaml").write_text(source)
    first = add_plan(workspace, tmp_path / "tiny.yaml")
    second = add_plan(workspace, tmp_path / "tiny.yaml")
    assert second == first + 1
    listed = list_plans(workspace)
    assert listed.get_column("plan_id").to_list() == [first, second]
    with workspace.reading() as connection:
        stored = connection.execute(text(f"SELECT source FROM plans WHERE plan_id = {first}")).scalar_one()
    assert stored == source
