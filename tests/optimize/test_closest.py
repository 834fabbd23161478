"""--best-effort's closest alignment: oversized units alone, tolerances widened only where they
bind, the answer judged against the tolerances asked for."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from territorial.errors import BadInput
from territorial.optimize.balance import balance
from territorial.optimize.balance.closest import relaxed, with_oversized_alone
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
