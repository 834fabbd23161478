"""Exporting a stored run for a CRM (services.export), on the fake and on both databases."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.assign import assign_plan
from territorial.services.export import export_run
from territorial.services.imports import import_records
from territorial.services.plans import add_plan
from territorial.services.unit_of_work import WorkspaceStore

CRM = Path(__file__).resolve().parents[1] / "data" / "crm"
PLAN = """\
name: Fortune accounts by region
territories:
  - id: WEST
    rule: state IN ('CA', 'WA', 'OR', 'NV', 'AZ', 'CO', 'UT')
    reps: [0055g0000000002AAA]
  - id: REST
    priority: -1
    reps: [0055g0000000001AAA]
"""


@pytest.fixture
def run_id(store: WorkspaceStore, tmp_path: Path) -> int:
    (tmp_path / "plan.yaml").write_text(PLAN)
    import_records(store, CTX, Entity.ACCOUNTS, CRM / "sf_accounts_fortune1000.csv", mapping="salesforce")
    import_records(store, CTX, Entity.REPS, CRM / "sf_users_crm.csv", mapping="salesforce")
    return assign_plan(store, CTX, add_plan(store, CTX, tmp_path / "plan.yaml")).run_id


def test_reps_imported_from_salesforce_are_salesforce_users(
    store: WorkspaceStore, run_id: int, tmp_path: Path
) -> None:
    written = export_run(store, run_id, "salesforce", tmp_path / "sf").written
    assert sorted(p.name for p in written) == [
        "AccountOwnerUpdate.csv",
        "ObjectTerritory2Association.csv",
        "owner_update_skipped.csv",
    ]
    owners = pl.read_csv(tmp_path / "sf" / "AccountOwnerUpdate.csv", infer_schema=False)
    assert set(owners.get_column("OwnerId")) == {"0055g0000000001AAA", "0055g0000000002AAA"}


def test_hubspot_needs_owner_ids_and_unknown_formats_are_refused(
    store: WorkspaceStore, run_id: int, tmp_path: Path
) -> None:
    with pytest.raises(BadInput, match="HubSpot owner id"):
        export_run(store, run_id, "hubspot", tmp_path / "hs")
    with pytest.raises(BadInput, match="unknown format 'xml'"):
        export_run(store, run_id, "xml", tmp_path / "x")
    with pytest.raises(BadInput, match=f"no assignment run with id {run_id + 1}"):
        export_run(store, run_id + 1, "csv", tmp_path / "none")


def test_csv_writes_every_row(store: WorkspaceStore, run_id: int, tmp_path: Path) -> None:
    (written,) = export_run(store, run_id, "csv", tmp_path / "csv").written
    rows = pl.read_csv(written, infer_schema=False)
    with store.unit_of_work() as uow:
        stored = uow.records.read(Entity.ACCOUNTS, {"account_id": pl.String()}, active_only=True)
    assert rows.height == stored.height and set(rows.get_column("territory_id")) == {"WEST", "REST"}


def test_the_owner_update_holds_only_changes_and_says_what_it_left_out(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    (tmp_path / "plan.yaml").write_text(
        "name: Owners\nterritories:\n"
        "  - id: EAST\n    rule: state IN ('NY', 'NJ', 'MA')\n"  # vacant
        "  - id: WEST\n    rule: state = 'CA'\n    reps: [0055g0000000023AAA]\n"
        "  - id: REST\n    rule: state IN ('TX', 'MN', 'OH', 'IL', 'GA')\n    reps: [0055g0000000001AAA]\n"
    )
    import_records(store, CTX, Entity.ACCOUNTS, CRM / "sf_accounts_fortune1000.csv", mapping="salesforce")
    import_records(store, CTX, Entity.REPS, CRM / "sf_users_crm.csv", mapping="salesforce")
    run = assign_plan(store, CTX, add_plan(store, CTX, tmp_path / "plan.yaml"))
    primary = run.assignment.rows.filter(pl.col("layer") == "primary")
    with store.unit_of_work() as uow:
        accounts = uow.records.read(Entity.ACCOUNTS, {"account_id": pl.String(), "owner_id": pl.String()})
    owner = dict(accounts.select("account_id", "owner_id").iter_rows())
    kept = primary.filter(pl.col("rep_id").is_not_null())
    same = [a for a, rep in kept.select("account_id", "rep_id").iter_rows() if owner[a] == rep]
    assert same, "the sample needs accounts already owned by their rep"

    exported = export_run(store, run.run_id, "salesforce", tmp_path / "sf")
    updates = pl.read_csv(tmp_path / "sf" / "AccountOwnerUpdate.csv", infer_schema=False)
    assert updates.height == kept.height - len(same) and not set(same) & set(updates.get_column("Id"))
    assert exported.unchanged == len(same)
    assert exported.vacant == primary.filter(pl.col("territory_id") == "EAST").height > 0
    assert exported.unassigned == primary.filter(pl.col("territory_id").is_null()).height > 0
    skipped = pl.read_csv(tmp_path / "sf" / "owner_update_skipped.csv", infer_schema=False)
    assert skipped.columns == ["account_id", "territory_id", "why"]
    assert skipped.height == exported.vacant + exported.unassigned
    assert set(skipped.get_column("why")) == {"vacant territory", "no primary territory"}
    assert skipped.get_column("account_id").to_list() == sorted(skipped.get_column("account_id").to_list())


def test_user_ids_alone_are_used_though_the_reps_came_from_the_crm(
    store: WorkspaceStore, run_id: int, tmp_path: Path
) -> None:
    """Finding 5 of #24: the reps' import said their ids were the CRM's, so one --user-ids file was
    refused as if --rep-ids-from had been given too. Only both, really given, are refused."""
    (tmp_path / "ids.csv").write_text(
        "rep_id,salesforce_user_id\n0055g0000000001AAA,005AAA000000001\n0055g0000000002AAA,005AAA000000002\n"
    )
    export_run(store, run_id, "salesforce", tmp_path / "sf", user_ids=tmp_path / "ids.csv")
    owners = pl.read_csv(tmp_path / "sf" / "AccountOwnerUpdate.csv", infer_schema=False)
    assert set(owners.get_column("OwnerId")) == {"005AAA000000001", "005AAA000000002"}
    with pytest.raises(BadInput, match="give either --user-ids or --rep-ids-from salesforce, not both"):
        export_run(store, run_id, "salesforce", tmp_path / "both", None, tmp_path / "ids.csv", "salesforce")
