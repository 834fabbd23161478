"""Exporting routing decisions as CRM owner updates (services.decision_export), on the fake and on both
databases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.domain.leads import lead_key
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
# The same leads as a Salesforce report has them (15-character Lead Ids, kept as 18).
SF_LEADS = LEADS.replace("\n10", "\n00Q5g00000AbC0")


def read(path: Path) -> list[dict[str, str | None]]:
    return pl.read_csv(path, infer_schema=False).to_dicts()


def route_leads_of(store: WorkspaceStore, tmp_path: Path, leads: str) -> WorkspaceStore:
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "reps.csv").write_text(REPS)
    (tmp_path / "leads.csv").write_text(leads)
    import_records(store, CTX, Entity.REPS, tmp_path / "reps.csv")
    route_file(store, CTX, open_router(store, tmp_path / "plan.yaml"), tmp_path / "leads.csv")
    return store


@pytest.fixture
def routed(store: WorkspaceStore, tmp_path: Path) -> WorkspaceStore:
    return route_leads_of(store, tmp_path, LEADS)


@pytest.fixture
def routed_from_salesforce(store: WorkspaceStore, tmp_path: Path) -> WorkspaceStore:
    return route_leads_of(store, tmp_path, SF_LEADS)


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


def test_salesforce_gets_user_ids_and_counts_reps_without_one(
    routed_from_salesforce: WorkspaceStore, tmp_path: Path
) -> None:
    exported = export_decisions(routed_from_salesforce, "salesforce", tmp_path / "sf", route_run_id=1)
    assert read(exported.written) == [{"Id": lead_key("00Q5g00000AbC01"), "OwnerId": "0055g0000000001AAA"}]
    assert exported.no_crm_id == {"51234412": 1} and exported.no_rep == 1


def test_the_other_crms_leads_are_refused_not_written_as_an_empty_update(
    routed: WorkspaceStore, tmp_path: Path
) -> None:
    """HubSpot's Record IDs in a Salesforce Lead update (and the mirror) would load nothing."""
    with pytest.raises(BadInput, match=r"these 3 leads came from HubSpot.*use --format hubspot"):
        export_decisions(routed, "salesforce", tmp_path / "sf", route_run_id=1)
    assert not (tmp_path / "sf" / "LeadOwnerUpdate.csv").exists()
    (tmp_path / "sf.csv").write_text(SF_LEADS)
    route_file(routed, CTX, open_router(routed, tmp_path / "plan.yaml"), tmp_path / "sf.csv")
    with pytest.raises(BadInput, match=r"these 3 leads came from Salesforce.*use --format salesforce"):
        export_decisions(routed, "hubspot", tmp_path / "hs", route_run_id=2)
    # Both in one choice: each CRM's update holds its own leads and counts the others.
    both = export_decisions(routed, "hubspot", tmp_path / "hs", since=date(2018, 5, 1))
    assert [row["Record ID"] for row in read(both.written)] == ["101", "102"] and both.other_crm == 3


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


def test_leads_the_crm_owns_or_converted_keep_the_crms_word(store: WorkspaceStore, tmp_path: Path) -> None:
    """An owner given by the CRM (here by a rep's CRM user id) is kept and not written back; a
    converted lead is not routed nor written."""
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "reps.csv").write_text(REPS)
    (tmp_path / "leads.csv").write_text(
        "lead_id,state,created,owner_id,converted\n"
        "101,CA,2018-05-01,0055g0000000001AAA,false\n"  # Grace's, by her Salesforce User Id
        "102,NY,2018-05-02,00G5g000000QueUe,false\n"  # a queue's: routed
        "103,CA,2018-05-02,,true\n"
    )
    import_records(store, CTX, Entity.REPS, tmp_path / "reps.csv")
    batch = route_file(store, CTX, open_router(store, tmp_path / "plan.yaml"), tmp_path / "leads.csv")
    assert [(d.outcome.value, d.rep_id) for d in batch.decisions] == [
        ("owned", "51234411"),
        ("routed", "51234412"),
        ("skipped", None),
    ]
    exported = export_decisions(store, "hubspot", tmp_path / "hs", route_run_id=1)
    assert read(exported.written) == [{"Record ID": "102", "Contact owner": "777"}]
    assert exported.owned_in_crm == 1 and exported.skipped == 1 and exported.no_rep == 0


def test_a_lead_the_crm_already_gives_to_its_routed_rep_is_not_written_back(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    """Routed anyway (reassign_owned): a lead whose CRM owner is the rep routing chose needs no
    update; one the CRM gives to another rep, or to a queue, does."""
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "reps.csv").write_text(REPS)
    (tmp_path / "leads.csv").write_text(
        "lead_id,state,created,owner_id\n"
        "101,CA,2018-05-01,grace@x.com\n"  # WEST is Grace's alone: routed to her again
        "102,CA,2018-05-02,777\n"  # Bob's, by his HubSpot owner id: moves to Grace
        "103,NY,2018-05-02,00G5g000000QueUe\n"  # a queue's: to Bob
    )
    import_records(store, CTX, Entity.REPS, tmp_path / "reps.csv")
    batch = route_file(
        store, CTX, open_router(store, tmp_path / "plan.yaml", reassign_owned=True), tmp_path / "leads.csv"
    )
    assert [(d.outcome.value, d.rep_id, d.crm_owner_rep_id) for d in batch.decisions] == [
        ("routed", "51234411", "51234411"),
        ("routed", "51234411", "51234412"),
        ("routed", "51234412", None),
    ]
    exported = export_decisions(store, "hubspot", tmp_path / "hs", route_run_id=1)
    assert read(exported.written) == [
        {"Record ID": "102", "Contact owner": "grace@x.com"},
        {"Record ID": "103", "Contact owner": "777"},
    ]
    assert exported.already_owned == 1 and exported.unchanged == 0


def test_an_owner_update_no_rep_can_load_is_refused_not_written(
    routed_from_salesforce: WorkspaceStore, tmp_path: Path
) -> None:
    routed = routed_from_salesforce
    (tmp_path / "plan2.yaml").write_text(PLAN.replace("'51234411'", "'51234412'"))
    (tmp_path / "later.csv").write_text("lead_id,state,created\n00Q5g00000AbC21,CA,2018-06-01\n")
    route_file(routed, CTX, open_router(routed, tmp_path / "plan2.yaml"), tmp_path / "later.csv")
    with pytest.raises(BadInput, match=r"salesforce owner update would be empty.*--format hubspot"):
        export_decisions(routed, "salesforce", tmp_path / "sf", since=date(2018, 6, 1))
    assert not (tmp_path / "sf" / "LeadOwnerUpdate.csv").exists()
