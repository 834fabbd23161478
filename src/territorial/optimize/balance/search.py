"""Contiguity and the last gaps: the local search, boundary shifts, and the fewest single moves
(also the whole rebalance when a move budget binds)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from territorial.optimize import allocate, location, rebalance
from territorial.optimize.balance.problem import (
    BalanceProblem,
    SearchClock,
    centres_of,
    reach_arcs,
    within_bands,
)
from territorial.optimize.balance.rounding import round_split_units
from territorial.optimize.problem import (
    NONE,
    distances,
)
from territorial.optimize.repair import Board, repair_and_improve

SEARCH_ROUNDS = 3  # local search + re-centre rounds
REBALANCE_TIME_SHARE = 0.5  # of the time left, for each fewest-moves MILP
REPAIR_GAP = 0.5  # the closing moves need not be the proven fewest: within half of them
CLOSING_RINGS = 2  # neighbour rings around the territories outside their band, before all
REBALANCE_NEAREST = 3  # without contiguity, a unit may also move to its nearest territories


def rebalancing_applies(problem: BalanceProblem) -> bool:
    """A move budget without a move penalty, on a current alignment the locks agree with."""
    locked = problem.locked != NONE
    return (
        problem.moves is not None
        and not problem.rules.move_penalty
        and bool(np.all(problem.locked[locked] == problem.current[locked]))
    )


def rebalance_with_fewest_moves(
    problem: BalanceProblem, clock: SearchClock, adj: sp.csr_array
) -> tuple[np.ndarray, np.ndarray] | None:
    """The fewest single moves (then the most compact of them) that bring the current alignment
    within tolerance, or None when single moves to touching (or near) territories cannot."""
    units, k = problem.units, problem.k
    current = problem.current
    placed = np.flatnonzero(current != NONE)
    middle = np.average(units.xy[placed], axis=0, weights=problem.weight[placed])
    centres = location.centres(
        units.xy, units.geographic, placed, current[placed], problem.weight[placed], np.tile(middle, (k, 1))
    )
    centres[problem.has_home] = problem.territories.home[problem.has_home]
    # Units whose current territory their skills do not allow must go: they start unplaced.
    start = current.copy()
    start[placed[~problem.allowed[problem.group[placed], current[placed]]]] = NONE
    labels = _fewest_moves(problem, clock, adj, start, current, centres, problem.max_moved)
    return None if labels is None else (labels, centres)


def close_gaps(
    problem: BalanceProblem, clock: SearchClock, adj: sp.csr_array, labels: np.ndarray, centres: np.ndarray
) -> np.ndarray | None:
    """Few boundary moves that bring the territories outside their band inside, among them and
    their neighbours first, then two steps out, then anywhere."""
    k = problem.k
    coo = adj.tocoo()
    touching = sp.csr_array((np.ones(coo.row.size), (labels[coo.row], labels[coo.col])), shape=(k, k))
    area = ~within_bands(problem, labels)
    for _ring in range(CLOSING_RINGS):
        area = area | (touching @ area.astype(np.float64) > 0)
        fixed = _fewest_moves(problem, clock, adj, labels, labels, centres, None, REPAIR_GAP, area)
        if fixed is not None or area.all():
            return fixed
    return _fewest_moves(problem, clock, adj, labels, labels, centres, None, REPAIR_GAP)


def _fewest_moves(
    problem: BalanceProblem,
    clock: SearchClock,
    adj: sp.csr_array,
    start: np.ndarray,
    current: np.ndarray,
    centres: np.ndarray,
    max_moved: int | None,
    gap: float = 1e-6,
    area: np.ndarray | None = None,
) -> np.ndarray | None:
    """The fewest single moves away from `current` (then the most compact of them) that bring
    `start` within every band; units unplaced in `start` are placed. None when single moves to
    touching (or, without contiguity, near) territories cannot do it. With `area` (k,), only moves
    between territories of the area."""
    units, k = problem.units, problem.k

    def cost_of(unit: np.ndarray, terr: np.ndarray) -> np.ndarray:
        return np.asarray(problem.weight[unit] * distances(units, unit, centres, terr))

    def allowed_arc(unit: np.ndarray, terr: np.ndarray) -> np.ndarray:
        return np.asarray((problem.locked[unit] == NONE) & problem.allowed[problem.group[unit], terr])

    extra_unit = extra_terr = np.zeros(0, dtype=np.int64)
    if not problem.rules.contiguous:
        near = min(k, REBALANCE_NEAREST)
        extra_unit, extra_terr = allocate.nearest_arcs(
            problem.flat, units.flat(centres), problem.group, problem.allowed, start, problem.locked, near
        )
    options = rebalance.boundary_options(
        start, current, cost_of, adj, allowed_arc, problem.rules.contiguous, extra_unit, extra_terr
    )
    if area is not None:
        options = options.among(start, area)
    result = rebalance.fewest_moves(
        start,
        current,
        problem.requested.amounts,
        problem.requested,
        options,
        adj,
        problem.rules.contiguous,
        max_moved,
        REBALANCE_TIME_SHARE * clock.remaining(),
        problem.rules.seed,
        gap,
    )
    if result is None:
        return None
    if result.status == "time limit":
        clock.time_limit_hit = True
    return result.labels


def local_search(
    problem: BalanceProblem,
    clock: SearchClock,
    labels: np.ndarray,
    centres: np.ndarray,
    adj: sp.csr_array,
    rounds: int = SEARCH_ROUNDS,
) -> tuple[np.ndarray, np.ndarray]:
    """Contiguity repair and boundary local search, re-centring free territories between rounds."""
    for _round_no in range(rounds):
        before = labels.copy()
        board = Board(
            labels=labels.copy(),
            amounts=problem.requested.amounts,
            target=(problem.requested.lower + problem.requested.upper) / 2,
            tolerance=problem.tolerance,
            aim=problem.tolerance * problem.rules.aim,
            weight=problem.weight,
            units=problem.units,
            centres=centres,
            group=problem.group,
            allowed=problem.allowed,
            locked=problem.locked,
            current=problem.current,
            max_moved=problem.max_moved,
            move_penalty=problem.rules.move_penalty or 0.0,
            contiguous=problem.rules.contiguous,
        )
        labels = repair_and_improve(board, adj, clock.deadline)
        centres = centres_of(problem, labels, centres)
        if np.array_equal(before, labels) or clock.out_of_time():
            break
    return labels, centres


def shift_boundaries(
    problem: BalanceProblem,
    clock: SearchClock,
    labels: np.ndarray,
    centres: np.ndarray,
    adj: sp.csr_array,
    hops: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Rebalance a repaired alignment by an LP in which units may only pass to territories within
    `hops` steps over the adjacency: boundaries shift, territories do not scatter. Then round,
    repair and search again. Returns the input when the LP has no solution."""
    n, k = len(problem.units), problem.k
    arcs = reach_arcs(problem, labels, centres, adj, hops)
    free = np.bincount(arcs.unit, minlength=n) > 1
    settled = np.full(n, -1, dtype=np.int64)
    on_own = np.flatnonzero(arcs.terr == labels[arcs.unit])
    settled[arcs.unit[on_own]] = on_own
    for bands in [*problem.aimed, problem.requested]:
        solution = allocate.transport_focused(
            arcs, n, k, bands, problem.moves, free, settled, clock.remaining()
        )
        if solution.has_solution:
            rounded = round_split_units(problem, clock, arcs, solution.x)
            return local_search(problem, clock, rounded, centres, adj)
    return labels, centres
