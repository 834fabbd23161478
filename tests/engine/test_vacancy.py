"""Vacant territories (engine.vacancy): who covers a territory whose pool is empty, and the rows they take."""

from __future__ import annotations

import polars as pl

from territorial.engine.vacancy import Cover, covered, vacancy_covers
from territorial.io.plan_file import parse_plan

PLAN = parse_plan(
    """\
name: P
territories:
  - id: WEST
    rule: region = 'West'
    reps: [jane]
    manager: boss
  - id: EAST
    rule: region = 'East'
    manager: boss
  - id: SOUTH
    rule: region = 'South'
    manager: gone
"""
)


def test_an_empty_pool_goes_to_its_active_manager_else_to_the_vacant_owner() -> None:
    pools = {"WEST": ["jane"]}
    assert vacancy_covers(PLAN, pools, {"jane", "boss"}, "ops") == {
        "EAST": Cover("boss", "its manager"),
        "SOUTH": Cover("ops", "the vacant owner"),  # its manager is no active rep
    }
    assert vacancy_covers(PLAN, pools, {"jane"}, None) == {}
    assert vacancy_covers(PLAN, {**pools, "EAST": ["x"], "SOUTH": ["y"]}, {"boss"}, "ops") == {}


def test_covered_rows_take_the_cover_only_where_the_rep_is_empty() -> None:
    rows = pl.DataFrame(
        {
            "account_id": ["A-1", "A-2", "A-3", "A-4"],
            "territory_id": ["EAST", "EAST", "WEST", None],
            "rep_id": [None, "held-rep", None, None],
            "reason": ["r1.", "r2.", "r3.", "r4."],
        }
    )
    out = covered(rows, {"EAST": Cover("boss", "its manager")})
    assert out.rows() == [
        ("A-1", "EAST", "boss", "r1. Vacant: its manager boss takes its accounts."),
        ("A-2", "EAST", "held-rep", "r2."),
        ("A-3", "WEST", None, "r3."),
        ("A-4", None, None, "r4."),
    ]
    assert covered(rows, {}).equals(rows)
