"""The in-process routing API (`route_lead`) and fit qualification, against a real workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CTX
from fake_workspace import FakeWorkspace
from territorial.domain.entities import Entity
from territorial.domain.leads import Outcome
from territorial.errors import BadInput
from territorial.services.imports import import_records
from territorial.services.lead_audit import explain_lead
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
