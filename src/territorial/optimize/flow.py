"""The transport problem with one balanced metric as a min-cost flow (OR-Tools).

With a single balanced metric and no move budget, the transport LP is a network: each unit
supplies its amount, each territory must receive between its lower and upper band, and a unit's
cost per amount sent is its arc's cost over its amount. A network solver finds the same optimum
as the LP far faster: on 30,000 accounts and 100 reps' homes, over each account's 30 nearest
homes, 1.6 s against 85 s for HiGHS's interior point (benchmarks/balance_bench.py, skills row).

Amounts and costs are scaled to integers, as the solver needs: a unit's supply is never below 1,
and the bands are rounded inward, so the flow never breaks a band by more than the rounding."""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from territorial.optimize.allocate import Arcs, Bands
from territorial.optimize.highs import Solution

TOTAL_SUPPLY = 1e9  # the units' amounts sum to about this many flow units
MAX_UNIT_COST = 1e7  # the dearest arc's cost per flow unit, after scaling


def applies(bands: Bands) -> bool:
    """One balanced metric with a positive total: the request is a network."""
    return bands.amounts.shape[1] == 1 and float(bands.amounts.sum()) > 0


def transport_flow(arcs: Arcs, n: int, k: int, bands: Bands) -> Solution:
    """The transport problem's optimum over these arcs as a Solution: x[a] is the share of unit
    arcs.unit[a] sent to territory arcs.terr[a]; no duals (row_duals is empty)."""
    amount = bands.amounts[:, 0]
    scale = TOTAL_SUPPLY / float(amount.sum())
    supply = np.maximum(np.round(amount * scale), 1.0).astype(np.int64)
    lower = np.ceil(bands.lower[:, 0] * scale - 1e-6).astype(np.int64)
    upper = np.floor(bands.upper[:, 0] * scale + 1e-6).astype(np.int64)
    total = int(supply.sum())
    if np.any(lower > upper) or int(lower.sum()) > total or int(upper.sum()) < total:
        return _infeasible()
    per_amount = arcs.cost / supply[arcs.unit]
    dearest = float(per_amount.max()) if per_amount.size else 0.0
    unit_cost = np.round(per_amount * (MAX_UNIT_COST / dearest if dearest > 0 else 0.0)).astype(np.int64)

    sink = n + k  # takes what the territories receive above their lower bands
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([arcs.unit, n + np.arange(k)]).astype(np.int32),
        np.concatenate([n + arcs.terr, np.full(k, sink)]).astype(np.int32),
        np.concatenate([supply[arcs.unit], upper - lower]).astype(np.int64),
        np.concatenate([unit_cost, np.zeros(k, dtype=np.int64)]),
    )
    supplies = np.concatenate([supply, -lower, [int(lower.sum()) - total]]).astype(np.int64)
    solver.set_nodes_supplies(np.arange(n + k + 1, dtype=np.int32), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        return _infeasible()
    sent = np.asarray(solver.flows(np.arange(arcs.unit.size, dtype=np.int32)), dtype=np.float64)
    x = sent / supply[arcs.unit]
    return Solution("optimal", x, np.zeros(0), float(x @ arcs.cost), float(x @ arcs.cost))


def _infeasible() -> Solution:
    return Solution("infeasible", np.zeros(0), np.zeros(0), float("inf"), float("inf"))
