"""Each rep's book (engine.rep_books): every rep of the plan, potential and pipeline summed."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from territorial.engine.rep_books import rep_books
from territorial.io.plan_file import load_plan

PLAN = """\
name: P
territories:
  - id: WEST
    reps: [ann, bob]
  - id: EAST
    reps: [cy]
  - id: HC
    layer: overlay
    reps: [ann]
"""


def test_every_rep_is_listed_with_their_accounts_potential_and_pipeline(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN)
    plan = load_plan(tmp_path / "plan.yaml")
    rows = pl.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "A1"],
            "layer": ["primary", "primary", "primary", "overlay"],
            "territory_id": ["WEST", "WEST", None, "HC"],
            "rep_id": ["ann", "ann", None, "ann"],
            "workload": [2.0, 3.0, 1.0, 2.0],
        }
    )
    potential = pl.DataFrame({"account_id": ["A1", "A2", "A3"], "value": [10.0, 5.0, 7.0]})
    pipeline = pl.DataFrame({"account_id": ["A2"], "value": [400.0]})
    books = rep_books(plan, rows, potential, pipeline)
    assert books.rows() == [
        ("primary", "ann", "WEST", 2, 5.0, 15.0, 400.0),
        ("primary", "bob", "WEST", 0, 0.0, 0.0, 0.0),  # bob won nothing: shown, not hidden
        ("primary", "cy", "EAST", 0, 0.0, 0.0, 0.0),
        ("overlay", "ann", "HC", 1, 2.0, 10.0, 0.0),
    ]
    assert books.columns == [
        "layer",
        "rep_id",
        "territories",
        "accounts",
        "workload",
        "potential",
        "pipeline",
    ]
    assert rep_books(plan, rows, None, None).columns[-1] == "workload"
