"""Plans and stored assignment runs (services.workspace), on the fake and on both databases."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from workspace_books import write_book

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.domain.fields import FieldType
from territorial.errors import BadInput
from territorial.io.plan_file import load_plan
from territorial.services.assign import AccountRef, assign_files, assign_plan, explain_stored, run_results
from territorial.services.imports import import_records
from territorial.services.plans import add_plan, list_plans, show_plan
from territorial.services.runs import list_runs, show_run
from territorial.services.unit_of_work import WorkspaceStore
from territorial.services.workspace import account_fields, find_accounts, load_accounts


def test_plans_are_added_and_listed_in_order(store: WorkspaceStore, tmp_path: Path) -> None:
    files = write_book(tmp_path)
    first, second = add_plan(store, CTX, files["plan"]), add_plan(store, CTX, files["plan"])
    listed = list_plans(store)
    assert listed.get_column("plan_id").to_list() == [first, second] and second == first + 1
    assert listed.get_column("name").to_list() == ["Book plan", "Book plan"]
    assert listed.get_column("file_name").to_list() == ["plan.yaml", "plan.yaml"]


def test_a_plan_that_does_not_parse_is_not_stored(store: WorkspaceStore, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: Bad\nterritories:\n  - id: X\n    rule: state IN ('NY' 'NJ')\n")
    with pytest.raises(BadInput, match=r"bad\.yaml:4"):
        add_plan(store, CTX, tmp_path / "bad.yaml")
    assert list_plans(store).height == 0


def test_a_stored_run_gives_what_the_file_run_gives(store: WorkspaceStore, tmp_path: Path) -> None:
    files = write_book(tmp_path)
    import_records(store, CTX, Entity.ACCOUNTS, files["accounts"])
    import_records(store, CTX, Entity.REPS, files["reps"])
    run = assign_plan(store, CTX, add_plan(store, CTX, files["plan"]))
    # The workspace's reps apply like --reps: ghost is inactive, so SOUTH is vacant.
    by_file = assign_files(files["plan"], files["accounts"], files["reps"])
    assert_frame_equal(run_results(store, run.run_id), by_file.assignment.rows)
    assert_frame_equal(run.assignment.rows, by_file.assignment.rows)
    assert any("inactive reps get no accounts here: ghost" in str(w) for w in run.warnings)


def test_explaining_a_workspace_account_applies_the_workspace_reps(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    files = write_book(tmp_path)
    import_records(store, CTX, Entity.ACCOUNTS, files["accounts"])
    import_records(store, CTX, Entity.REPS, files["reps"])
    explained = explain_stored(store, add_plan(store, CTX, files["plan"]), "a-3")
    assert explained.explanation.account_id == "A-3"
    assert "primary: SOUTH wins. Rep: none (vacant)." in explained.explanation.resolution
    with pytest.raises(BadInput, match="no account with account_id 'A-9'"):
        explain_stored(store, 1, "A-9")


def test_unknown_plans_and_runs_are_bad_input(store: WorkspaceStore) -> None:
    with pytest.raises(BadInput, match="no plan with id 7"):
        assign_plan(store, CTX, 7)
    with pytest.raises(BadInput, match="no assignment run with id 9"):
        run_results(store, 9)


def test_a_stored_run_sums_each_reps_open_pipeline(store: WorkspaceStore, tmp_path: Path) -> None:
    files = write_book(tmp_path)
    (tmp_path / "opportunities.csv").write_text(
        "opportunity_id,account_id,amount,closed,won\n"
        "O-1,A-1,500,,\nO-2,A-1,250,,\nO-3,A-1,9000,2026-01-05,true\nO-4,A-2,100,,\n"
    )
    for entity, name in ((Entity.ACCOUNTS, "accounts"), (Entity.REPS, "reps")):
        import_records(store, CTX, entity, files[name])
    import_records(store, CTX, Entity.OPPORTUNITIES, tmp_path / "opportunities.csv")
    books = assign_plan(store, CTX, add_plan(store, CTX, files["plan"])).assignment.reps
    pipeline = dict(books.select("rep_id", "pipeline").iter_rows())
    assert pipeline["jane"] == 750.0 and pipeline["dee"] == 100.0  # the won deal is not pipeline
    assert set(pipeline) == {"jane", "bob", "cy", "dee"}  # ghost is inactive


def test_runs_are_listed_and_shown_by_territory(store: WorkspaceStore, tmp_path: Path) -> None:
    files = write_book(tmp_path)
    import_records(store, CTX, Entity.ACCOUNTS, files["accounts"])
    import_records(store, CTX, Entity.REPS, files["reps"])
    run = assign_plan(store, CTX, add_plan(store, CTX, files["plan"]))
    listed = list_runs(store)
    assert listed.select("run_id", "plan_id", "accounts", "unassigned", "ties").rows() == [
        (run.run_id, 1, 6, 0, 0)
    ]
    shown = show_run(store, run.run_id)
    assert shown.plan_name == "Book plan" and shown.info.accounts == 6
    south = shown.by_territory.filter(pl.col("territory_id") == "SOUTH").rows()
    assert south == [("primary", "SOUTH", None, 1, 200.0)]  # vacant: ghost is inactive
    with pytest.raises(BadInput, match="no assignment run with id 9"):
        show_run(store, 9)


def test_plans_are_checked_against_the_workspace_fields_and_shown(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    files = write_book(tmp_path)
    (tmp_path / "typo.yaml").write_text(
        files["plan"].read_text().replace("region = 'West'", "regoin = 'West'")
    )
    add_plan(store, CTX, tmp_path / "typo.yaml")  # no accounts yet: nothing to check against
    import_records(store, CTX, Entity.ACCOUNTS, files["accounts"])
    with pytest.raises(BadInput, match=r"typo\.yaml:\d+.*regoin"):
        add_plan(store, CTX, tmp_path / "typo.yaml")
    assert list_plans(store).height == 1
    stored = show_plan(store, add_plan(store, CTX, files["plan"]))
    assert stored.source == files["plan"].read_text() and stored.file_name == "plan.yaml"
    with pytest.raises(BadInput, match="no plan with id 7"):
        show_plan(store, 7)


def test_accounts_are_found_by_name_or_domain(store: WorkspaceStore, tmp_path: Path) -> None:
    files = write_book(tmp_path)
    import_records(store, CTX, Entity.ACCOUNTS, files["accounts"])
    assert find_accounts(store, "ACME").get_column("account_id").to_list() == ["A-1"]
    assert find_accounts(store, "hooli.com").rows() == [("A-4", "Hooli", "hooli.com", "bob")]
    assert find_accounts(store, "inc").get_column("account_id").to_list() == ["A-2"]  # Globex Inc.
    assert find_accounts(store, "nothing here").height == 0
    with pytest.raises(BadInput, match="give some text"):
        find_accounts(store, " ")
    explained = explain_stored(store, add_plan(store, CTX, files["plan"]), AccountRef("hooli", by_name=True))
    assert explained.explanation.account_id == "A-4"
    with pytest.raises(BadInput, match="no account named 'Hoo'"):
        explain_stored(store, 1, AccountRef("Hoo", by_name=True))


FIELDS_BOOK = """\
account_id,name,state,employees,tier,renewal,notes,region
A-1,Acme,NY,100,1,2026-01-02,hello,East
A-2,Globex,CA,N/A,2,2026-02-03,,West
A-3,Initech,TX,50,N/A,,x,South
"""
FIELDS_PLAN = """\
name: Fields
fields: {{region: string{declared}}}
territories:
  - id: BIG
    rule: tier >= 2 AND renewal > DATE '2026-01-01' AND region != 'North' AND employees > 10
"""


def test_a_plan_is_checked_against_the_field_types_that_all_accounts_give(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    """`plan add` reads the field names and only the values that decide a type (#18): what it
    checks against is what reading every account gives, for the fields the plan reads."""
    (tmp_path / "accounts.csv").write_text(FIELDS_BOOK)
    (tmp_path / "legacy.csv").write_text("account_id,name,legacy\nA-4,Old,yes\n")
    for path, full_sync in (("accounts.csv", False), ("legacy.csv", False), ("accounts.csv", True)):
        import_records(store, CTX, Entity.ACCOUNTS, tmp_path / path, full_sync=full_sync)  # A-4 inactive
    for declared in ("", ", renewal: date, tier: number"):
        (tmp_path / "plan.yaml").write_text(FIELDS_PLAN.format(declared=declared))
        plan = load_plan(tmp_path / "plan.yaml")
        with store.unit_of_work() as uow:
            count, fields = account_fields(uow, plan)
            book = load_accounts(uow, plan.fields)
        assert count == len(book) == 3
        # The same names: on the databases, not A-4's `legacy`, which no active account has.
        assert sorted(fields) == sorted(book.schema)
        read = ("tier", "renewal", "region", "employees")
        assert {name: fields[name] for name in read} == {name: book.schema[name] for name in read}
        assert fields["tier"] is FieldType.NUMBER and fields["renewal"] is FieldType.DATE
    # A declared type the stored values do not fit is refused as reading them all refuses it.
    (tmp_path / "plan.yaml").write_text(FIELDS_PLAN.format(declared=", notes: number"))
    plan = load_plan(tmp_path / "plan.yaml")
    with store.unit_of_work() as uow, pytest.raises(BadInput, match="expected a number") as refused:
        account_fields(uow, plan)
    with store.unit_of_work() as uow, pytest.raises(BadInput) as everything:
        load_accounts(uow, plan.fields)
    assert str(refused.value) == str(everything.value)
