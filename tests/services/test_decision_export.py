"""Exporting routing decisions as CRM owner updates (services.decision_export), on the fake and on both
databases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.decision_export import export_decisions
from territorial.services.imports import import_records
from territorial.services.routing import RouteMode, open_router, route_file
from territorial.services.unit_of_work import WorkspaceStore

PLAN = """\
name: Contacts
territories:
  - id: WEST
    rule: state = 'CA'
    reps: ['51234411']
  - id: EAST
    rule: state = 'NY'
    reps: ['51234412']
"""
# HubSpot user ids as rep ids; each rep's CRM identities as custom fields of the reps data.
REPS = """\
rep_id,name,email,crm_owner_id,crm_user_id
51234411,Grace Kim,grace@x.com,,0055g0000000001AAA
51234412,Bob Lee,bob@x.com,777,
"""
LEADS = "lead_id,state,created\n101,CA,2018-05-01\n102,NY,2018-05-02\n103,TX,2018-05-02\n"


def read(path: Path) -> list[dict[str, str | None]]:
    return pl.read_csv(path, infer_schema=False).to_dicts()


@pytest.fixture
def routed(store: WorkspaceStore, tmp_path: Path) -> WorkspaceStore:
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "reps.csv").write_text(REPS)
    (tmp_path / "leads.csv").write_text(LEADS)
    import_records(store, CTX, Entity.REPS, tmp_path / "reps.csv")
    route_file(store, CTX, open_router(store, tmp_path / "plan.yaml"), tmp_path / "leads.csv")
    return store


def test_hubspot_gets_owner_ids_or_emails_and_optionally_lead_status(
    routed: WorkspaceStore, tmp_path: Path
) -> None:
    exported = export_decisions(routed, "hubspot", tmp_path / "hs", route_run_id=1)
    assert exported.written.name == "ContactOwnerUpdate.csv" and exported.no_rep == 1
    assert read(exported.written) == [
        {"Record ID": "101", "Contact owner": "grace@x.com"},
        {"Record ID": "102", "Contact owner": "777"},  # the owner id, when the rep has one
    ]
    with_status = export_decisions(
        routed, "hubspot", tmp_path / "hs2", since=date(2018, 5, 2), lead_status=True
    )
    assert read(with_status.written) == [
        {"Record ID": "102", "Contact owner": "777", "Lead Status": None},
        {"Record ID": "103", "Contact owner": None, "Lead Status": "New"},
    ]


def test_salesforce_gets_user_ids_and_counts_reps_without_one(routed: WorkspaceStore, tmp_path: Path) -> None:
    exported = export_decisions(routed, "salesforce", tmp_path / "sf", route_run_id=1)
    assert read(exported.written) == [{"Id": "101", "OwnerId": "0055g0000000001AAA"}]
    assert exported.no_crm_id == {"51234412": 1} and exported.no_rep == 1


def test_only_leads_whose_owner_changes_are_written(routed: WorkspaceStore, tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "leads.csv").write_text(LEADS)
    again = route_file(
        routed,
        CTX,
        open_router(routed, tmp_path / "plan.yaml"),
        tmp_path / "leads.csv",
        how=RouteMode(reroute=True),
    )
    exported = export_decisions(routed, "hubspot", tmp_path / "hs", route_run_id=again.route_run_id)
    assert read(exported.written) == [] and exported.unchanged == 2
    plain = export_decisions(routed, "csv", tmp_path / "csv", route_run_id=again.route_run_id)
    assert [row["lead_id"] for row in read(plain.written)] == ["101", "102", "103"]


def test_contradictory_or_missing_choices_are_refused(routed: WorkspaceStore, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="either --run ID or --since DAY"):
        export_decisions(routed, "csv", tmp_path / "x")
    with pytest.raises(BadInput, match="either --run ID or --since DAY"):
        export_decisions(routed, "csv", tmp_path / "x", route_run_id=1, since=date(2018, 5, 1))
    with pytest.raises(BadInput, match="--lead-status is a HubSpot contact property"):
        export_decisions(routed, "salesforce", tmp_path / "x", route_run_id=1, lead_status=True)
    with pytest.raises(BadInput, match="routing run 9 has no decisions"):
        export_decisions(routed, "csv", tmp_path / "x", route_run_id=9)
