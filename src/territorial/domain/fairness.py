"""How evenly a figure spreads across reps or territories: the measures `evaluate.fairness` computes and
the faces show."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

# Within ±10% of target: the usual bar sales ops set for a balanced territory plan.
DEFAULT_TOLERANCE = 0.10
FLAGGED_COLUMNS = {"group": pl.String, "value": pl.Float64, "target": pl.Float64, "off_target": pl.Float64}


@dataclass(frozen=True)
class Fairness:
    """How evenly one figure is spread. With capacity, each group's target is its capacity's share of
    the total and the spread measures read value ÷ capacity (load); without, the target is the mean."""

    measure: str
    groups: int
    total: float
    mean: float
    capacity_weighted: bool
    cv: float | None  # standard deviation ÷ mean of the loads; None when the mean is 0
    gini: float | None  # 0 = all equal, 1 = one group holds everything
    max_over_min: float | None  # None when the smallest is 0 (any other ratio would be a guess)
    max_over_mean: float | None
    within_tolerance: float | None  # share of groups within ±tolerance of their target
    tolerance: float
    lorenz: list[tuple[float, float]]  # (share of groups, share of the figure), smallest first, from (0, 0)
    flagged: pl.DataFrame  # FLAGGED_COLUMNS: the groups outside tolerance, furthest first
