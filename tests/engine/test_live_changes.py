"""What counts as a change of the live assignment: a new territory or rep on (account, layer)."""

from __future__ import annotations

import polars as pl

from territorial.engine.live_changes import CHANGE_COLUMNS, GONE, changes_between

COLUMNS = ["account_id", "layer", "territory_id", "rep_id", "cause"]


def live(*rows: tuple[str, str, str | None, str | None, str]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=dict.fromkeys(COLUMNS, pl.String), orient="row")


def test_new_moved_and_gone_rows_are_changes_and_a_cause_alone_is_not() -> None:
    before = live(
        ("b", "primary", "T1", "r1", "plan 1 activated"),
        ("c", "primary", "T1", None, "plan 1 activated"),
        ("d", "primary", "T1", "r1", "plan 1 activated"),
        ("e", "primary", "T1", "r1", "plan 1 activated"),
    )
    after = live(
        ("a", "primary", "T2", "r2", "new account"),
        ("b", "primary", "T1", "r1", "override by a planner: kept"),  # same place: no change
        ("c", "primary", "T1", "r3", "rep-3 joined"),  # a rep where there was none
        ("e", "primary", "T2", "r1", "industry changed"),
    )
    changes = changes_between(before, after)
    assert changes.columns == CHANGE_COLUMNS
    assert changes.rows() == [
        ("a", "primary", None, None, "T2", "r2", "new account"),
        ("c", "primary", "T1", None, "T1", "r3", "rep-3 joined"),
        ("d", "primary", "T1", "r1", None, None, GONE),
        ("e", "primary", "T1", "r1", "T2", "r1", "industry changed"),
    ]


def test_changes_come_in_binary_account_order_whatever_order_the_rows_came_in() -> None:
    after = live(
        ("b", "primary", "T", "r", "x"), ("B", "primary", "T", "r", "x"), ("a", "overlay", "T", "r", "x")
    )
    before = live()
    assert changes_between(before, after).get_column("account_id").to_list() == ["B", "a", "b"]
