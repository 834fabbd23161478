"""Plans and stored assignment runs (services.workspace), on the fake and on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from polars.testing import assert_frame_equal
from workspace_books import write_book

from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.assign import assign_files
from territorial.services.imports import import_file
from territorial.services.workspace import add_plan, assign_stored, list_plans, run_results
from territorial.store.unit_of_work import WorkspaceStore


def test_plans_are_added_and_listed_in_order(store: WorkspaceStore, tmp_path: Path) -> None:
    files = write_book(tmp_path)
    first, second = add_plan(store, files["plan"]), add_plan(store, files["plan"])
    listed = list_plans(store)
    assert listed.get_column("plan_id").to_list() == [first, second] and second == first + 1
    assert listed.get_column("name").to_list() == ["Book plan", "Book plan"]
    assert listed.get_column("file_name").to_list() == ["plan.yaml", "plan.yaml"]


def test_a_plan_that_does_not_parse_is_not_stored(store: WorkspaceStore, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: Bad\nterritories:\n  - id: X\n    rule: state IN ('NY' 'NJ')\n")
    with pytest.raises(BadInput, match=r"bad\.yaml:4"):
        add_plan(store, tmp_path / "bad.yaml")
    assert list_plans(store).height == 0


def test_a_stored_run_gives_what_the_file_run_gives(store: WorkspaceStore, tmp_path: Path) -> None:
    files = write_book(tmp_path)
    import_file(store, Entity.ACCOUNTS, files["accounts"])
    import_file(store, Entity.REPS, files["reps"])
    run = assign_stored(store, add_plan(store, files["plan"]))
    # The workspace's reps apply like --reps: ghost is inactive, so SOUTH is vacant.
    by_file = assign_files(files["plan"], files["accounts"], files["reps"])
    assert_frame_equal(run_results(store, run.run_id), by_file.assignment.rows)
    assert_frame_equal(run.assignment.rows, by_file.assignment.rows)
    assert any("inactive reps get no accounts here: ghost" in str(w) for w in run.warnings)


def test_unknown_plans_and_runs_are_bad_input(store: WorkspaceStore) -> None:
    with pytest.raises(BadInput, match="no plan with id 7"):
        assign_stored(store, 7)
    with pytest.raises(BadInput, match="no assignment run with id 9"):
        run_results(store, 9)
