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
from territorial.engine.live import LIVE_COLUMNS, Hold, Override, live
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


def pinned(holds: list[Hold], overrides: list[Override], weights: list[float] | None = None) -> pl.DataFrame:
    plan = parse_plan(PLAN, "plan.yaml")
    book = book_of(ROWS)
    workload = np.array(weights or [1.0] * len(ROWS))
    roster = {"EAST": ["ann", "bob"], "WEST": ["cy"], "OVERLAY": ["sec"]}
    return live(book, plan, roster, holds, overrides, None, workload=workload, cause="c", since=DAY1).rows


def test_a_hold_keeps_its_territory_and_rep_and_an_override_beats_it() -> None:
    hold = Hold("A-4", "primary", "EAST", "bob", DAY2, "ann")  # CA: the rules say WEST
    rows = pinned([hold], [])
    assert by_key(rows)["A-4", "primary"] == ("EAST", "bob")
    reason = rows.filter(pl.col("account_id") == "A-4").get_column("reason").item()
    assert reason == f"Held by ann until {DAY2}: keeps EAST and rep bob."
    override = Override("A-4", "primary", None, "ann", "strategic account")
    assert by_key(pinned([hold], [override]))["A-4", "primary"] == ("WEST", "ann")  # the rules' territory


def test_an_override_to_a_territory_lets_its_pool_pick_and_one_to_a_rep_keeps_the_rules_territory() -> None:
    to_east = Override("A-5", "primary", "EAST", None, "moved to the east")  # TX: no territory by rules
    rows = pinned([], [to_east])
    # A-5's owner ann is in EAST's pool: she keeps it, as bob keeps A-1; A-2 then A-3 wait.
    assert [by_key(rows)[a, "primary"] for a in ("A-1", "A-2", "A-3", "A-5")] == [
        ("EAST", "bob"),
        ("EAST", "ann"),
        ("EAST", "bob"),
        ("EAST", "ann"),
    ]
    reason = rows.filter(pl.col("account_id") == "A-5").get_column("reason").item()
    assert reason.startswith("Overridden (moved to the east): territory EAST. Kept by its current owner ann")
    to_rep = Override("A-3", "primary", None, "zed", "named account")
    assert by_key(pinned([], [to_rep]))["A-3", "primary"] == ("EAST", "zed")
    both = Override("A-1", "primary", "WEST", "ann", "x")
    assert by_key(pinned([], [both]))["A-1", "primary"] == ("WEST", "ann")


def test_a_pin_in_a_layer_the_rules_left_adds_the_row_and_a_missing_territory_is_refused() -> None:
    overlay = Override("A-4", "security", "OVERLAY", None, "covers CA too")
    assert by_key(pinned([], [overlay]))["A-4", "security"] == ("OVERLAY", "sec")
    with pytest.raises(ValueError, match="NOWHERE is no primary territory"):
        pinned([], [Override("A-4", "primary", "NOWHERE", None, "x")])
    # A pin on an account the book lacks (inactive) changes nothing.
    assert pinned([], [Override("A-9", "primary", "EAST", None, "x")]).equals(pinned([], []))


def test_held_and_overridden_accounts_count_toward_their_pool_reps_load() -> None:
    # A-1 weighs 5 and is pinned to ann (in EAST's pool): the waiting go to bob.
    weights = [5.0, 1.0, 1.0, 1.0, 1.0]
    for holds, overrides in (
        ([Hold("A-1", "primary", "EAST", "ann")], []),
        ([], [Override("A-1", "primary", None, "ann", "x")]),
    ):
        keys = by_key(pinned(holds, overrides, weights))
        assert [keys[a, "primary"][1] for a in ("A-1", "A-2", "A-3")] == ["ann", "bob", "bob"]
    # A rep outside the pool counts for nobody: A-2 goes to bob (A-1's owner, kept), A-3 to ann.
    keys = by_key(pinned([], [Override("A-2", "primary", None, "zed", "x")], weights))
    assert [keys[a, "primary"][1] for a in ("A-1", "A-2", "A-3")] == ["bob", "zed", "ann"]


REPS = ["r1", "r2", "r3"]
accounts = st.lists(
    st.tuples(
        st.sampled_from(["NY", "NJ", "CA", "TX"]), st.sampled_from([*REPS, "zed", None]), st.integers(0, 5)
    ),
    min_size=1,
    max_size=25,
)


RULES = {"NY": "EAST", "NJ": "EAST", "CA": "WEST", "TX": None}
pins = st.lists(
    st.tuples(
        st.integers(0, 24),
        st.booleans(),  # True: an override, else a hold
        st.sampled_from(["EAST", "WEST", None]),
        st.sampled_from([*REPS, "zed", None]),
    ),
    max_size=8,
)


@settings(max_examples=examples(40, 400))
@given(accounts, st.lists(st.sampled_from(REPS), min_size=1, max_size=3, unique=True), pins, st.randoms())
def test_live_is_deterministic_keeps_owners_in_the_pool_and_shares_the_rest_by_load(
    drawn: list[tuple[str, str | None, int]],
    pool: list[str],
    drawn_pins: list[tuple[int, bool, str | None, str | None]],
    shuffler: Any,
) -> None:
    rows = [
        {"account_id": f"A-{i:03d}", "state": state, "owner_id": owner, "w": w}
        for i, (state, owner, w) in enumerate(drawn)
    ]
    holds, overrides = [], []
    for i, is_override, territory, rep in drawn_pins:
        if is_override and (territory or rep):
            overrides.append(Override(f"A-{i:03d}", "primary", territory, rep, "r"))
        elif not is_override and territory and rep:
            holds.append(Hold(f"A-{i:03d}", "primary", territory, rep))
    plan = parse_plan(PLAN, "plan.yaml")
    roster = {"EAST": pool}

    def evaluate(order: list[dict[str, Any]], hs: list[Hold], os: list[Override]) -> pl.DataFrame:
        book = book_of(order)
        workload = book.frame.get_column("w").cast(pl.Float64).to_numpy()
        return live(book, plan, roster, hs, os, None, workload=workload, cause="c", since=DAY1).rows

    # One pin per account: the last override, else the last hold (later ones replace earlier).
    pinned: dict[str, tuple[str | None, str | None]] = {}
    for h in holds:
        pinned[h.account_id] = (h.territory_id, h.rep_id)
    for o in overrides:
        pinned[o.account_id] = (o.territory_id, o.rep_id)
    holds = list({h.account_id: h for h in holds}.values())
    overrides = list({o.account_id: o for o in overrides}.values())
    result = evaluate(rows, holds, overrides)
    shuffled = list(rows)
    shuffler.shuffle(shuffled)
    shuffler.shuffle(holds)
    shuffler.shuffle(overrides)
    assert result.equals(evaluate(shuffled, holds, overrides))  # any input order: the same rows
    primary = {r["account_id"]: r for r in result.filter(pl.col("layer") == "primary").iter_rows(named=True)}
    for r in rows:  # rules, then hold, then override choose the territory; a pinned rep is that rep
        territory, rep = pinned.get(r["account_id"], (None, None))
        row = primary[r["account_id"]]
        assert row["territory_id"] == (territory or RULES[r["state"]])
        if rep is not None:
            assert row["rep_id"] == rep
    east = result.filter((pl.col("territory_id") == "EAST") & (pl.col("layer") == "primary"))
    owners = {r["account_id"]: r["owner_id"] for r in rows}
    loads = dict.fromkeys(pool, 0.0)
    weights = {r["account_id"]: float(r["w"]) for r in rows}
    waiting = []
    for r in east.iter_rows(named=True):
        pinned_rep = pinned.get(r["account_id"], (None, None))[1]
        if pinned_rep is not None:  # held or overridden: counts toward the rep's load when in the pool
            if pinned_rep in pool:
                loads[pinned_rep] += weights[r["account_id"]]
        elif owners[r["account_id"]] in pool:
            assert r["rep_id"] == owners[r["account_id"]]
            loads[r["rep_id"]] += weights[r["account_id"]]
        else:
            waiting.append(r)
    for r in sorted(waiting, key=lambda r: r["account_id"]):  # the waiting, in binary id order
        least = min(pool, key=lambda rep: loads[rep])
        assert r["rep_id"] == least
        loads[least] += weights[r["account_id"]]
