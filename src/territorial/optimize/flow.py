"""The transport problem with one balanced metric as a min-cost flow (OR-Tools).

With a single balanced metric and no move budget, the transport LP is a network: each unit
supplies its amount, each territory must receive between its lower and upper band, and a unit's
cost per amount sent is its arc's cost over its amount. A network solver finds the LP's optimum
far faster: `benchmarks/balance_bench.py --only homes` times both on the same arcs (30,000
accounts, each with its 30 nearest of 100 homes).

Amounts and costs are scaled to integers, as the solver needs. Units too light to register
(below LIGHT flow units, such as a zero workload) touch no band in practice: each goes to its
cheapest arc before the flow, and its load is taken off that territory's bands, so that its cost
per amount cannot crowd every other cost into a few integer steps. Bands are rounded inward; a
unit's supply is rounded to the nearest flow unit, so a band holds to about half a flow unit per
unit, a few parts in ten million."""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from territorial.optimize.allocate import Arcs, Bands, Segments
from territorial.optimize.highs import Solution

TOTAL_SUPPLY = 1e9  # the units' amounts sum to about this many flow units
LIGHT = 1_000  # units supplying fewer flow units are placed on their cheapest arc
MAX_UNIT_COST = 1e9  # the dearest arc's cost per flow unit, scaled: cost × flow stays within int64
INFEASIBLE = "infeasible"
TOO_NARROW = "too narrow for whole flow units"


def applies(bands: Bands) -> bool:
    """One balanced metric with a positive total: the request is a network."""
    return bands.amounts.shape[1] == 1 and float(bands.amounts.sum()) > 0


def transport_flow(arcs: Arcs, n: int, k: int, bands: Bands) -> Solution:
    """The transport problem's optimum over these arcs as a Solution: x[a] is the share of unit
    arcs.unit[a] sent to territory arcs.terr[a]; no duals (row_duals is empty). The status is
    INFEASIBLE when no split meets the bands, TOO_NARROW when whole flow units cannot tell."""
    amount = bands.amounts[:, 0]
    scale = TOTAL_SUPPLY / float(amount.sum())
    supply = np.round(amount * scale).astype(np.int64)
    lower = np.ceil(bands.lower[:, 0] * scale - 1e-6).astype(np.int64)
    upper = np.floor(bands.upper[:, 0] * scale + 1e-6).astype(np.int64)
    # Rounding moves a territory's load by at most half a flow unit per unit: a band narrower than
    # one flow unit per unit may be missed by whole flow units yet met by the real amounts.
    narrow = bool(np.any(upper - lower < n))

    x = np.zeros(arcs.unit.size)
    segments = Segments.of(arcs)
    light = supply[segments.units] < LIGHT
    _cheapest, arc = segments.best(arcs.cost)
    placed = arc[light]
    x[placed] = 1.0
    load = np.bincount(arcs.terr[placed], weights=supply[arcs.unit[placed]], minlength=k).astype(np.int64)
    lower, upper = np.maximum(lower - load, 0), upper - load
    heavy = np.flatnonzero(supply[arcs.unit] >= LIGHT)
    node_supply = np.where(supply >= LIGHT, supply, 0)  # light units were placed: they send nothing
    total = int(node_supply.sum())
    if np.any(lower > upper) or int(lower.sum()) > total or int(upper.sum()) < total:
        return _no_answer(TOO_NARROW if narrow else INFEASIBLE)
    if heavy.size:
        flows = _solve(arcs, heavy, node_supply, lower, upper, k)
        if flows is None:
            return _no_answer(TOO_NARROW if narrow else INFEASIBLE)
        x[heavy] = flows / supply[arcs.unit[heavy]]
    objective = float(x @ arcs.cost)
    return Solution("optimal", x, np.zeros(0), objective, objective)


def _solve(
    arcs: Arcs, heavy: np.ndarray, supply: np.ndarray, lower: np.ndarray, upper: np.ndarray, k: int
) -> np.ndarray | None:
    """Flow on each heavy arc, or None when the bands cannot be met. `supply` is each unit's,
    0 for the light units already placed."""
    n = supply.size
    unit, terr = arcs.unit[heavy], arcs.terr[heavy]
    per_amount = arcs.cost[heavy] / supply[unit]
    dearest = float(per_amount.max())
    unit_cost = np.round(per_amount * (MAX_UNIT_COST / dearest if dearest > 0 else 0.0)).astype(np.int64)
    sink = n + k  # takes what the territories receive above their lower bands
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([unit, n + np.arange(k)]).astype(np.int32),
        np.concatenate([n + terr, np.full(k, sink)]).astype(np.int32),
        np.concatenate([supply[unit], upper - lower]).astype(np.int64),
        np.concatenate([unit_cost, np.zeros(k, dtype=np.int64)]),
    )
    total = int(supply.sum())
    supplies = np.concatenate([supply, -lower, [int(lower.sum()) - total]]).astype(np.int64)
    solver.set_nodes_supplies(np.arange(n + k + 1, dtype=np.int32), supplies)
    if solver.solve() != solver.OPTIMAL:
        return None
    return np.asarray(solver.flows(np.arange(heavy.size, dtype=np.int32)), dtype=np.float64)


def _no_answer(status: str) -> Solution:
    return Solution(status, np.zeros(0), np.zeros(0), float("inf"), float("inf"))
