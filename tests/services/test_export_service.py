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
    written = export_run(store, run_id, "salesforce", tmp_path / "sf")
    assert sorted(p.name for p in written) == ["AccountOwnerUpdate.csv", "ObjectTerritory2Association.csv"]
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
    (written,) = export_run(store, run_id, "csv", tmp_path / "csv")
    rows = pl.read_csv(written, infer_schema=False)
    with store.unit_of_work() as uow:
        stored = uow.records.read(Entity.ACCOUNTS, {"account_id": pl.String()}, active_only=True)
    assert rows.height == stored.height and set(rows.get_column("territory_id")) == {"WEST", "REST"}
