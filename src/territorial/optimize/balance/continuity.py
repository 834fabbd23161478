"""Continuity by default: when accounts have current owners, a move costs as much as what 95% of
accounts cost where they are today (workload × distance to their territory's centre), so the
search keeps accounts with their rep unless moving them is needed for balance; only the worst
placed can move for compactness alone."""

from __future__ import annotations

import numpy as np

from territorial.optimize import location
from territorial.optimize.problem import NONE, Rules, Territories, Units, cost_weight, distances

# Measured on benchmarks/balance_moves.py (5,000 accounts, 11 reps with homes). Owners from a
# compact answer, states drifted ±35%: the mean cost moved 2.9% (compactness 1.009x the
# unpenalised answer), the 95th percentile 1.5% (1.046x), the largest 0.8% (1.132x, over the 1.10x
# asked). Owners given round robin, as rules that ignore geography leave them: unpenalised moved
# 90.9% where 3 moves were the fewest; the mean 18.1%, the 95th percentile 3.6%.
QUANTILE = 0.95
FORMULA = (
    "the 95th percentile, over the {noun}s with a current rep, of workload × distance to that rep's "
    "territory's centre (the rep's home, or the territory's workload-weighted median point today)"
)


def default_move_penalty(units: Units, territories: Territories, rules: Rules) -> float | None:
    """The default cost of one move, in workload × distance (the objective's unit), or None when
    no unit has a current territory. A move for compactness alone must save more than 95% of
    units cost where they are; moves the tolerances need are made whatever they cost."""
    current = units.current_or_none()
    placed = np.flatnonzero(current != NONE)
    if not placed.size:
        return None
    weight = cost_weight(units, rules)
    k = len(territories)
    middle = np.average(units.xy[placed], axis=0, weights=np.maximum(weight[placed], 1e-12))
    centres = location.centres(
        units.xy, units.geographic, placed, current[placed], weight[placed], np.tile(middle, (k, 1))
    )
    homes = ~np.isnan(territories.home).any(axis=1)
    centres[homes] = territories.home[homes]
    cost = weight[placed] * distances(units, placed, centres, current[placed])
    return float(np.quantile(cost, QUANTILE))
