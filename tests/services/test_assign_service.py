"""Plans and books given as files (services.assign): assign, validate, explain."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from workspace_books import write_book

from territorial.errors import BadInput
from territorial.services.assign import assign_files, explain_account, validate_files


def test_assign_applies_the_reps_file_and_reports_each_stage(tmp_path: Path) -> None:
    files = write_book(tmp_path)
    stages: list[str] = []
    run = assign_files(
        files["plan"],
        files["accounts"],
        files["reps"],
        progress=lambda stage, _fraction: stages.append(stage),
    )
    primary = run.assignment.rows.filter(pl.col("layer") == "primary")
    assert dict(primary.select("account_id", "territory_id").iter_rows()) == {
        "A-1": "WEST",
        "A-2": "EAST",
        "A-3": "SOUTH",
        "A-4": "WEST",
        "A-5": "EAST",
        "A-6": "WEST",
    }
    assert primary.filter(pl.col("territory_id") == "SOUTH").get_column("rep_id").to_list() == [None]
    assert stages[0].startswith("Reading the plan") and stages[-1].startswith("Assigning 6 accounts")


def test_validate_counts_overlaps_and_explain_walks_one_account(tmp_path: Path) -> None:
    files = write_book(tmp_path)
    result = validate_files(files["plan"], files["accounts"])
    assert result.overlaps is not None and result.overlaps.height == 0 and result.skipped_on_null == 0
    explanation = explain_account(files["plan"], files["accounts"], "a-2").explanation  # ignoring case
    assert explanation.account_id == "A-2" and explanation.answers["primary"].territory_id == "EAST"
    with pytest.raises(BadInput, match="no account with account_id 'A-9'"):
        explain_account(files["plan"], files["accounts"], "A-9")


def test_explain_with_reps_names_no_inactive_rep(tmp_path: Path) -> None:
    """ghost is inactive: `assign --reps` leaves SOUTH vacant, and so does explain."""
    files = write_book(tmp_path)
    without = explain_account(files["plan"], files["accounts"], "A-3").explanation
    assert without.answers["primary"].candidate_reps == ("ghost",)
    explained = explain_account(files["plan"], files["accounts"], "A-3", files["reps"])
    assert explained.explanation.answers["primary"].candidate_reps == ()
    assert "primary: SOUTH wins. Rep: none (vacant)." in explained.explanation.resolution
    assert any("inactive reps get no accounts here: ghost" in str(w) for w in explained.warnings)
