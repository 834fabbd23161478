"""The tables plan checks run over (engine.plan_checks), figure by figure on a small book, and how a
check's rule passes or fails on them (UNKNOWN fails)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import book_of
from territorial.domain.plan_checks import TABLE_COLUMNS, CheckOver
from territorial.engine.plan_checks import check_tables, run_check, run_checks
from territorial.io.plan_file import parse_plan
from territorial.progress import silent
from territorial.services.assign import assign_book

PLAN = """\
name: P
workload: employees
potential: revenue
territories:
  - id: WEST
    rule: region = 'West'
    reps: [ann, bob]
  - id: EAST
    rule: region = 'East'
    reps: [cy]
  - id: NORTH
    rule: region = 'North'
  - id: EMPTY
    rule: region = 'Nowhere'
    reps: [dan]
  - id: SEC
    layer: security
    rule: employees >= 100
    reps: [eve]
checks:
  - {name: balanced, over: territory, assert: workload_vs_mean <= 1.5}
  - {name: stable, over: plan, assert: moved_share <= 0.25}
  - {name: booked, over: rep, assert: accounts >= 1 OR layer != 'primary'}
"""

# region, employees (the workload), revenue (the potential), owner_id (the baseline's rep).
ACCOUNTS = [
    {"account_id": "A1", "region": "West", "employees": 100, "revenue": 10, "owner_id": "ann"},
    {"account_id": "A2", "region": "West", "employees": 50, "revenue": 20, "owner_id": "cy"},
    {"account_id": "A3", "region": "East", "employees": 30, "revenue": 30, "owner_id": "cy"},
    {"account_id": "A4", "region": "North", "employees": 20, "revenue": 40, "owner_id": "bob"},
    {"account_id": "A5", "region": "South", "employees": 10, "revenue": 50, "owner_id": None},
]


def tables(
    pipeline: bool = True, baseline: bool = True, capacity: dict[str, float] | None = None
) -> dict[CheckOver, pl.DataFrame]:
    plan = parse_plan(PLAN, "plan.yaml")
    book = book_of(ACCOUNTS, plan.fields)
    result = assign_book(plan, book, Path.cwd(), [], silent)
    opportunities = pl.DataFrame({"account_id": ["A1", "A3", "ZZ"], "value": [1000.0, 500.0, 7.0]})
    before = pl.DataFrame(
        {"account_id": [a["account_id"] for a in ACCOUNTS], "layer": "primary"}
    ).with_columns(pl.Series("rep_id", [a["owner_id"] for a in ACCOUNTS], pl.String))
    return check_tables(
        plan,
        result,
        capacity or {},
        opportunities if pipeline else None,
        before if baseline else None,
    )


def pick(row: dict[str, object], *names: str) -> tuple[object, ...]:
    return tuple(row[name] for name in names)


def test_the_territory_table_has_every_territory_with_its_figures() -> None:
    table = tables()[CheckOver.TERRITORY]
    assert table.columns == list(TABLE_COLUMNS[CheckOver.TERRITORY])
    rows = {row["territory_id"]: row for row in table.iter_rows(named=True)}
    assert list(rows) == ["WEST", "EAST", "NORTH", "EMPTY", "SEC"]
    west, east, north, empty, sec = rows.values()
    # West holds A1 (100, kept by its owner ann) and A2 (50, owner cy is not in the pool: to bob).
    assert pick(west, "accounts", "workload", "potential", "open_pipeline") == (2, 150, 30, 1000)
    assert pick(west, "moved", "moved_share", "ties", "vacant") == (1, 0.5, 0, 0)
    # The mean is over the layer's territories holding accounts: West, East, North (200 / 3).
    assert west["workload_vs_mean"] == pytest.approx(2.25)
    assert north["workload_vs_mean"] == 0.3
    # The target shares the workload staffed territories hold (180) by capacity: West has 2 of 4.
    assert west["workload_vs_target"] == pytest.approx(150 / 90)
    assert east["workload_vs_target"] == pytest.approx(30 / 45)
    # North has no rep: its account is vacant, it has no target, and bob's A4 moved to nobody.
    assert pick(north, "vacant", "workload_vs_target", "moved", "moved_share") == (1, None, 1, 1)
    # A territory with no accounts: counts 0, moved_share unknown (no account had a rep).
    assert pick(empty, "accounts", "workload_vs_mean", "moved", "moved_share") == (0, 0, 0, None)
    # An overlay has no baseline here (owner_id is the primary rep): nothing to move.
    assert pick(sec, "layer", "accounts", "workload_vs_mean", "moved_share") == ("security", 1, 1, None)


def test_the_rep_table_has_every_rep_per_layer_with_capacity_targets() -> None:
    table = tables(capacity={"ann": 1.0, "bob": 0.5, "cy": 1.0, "dan": 0.5})[CheckOver.REP]
    assert table.columns == list(TABLE_COLUMNS[CheckOver.REP])
    rows = {(row["layer"], row["rep_id"]): row for row in table.iter_rows(named=True)}
    assert list(rows) == [
        ("primary", "ann"),
        ("primary", "bob"),
        ("primary", "cy"),
        ("primary", "dan"),
        ("security", "eve"),
    ]
    ann, bob, cy, dan = (rows["primary", rep] for rep in ("ann", "bob", "cy", "dan"))
    assert pick(ann, "accounts", "workload", "potential", "open_pipeline") == (1, 100, 10, 1000)
    # bob gained A2 from cy: a rep's moved are the accounts that come to them.
    assert (bob["moved"], bob["moved_share"], ann["moved"], ann["moved_share"]) == (1, 1, 0, 0)
    # The mean is over every rep of the layer, dan with nothing too: 180 / 4.
    assert ann["workload_vs_mean"] == pytest.approx(100 / 45)
    assert dan["workload_vs_mean"] == 0
    # The reps hold 180 in all, shared by capacity 3.0: ann's target is 60, bob's 30.
    assert ann["workload_vs_target"] == pytest.approx(100 / 60)
    assert bob["workload_vs_target"] == pytest.approx(50 / 30)
    assert (cy["moved"], cy["moved_share"], dan["moved_share"]) == (0, 0, None)


def test_the_plan_row_is_the_primary_layer_with_each_account_once() -> None:
    table = tables()[CheckOver.PLAN]
    assert table.columns == list(TABLE_COLUMNS[CheckOver.PLAN])
    (row,) = table.iter_rows(named=True)
    assert row == {
        "accounts": 5,
        "workload": 210.0,
        "potential": 150.0,
        "open_pipeline": 1500.0,  # ZZ is no account of the book
        "workload_vs_mean": pytest.approx(100 / 45),  # the most loaded primary rep, ann
        "workload_vs_target": pytest.approx(100 / 45),
        "moved": 2,  # A2 (cy to bob) and A4 (bob to nobody); A5 had no owner
        "moved_share": 0.5,
        "ties": 0,
        "unassigned": 1,  # A5, South
        "vacant": 1,  # A4, North
    }


def test_figures_without_their_source_are_unknown() -> None:
    built = tables(pipeline=False, baseline=False)
    for over in CheckOver:
        table = built[over]
        for name in ("open_pipeline", "moved", "moved_share"):
            assert table.get_column(name).null_count() == table.height, (over, name)


def test_a_check_fails_on_the_rows_where_its_rule_is_false_or_unknown() -> None:
    plan = parse_plan(PLAN, "plan.yaml")
    balanced, stable, booked = run_checks(plan.checks, tables())
    assert (balanced.rows, balanced.passed) == (5, False)
    assert balanced.failed.rows() == [("primary", "WEST", 2.25, "FALSE")]
    assert balanced.failed.columns == ["layer", "territory_id", "workload_vs_mean", "verdict"]
    assert (stable.passed, stable.failed.rows()) == (False, [(0.5, "FALSE")])
    assert (booked.passed, booked.rows) == (False, 5)
    assert booked.failed.rows() == [("primary", "dan", 0, "FALSE")]


def test_unknown_fails_and_is_shown_as_unknown() -> None:
    text = PLAN.replace("moved_share <= 0.25", "moved_share <= 1").replace(
        "name: balanced, over: territory, assert: workload_vs_mean <= 1.5",
        "name: balanced, over: territory, assert: moved_share < 1",
    )
    plan = parse_plan(text, "plan.yaml")
    outcome = run_check(plan.checks[0], tables()[CheckOver.TERRITORY])
    assert outcome.failed.rows() == [
        ("primary", "NORTH", 1.0, "FALSE"),
        ("primary", "EMPTY", None, "UNKNOWN"),
        ("security", "SEC", None, "UNKNOWN"),
    ]
    # OR with a TRUE side is TRUE, as in SQL: a rule can let unknown rows pass on purpose.
    lenient = parse_plan(text.replace("moved_share < 1}", "moved_share < 1 OR moved_share IS NULL}"))
    assert run_check(lenient.checks[0], tables()[CheckOver.TERRITORY]).failed.height == 1


def test_text_columns_compare_ignoring_case_as_rules_do() -> None:
    plan = parse_plan(PLAN.replace("layer != 'primary'", "layer != 'PRIMARY' OR rep_id = 'DAN'"))
    booked = run_check(plan.checks[2], tables()[CheckOver.REP])
    assert booked.passed


def test_a_ratio_is_rounded_so_a_limit_reads_as_written() -> None:
    territories = "".join(f"  - {{id: T{i}, rule: region = 'R{i}', reps: [r{i}]}}\n" for i in range(5))
    text = f"name: P\nworkload: employees\nterritories:\n{territories}checks:\n"
    text += "  - {name: balanced, over: territory, assert: workload_vs_mean <= 1.1}\n"
    plan = parse_plan(text, "plan.yaml")
    # The mean of these is 1.0 but sums to a hair more; 1.1 / mean is 1.1000000000000003 unrounded.
    loads = [1.1, 3.0, 0.3, 0.3, 0.3]
    assert loads[0] / pl.Series(loads).mean() > 1.1  # type: ignore[operator]
    rows = [{"account_id": f"A{i}", "region": f"R{i}", "employees": w} for i, w in enumerate(loads)]
    result = assign_book(plan, book_of(rows, plan.fields), Path.cwd(), [], silent)
    table = check_tables(plan, result, {}, None, None)[CheckOver.TERRITORY]
    assert table.get_column("workload_vs_mean").to_list()[0] == 1.1
    assert run_check(plan.checks[0], table).failed.get_column("territory_id").to_list() == ["T1"]


def test_ties_are_counted_per_territory_rep_and_plan() -> None:
    text = PLAN.replace("  - id: NORTH\n", "  - id: WEST-TOO\n    rule: region = 'West'\n  - id: NORTH\n")
    plan = parse_plan(text, "plan.yaml")
    result = assign_book(plan, book_of(ACCOUNTS, plan.fields), Path.cwd(), [], silent)
    built = check_tables(plan, result, {}, None, None)
    # A1 and A2 match WEST and WEST-TOO alike: plan order gives them to WEST, a tie each.
    territory = built[CheckOver.TERRITORY].select("territory_id", "ties").rows()
    assert territory[:3] == [("WEST", 2), ("EAST", 0), ("WEST-TOO", 0)]
    reps = built[CheckOver.REP].filter(pl.col("layer") == "primary").select("rep_id", "ties").rows()
    assert reps == [("ann", 1), ("bob", 1), ("cy", 0), ("dan", 0)]
    assert built[CheckOver.PLAN].get_column("ties").to_list() == [2]


TREE = """\
name: Tree
territories:
  - id: NORTHEAST
    rule: region = 'NE'
    children:
      - {id: NY, rule: state = 'NY', reps: [ann]}
      - {id: MA, rule: state = 'MA', reps: [bob, cy]}
  - id: WEST
    rule: region = 'W'
    reps: [dan]
checks:
  - {name: floor, over: territory, assert: leaf = FALSE OR workload_vs_mean >= 0.6}
  - {name: staffed, over: territory, assert: leaf = FALSE OR workload_vs_target <= 1.5}
"""


def test_a_territory_row_says_where_it_sits_and_the_mean_is_of_leaves() -> None:
    plan = parse_plan(TREE, "plan.yaml")
    states = ["NY", "NY", "MA", "MA", "CT", "CA", "CA"]
    regions = ["NE"] * 5 + ["W"] * 2
    pairs = enumerate(zip(regions, states, strict=True))
    rows = [{"account_id": f"A{i}", "region": r, "state": s} for i, (r, s) in pairs]
    result = assign_book(plan, book_of(rows, plan.fields), Path.cwd(), [], silent)
    table = check_tables(plan, result, {}, None, None)[CheckOver.TERRITORY]
    assert table.select("territory_id", "leaf", "depth", "reps", "accounts").rows() == [
        ("NORTHEAST", False, 1, 0, 1),  # CT: none of its children takes it
        ("NY", True, 2, 1, 2),
        ("MA", True, 2, 2, 2),
        ("WEST", True, 1, 1, 2),
    ]
    # The mean is the leaves' (2), not pulled down by the parent's straggler (7 / 4).
    assert table.get_column("workload_vs_mean").to_list() == [0.5, 1.0, 1.0, 1.0]
    # A parent fails a floor and has no target (no reps); `leaf = FALSE OR` leaves it out of both.
    by_table = {CheckOver.TERRITORY: table}
    assert [outcome.passed for outcome in run_checks(plan.checks, by_table)] == [True, True]
    floor = parse_plan(TREE.replace("leaf = FALSE OR ", ""), "plan.yaml").checks
    failed = [o.failed.get_column("territory_id").to_list() for o in run_checks(floor, by_table)]
    assert failed == [["NORTHEAST"], ["NORTHEAST"]]
