"""The in-process routing API (`route_lead`) and fit qualification, against a real workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CTX
from fake_workspace import FakeWorkspace
from territorial.domain.entities import Entity
from territorial.domain.leads import Outcome
from territorial.errors import BadInput
from territorial.services.activation import activate_plan
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.lead_audit import explain_lead, pool_states
from territorial.services.plans import add_plan
from territorial.services.routing import open_router, route_file, route_lead
from territorial.services.scoring import train_fit_model
from territorial.services.unit_of_work import WorkspaceStore

PLAN = """\
name: Scored routing
routing:
  fit_model: fit.model
  fit_threshold: 50
territories:
  - id: WEST
    rule: state = 'CA'
    reps: [jane, bob]
"""


@pytest.fixture(scope="module")
def fit_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small conversion model: referrals convert, cold lists do not."""
    folder = tmp_path_factory.mktemp("fit")
    rows = ["lead_id,source,visits,converted"]
    for i in range(240):
        source = ("referral", "webinar", "cold list")[i % 3]
        converted = 1 if source == "referral" or (source == "webinar" and i % 2 == 0) else 0
        rows.append(f"H{i},{source},{i % 7},{converted}")
    (folder / "history.csv").write_text("\n".join(rows) + "\n")
    train_fit_model(folder / "history.csv", "converted", [], folder / "fit.model", "logistic")
    return folder / "fit.model"


@pytest.fixture
def workspace_with_plan(
    store: WorkspaceStore, tmp_path: Path, fit_model: Path
) -> tuple[WorkspaceStore, Path]:
    (tmp_path / "fit.model").write_bytes(fit_model.read_bytes())
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "reps.csv").write_text("rep_id,lead_weight\njane,1\nbob,1\n")
    import_records(store, CTX, Entity.REPS, tmp_path / "reps.csv")
    return store, tmp_path


def test_route_lead_scores_qualifies_routes_and_stores(
    workspace_with_plan: tuple[WorkspaceStore, Path],
) -> None:
    workspace, folder = workspace_with_plan
    router = open_router(workspace, folder / "plan.yaml")
    cold = route_lead(
        workspace, CTX, router, {"lead_id": "L1", "source": "cold list", "state": "CA", "visits": "1"}
    )
    assert cold.outcome is Outcome.NURTURE and cold.rep_id is None
    assert cold.score is not None and cold.score < 50
    assert "source is cold list" in cold.reason
    warm = route_lead(
        workspace, CTX, router, {"lead_id": "L2", "source": "referral", "state": "CA", "visits": "3"}
    )
    assert warm.outcome is Outcome.ROUTED and warm.rep_id == "jane" and warm.score is not None
    assert warm.score >= 50
    stored = explain_lead(workspace, "L1")
    assert [step["step"] for step in stored[-1].path][:2] == ["duplicate check", "fit"]
    assert stored[-1].decision == "nurture" and stored[-1].score == cold.score


def test_route_lead_refuses_a_lead_with_no_fields(workspace_with_plan: tuple[WorkspaceStore, Path]) -> None:
    workspace, folder = workspace_with_plan
    router = open_router(workspace, folder / "plan.yaml")
    with pytest.raises(BadInput, match="at least one field besides lead_id"):
        route_lead(workspace, CTX, router, {"lead_id": "L1", "state": None})
    with pytest.raises(BadInput, match="needs a lead_id"):
        route_lead(workspace, CTX, router, {"state": "CA"})


def test_a_batch_gives_the_same_decisions_as_one_lead_at_a_time(
    workspace_with_plan: tuple[WorkspaceStore, Path], tmp_path: Path
) -> None:
    workspace, folder = workspace_with_plan
    leads = [
        {
            "lead_id": f"L{i:02d}",
            "source": ("referral", "cold list", "webinar")[i % 3],
            "state": "CA",
            "visits": str(i),
        }
        for i in range(12)
    ]
    lines = ["lead_id,source,state,visits,created"] + [
        f"{lead['lead_id']},{lead['source']},{lead['state']},{lead['visits']},2026-03-02" for lead in leads
    ]
    (tmp_path / "leads.csv").write_text("\n".join(lines) + "\n")
    one_router = open_router(workspace, folder / "plan.yaml")  # both opened first: the same pool state
    batch_router = open_router(workspace, folder / "plan.yaml")
    # One at a time first, unstored: a lead the batch stored would come back `already routed`.
    singles = [
        route_lead(workspace, CTX, one_router, {**lead, "created": "2026-03-02"}, store=False)
        for lead in leads
    ]
    batch = route_file(workspace, CTX, batch_router, tmp_path / "leads.csv")
    fields = ("outcome", "rep_id", "score", "reason")
    assert [[getattr(d, f) for f in fields] for d in batch.decisions] == [
        [getattr(d, f) for f in fields] for d in singles
    ]


def test_a_model_trained_on_hubspot_headers_scores_leads_under_territorial_names(
    workspace_with_plan: tuple[WorkspaceStore, Path], fit_model: Path
) -> None:
    workspace, folder = workspace_with_plan
    history = (fit_model.parent / "history.csv").read_text()
    hubspot = history.replace(
        "lead_id,source,visits,converted", "Record ID,Original Source,visits,Converted", 1
    )
    (folder / "hubspot.csv").write_text(hubspot)
    train_fit_model(folder / "hubspot.csv", "Converted", [], folder / "hubspot.model", "logistic")
    (folder / "hubspot.yaml").write_text(PLAN.replace("fit.model", "hubspot.model"))
    lead = {"lead_id": "L1", "source": "cold list", "state": "CA", "visits": "1"}
    ours = route_lead(workspace, CTX, open_router(workspace, folder / "plan.yaml"), lead, store=False)
    theirs = route_lead(workspace, CTX, open_router(workspace, folder / "hubspot.yaml"), lead, store=False)
    assert theirs.score == ours.score and theirs.outcome is Outcome.NURTURE
    assert "Original Source is cold list" in theirs.reason


CATALOGUE = Path(__file__).resolve().parents[1] / "data" / "relevance" / "catalogue.yaml"


def test_inquiries_that_are_not_about_our_products_go_to_nurture(tmp_path: Path) -> None:
    workspace = FakeWorkspace()
    (tmp_path / "plan.yaml").write_text(
        f"name: Relevance\nrouting:\n  catalogue: {CATALOGUE}\nterritories:\n  - id: ALL\n    reps: [jane]\n"
    )
    router = open_router(workspace, tmp_path / "plan.yaml")
    spam = route_lead(
        workspace,
        CTX,
        router,
        {"lead_id": "L1", "inquiry": "I am applying for the summer internship, CV attached"},
    )
    assert spam.outcome is Outcome.NURTURE and "not about our products" in spam.reason
    assert spam.relevance is not None and spam.relevance < router.relevance.threshold_
    blank = route_lead(workspace, CTX, router, {"lead_id": "L2", "inquiry": " ", "state": "CA"})
    assert blank.outcome is Outcome.ROUTED and blank.relevance is None
    assert blank.path[2].outcome == "not checked"
    with pytest.raises(BadInput, match="checks inquiries in the field 'inquiry'"):
        route_lead(workspace, CTX, router, {"lead_id": "L3", "state": "CA"})


LEAD_PLAN = """\
name: Lead pools {n}
territories:
  - id: WEST
    rule: state = 'CA'
    reps: [{west}]
  - id: {east}
    rule: state = 'NY'
    reps: [dee]
"""


def test_lead_pools_keep_their_pointers_by_territory_across_activations_and_imports(tmp_path: Path) -> None:
    """Activation keeps each lead pool's round robin by territory_id: a rep who left is forgotten, a
    new one joins, a new territory starts fresh; an import re-evaluating accounts leaves them alone."""
    store = FakeWorkspace()
    (tmp_path / "reps.csv").write_text("rep_id\njane\nbob\ncy\ndee\n")
    (tmp_path / "accounts.csv").write_text("account_id,state,owner_id\nA-1,CA,jane\nA-2,NY,dee\n")
    (tmp_path / "a.yaml").write_text(LEAD_PLAN.format(n="A", west="jane, bob", east="EAST"))
    (tmp_path / "b.yaml").write_text(LEAD_PLAN.format(n="B", west="jane, cy", east="NORTH"))
    import_records(store, CTX, Entity.REPS, tmp_path / "reps.csv")
    import_records(store, CTX, Entity.ACCOUNTS, tmp_path / "accounts.csv")
    plan_a, plan_b = add_plan(store, CTX, tmp_path / "a.yaml"), add_plan(store, CTX, tmp_path / "b.yaml")
    activate_plan(store, CTX, plan_a)
    router = open_router(store, "active")
    for n, state in enumerate(["CA", "CA", "CA", "NY"]):
        route_lead(store, CTX, router, {"lead_id": f"L{n}", "state": state})
    with store.unit_of_work() as uow:
        before = pool_states(uow)
    assert set(before) == {"WEST", "EAST"} and set(before["WEST"]["pointers"]) == {"jane", "bob"}
    (tmp_path / "accounts.csv").write_text("account_id,state,owner_id\nA-1,NY,jane\nA-2,NY,dee\nA-3,CA,\n")
    assert import_records(store, CTX, Entity.ACCOUNTS, tmp_path / "accounts.csv").live is not None
    with store.unit_of_work() as uow:
        assert pool_states(uow) == before  # account re-evaluation never touches lead pools
    later = Context.admin("tester", CTX.now().replace(day=CTX.now().day + 1))
    activate_plan(store, later, plan_b)
    pools = open_router(store, "active").lead_router.pools
    assert set(pools) == {"WEST"}  # NORTH is new: it starts fresh with its first lead
    west = pools["WEST"].state()
    assert west["pointers"] == {"jane": before["WEST"]["pointers"]["jane"]}  # bob left: forgotten
    assert west["last_lead_day"] == before["WEST"]["last_lead_day"]
    decision = route_lead(store, later, open_router(store, "active"), {"lead_id": "L9", "state": "CA"})
    with store.unit_of_work() as uow:
        after = pool_states(uow)["WEST"]["pointers"]
    assert set(after) == {"jane", "cy"} and decision.rep_id in {"jane", "cy"}  # cy joined the pool


def test_leads_of_customers_and_accounts_with_open_deals_skip_the_fit_check(
    workspace_with_plan: tuple[WorkspaceStore, Path],
) -> None:
    workspace, folder = workspace_with_plan
    plan = PLAN.replace(
        "  fit_threshold: 50\n",
        "  fit_threshold: 50\n  customer: \"lifecycle_stage = 'Customer' OR open_pipeline > 0\"\n",
    )
    (folder / "plan.yaml").write_text(plan)
    (folder / "accounts.csv").write_text(
        "account_id,name,website,state,owner_id,lifecycle_stage\n"
        "A-1,Verizon,verizon.com,CA,bob,customer\n"
        "A-2,Acme,acme.com,CA,bob,lead\n"
        "A-3,Globex,globex.com,CA,bob,lead\n"
    )
    (folder / "opportunities.csv").write_text(
        "opportunity_id,account_id,amount,closed,won\nO-1,A-2,500,,\nO-2,A-3,900,2026-01-05,false\n"
    )
    import_records(workspace, CTX, Entity.ACCOUNTS, folder / "accounts.csv")
    import_records(workspace, CTX, Entity.OPPORTUNITIES, folder / "opportunities.csv")
    router = open_router(workspace, folder / "plan.yaml")
    cold = {"source": "cold list", "state": "CA", "visits": "1"}
    decisions = {
        lead_id: route_lead(workspace, CTX, router, {"lead_id": lead_id, "email": email, **cold})
        for lead_id, email in (("L1", "ann@verizon.com"), ("L2", "bo@acme.com"), ("L3", "cy@globex.com"))
    }
    assert (decisions["L1"].outcome, decisions["L1"].rep_id) == (Outcome.MATCHED, "bob")  # a customer
    assert (decisions["L2"].outcome, decisions["L2"].rep_id) == (Outcome.MATCHED, "bob")  # an open deal
    assert decisions["L3"].outcome is Outcome.NURTURE  # its only deal is closed: the fit check applies


def test_a_customer_rule_naming_an_unknown_field_warns(
    workspace_with_plan: tuple[WorkspaceStore, Path],
) -> None:
    workspace, folder = workspace_with_plan
    (folder / "plan.yaml").write_text(
        PLAN.replace("  fit_threshold: 50\n", "  fit_threshold: 50\n  customer: \"tier = 'gold'\"\n")
    )
    (folder / "accounts.csv").write_text("account_id,name,state,owner_id,tiers\nA-1,Verizon,CA,bob,gold\n")
    import_records(workspace, CTX, Entity.ACCOUNTS, folder / "accounts.csv")
    warnings = [str(w) for w in open_router(workspace, folder / "plan.yaml").warnings]
    assert any("routing.customer" in w and "'tier'" in w for w in warnings), warnings
    assert any("did you mean 'tiers'?" in w for w in warnings), warnings


def test_the_file_columns_routing_never_reads_are_named(tmp_path: Path) -> None:
    workspace = FakeWorkspace()
    (tmp_path / "plan.yaml").write_text(
        "name: Plain\nterritories:\n  - id: WEST\n    rule: state = 'CA'\n    reps: [jane]\n"
    )
    # Renaming only the id leaves "State/Region" unread: the lead falls through to the fallback.
    (tmp_path / "leads.csv").write_text("lead_id,State/Region,Favourite colour\nL1,CA,blue\n")
    bare = route_file(workspace, CTX, open_router(workspace, tmp_path / "plan.yaml"), tmp_path / "leads.csv")
    assert bare.unused_columns == ["State/Region", "Favourite colour"]
    assert "state" in bare.read_columns and bare.decisions[0].outcome is Outcome.FALLBACK
    # Under the HubSpot mapping the state is read, and the column no mapping knows is still named.
    (tmp_path / "contacts.csv").write_text("Record ID,State/Region,Favourite colour\nL2,CA,blue\n")
    mapped = route_file(
        workspace,
        CTX,
        open_router(workspace, tmp_path / "plan.yaml"),
        tmp_path / "contacts.csv",
        mapping="hubspot",
    )
    assert mapped.unused_columns == ["Favourite colour"]
    assert (mapped.decisions[0].outcome, mapped.decisions[0].rep_id) == (Outcome.ROUTED, "jane")


def test_rules_may_name_lead_fields_that_no_account_has(tmp_path: Path) -> None:
    workspace = FakeWorkspace()
    (tmp_path / "accounts.csv").write_text("account_id,name,state\nA-1,Acme,CA\n")
    import_records(workspace, CTX, Entity.ACCOUNTS, tmp_path / "accounts.csv")
    (tmp_path / "plan.yaml").write_text(
        "name: By source\nterritories:\n"
        "  - id: INBOUND\n    rule: source IN ('Organic Search', 'Referrals')\n    reps: [jane]\n"
        "  - id: PAID\n    rule: source = 'Paid Search'\n    reps: [bob]\n"
    )
    router = open_router(workspace, tmp_path / "plan.yaml")
    paid = route_lead(workspace, CTX, router, {"lead_id": "L1", "source": "Paid Search"})
    assert (paid.territory_id, paid.rep_id) == ("PAID", "bob")
    (tmp_path / "bad.yaml").write_text(
        "name: Typo\nterritories:\n  - id: T\n    rule: sourse = 'x'\n    reps: [jane]\n"
    )
    with pytest.raises(BadInput, match="source"):
        open_router(workspace, tmp_path / "bad.yaml")
