"""Impossible requests are refused before solving, naming the constraint that binds."""

from __future__ import annotations

import numpy as np
import pytest

from territorial.optimize.balance import balance
from territorial.optimize.feasibility import Infeasible, common_step, explain_whole_units, percent
from territorial.optimize.problem import NONE, Rules, Territories, Units


def line_units(workload: list[float], **extra: object) -> Units:
    n = len(workload)
    return Units(
        ids=[f"A-{i + 1}" for i in range(n)],
        xy=np.column_stack([np.arange(n, dtype=float), np.zeros(n)]),
        geographic=False,
        metrics={"workload": np.array(workload, dtype=float)},
        noun="account",
        source="accounts.csv",
        **extra,  # type: ignore[arg-type]
    )


def reps(k: int, skills: list[frozenset[str]] | None = None) -> Territories:
    return Territories(
        ids=[f"rep-{j}" for j in range(k)],
        rep_ids=[f"rep-{j}" for j in range(k)],
        home=np.full((k, 2), np.nan),
        capacity=np.ones(k),
        skills=skills or [frozenset()] * k,
    )


def refused(units: Units, territories: Territories, **rules: object) -> str:
    options = {"tolerances": {"workload": 0.01}, "workload": "workload", **rules}
    with pytest.raises(Infeasible) as caught:
        balance(units, territories, Rules(**options))  # type: ignore[arg-type]
    return str(caught.value)


def test_percent() -> None:
    assert percent(0.032) == "3.2%"
    assert percent(0.05) == "5%"


def test_one_account_larger_than_a_territory_may_carry() -> None:
    message = refused(line_units([1] * 30 + [40]), reps(2))
    assert message.startswith("accounts.csv [workload]: tolerance ±1% impossible: account A-31 alone is")
    assert "of a territory's workload target" in message


def test_whole_accounts_cannot_reach_a_tight_band() -> None:
    # Three equal accounts for two reps: 1.5 each on average, no whole split within ±1%.
    message = refused(line_units([1, 1, 1]), reps(2))
    assert "impossible with whole accounts" in message
    assert "the nearest multiples, 1 and 2, are 33.3% below and 33.3% above it" in message


def test_the_whole_units_refusal_after_the_lp_names_the_coarsest_unit() -> None:
    # Unequal accounts whose split fits fractionally but not whole: found after the LP.
    message = refused(line_units([1, 1, 1.5, 2.5]), reps(2), tolerances={"workload": 0.05})
    assert "impossible with whole accounts" in message
    assert "alone is" in message


def test_no_whole_number_of_accounts_fits_the_band() -> None:
    # 145 accounts of workload 1 among 41 reps at ±5%: 3.36 to 3.71 accounts each, which no whole
    # number is. The search said "may still be feasible".
    message = refused(line_units([1] * 145), reps(41), tolerances={"workload": 0.05})
    assert (
        "tolerance ±5% impossible with whole accounts: every account's workload is a multiple of 1" in message
    )
    assert "territory rep-0 must carry 3.36 to 3.713 (its target 3.537 ±5%)" in message
    assert "the nearest multiples, 3 and 4, are 15.2% below and 13.1% above it" in message
    assert "(so for 41 of the 41 territories)" in message


def test_whole_accounts_in_every_band_that_cannot_add_up() -> None:
    # 9 accounts among 4 reps at ±20%: each may carry 1.8 to 2.7, so exactly 2, and 4 × 2 < 9.
    message = refused(line_units([1] * 9), reps(4), tolerances={"workload": 0.2})
    assert "the 4 territories together carry at most 8 of the 9 workload there is" in message


def test_more_heavy_accounts_than_territories_can_hold() -> None:
    # 41 accounts of 10 among 40 reps, each rep at most 13.4: two of them never fit one rep.
    message = refused(line_units([10] * 41 + [1.5] * 100), reps(40), tolerances={"workload": 0.05})
    assert (
        "41 accounts each carry more than half of the most workload a territory may carry (14.7)" in message
    )
    assert "a territory holds at most one of them, and 40 territories hold at most 40" in message


def test_heavy_accounts_three_to_a_territory_cannot_fit() -> None:
    message = refused(line_units([7] * 81 + [1.5] * 10), reps(40), tolerances={"workload": 0.05})
    assert "81 accounts each carry more than a third" in message
    assert "a territory holds at most 2 of them, and 40 territories hold at most 80" in message


def test_a_common_step_of_whole_workloads() -> None:
    # Workloads in tens: a territory's is a multiple of 10 too (target 35 ±10%: 31.5 to 38.5).
    message = refused(line_units([10, 20, 30, 10]), reps(2), tolerances={"workload": 0.1})
    assert "is a multiple of 10" in message and "30 and 40" in message


def test_best_effort_widens_a_band_that_holds_no_whole_number() -> None:
    rules = Rules(tolerances={"workload": 0.05}, workload="workload", best_effort=True)
    result = balance(line_units([1] * 145), reps(41), rules)
    assert sorted(set(result.totals[:, 0].tolist())) == [3.0, 4.0]


@pytest.mark.parametrize(
    ("values", "step"),
    [
        ([1, 1, 1], 1.0),
        ([10, 20, 0], 10.0),
        ([4, 6], 2.0),
        ([0.5, 0.5, 0], 0.5),
        ([0.5, 0.7], None),
        ([0, 0], None),
    ],
)
def test_common_step(values: list[float], step: float | None) -> None:
    assert common_step(np.array(values, dtype=float)) == step


def test_a_skill_nobody_has() -> None:
    units = line_units([1, 1, 1, 1], skills=[frozenset({"german"})] + [frozenset()] * 3)
    message = refused(units, reps(2), tolerances={"workload": 0.5})
    assert "account A-1 needs german, which no rep has" in message


def test_skilled_accounts_exceed_the_skilled_reps() -> None:
    units = line_units([1] * 10, skills=[frozenset({"es"})] * 8 + [frozenset()] * 2)
    message = refused(units, reps(2, [frozenset({"es"}), frozenset()]), tolerances={"workload": 0.2})
    assert "accounts needing es carry 80% of all workload" in message
    assert "the 1 reps who have it may carry at most 60%" in message


def test_locked_accounts_overfill_a_territory() -> None:
    current = np.array([0, 0, 0, 1, 1, 1])
    locked = np.array([0, 0, 0, NONE, NONE, NONE])
    units = line_units([3, 3, 3, 1, 1, 1], current=current, locked=locked)
    message = refused(units, reps(2), tolerances={"workload": 0.1})
    assert "the locked accounts of territory rep-0 already carry 150% of its workload target" in message


def test_move_budget_below_the_lp_minimum() -> None:
    current = np.zeros(10, dtype=np.int64)
    units = line_units([1] * 10, current=current)
    message = refused(units, reps(2), tolerances={"workload": 0.1}, max_moves=0.2)
    assert "needs at least 5 accounts to move (LP bound), but at most 2 may move" in message


def test_two_metrics_at_zero_tolerance_are_met_exactly() -> None:
    units = Units(
        ids=["a", "b", "c", "d"],
        xy=np.array([[0.0, 0], [1, 0], [2, 0], [3, 0]]),
        geographic=False,
        metrics={"workload": np.array([1.0, 1, 0, 0]), "potential": np.array([1.0, 0, 1, 0])},
    )
    rules = Rules(tolerances={"workload": 0.0, "potential": 0.0}, workload="workload")
    result = balance(units, reps(2), rules)  # {a, d} and {b, c}
    assert result.within.all()


def test_a_rep_without_the_skill_most_accounts_need_cannot_reach_its_share() -> None:
    # Nine of ten equal accounts need Spanish, which rep-0 and rep-1 have: rep-2 can reach the one
    # other account, 30% of its target of 3.33 accounts (the two Spanish reps have room for nine).
    skills = [frozenset({"es"})] * 9 + [frozenset()]
    territories = reps(3, [frozenset({"es"}), frozenset({"es"}), frozenset()])
    message = refused(line_units([1] * 10, skills=skills), territories, tolerances={"workload": 0.5})
    assert "territory rep-2 can reach at most 30% of its workload target" in message


def test_an_account_locked_elsewhere_is_out_of_reach() -> None:
    # As above, with the one account rep-2 could take locked to rep-0: rep-2 reaches nothing.
    skills = [frozenset({"es"})] * 9 + [frozenset()]
    locked = np.array([NONE] * 9 + [0])
    territories = reps(3, [frozenset({"es"}), frozenset({"es"}), frozenset()])
    units = line_units([1] * 10, skills=skills, locked=locked, current=locked.copy())
    message = refused(units, territories, tolerances={"workload": 0.5})
    assert "territory rep-2 can reach at most 0% of its workload target" in message


def test_the_whole_units_message_skips_a_metric_whose_total_is_zero() -> None:
    """An all-zero metric has a target of 0: it cannot bind, and must not give 'nan%'."""
    metrics = {"w": np.array([3.0, 1.0]), "z": np.zeros(2)}
    units = Units(["a", "b"], np.zeros((2, 2)), False, metrics)
    target = np.array([[2.0, 0.0], [2.0, 0.0]])
    with np.errstate(all="raise"):
        error = explain_whole_units(units, ["w", "z"], np.array([0.05, 0.05]), target)
    assert "unit a alone is 150% of a territory's w target" in str(error)
