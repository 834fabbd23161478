"""Running a plan's checks (services.plan_checks): on files for a team's CI, and on the workspace
(fake, SQLite and PostgreSQL) with its reps, open pipeline and owners as the baseline."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CTX
from services.workspace_books import PLAN, write_book
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.assign import assign_files
from territorial.services.imports import import_records
from territorial.services.plan_checks import OWNERS_BASELINE, check_plan_files, check_plan_workspace
from territorial.services.plans import add_plan
from territorial.services.unit_of_work import WorkspaceStore

# The book: WEST (jane, bob, cy) holds A-1 (5000), A-4 (1200), A-6 (300); EAST (dee) A-2 (800) and
# A-5 (60); SOUTH (ghost, inactive) A-3 (200), vacant with the reps applied.
CHECKS = """\
checks:
  - {name: no overloaded territory, over: territory, assert: workload_vs_mean <= 1.10}
  - {name: every rep has a book, over: rep, assert: accounts >= 1}
  - {name: nothing vacant, over: plan, assert: vacant = 0}
  - {name: pipeline, over: rep, assert: open_pipeline < 1000}
  - {name: few moves, over: plan, assert: moved_share <= 0.25}
"""


def book(folder: Path, checks: str = CHECKS) -> dict[str, Path]:
    files = write_book(folder)
    files["plan"].write_text(PLAN + checks, encoding="utf-8")
    return files


def failed_rows(result: object) -> dict[str, list[tuple[object, ...]]]:
    return {o.check.name: o.failed.rows() for o in result.failed}  # type: ignore[attr-defined]


def test_on_files_the_reps_apply_and_the_baseline_is_an_assignments_file(tmp_path: Path) -> None:
    files = book(
        tmp_path, CHECKS.replace("  - {name: pipeline, over: rep, assert: open_pipeline < 1000}\n", "")
    )
    # The baseline: the plan assigned without the reps file, so ghost still held A-3.
    before = assign_files(files["plan"], files["accounts"]).assignment.rows
    before.write_parquet(tmp_path / "before.parquet")
    result = check_plan_files(files["plan"], files["accounts"], files["reps"], tmp_path / "before.parquet")
    assert result.baseline == str(tmp_path / "before.parquet")
    assert [(o.check.name, o.rows, o.passed) for o in result.outcomes] == [
        ("no overloaded territory", 3, False),
        ("every rep has a book", 4, True),
        ("nothing vacant", 1, False),
        ("few moves", 1, True),
    ]
    assert failed_rows(result) == {
        "no overloaded territory": [("primary", "WEST", 2.579365, "FALSE")],  # 6500 of a mean 2520
        "nothing vacant": [(1, "FALSE")],
    }
    assert "inactive reps get no accounts here: ghost" in str(result.warnings)


def test_on_files_a_check_needing_the_baseline_or_the_pipeline_names_what_to_give(tmp_path: Path) -> None:
    files = book(tmp_path)
    with pytest.raises(BadInput) as caught:
        check_plan_files(files["plan"], files["accounts"], files["reps"])
    assert [str(p) for p in caught.value.problems] == [
        f"{files['plan']}:17:41 [pipeline]: open_pipeline is the workspace's open opportunities, which "
        "an accounts file does not carry: check against the workspace (`territorial plan check PLAN` "
        "without --accounts)",
        f"{files['plan']}:18:43 [few moves]: moved_share needs a baseline: give --baseline FILE (an "
        "assignments file as `territorial assign --out` writes it)",
    ]


def test_a_plan_without_checks_runs_nothing(tmp_path: Path) -> None:
    files = write_book(tmp_path)
    assert check_plan_files(files["plan"], files["accounts"]).outcomes == []


def test_on_the_workspace_the_owners_are_the_baseline_and_the_pipeline_counts(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    files = book(tmp_path)
    import_records(store, CTX, Entity.ACCOUNTS, files["accounts"])
    import_records(store, CTX, Entity.REPS, files["reps"])
    (tmp_path / "opportunities.csv").write_text(
        "opportunity_id,account_id,amount,closed,won\n"
        "O-1,A-1,900,,\n"
        "O-2,A-1,300,,\n"  # jane's open pipeline: 1200
        "O-3,A-4,5000,2026-01-05,true\n",  # won: not open
        encoding="utf-8",
    )
    import_records(store, CTX, Entity.OPPORTUNITIES, tmp_path / "opportunities.csv")
    plan_id = add_plan(store, CTX, files["plan"])
    stored = check_plan_workspace(store, plan_id)
    from_file = check_plan_workspace(store, files["plan"])
    assert stored.baseline == from_file.baseline == OWNERS_BASELINE
    assert failed_rows(stored) == failed_rows(from_file)
    # Owners: jane A-1, bob A-4, cy A-6, dee A-5, ghost A-3 (A-2 none). Only A-3 moves (to nobody):
    # 1 of the 5 accounts with an owner.
    assert failed_rows(stored) == {
        "no overloaded territory": [("primary", "WEST", 2.579365, "FALSE")],
        "nothing vacant": [(1, "FALSE")],
        "pipeline": [("primary", "jane", 1200.0, "FALSE")],
    }
    assert stored.plan.file == f"plan {plan_id} (plan.yaml)"


def test_on_the_workspace_a_baseline_file_replaces_the_owners(store: WorkspaceStore, tmp_path: Path) -> None:
    files = book(tmp_path, "checks:\n  - {name: nothing moves, over: rep, assert: moved = 0}\n")
    import_records(store, CTX, Entity.ACCOUNTS, files["accounts"])
    import_records(store, CTX, Entity.REPS, files["reps"])
    (tmp_path / "before.csv").write_text("account_id,rep_id\nA-1,bob\nA-4,bob\n", encoding="utf-8")
    result = check_plan_workspace(store, files["plan"], tmp_path / "before.csv")
    assert result.baseline == str(tmp_path / "before.csv")
    # A-1 came to jane from bob; A-4 stays with bob.
    assert failed_rows(result) == {"nothing moves": [("primary", "jane", 1, "FALSE")]}
