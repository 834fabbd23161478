"""Reps at fixed homes with several balanced metrics: the answer is checked against the transport
LP over every account-home arc (HiGHS, fractional), a lower reference no whole answer can beat."""

from __future__ import annotations

import numpy as np
import pytest

from territorial.domain.work_index import WorkIndex
from territorial.generate.accounts import generate_accounts
from territorial.optimize import allocate
from territorial.optimize.balance import balance, bound, start, transport
from territorial.optimize.balance.problem import FULL_LP_ARCS
from territorial.optimize.problem import Rules, Territories, Units, cost_weight, distances

TOLERANCE = 0.05


def accounts_and_homes(n: int, k: int, seed: int) -> tuple[Units, Territories]:
    accounts = generate_accounts(n, seed)
    segments = accounts["segment"].str.to_lowercase().to_list()
    workload = WorkIndex().hours(segments, np.full(n, np.nan))  # the work-index preset, no homes known
    potential = accounts["annual_revenue"].to_numpy().astype(float) ** 0.25
    xy = np.column_stack([accounts["latitude"].to_numpy(), accounts["longitude"].to_numpy()])
    units = Units(
        accounts["account_id"].to_list(),
        xy,
        True,
        {"workload": workload, "potential": potential},
        noun="account",
    )
    rng = np.random.default_rng(seed)
    homes = xy[rng.choice(n, k, replace=False, p=workload / workload.sum())]
    ids = [f"R-{j:02d}" for j in range(k)]
    return units, Territories(ids, list[str | None](ids), homes, np.ones(k), [frozenset[str]()] * k)


# 3,000 accounts × 30 homes is 90,000 arcs: one whole LP at the usual size limit; at a third of it
# the focused LPs run, their aimed bands may give way to wider ones, and the whole LP over each
# account's ten nearest homes comes before the one over all thirty: the path large books take.
@pytest.mark.parametrize("full_lp_arcs", [FULL_LP_ARCS, FULL_LP_ARCS // 3])
def test_homes_with_two_metrics_stay_near_the_fractional_optimum(
    full_lp_arcs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for stage in (bound, start, transport):  # every stage that reads the limit
        monkeypatch.setattr(stage, "FULL_LP_ARCS", full_lp_arcs)
    units, reps = accounts_and_homes(3000, 30, seed=5)
    rules = Rules(tolerances={"workload": TOLERANCE, "potential": TOLERANCE}, workload="workload", seed=5)
    result = balance(units, reps, rules)

    n, k = len(units), len(reps)
    for name in ("workload", "potential"):
        load = np.bincount(result.territory, weights=units.metrics[name], minlength=k)
        target = units.metrics[name].sum() / k
        assert np.all(np.abs(load / target - 1) <= TOLERANCE + 1e-9), name
    unit, terr = np.repeat(np.arange(n), k), np.tile(np.arange(k), n)
    weight = cost_weight(units, rules)
    arcs = allocate.Arcs(unit, terr, weight[unit] * distances(units, unit, reps.home, terr))
    amounts = np.column_stack(
        [units.metrics[m] / (units.metrics[m].sum() / k) for m in ("workload", "potential")]
    )

    def optimum(tolerance: float) -> float:
        bands = allocate.Bands(amounts, np.full((k, 2), 1 - tolerance), np.full((k, 2), 1 + tolerance))
        reference = allocate.transport(arcs, n, k, bands, None, None, interior=True)
        assert reference.has_solution
        return reference.objective

    # No whole answer within ±5% beats the fractional optimum at ±5%; the search aims at ±2% (the
    # default aim, 0.4 of the tolerance), so the fractional optimum there is what it should be near.
    # Measured: 1.8% above it by the whole LP, 1.7% by the focused path. (On the benchmark's 30,000
    # accounts and 100 homes the answer was 29% above the workload-only fractional optimum at ±5%
    # before the workload's flow became the start, 5% after.)
    assert result.cost >= optimum(TOLERANCE) * (1 - 1e-6)
    aimed = optimum(rules.aim * TOLERANCE)
    assert result.cost <= 1.05 * aimed, result.cost / aimed
