"""--best-effort's closest alignment: oversized units alone, tolerances widened only where they
bind, the answer judged against the tolerances asked for."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from territorial.errors import BadInput
from territorial.optimize.balance import balance
from territorial.optimize.balance.closest import relaxed, units_alone, with_oversized_alone
from territorial.optimize.feasibility import Infeasible
from territorial.optimize.problem import NONE, Rules, Territories, Units


def line_units(workload: list[float], **extra: list[float]) -> Units:
    n = len(workload)
    xy = np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    metrics = {"workload": np.array(workload), **{k: np.array(v) for k, v in extra.items()}}
    return Units([f"U{i}" for i in range(n)], xy, False, metrics)


def test_each_oversized_unit_gets_a_territory_of_its_own_largest_first() -> None:
    workload = [1.0] * 20
    workload[3], workload[15] = 30.0, 40.0  # each more than a territory's 22.5 (90 / 4)
    units = line_units(workload)
    rules = Rules(tolerances={"workload": 0.05}, workload="workload", best_effort=True)
    locked = with_oversized_alone(units, Territories.unnamed(4), rules).locked_or_none()
    assert locked[15] != NONE and locked[3] != NONE and locked[15] != locked[3]
    assert np.count_nonzero(locked != NONE) == 2


def test_a_unit_keeps_its_current_territory_when_it_has_one() -> None:
    workload = [1.0] * 10
    workload[4] = 50.0
    units = line_units(workload)
    current = np.full(10, 2, dtype=np.int64)
    units = Units(units.ids, units.xy, False, units.metrics, current=current)
    rules = Rules(tolerances={"workload": 0.05}, workload="workload", best_effort=True)
    assert with_oversized_alone(units, Territories.unnamed(3), rules).locked_or_none()[4] == 2


def test_only_a_tolerance_is_relaxed_and_the_move_budget_is_kept() -> None:
    rules = Rules(tolerances={"workload": 0.05, "revenue": 0.1}, workload="workload")
    on_revenue = Infeasible(BadInput.at("tolerance impossible", subject="revenue").problems)
    wider = relaxed(rules, on_revenue)
    assert wider is not None and wider.tolerances == {"workload": 0.05, "revenue": 0.2}
    unnamed = Infeasible(BadInput.at("no fractional split").problems)
    wider = relaxed(rules, unnamed)
    assert wider is not None and wider.tolerances == {"workload": 0.1, "revenue": 0.2}
    assert relaxed(rules, Infeasible(BadInput.at("no", subject="skills").problems)) is None
    # The move budget is kept: every tolerance gives way instead.
    budget = relaxed(rules, Infeasible(BadInput.at("no", subject="max-moves").problems))
    assert budget is not None and budget.tolerances == {"workload": 0.1, "revenue": 0.2}


def test_best_effort_returns_what_strict_refuses_judged_on_the_asked_tolerance() -> None:
    workload = [1.0] * 30
    workload[10] = 40.0  # 40 of 69: more than a territory's 23
    units = line_units(workload)
    strict = Rules(tolerances={"workload": 0.05}, workload="workload")
    with pytest.raises(Infeasible):
        balance(units, Territories.unnamed(3), strict)
    alignment = balance(units, Territories.unnamed(3), replace(strict, best_effort=True))
    alone = alignment.territory[10]
    assert np.count_nonzero(alignment.territory == alone) == 1
    assert alignment.tolerances == {"workload": 0.05}
    assert not alignment.within[alone]
    others = [j for j in range(3) if j != alone]
    totals = alignment.totals[others, alignment.metrics.index("workload")]
    assert abs(totals[0] - totals[1]) <= 0.05 * 23 * 2  # the rest shared as evenly as asked


def test_a_unit_too_large_for_what_is_left_is_alone_too_and_the_rest_balance_on_their_own_targets() -> None:
    workload = [1.0] * 22
    workload[0], workload[21] = 50.0, 24.0  # 24 fits a band of 23.5 ±5% (94 / 4), not 14.7 (44 / 3)
    units = line_units(workload)
    rules = Rules(tolerances={"workload": 0.05}, workload="workload", best_effort=True)
    alignment = balance(units, Territories.unnamed(4), rules)
    assert [sorted(members) for _, members in alignment.alone] == [[0], [21]]
    for j, members in alignment.alone:
        assert np.flatnonzero(alignment.territory == j).tolist() == list(members)
    rest = [j for j in range(4) if j not in {j for j, _ in alignment.alone}]
    column = alignment.metrics.index("workload")
    assert alignment.targets[rest, column].tolist() == [10.0, 10.0]  # what is left: 20 for 2
    assert alignment.within[rest].all()
    assert alignment.within.tolist() == [False, True, True, True]  # 24 is within 23.5 ±5% itself


def test_more_heavy_units_than_territories_pair_the_lightest_unless_contiguity_is_asked() -> None:
    workload = [1.0] * 30
    for i in (2, 9, 16, 23):
        workload[i] = 20.0  # 4 units each over half of a band of 107 / 3 ±5% (18.7), among 3 territories
    workload[23] = 21.0
    units = line_units(workload)
    rules = Rules(tolerances={"workload": 0.05}, workload="workload", best_effort=True)
    (_, members), *more = units_alone(units, Territories.unnamed(3), rules)
    assert not more and sorted(members.tolist()) == [2, 9]  # the lightest two, nearest first
    assert units_alone(units, Territories.unnamed(3), replace(rules, contiguous=True)) == []


def test_the_units_alone_stay_within_the_move_budget() -> None:
    workload = [1.0] * 20
    workload[5] = 40.0
    units = line_units(workload)
    current = np.repeat(np.arange(4), 5)  # the large unit's rep has four others, which must move
    units = Units(units.ids, units.xy, False, units.metrics, current=current)
    rules = Rules(tolerances={"workload": 0.05}, workload="workload", best_effort=True, max_moves=0.15)
    alignment = balance(units, Territories.unnamed(4), rules)
    assert alignment.moves <= 3  # 15% of 20
    assert alignment.alone == ()  # leaving it alone would move 4: it is only locked instead
    assert balance(units, Territories.unnamed(4), replace(rules, max_moves=0.5)).alone == ((1, (5,)),)


def test_a_locked_unit_is_alone_where_it_is_locked_unless_another_is_locked_there() -> None:
    workload = [1.0] * 20
    workload[5] = 40.0
    units = line_units(workload)
    locked = np.full(20, NONE, dtype=np.int64)
    locked[5] = 3
    rules = Rules(tolerances={"workload": 0.05}, workload="workload", best_effort=True)
    pinned = Units(units.ids, units.xy, False, units.metrics, locked=locked)
    assert [(j, members.tolist()) for j, members in units_alone(pinned, Territories.unnamed(4), rules)] == [
        (3, [5])
    ]
    locked[19] = 3  # a unit of 1 locked with it: they share T-004, nothing is alone
    shared = Units(units.ids, units.xy, False, units.metrics, locked=locked)
    assert units_alone(shared, Territories.unnamed(4), rules) == []
    alignment = balance(shared, Territories.unnamed(4), rules)
    assert alignment.territory[5] == alignment.territory[19] == 3


def test_units_alone_in_their_current_territories_and_the_others_keep_theirs() -> None:
    workload = [1.0] * 20
    workload[15], workload[10] = 40.0, 30.0  # 40 over 22 ±5% (88 / 4); then 30 over 16 (48 / 3)
    units = line_units(workload)
    current = np.repeat(np.arange(4), 5)
    units = Units(units.ids, units.xy, False, units.metrics, current=current)
    rules = Rules(tolerances={"workload": 0.05}, workload="workload", best_effort=True, move_penalty=100.0)
    alignment = balance(units, Territories.unnamed(4), rules)
    assert alignment.alone == ((3, (15,)), (2, (10,)))
    # Eight others of T-003 and T-004 must move; the rest (9 each) balance without more moves.
    assert alignment.moves == 8 and alignment.min_moves == 8
    assert alignment.territory[:10].tolist() == current[:10].tolist()
