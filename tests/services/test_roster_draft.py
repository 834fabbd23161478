"""A roster change's recommended reassignment (services.roster_draft): the optimizer's alignment among
the primary roster as it is once the change is made, stored as a draft plan."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from workspace_books import write_book

from conftest import CTX
from fake_workspace import FakeWorkspace
from territorial.domain.entities import Entity
from territorial.domain.lifecycle import PlanState
from territorial.errors import BadInput
from territorial.io.plan_file import parse_plan
from territorial.services.activation import activate_plan
from territorial.services.imports import import_records
from territorial.services.plans import add_plan
from territorial.services.roster import leave_rep
from territorial.services.roster_draft import check_recommendation, recommend


def test_a_scheduled_leave_is_recommended_for_as_if_made_and_the_draft_is_stored(tmp_path: Path) -> None:
    store = FakeWorkspace()
    paths = write_book(tmp_path)
    import_records(store, CTX, Entity.REPS, paths["reps"])
    import_records(store, CTX, Entity.ACCOUNTS, paths["accounts"])
    activate_plan(store, CTX, add_plan(store, CTX, paths["plan"]))
    asked = leave_rep(store, CTX, "cy", effective=date(2026, 4, 1))
    assert asked.scheduled  # cy is still in the roster: the recommendation leaves them out all the same

    found = recommend(store, CTX, asked.change, max_moves=1.0)
    assert found.plan_id is not None and found.why_not is None
    with store.unit_of_work() as uow:
        stored = uow.plans.get(found.plan_id)
    assert stored is not None and stored.state is PlanState.DRAFT
    assert stored.file_name == f"roster-change-{asked.change.change_id}.yaml"
    drafted = parse_plan(stored.source)
    assert drafted.name == stored.name == "Recommended for roster change 1: cy leaves"
    assert sorted(rep for t in drafted.territories for rep in t.reps) == ["bob", "dee", "jane"]
    # cy's A-6 changes rep whatever the answer: a move.
    assert found.moves >= 1


def test_bad_recommendation_options_are_bad_input() -> None:
    with pytest.raises(BadInput, match="--max-moves: a share of accounts between 0 and 1"):
        check_recommendation(1.5, None)
    with pytest.raises(BadInput, match="--lock: 'strategic ='"):
        check_recommendation(None, "strategic =")
    check_recommendation(0.1, "strategic = TRUE")
