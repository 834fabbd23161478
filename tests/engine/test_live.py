"""The live function (engine.live): rules, then the roster's pools, with owners kept and the waiting
accounts shared out in binary account_id order; cause and since kept where nothing changed."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import book_of, examples
from territorial.engine.live import LIVE_COLUMNS, Hold, live
from territorial.io.plan_file import parse_plan

PLAN = """\
name: Live
territories:
  - id: EAST
    rule: state IN ('NY', 'NJ')
    reps: [plan-rep]
  - id: WEST
    rule: state = 'CA'
  - id: OVERLAY
    layer: security
    rule: state = 'NY'
"""
DAY1, DAY2 = date(2027, 1, 4), date(2027, 2, 1)


def run(
    rows: list[dict[str, Any]], roster: dict[str, list[str]], previous: pl.DataFrame | None, day: date = DAY1
):
    plan = parse_plan(PLAN, "plan.yaml")
    book = book_of(rows)
    return live(
        book, plan, roster, [], [], previous, workload=np.ones(len(book)), cause=f"activated {day}", since=day
    )


def by_key(frame: pl.DataFrame) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {
        (r["account_id"], r["layer"]): (r["territory_id"], r["rep_id"]) for r in frame.iter_rows(named=True)
    }


ROWS = [
    {"account_id": "A-1", "state": "NY", "owner_id": "bob"},
    {"account_id": "A-2", "state": "NY", "owner_id": None},
    {"account_id": "A-3", "state": "NJ", "owner_id": "zed"},
    {"account_id": "A-4", "state": "CA", "owner_id": "bob"},
    {"account_id": "A-5", "state": "TX", "owner_id": "ann"},
]


def test_the_roster_is_the_pool_owners_in_it_keep_their_accounts_and_the_rest_wait() -> None:
    result = run(ROWS, {"EAST": ["ann", "bob"], "OVERLAY": ["sec"]}, None)
    assert result.rows.columns == LIVE_COLUMNS
    assert by_key(result.rows) == {
        ("A-1", "primary"): ("EAST", "bob"),  # kept: its owner is in EAST's roster
        ("A-1", "security"): ("OVERLAY", "sec"),
        ("A-2", "primary"): ("EAST", "ann"),  # waiting: ann has 0, bob 1
        ("A-2", "security"): ("OVERLAY", "sec"),
        ("A-3", "primary"): ("EAST", "ann"),  # zed is in no pool: waiting; ann and bob at 1, ann first
        ("A-4", "primary"): ("WEST", None),  # no roster: vacant, whatever the plan's reps
        ("A-5", "primary"): (None, None),
    }
    assert set(result.rows.get_column("cause")) == {f"activated {DAY1}"}


def test_after_an_activation_the_owner_is_the_live_rep_and_unchanged_rows_keep_cause_and_since() -> None:
    first = run(ROWS, {"EAST": ["ann", "bob"]}, None)
    # The CRM now says A-2 belongs to bob, but the live rep (ann) is the owner.
    changed = [dict(r, owner_id="bob") if r["account_id"] == "A-2" else r for r in ROWS]
    second = run(changed, {"EAST": ["ann", "bob", "cy"], "WEST": ["cy"]}, first.rows, DAY2)
    rows = {(r["account_id"], r["layer"]): r for r in second.rows.iter_rows(named=True)}
    assert rows["A-2", "primary"]["rep_id"] == "ann"
    assert (rows["A-2", "primary"]["cause"], rows["A-2", "primary"]["since"]) == (f"activated {DAY1}", DAY1)
    assert rows["A-4", "primary"]["rep_id"] == "cy"
    assert (rows["A-4", "primary"]["cause"], rows["A-4", "primary"]["since"]) == (f"activated {DAY2}", DAY2)
    # An account with no live row in the overlay takes its primary live rep as owner there.
    primary_only = first.rows.filter(pl.col("layer") == "primary")
    overlay = run(ROWS, {"EAST": ["ann", "bob"], "OVERLAY": ["ann", "sec"]}, primary_only, DAY2)
    assert by_key(overlay.rows)["A-1", "security"] == ("OVERLAY", "sec")  # bob is not in the overlay pool
    assert by_key(overlay.rows)["A-2", "security"] == ("OVERLAY", "ann")  # ann owns A-2 in primary


def test_holds_and_overrides_are_not_applied_before_their_slice() -> None:
    plan = parse_plan(PLAN, "plan.yaml")
    book = book_of(ROWS)
    with pytest.raises(ValueError, match="slice 2"):
        live(
            book,
            plan,
            {},
            [Hold("A-1", "primary", "EAST", "bob")],
            [],
            None,
            workload=np.ones(5),
            cause="x",
            since=DAY1,
        )


REPS = ["r1", "r2", "r3"]
accounts = st.lists(
    st.tuples(
        st.sampled_from(["NY", "NJ", "CA", "TX"]), st.sampled_from([*REPS, "zed", None]), st.integers(0, 5)
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=examples(40, 400))
@given(accounts, st.lists(st.sampled_from(REPS), min_size=1, max_size=3, unique=True), st.randoms())
def test_live_is_deterministic_keeps_owners_in_the_pool_and_shares_the_rest_by_load(
    drawn: list[tuple[str, str | None, int]], pool: list[str], shuffler: Any
) -> None:
    rows = [
        {"account_id": f"A-{i:03d}", "state": state, "owner_id": owner, "w": w}
        for i, (state, owner, w) in enumerate(drawn)
    ]
    plan = parse_plan(PLAN, "plan.yaml")
    roster = {"EAST": pool}

    def evaluate(order: list[dict[str, Any]]) -> pl.DataFrame:
        book = book_of(order)
        workload = book.frame.get_column("w").cast(pl.Float64).to_numpy()
        return live(book, plan, roster, [], [], None, workload=workload, cause="c", since=DAY1).rows

    result = evaluate(rows)
    shuffled = list(rows)
    shuffler.shuffle(shuffled)
    assert result.equals(evaluate(shuffled))  # the same inputs in any row order: the same rows
    east = result.filter(pl.col("territory_id") == "EAST")
    assert set(east.get_column("rep_id")) <= set(pool)
    owners = {r["account_id"]: r["owner_id"] for r in rows}
    loads = dict.fromkeys(pool, 0.0)
    weights = {r["account_id"]: float(r["w"]) for r in rows}
    for r in east.iter_rows(named=True):
        if owners[r["account_id"]] in pool:
            assert r["rep_id"] == owners[r["account_id"]]
            loads[r["rep_id"]] += weights[r["account_id"]]
    for r in east.sort("account_id").iter_rows(named=True):  # the waiting, in binary id order
        if owners[r["account_id"]] not in pool:
            least = min(pool, key=lambda rep: loads[rep])
            assert r["rep_id"] == least
            loads[least] += weights[r["account_id"]]
