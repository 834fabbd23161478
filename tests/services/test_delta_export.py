"""`export changes` (services.delta_export): the net change since an activation, a day or the last
export (there and back again is no row), its watermark, and every file or none; on the fake,
SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from workspace_books import write_book

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.activation import activate_plan
from territorial.services.delta_export import export_changes
from territorial.services.imports import import_records
from territorial.services.overrides import add_override, remove_override
from territorial.services.plans import add_plan
from territorial.services.unit_of_work import WorkspaceStore


def _changes(folder: Path) -> list[tuple[str | None, ...]]:
    return pl.read_csv(folder / "changes.csv", infer_schema=False).rows()


def test_the_delta_is_net_and_last_export_starts_where_the_last_stopped(
    store: WorkspaceStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERRITORIAL_VACANT_OWNER", "jane")
    paths = write_book(tmp_path)
    import_records(store, CTX, Entity.REPS, paths["reps"])
    import_records(store, CTX, Entity.ACCOUNTS, paths["accounts"])
    activated = activate_plan(store, CTX, add_plan(store, CTX, paths["plan"]))
    first = export_changes(store, CTX, str(activated.activation_id), "csv", tmp_path / "one")
    with store.unit_of_work() as uow:
        live = uow.live.rows(["account_id", "layer", "territory_id", "rep_id"]).sort("account_id", "layer")
    assert [(a, layer, t, r) for a, layer, _, _, t, r, _ in _changes(tmp_path / "one")] == live.rows()
    assert first.changes == 6 and (first.after, first.through) == (0, 1)

    add_override(store, CTX, "A-3", "WEST", None, "strategic account")  # A-3 there ...
    remove_override(store, CTX, "A-3")  # ... and back again: no row
    add_override(store, CTX, "A-4", "EAST", None, "named account")
    add_override(store, CTX, "A-6", "SOUTH", None, "parked")  # SOUTH's only rep is inactive: vacant
    second = export_changes(store, CTX, "last-export", "csv", tmp_path / "two")
    assert _changes(tmp_path / "two") == [
        ("A-4", "primary", "WEST", "bob", "EAST", "dee", "override by a planner: named account"),
        # SOUTH is vacant: the live function gave its account to the vacant_owner (jane).
        ("A-6", "primary", "WEST", "cy", "SOUTH", "jane", "override by a planner: parked"),
    ]
    assert (second.after, second.through) == (1, 5)
    crm = export_changes(store, CTX, "2026-03-02", "salesforce", tmp_path / "sf", rep_ids_from="salesforce")
    assert (crm.after, crm.changes) == (0, 6)  # the day of the activation: all of it, from nothing
    owners = pl.read_csv(tmp_path / "sf" / "AccountOwnerUpdate.csv", infer_schema=False)
    assert owners.filter(pl.col("Id") == "A-6").rows() == [("A-6", "jane")]  # the fallback owner
    assert pl.read_csv(tmp_path / "sf" / "Unowned.csv", infer_schema=False).get_column(
        "account_id"
    ).to_list() == [
        "A-3",
        "A-6",
    ]
    third = export_changes(store, CTX, "last-export", "csv", tmp_path / "three")
    assert third.changes == 0 and _changes(tmp_path / "three") == []


def test_bad_since_and_an_output_over_an_input_write_nothing(store: WorkspaceStore, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"  # beside the SQLite workspace's files
    tmp_path.mkdir()
    with pytest.raises(BadInput, match="no delta export yet"):
        export_changes(store, CTX, "last-export", "csv", tmp_path)
    for since in ("2026-02-30", "yesterday"):
        with pytest.raises(BadInput, match="expected a day"):
            export_changes(store, CTX, since, "csv", tmp_path)
    with pytest.raises(BadInput, match="no activation has the id 7"):
        export_changes(store, CTX, "7", "csv", tmp_path)
    with pytest.raises(BadInput, match="expected one of csv, salesforce, hubspot"):
        export_changes(store, CTX, "2026-03-02", "parquet", tmp_path)
    user_ids = tmp_path / "Unowned.csv"  # an input where an output would go
    user_ids.write_text("rep_id,hubspot_owner_id\n")
    with pytest.raises(BadInput, match="this is an input of the command"):
        export_changes(store, CTX, "2026-03-02", "hubspot", tmp_path, user_ids=user_ids)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Unowned.csv"]
    with store.unit_of_work() as uow:
        assert uow.exports.last_through() is None
