"""A new draft started from a name and its first territory (services.plan_states.new_draft), as the
web editor starts one: stored as a plan file is, and each bad field named."""

from __future__ import annotations

import pytest

from conftest import CTX
from territorial.errors import BadInput
from territorial.services.plan_states import new_draft
from territorial.services.plans import show_plan, stored_plan_id
from territorial.services.unit_of_work import WorkspaceStore


def test_a_new_draft_holds_its_name_and_first_territory(store: WorkspaceStore) -> None:
    plan_id = new_draft(store, CTX, '  FY27: "East" & West  ', "T-EAST")
    stored = show_plan(store, plan_id)
    assert stored.state.value == "draft" and stored.name == 'FY27: "East" & West'
    assert stored.source == 'name: "FY27: \\"East\\" & West"\nterritories:\n  - id: "T-EAST"\n'
    assert stored_plan_id(store, str(plan_id)) == plan_id


@pytest.mark.parametrize(
    ("name", "territory", "field", "says"),
    [
        (" ", "T-1", "name", "expected a plan name of 1 to 200 printable characters"),
        ("FY27", "", "territory_id", "expected the id of the plan's first territory"),
        ("FY27", "T 1", "territory_id", "territory id 'T 1' must match"),
    ],
)
def test_a_bad_name_or_id_is_named(
    store: WorkspaceStore, name: str, territory: str, field: str, says: str
) -> None:
    with pytest.raises(BadInput) as refused:
        new_draft(store, CTX, name, territory)
    problem = refused.value.problems[0]
    assert problem.location.file == field and says in problem.message
