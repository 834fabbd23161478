"""Leads as the CRM has them now (services.routing, services.imports): a manager's reassignment in
the CRM is kept, Salesforce Ids in either form are one lead, damaged ids and Contact exports are
refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.domain.leads import Outcome
from territorial.errors import BadInput
from territorial.services.decision_export import export_decisions
from territorial.services.imports import import_records
from territorial.services.lead_audit import explain_lead
from territorial.services.routing import open_router, route_file
from territorial.services.unit_of_work import WorkspaceStore

PLAN = "name: Leads\nterritories:\n  - id: WEST\n    rule: state = 'CA'\n    reps: [ann, bob]\n"
REPS = "rep_id,name,email\nann,Ann Lee,ann@x.com\nbob,Bob Roy,bob@x.com\ncy,Cy Fox,cy@x.com\n"


def test_a_lead_a_manager_gave_to_another_rep_in_the_crm_is_not_taken_back(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "reps.csv").write_text(REPS)
    import_records(store, CTX, Entity.REPS, tmp_path / "reps.csv")
    (tmp_path / "leads.csv").write_text("lead_id,state,created,owner_id\nL1,CA,2018-05-01,\n")
    first = route_file(store, CTX, open_router(store, tmp_path / "plan.yaml"), tmp_path / "leads.csv")
    assert first.decisions[0].outcome is Outcome.ROUTED
    routed_to = first.decisions[0].rep_id
    other = "Bob Roy" if routed_to == "ann" else "Ann Lee"
    (tmp_path / "leads.csv").write_text(f"lead_id,state,created,owner_id\nL1,CA,2018-05-01,{other}\n")
    again = route_file(store, CTX, open_router(store, tmp_path / "plan.yaml"), tmp_path / "leads.csv")
    decision = again.decisions[0]
    assert decision.outcome is Outcome.OWNED and not decision.already_routed
    assert decision.reason.startswith(f"its owner changed in the CRM (was routed to {routed_to} in run 1)")
    # Sent a third time with the same owner: nothing changes.
    third = route_file(store, CTX, open_router(store, tmp_path / "plan.yaml"), tmp_path / "leads.csv")
    assert third.decisions[0].already_routed and third.route_run_id is None
    exported = export_decisions(store, "hubspot", tmp_path / "hs", since=date(2018, 5, 1))
    assert pl.read_csv(exported.written).is_empty()  # the CRM's owner stands


def test_salesforce_ids_in_either_form_are_one_lead_everywhere(store: WorkspaceStore, tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "leads.csv").write_text("lead_id,state,created\n00Q5g00000AbCdE,CA,2018-05-01\n")
    import_records(store, CTX, Entity.LEADS, tmp_path / "leads.csv")
    with store.unit_of_work() as uow:
        kept = uow.records.read(Entity.LEADS, {"lead_id": pl.String()}).get_column("lead_id").to_list()
    assert kept == ["00Q5g00000AbCdEEAV"]
    route_file(store, CTX, open_router(store, tmp_path / "plan.yaml"), tmp_path / "leads.csv")
    assert explain_lead(store, "00Q5g00000AbCdE")[0].lead_id == "00Q5g00000AbCdEEAV"
    (tmp_path / "bad.csv").write_text("lead_id,state\n7.0000000102E+10,CA\n")
    with pytest.raises(BadInput, match="spreadsheet rewrote"):
        import_records(store, CTX, Entity.LEADS, tmp_path / "bad.csv")


def test_a_salesforce_contact_export_is_not_routed_as_leads(store: WorkspaceStore, tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "contacts.csv").write_text("Id,State\n0035g00000AbCdEEAV,CA\n0035g00000AbCdFEAV,CA\n")
    with pytest.raises(BadInput, match="Salesforce's Contact ids"):
        route_file(
            store,
            CTX,
            open_router(store, tmp_path / "plan.yaml"),
            tmp_path / "contacts.csv",
            mapping="salesforce",
        )
