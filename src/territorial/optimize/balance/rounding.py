"""Whole units from the transport's split ones: rounding, then settling the rounded borders at the
aimed band."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from territorial.optimize import allocate
from territorial.optimize.allocate import Arcs
from territorial.optimize.balance.problem import (
    BalanceProblem,
    SearchClock,
    alignment_cost,
    by_flow,
    centres_of,
    largest_share,
    reach_arcs,
    widened,
    within_band,
)
from territorial.optimize.balance.transport import all_arcs_included, transport_lp
from territorial.optimize.feasibility import (
    explain_whole_units,
)
from territorial.optimize.keys import distinct
from territorial.optimize.problem import (
    NONE,
)

EXACT_TIME_SHARE = 0.3  # of the time limit, for the exact MILP when rounding fails
EXACT_MAX_ARCS = 20_000  # above this, no exact MILP when rounding fails: the search repairs
# Settling the borders after rounding: at most this many border units; the MILP stops at this
# relative gap or after this many branch-and-bound nodes (limits that give the same answer on
# every machine, unlike a time limit).
SETTLE_MAX_UNITS = 5_000
SETTLE_GAP = 1e-3
SETTLE_NODES = 50
SETTLE_RINGS = 2


def round_split_units(problem: BalanceProblem, clock: SearchClock, arcs: Arcs, x: np.ndarray) -> np.ndarray:
    """Whole units from the LP shares; the exact MILP when the split units cannot be placed."""
    n, k, seed = len(problem.units), problem.k, problem.rules.seed
    labels = allocate.round_shares(arcs, x, n, k, problem.requested, problem.moves, clock.remaining(), seed)
    if labels is not None:
        return labels
    # The flow's wider lists are not a larger problem (the limit counts units); an LP's are.
    if arcs.unit.size > EXACT_MAX_ARCS * (widened(problem) if by_flow(problem) else 1.0):
        # Too large for the exact MILP to finish: each unit's largest share, the search repairs.
        return largest_share(arcs, x, n)
    limit = max(1.0, EXACT_TIME_SHARE * clock.remaining())
    labels, solution = allocate.exact(arcs, n, k, problem.requested, problem.moves, limit, seed)
    clock.note(solution)
    if labels is not None:
        return labels
    every_arc = distinct(arcs.terr[arcs.unit == arcs.unit[0]]).size  # a lower estimate is enough
    if solution.status == "infeasible" and all_arcs_included(problem, arcs, every_arc):
        raise explain_whole_units(problem.units, problem.names, problem.tolerance, problem.target)
    # No proof either way in the time given: take each unit's largest share, the search repairs.
    return largest_share(arcs, x, n)


def settle_boundaries(
    problem: BalanceProblem, clock: SearchClock, labels: np.ndarray, centres: np.ndarray, adj: sp.csr_array
) -> tuple[np.ndarray, np.ndarray]:
    """Bring rounded territories to the tightest aimed band that holds, at little distance.
    Rounding the LP's split units where they are can only hold the requested band, and single
    greedy moves toward the aim then cost far more distance. Here, at the re-centred territories:
    the transport problem over the border (each unit stays or passes to a touching territory) at
    the aimed band, then an exact choice for its split units and their neighbours. On the
    benchmark's 3,000 ZIPs from the bisection's start: ±2% territories at 146.6 km instead of
    147.6. Only for contiguous requests whose transport step is a min-cost flow: with several
    metrics the border LP and MILP cost the 30,000-account benchmark 4 s for no gain.

    Returns the labels unchanged (and the re-centred centres) when the step does not apply, the
    border is too large for the MILP, no aimed band holds, time is up, or the input already held
    the tightest aimed band at no more cost."""
    n, k = len(problem.units), problem.k
    if not (problem.thorough and problem.rules.contiguous and by_flow(problem)):
        return labels, centres
    centres = centres_of(problem, labels, centres)
    arcs = reach_arcs(problem, labels, centres, adj, 1)
    options = np.bincount(arcs.unit, minlength=n)
    if np.count_nonzero(options > 1) > SETTLE_MAX_UNITS or clock.out_of_time():
        return labels, centres
    for bands in problem.aimed:
        solution = clock.note(transport_lp(problem, clock, arcs, bands, labels))
        if not solution.has_solution:
            continue
        whole = solution.x >= allocate.WHOLE
        settled = np.full(n, NONE, dtype=np.int64)
        settled[arcs.unit[whole]] = arcs.terr[whole]
        ring = settled == NONE
        for _ring in range(SETTLE_RINGS if ring.any() else 0):
            ring = ring | (adj @ ring.astype(np.float64) > 0)
            free = (ring & (options > 1))[arcs.unit]
            fixed = arcs.select(np.flatnonzero(whole & ~free))
            placed, milp = allocate.place(
                arcs.select(np.flatnonzero(free)),
                fixed,
                k,
                bands,
                problem.moves,
                clock.remaining(),
                problem.rules.seed,
                gap=SETTLE_GAP,
                node_limit=SETTLE_NODES,
                offset=float(fixed.cost.sum()),
            )
            clock.note(milp)
            if placed is not None:
                settled[placed.unit] = placed.terr
                break
        if np.any(settled == NONE):
            continue
        return _cheaper(problem, labels, settled, centres)
    return labels, centres


def _cheaper(
    problem: BalanceProblem, before: np.ndarray, after: np.ndarray, centres: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The settled labels, unless those before already held the tightest aimed band at no more
    cost (the MILP may stop on its gap or node limit a little above them). With re-centred
    centres."""
    settled_centres = centres_of(problem, after, centres)
    held = within_band(problem.aimed[0], before).all()
    if held and alignment_cost(problem, before, centres) <= alignment_cost(problem, after, settled_centres):
        return before, centres
    return after, settled_centres
