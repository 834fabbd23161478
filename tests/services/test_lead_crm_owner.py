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
from territorial.services.routing import RouteMode, open_router, route_file, route_workspace_leads
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
    (tmp_path / "bad.csv").write_text("lead_id,state\n7.00000001E+10,CA\n")
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


def test_an_owner_change_that_arrives_by_import_is_kept_by_the_next_workspace_routing(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "reps.csv").write_text(REPS)
    import_records(store, CTX, Entity.REPS, tmp_path / "reps.csv")
    (tmp_path / "leads.csv").write_text("lead_id,state,created\nL1,CA,2018-05-01\nL2,CA,2018-05-01\n")
    import_records(store, CTX, Entity.LEADS, tmp_path / "leads.csv")
    router = open_router(store, tmp_path / "plan.yaml")
    first = route_workspace_leads(store, CTX, router)
    assert first is not None
    was = {d.lead_id: d.rep_id for d in first.decisions}
    other = "bob@x.com" if was["L1"] == "ann" else "ann@x.com"
    (tmp_path / "leads.csv").write_text(f"lead_id,state,created,owner_id\nL1,CA,2018-05-01,{other}\n")
    import_records(store, CTX, Entity.LEADS, tmp_path / "leads.csv")
    again = route_workspace_leads(store, CTX, open_router(store, tmp_path / "plan.yaml"))
    assert again is not None and [(d.lead_id, d.outcome) for d in again.decisions] == [("L1", Outcome.OWNED)]
    assert route_workspace_leads(store, CTX, open_router(store, tmp_path / "plan.yaml")) is None
    exported = export_decisions(store, "hubspot", tmp_path / "hs", since=date(2018, 5, 1))
    assert [row["Record ID"] for row in pl.read_csv(exported.written, infer_schema=False).to_dicts()] == [
        "L2"
    ]


def test_a_reps_files_crm_ids_name_owners(store: WorkspaceStore, tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "reps.csv").write_text(
        "rep_id,name,crm_user_id\nann,Ann Lee,0055g0000000030AAA\nbob,Bob Roy,\n"
    )
    (tmp_path / "leads.csv").write_text("lead_id,state,owner_id\nL1,CA,0055g0000000030\n")
    router = open_router(store, tmp_path / "plan.yaml", reps_path=tmp_path / "reps.csv")
    batch = route_file(store, CTX, router, tmp_path / "leads.csv", how=RouteMode(dry_run=True))
    assert [(d.outcome, d.rep_id) for d in batch.decisions] == [(Outcome.OWNED, "ann")]


def test_other_objects_rows_in_a_salesforce_leads_file_are_named(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN)
    rows = [f"00Q5g00000AbC{n:02d}EAV,CA" for n in range(6)] + ["0035g00000AbCdEEAV,CA"]
    (tmp_path / "mixed.csv").write_text("Id,State\n" + "\n".join(rows) + "\n")
    with pytest.raises(BadInput) as raised:
        route_file(
            store,
            CTX,
            open_router(store, tmp_path / "plan.yaml"),
            tmp_path / "mixed.csv",
            mapping="salesforce",
        )
    problem = raised.value.problems[0]
    assert problem.location.line == 8 and "Salesforce Contact Id, not a Lead's" in problem.message
