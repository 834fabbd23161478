"""Location-allocation: transport problems (a min-cost flow for one metric, else HiGHS's LP) over
each unit's nearest territories, at the tightest aimed bands that work, and re-centring."""

from __future__ import annotations

import logging

import numpy as np

from territorial.optimize import allocate, flow, highs, location
from territorial.optimize.allocate import Arcs, Bands
from territorial.optimize.balance.problem import (
    FULL_LP_ARCS,
    BalanceProblem,
    SearchClock,
    by_flow,
    candidate_count,
    largest_share,
    widened,
)
from territorial.optimize.feasibility import (
    OutOfTime,
    SolverFailed,
    explain_lp,
)
from territorial.optimize.problem import (
    NONE,
)
from territorial.progress import Progress

log = logging.getLogger(__name__)

CONVERGED = 1e-3  # stop re-centring when the cost improves by less than this share
# The share of units (most uncertain first) the LP may move, and how many options each keeps.
FOCUS = ((0.1, 4), (0.2, 6), (0.5, 6), (1.0, 4))


def locate_and_allocate(
    problem: BalanceProblem,
    clock: SearchClock,
    centres: np.ndarray,
    anchor: np.ndarray,
    progress: Progress,
    rounds: int,
) -> tuple[Arcs, np.ndarray, np.ndarray]:
    """Alternate transport LPs and moving each free centre to the Weber point of its units.
    `anchor` is a territory per unit to start from: each LP keeps units far from any boundary
    where the previous round put them."""
    count = candidate_count(problem)
    band_options = [*problem.aimed, problem.requested]
    previous = float("inf")
    arcs, x = None, None
    for round_no in range(rounds):
        arcs, solution, count, band_options = _allocate(problem, clock, centres, count, band_options, anchor)
        x = solution.x
        anchor = largest_share(arcs, x, len(problem.units))
        if problem.has_home.all() or clock.out_of_time():
            break
        mass = x * problem.weight[arcs.unit]
        moved = location.centres(
            problem.units.xy, problem.units.geographic, arcs.unit, arcs.terr, mass, centres
        )
        moved[problem.has_home] = centres[problem.has_home]
        converged = previous - solution.objective <= CONVERGED * abs(solution.objective)
        previous = solution.objective
        progress("Allocating", 0.1 + 0.45 * (round_no + 1) / rounds)
        if converged:
            break
        centres = moved
    assert arcs is not None and x is not None
    return arcs, x, centres


def _allocate(
    problem: BalanceProblem,
    clock: SearchClock,
    centres: np.ndarray,
    count: int,
    band_options: list[Bands],
    anchor: np.ndarray,
) -> tuple[Arcs, highs.Solution, int, list[Bands]]:
    """Solve the transport LP at the tightest aimed bands that work, else the requested ones,
    widening the candidate graph until it has a solution. Bands that failed are not tried again."""
    widen = widened(problem)
    while True:
        arcs = problem.arcs(centres, count, also=anchor)
        for position, bands in enumerate(band_options):
            # An aimed band the focused LPs miss is not worth the whole LP (on large requests it
            # took 56 s of a 60 s limit when fewer coarse rounds left the start rougher): the next
            # band is tried. The last option, the requested band, always gets it.
            whole = position == len(band_options) - 1
            solution = clock.note(transport_lp(problem, clock, arcs, bands, anchor, whole, widen))
            if solution.has_solution:
                return arcs, solution, count, band_options[position:]
            if solution.status == "time limit":
                raise OutOfTime.after(problem.rules.time_limit, problem.units.source)
            if solution.status != "infeasible":
                raise SolverFailed.during(
                    "allocating units to territories", solution.status, problem.units.source
                )
            if not whole:
                log.info("aimed band %d of %d not met: the next band", position + 1, len(band_options))
        if count >= problem.k:
            raise explain_lp(problem.units, problem.describe_tolerances())
        count = min(problem.k, count * 2)


def transport_lp(
    problem: BalanceProblem,
    clock: SearchClock,
    arcs: Arcs,
    bands: Bands,
    anchor: np.ndarray,
    whole: bool = True,
    widen: float = 1.0,
) -> highs.Solution:
    """The transport LP. On large instances, over the units near a boundary only: the others stay
    on their anchor territory. The boundary widens until the LP has a solution; the whole LP is
    the last resort, taken only when `whole`. `widen` is how many times the usual candidates
    each unit has (homes' wider lists): the size limit counts units, so it grows as much."""
    n, k = len(problem.units), problem.k
    if by_flow(problem):
        solution = flow.transport_flow(arcs, n, k, bands)
        if solution.status != flow.TOO_NARROW:
            return solution
        # Whole flow units can miss a band of almost no width (±0%) that real amounts meet: the LP decides.
    if arcs.unit.size <= FULL_LP_ARCS * widen:
        return allocate.transport(arcs, n, k, bands, problem.moves, clock.remaining())
    segments = allocate.Segments.of(arcs)
    settled_arc = np.full(n, -1, dtype=np.int64)
    on_anchor = np.flatnonzero(arcs.terr == anchor[arcs.unit])
    settled_arc[arcs.unit[on_anchor]] = on_anchor
    # How much dearer the best other territory is than the anchor: small or negative is unsettled.
    others = arcs.cost.copy()
    others[on_anchor] = np.inf
    margin = np.full(n, -np.inf)
    margin[segments.units] = segments.grid(others).min(axis=1)
    margin[arcs.unit[on_anchor]] -= arcs.cost[on_anchor]
    # The heaviest units (lumps a band must absorb) are always free, then the least settled.
    heavy = np.zeros(n, dtype=bool)
    for metric in range(bands.amounts.shape[1]):
        heavy[np.argsort(-bands.amounts[:, metric], kind="stable")[: max(1, n // 100)]] = True
    uncertain_first = np.lexsort((np.arange(n), margin, ~heavy))
    rank = segments.ranks(arcs.cost)
    stay = (arcs.terr == anchor[arcs.unit]) | (problem.current[arcs.unit] == arcs.terr)
    for share, top in FOCUS:
        free = np.zeros(n, dtype=bool)
        free[uncertain_first[: int(np.ceil(share * n))]] = True
        free |= settled_arc < 0
        if problem.has_home.all():
            # Every centre is a rep's fixed home, which the anchor (the workload's flow, a bisection
            # or the current book) does not balance every metric for: free every unit with a
            # cheaper territory than its anchor from the first LP on. Measured on the skills
            # benchmark before the flow took over requests with one metric: 7% less cost and 40%
            # less time than freeing the least settled tenth first. It now serves homes with
            # several metrics or a move budget.
            free |= margin < 0
        # Free units keep their few cheapest options (and their anchor and current territory).
        keep = np.flatnonzero(~free[arcs.unit] | (rank < top) | stay)
        position = np.full(arcs.unit.size, -1, dtype=np.int64)
        position[keep] = np.arange(keep.size)
        solution = allocate.transport_focused(
            arcs.select(keep), n, k, bands, problem.moves, free, position[settled_arc], clock.remaining()
        )
        if solution.has_solution:
            return _spread(solution, keep, arcs.unit.size)
        if solution.status != "infeasible":
            return solution
    if not whole:
        return solution
    if widen > 1 and rank.size and int(rank.max()) >= problem.rules.candidates:
        # Homes' 30 candidates make the whole LP three times larger: first over each unit's usual
        # few nearest (and its anchor and current territory). On 8,000 accounts and 40 homes with
        # two metrics the balance took 12 s instead of 29, at the same cost.
        near = np.flatnonzero((rank < problem.rules.candidates) | stay)
        fewer = allocate.transport(
            arcs.select(near), n, k, bands, problem.moves, clock.remaining(), interior=True
        )
        if fewer.has_solution:
            return _spread(fewer, near, arcs.unit.size)
        if fewer.status != "infeasible":
            return fewer
    log.info("the whole transport LP over %d arcs", arcs.unit.size)
    return allocate.transport(arcs, n, k, bands, problem.moves, clock.remaining(), interior=True)


def _spread(solution: highs.Solution, subset: np.ndarray, size: int) -> highs.Solution:
    """A solution over the arcs `subset` as one over all `size` arcs (the others at zero)."""
    x = np.zeros(size)
    x[subset] = solution.x
    return highs.Solution(solution.status, x, solution.row_duals, solution.objective, 0.0)


def all_arcs_included(problem: BalanceProblem, arcs: Arcs, _hint: int) -> bool:
    """Does the candidate graph hold every arc the skills and locks allow?"""
    free = problem.locked == NONE
    possible = int(problem.allowed[problem.group[free]].sum()) + int(np.count_nonzero(~free))
    return arcs.unit.size >= possible
