"""How far from the best possible: the transport LP's bound at the final centres, the two-level
bound, and the least moves any alignment within tolerance needs."""

from __future__ import annotations

import numpy as np

from territorial.optimize import allocate, bounds, two_level
from territorial.optimize.balance.problem import (
    FULL_LP_ARCS,
    BalanceProblem,
    SearchClock,
    alignment_cost,
    cost_matrix,
)
from territorial.optimize.balance.transport import transport_lp
from territorial.optimize.feasibility import (
    explain_lp,
    explain_moves,
)
from territorial.optimize.problem import (
    NONE,
)

DENSE_BOUND = 5_000_000  # units × territories up to which the bound is improved on a dense matrix
BOUND_CANDIDATES = 5  # nearest territories per unit in the LP that prices the two-level bound


def grouped_bound(
    unit_problem: BalanceProblem,
    clock: SearchClock,
    grouping: two_level.Grouping,
    problem: BalanceProblem,
    unit_labels: np.ndarray,
    centres: np.ndarray,
) -> float:
    """The account-level bound, priced by the duals of the units' transport LP at these centres;
    -inf when the request has skills, locks or moves (that bound is not made for them)."""
    units = grouping.units
    if units.skills is not None or units.locked is not None or units.current is not None:
        return float("-inf")
    # The full LP (not one focused on the boundary units, whose fixed units distort the duals)
    # on a few candidates per unit: any duals give a valid bound, these give a close one.
    count = min(unit_problem.k, BOUND_CANDIDATES)
    arcs = unit_problem.arcs(centres, count, also=unit_labels)
    n_units = len(units)
    solution = allocate.transport(
        arcs, n_units, unit_problem.k, unit_problem.requested, None, clock.remaining()
    )
    m = len(problem.names)
    if not solution.has_solution:
        return float("-inf")
    duals = solution.row_duals[n_units : n_units + unit_problem.k * m]
    size = len(units)
    unit_of = grouping.unit_of
    workload = problem.units.metrics[problem.rules.workload]
    base = np.bincount(unit_of, weights=workload, minlength=size)
    extra = np.bincount(unit_of, weights=problem.weight - workload, minlength=size)
    amounts = problem.requested.amounts
    summed = np.column_stack([np.bincount(unit_of, weights=amounts[:, c], minlength=size) for c in range(m)])
    ratio = summed / np.where(base > 0, base, np.inf)[:, None]
    residual = np.column_stack(
        [
            np.bincount(unit_of, weights=np.abs(amounts[:, c] - workload * ratio[unit_of, c]), minlength=size)
            for c in range(m)
        ]
    )
    spread = float(problem.weight @ grouping.offset)
    return bounds.grouped_bound(
        units, centres, base, extra, ratio, residual, spread, problem.requested, duals
    )


def moves_bounds(problem: BalanceProblem) -> tuple[float | None, float | None]:
    """The LP and whole-unit lower bounds on the moves; raise when the budget is below them."""
    if problem.moves is None and not np.any(problem.current != NONE):
        return None, None
    units = problem.units
    min_moves = bounds.min_moves(problem.requested, problem.current, problem.locked)
    if problem.max_moved is not None and not np.isfinite(min_moves):
        # No split holds the bands, whatever moves (a lock holds more than its band allows others):
        # a count of moves would be an infinite one, and the budget is not what binds.
        raise explain_lp(units, problem.describe_tolerances())
    if problem.max_moved is not None and min_moves > problem.max_moved + 1e-6:
        raise explain_moves(units, min_moves, problem.max_moved, problem.describe_tolerances())
    whole = bounds.min_moves_whole(problem.requested, problem.current, problem.locked)
    if problem.max_moved is not None and whole > problem.max_moved:
        raise explain_moves(
            units, whole, problem.max_moved, problem.describe_tolerances(), kind="whole-unit bound"
        )
    return min_moves, whole


def cost_and_bound(
    problem: BalanceProblem, clock: SearchClock, labels: np.ndarray, centres: np.ndarray
) -> tuple[float, float]:
    """The alignment's cost, and the Lagrangian bound priced by the transport LP's duals at these
    centres (the LP's arcs include the alignment's own, so it is feasible when the alignment is)."""
    n = len(problem.units)
    cost = alignment_cost(problem, labels, centres)
    m = len(problem.names)
    dense = problem.moves is None and n * problem.k <= DENSE_BOUND
    small = n * min(problem.k, problem.rules.candidates) <= FULL_LP_ARCS
    bound = float("-inf")
    band_duals = np.zeros(problem.k * m)
    if small or not dense:
        band_duals, bound = _lp_bound(problem, clock, labels, centres, small)
    if dense:
        # Supergradient ascent over every unit × territory, from the LP's duals (when it ran:
        # few candidates per unit make them price the rest badly) and from zero; keep the best.
        matrix = cost_matrix(problem, centres)
        for start in (band_duals.reshape(problem.k, m), np.zeros((problem.k, m))):
            improved = bounds.improved_lagrangian(
                matrix, problem.requested.amounts, problem.requested, start, cost
            )
            bound = max(bound, improved)
            if not small:
                break
    return cost, min(bound, cost)


def _lp_bound(
    problem: BalanceProblem, clock: SearchClock, labels: np.ndarray, centres: np.ndarray, small: bool
) -> tuple[np.ndarray, float]:
    """The band duals of the transport LP at these centres and the Lagrangian bound they price.
    Small instances: the full LP. With a move budget, the LP focused on boundary units (its
    duals also price the budget). Else the full LP over a few candidates per unit."""
    n, k, m = len(problem.units), problem.k, len(problem.names)
    count = min(k, problem.rules.candidates if small else BOUND_CANDIDATES)
    arcs = problem.arcs(
        centres, count if small or problem.moves is None else problem.rules.candidates, also=labels
    )
    if small or problem.moves is None:
        solution = allocate.transport(
            arcs,
            n,
            k,
            problem.requested,
            problem.moves,
            clock.remaining(),
            interior=problem.moves is not None,
        )
    else:
        solution = transport_lp(problem, clock, arcs, problem.requested, labels)
    band_duals = np.zeros(k * m)
    move_dual = 0.0
    if solution.has_solution:
        band_duals = solution.row_duals[n : n + k * m]
        if problem.moves is not None:
            move_dual = max(0.0, float(solution.row_duals[n + k * m]))
    bound = bounds.lagrangian_bound(
        problem.units,
        centres,
        problem.weight,
        problem.requested,
        band_duals,
        problem.moves,
        move_dual,
        problem.rules.move_penalty or 0.0,
        problem.group,
        problem.allowed,
    )
    return band_duals, bound
