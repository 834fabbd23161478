"""Territory names through the real CLI: in report.json, as alignment.csv's last column and in the
draft plan; the rep's name, else the largest cities covered, else the id."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from conftest import run_cli

# Accounts in Chicago and Milwaukee, and in Dallas and Fort Worth.
ACCOUNTS = """\
account_id,lat,lon,state,employees
A-1,41.88,-87.63,IL,10
A-2,41.95,-87.66,IL,10
A-3,43.04,-87.91,WI,10
A-4,32.78,-96.80,TX,10
A-5,32.75,-97.33,TX,10
A-6,32.90,-97.04,TX,10
"""


def balance(folder: Path, *args: str) -> str:
    """The summary balance prints."""
    (folder / "accounts.csv").write_text(ACCOUNTS)
    result = run_cli(
        folder,
        *("balance", "--accounts", "accounts.csv", "--metric", "workload=0.5", *args),
        *("--out", "alignment.csv", "--report", "report.json", "--plan-out", "plan.yaml"),
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def names(folder: Path) -> dict[str, str]:
    report = json.loads((folder / "report.json").read_text())
    return {t["territory_id"]: t["name"] for t in report["territories"]}


def test_without_reps_a_territory_is_named_by_its_largest_cities(tmp_path: Path) -> None:
    summary = balance(tmp_path, "--k", "2")
    assert "Chicago – Milwaukee (IL, WI)" in summary  # the summary table has a name column
    alignment = pl.read_csv(tmp_path / "alignment.csv")
    assert alignment.columns == ["id", "territory_id", "rep_id", "moved", "territory_name"]
    named = dict(zip(alignment["id"], alignment["territory_name"], strict=True))
    assert named == {
        **dict.fromkeys(["A-1", "A-2", "A-3"], "Chicago – Milwaukee (IL, WI)"),
        **dict.fromkeys(["A-4", "A-5", "A-6"], "Dallas – Fort Worth (TX)"),
    }
    assert sorted(names(tmp_path).values()) == ["Chicago – Milwaukee (IL, WI)", "Dallas – Fort Worth (TX)"]
    plan = (tmp_path / "plan.yaml").read_text()
    for territory_id, name in names(tmp_path).items():
        assert f"  - id: {territory_id}\n    name: {name}\n" in plan


def test_a_rep_with_a_name_names_the_territory_and_names_stay_unique(tmp_path: Path) -> None:
    (tmp_path / "reps.csv").write_text(
        "rep_id,name,lat,lon\nr-1,Pat Kim,41.9,-87.6\nr-2,Pat Kim,32.8,-96.8\nr-3,,43.0,-87.9\n"
    )
    balance(tmp_path, "--reps", "reps.csv", "--metric", "count=0.7")
    found = names(tmp_path)
    assert (found["r-1"], found["r-2"]) == ("Pat Kim", "Pat Kim 2")
    assert found["r-3"].endswith(")") and found["r-3"].startswith(("Milwaukee", "Chicago", "Dallas"))


def test_units_on_x_y_keep_their_ids_as_names(tmp_path: Path) -> None:
    (tmp_path / "units.csv").write_text("id,x,y,calls\nU1,0,0,5\nU2,0,1,5\nU3,10,0,5\nU4,10,1,5\n")
    result = run_cli(
        tmp_path,
        "balance",
        "--units",
        "units.csv",
        "--k",
        "2",
        "--metric",
        "calls=0.1",
        "--report",
        "report.json",
    )
    assert result.returncode == 0, result.stderr
    assert names(tmp_path) == {"T-001": "T-001", "T-002": "T-002"}
    assert " name " not in result.stderr  # a name that is the id again is not a column
