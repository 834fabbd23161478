"""The default move penalty: the 95th percentile of what units cost where they are today (workload ×
distance to their territory's centre: the rep's home, else the territory's median point)."""

from __future__ import annotations

import numpy as np

from territorial.optimize.balance.continuity import QUANTILE, default_move_penalty
from territorial.optimize.problem import NONE, Rules, Territories, Units

RULES = Rules(tolerances={"workload": 0.05}, workload="workload")


def _units(current: np.ndarray | None) -> Units:
    xy = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 4.0], [5.0, 5.0]])
    workload = np.array([1.0, 2.0, 1.0, 3.0, 1.0])
    return Units([f"U{i}" for i in range(5)], xy, False, {"workload": workload}, current=current)


def test_no_current_territory_means_no_default_penalty() -> None:
    assert default_move_penalty(_units(None), Territories.unnamed(2), RULES) is None


def test_the_penalty_prices_what_units_cost_at_their_reps_homes() -> None:
    current = np.array([0, 0, 1, 1, NONE])  # the last unit has no territory: it does not count
    territories = Territories.unnamed(2)
    territories = Territories(
        territories.ids,
        territories.rep_ids,
        np.array([[0.0, 1.0], [10.0, 1.0]]),
        territories.capacity,
        territories.skills,
    )
    penalty = default_move_penalty(_units(current), territories, RULES)
    # workload × distance to the home, nearly: the cost weight adds 1% of the mean workload
    costs = np.array([1.0 * 1.0, 2.0 * 1.0, 1.0 * 1.0, 3.0 * 3.0])
    assert penalty is not None
    assert np.isclose(penalty, np.quantile(costs, QUANTILE), rtol=1e-2)


def test_without_homes_the_centre_is_the_territorys_median_point() -> None:
    current = np.array([0, 0, 1, 1, 1])
    penalty = default_move_penalty(_units(current), Territories.unnamed(2), RULES)
    assert penalty is not None and penalty > 0
    # Moving a unit nearer its territory's other units lowers what it costs where it is.
    closer = _units(current)
    closer.xy[4] = [10.0, 1.0]
    nearer = default_move_penalty(closer, Territories.unnamed(2), RULES)
    assert nearer is not None and nearer < penalty
