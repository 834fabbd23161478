"""The normative assignment semantics, one rule at a time, on small hand-written plans."""

from __future__ import annotations

import polars as pl

from conftest import EXAMPLE_PLAN, run_plan, winners

BASE = {
    "country": "US",
    "state": "NY",
    "industry": "Retail",
    "employees": "10",
    "strategic": "false",
    "products": "",
    "owner_id": None,
}


def account(account_id: str, **fields: object) -> dict[str, object]:
    return {"account_id": account_id, **BASE, **fields}


def test_catch_all_parent_takes_what_no_child_matches() -> None:
    result = run_plan(EXAMPLE_PLAN, [account("A-1", state="TX"), account("A-2", state="NY")])
    assert winners(result) == {"A-1": "AMER", "A-2": "AMER-EAST"}


def test_deepest_membership_is_the_candidate_not_the_parent() -> None:
    result = run_plan(
        EXAMPLE_PLAN, [account("A-1", industry="Healthcare", employees="5000", owner_id="rep-002")]
    )
    row = result.rows.filter(pl.col("layer") == "primary").row(0, named=True)
    assert row["territory_id"] == "AMER-EAST-HC"
    assert row["overlaps"] == ""  # a parent is never an overlap of its own child


def test_cross_branch_overlap_resolved_by_priority_and_listed() -> None:
    result = run_plan(
        EXAMPLE_PLAN, [account("A-1", industry="Healthcare", employees="5000", strategic="true")]
    )
    row = result.rows.filter(pl.col("layer") == "primary").row(0, named=True)
    assert row["territory_id"] == "NAMED"
    assert row["overlaps"] == "AMER-EAST-HC"
    assert row["tie"] is False
    assert "higher priority (100 over 10)" in row["reason"]


SIBLINGS = """\
name: siblings
territories:
  - id: ROOT
    children:
      - id: WEST
        rule: state IN ('CA', 'OR')
        reps: [r1]
      - id: PACIFIC
        rule: state IN ('CA', 'HI')
        reps: [r2]
      - id: BIG
        rule: employees >= 1000
        priority: 5
        reps: [r3]
"""


def test_sibling_overlap_same_priority_is_a_tie_won_by_plan_order() -> None:
    result = run_plan(SIBLINGS, [{"account_id": "X", "state": "CA", "employees": "10"}])
    row = result.rows.row(0, named=True)
    assert (row["territory_id"], row["overlaps"], row["tie"]) == ("WEST", "PACIFIC", True)
    assert "set a priority" in row["reason"]


def test_priority_beats_plan_order_and_overlaps_are_in_resolution_order() -> None:
    result = run_plan(SIBLINGS, [{"account_id": "X", "state": "CA", "employees": "5000"}])
    row = result.rows.row(0, named=True)
    assert (row["territory_id"], row["overlaps"], row["tie"]) == ("BIG", "WEST;PACIFIC", False)


DEPTH = """\
name: depth
territories:
  - id: SHALLOW
    rule: industry = 'Retail'
  - id: REGION
    rule: state = 'NY'
    children:
      - id: DEEP
        rule: employees > 5
"""


def test_equal_priority_goes_to_the_deeper_territory() -> None:
    result = run_plan(DEPTH, [{"account_id": "X", "industry": "retail", "state": "ny", "employees": "10"}])
    row = result.rows.row(0, named=True)
    assert (row["territory_id"], row["overlaps"], row["tie"]) == ("DEEP", "SHALLOW", False)
    assert "deeper" in row["reason"]


def test_null_is_unknown_and_never_matches_negations() -> None:
    plan = """\
name: nulls
territories:
  - id: NOT-RETAIL
    rule: industry != 'Retail'
  - id: NOT-EQ
    rule: NOT industry = 'Retail'
  - id: EMPTY
    rule: industry IS NULL
"""
    result = run_plan(
        plan, [{"account_id": "X", "industry": "  "}, {"account_id": "Y", "industry": "Energy"}]
    )
    assert winners(result) == {"X": "EMPTY", "Y": "NOT-RETAIL"}
    assert result.skipped_on_null == 1


def test_unassigned_primary_gets_an_empty_row_other_layers_none() -> None:
    result = run_plan(EXAMPLE_PLAN, [account("A-1", country="DE")])
    assert result.rows.select("layer", "territory_id", "rep_id").rows() == [("primary", None, None)]
    assert result.unassigned == 1
    assert "No primary territory matched" in result.rows.get_column("reason")[0]


def test_case_insensitive_strings_and_like_wildcards() -> None:
    plan = """\
name: case
territories:
  - id: T1
    layer: overlay
    rule: products LIKE '%SECURITY%' AND name LIKE 'a_c%'
"""
    rows = [
        {"account_id": "1", "products": "Cloud;Security", "name": "ABC Corp"},
        {"account_id": "2", "products": "security", "name": "abbc"},
        {"account_id": "3", "products": "x\nsecurity", "name": "a%c"},
    ]
    result = run_plan(plan, rows)
    assert winners(result, "overlay") == {"1": "T1", "3": "T1"}


def test_layers_are_resolved_independently_and_sorted_primary_first() -> None:
    result = run_plan(
        EXAMPLE_PLAN, [account("A-2", products="Security"), account("A-1", products="security")]
    )
    assert result.rows.select("account_id", "layer").rows() == [
        ("A-1", "primary"),
        ("A-1", "security"),
        ("A-2", "primary"),
        ("A-2", "security"),
    ]


POOL = """\
name: pool
workload: employees
territories:
  - id: P
    reps: [r1, r2, r3]
  - id: EMPTY
    rule: state = 'ZZ'
    priority: 1
"""


def test_pool_keeps_owners_then_shares_by_least_workload_in_account_id_order() -> None:
    rows = [
        {"account_id": "a5", "state": "NY", "employees": "1", "owner_id": None},
        {"account_id": "a1", "state": "NY", "employees": "50", "owner_id": "r2"},  # kept
        {"account_id": "a3", "state": "NY", "employees": "5", "owner_id": "someone-else"},
        {"account_id": "a2", "state": "NY", "employees": "10", "owner_id": None},
        {"account_id": "a4", "state": "NY", "employees": None, "owner_id": None},
    ]
    result = run_plan(POOL, rows)
    reps = dict(result.rows.select("account_id", "rep_id").rows())
    # Start: r2 has 50 (kept). a2 (10) → r1; a3 (5) → r3; a4 (NULL = 0) → r3 (5 < 10); a5 → r3.
    assert reps == {"a1": "r2", "a2": "r1", "a3": "r3", "a4": "r3", "a5": "r3"}
    assert "current owner r2" in result.rows.filter(pl.col("account_id") == "a1").get_column("reason")[0]


def test_pool_without_owners_is_round_robin_for_equal_workloads() -> None:
    rows = [{"account_id": f"a{i}", "state": "NY", "employees": "1"} for i in range(6)]
    result = run_plan(POOL, rows)
    assert result.rows.get_column("rep_id").to_list() == ["r1", "r2", "r3", "r1", "r2", "r3"]


def test_vacant_territory_is_reported() -> None:
    result = run_plan(EXAMPLE_PLAN, [account("A-1", state="TX")])
    assert result.vacant == ["AMER"]
    assert result.rows.get_column("rep_id")[0] is None


def test_summary_counts_per_territory() -> None:
    result = run_plan(
        SIBLINGS,
        [
            {"account_id": "X", "state": "CA", "employees": "10"},
            {"account_id": "Y", "state": "HI", "employees": "10"},
        ],
    )
    summary = {r["territory_id"]: r for r in result.territories.iter_rows(named=True)}
    assert summary["WEST"]["accounts"] == 1 and summary["WEST"]["ties"] == 1
    assert summary["PACIFIC"]["accounts"] == 1 and summary["PACIFIC"]["members"] == 2
