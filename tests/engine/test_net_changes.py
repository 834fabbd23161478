"""The net change over change sets: first from, last to; there and back again is no change."""

from __future__ import annotations

import polars as pl

from territorial.engine.live_changes import CHANGE_COLUMNS
from territorial.engine.net_changes import net_changes

SCHEMA = {"change_set_id": pl.Int64} | dict.fromkeys(CHANGE_COLUMNS, pl.String)


def _rows(*rows: tuple[object, ...]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=SCHEMA, orient="row")


def test_a_move_and_back_is_no_change_and_a_chain_of_moves_is_one() -> None:
    rows = _rows(
        (2, "b", "primary", "W", "jane", "E", "dee", "plan 2 activated"),
        (1, "a", "primary", "W", "jane", "E", "dee", "plan 2 activated"),
        (3, "a", "primary", "E", "dee", "W", "jane", "plan 3 activated"),  # back where it was
        (3, "b", "primary", "E", "dee", "S", None, "plan 3 activated"),
        (4, "c", "security", None, None, "SEC", "sam", "new account"),
    )
    assert net_changes(rows).rows() == [
        ("b", "primary", "W", "jane", "S", None, "plan 3 activated"),
        ("c", "security", None, None, "SEC", "sam", "new account"),
    ]


def test_a_rep_change_within_a_territory_is_a_change() -> None:
    rows = _rows(
        (1, "a", "primary", "W", "jane", "W", "bob", "rep-x left"),
        (2, "a", "primary", "W", "bob", "W", "cy", "override by a planner: named"),
    )
    assert net_changes(rows).rows() == [
        ("a", "primary", "W", "jane", "W", "cy", "override by a planner: named")
    ]
    assert net_changes(rows.clear()).is_empty()
