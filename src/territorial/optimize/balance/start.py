"""Where the search starts: the reps' homes, a balanced bisection of the map, or the best of several
location starts found on cells of about COARSE_CELL units."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from territorial.optimize import flow, location
from territorial.optimize.balance.problem import (
    FULL_LP_ARCS,
    LOCATION_ROUNDS,
    BalanceProblem,
    SearchClock,
    by_flow,
    candidate_count,
    inside_bands,
    largest_share,
    one_metric,
    prepare,
)
from territorial.optimize.balance.transport import locate_and_allocate
from territorial.optimize.problem import (
    NONE,
    Units,
)
from territorial.progress import Progress, silent

COARSE_CELL = 10  # units per cell when large instances are first located on cells
# Location starts (the bisection, then seeded k-means++) tried on cells when each transport step
# is a min-cost flow. On the benchmark's 3,000 ZIPs the best of ten starts took the ±2% territories
# from 146.6 to 144.9 km (six: 145.1, twenty: 144.9) for about a second.
STARTS = 10


def first_start(problem: BalanceProblem) -> tuple[np.ndarray, np.ndarray]:
    """Initial centres and anchor: the current territories when every unit has one; with reps'
    homes and several metrics, the workload's min-cost flow (`_home_start`); else a balanced
    bisection. Territories with a home are centred on it."""
    units, k = problem.units, problem.k
    n = len(units)
    current = problem.current
    if np.all(current != NONE):
        labels = current
    elif (by_homes := _home_start(problem)) is not None:
        labels = by_homes
    else:
        combined = problem.requested.amounts.sum(axis=1) + 1e-9
        labels = location.balanced_bisection(problem.flat, combined, problem.territories.capacity)
    middle = np.average(units.xy, axis=0, weights=problem.weight)
    previous = np.tile(middle, (k, 1))
    centres = location.centres(units.xy, units.geographic, np.arange(n), labels, problem.weight, previous)
    centres[problem.has_home] = problem.territories.home[problem.has_home]
    return centres, labels


def _home_start(problem: BalanceProblem) -> np.ndarray | None:
    """With every territory at a rep's home and several balanced metrics: each unit's territory in
    the min-cost flow that balances one metric alone (the workload when it is balanced, else the
    first) at the tightest aimed band that holds. Cheap, and near the answer: the LP then has only
    the other metrics to fix. None when the flow does not apply or finds no split."""
    names = problem.names
    if not problem.has_home.all() or len(names) < 2:  # one metric: the flow solves it whole
        return None
    first = names.index(problem.rules.workload) if problem.rules.workload in names else 0
    if not flow.applies(one_metric(problem.requested, first)):
        return None
    arcs = problem.arcs(problem.territories.home, candidate_count(problem))
    for bands in [*problem.aimed, problem.requested]:
        one = one_metric(bands, first)
        solution = flow.transport_flow(arcs, len(problem.units), problem.k, one)
        if solution.has_solution:
            return largest_share(arcs, solution.x, len(problem.units))
    return None


def coarse_start(
    problem: BalanceProblem, clock: SearchClock, progress: Progress
) -> tuple[np.ndarray, np.ndarray] | None:
    """Locate the territories on cells of about COARSE_CELL units (a balanced bisection of the
    map), where each transport problem is small, and return the centres and every unit's
    territory as the start. Large instances without skills, locks or current territories take
    it, from the bisection, because the unit-level LP is slow; smaller ones without homes whose
    transport step is a min-cost flow take it to try several starts, since the best of them
    lands in a better basin (STARTS). None when neither applies."""
    units, rules = problem.units, problem.rules
    n, k = len(units), problem.k
    plain = units.skills is None and units.locked is None and units.current is None
    # Fixed homes do not move, so locating on cells finds nothing the homes' own start lacks.
    if not plain or problem.has_home.all() or n < COARSE_CELL * k:
        return None
    large = n * min(k, rules.candidates) > FULL_LP_ARCS
    several = problem.thorough and by_flow(problem) and not problem.has_home.any() and not large
    if not large and not several:
        return None
    combined = problem.requested.amounts.sum(axis=1) + 1e-9
    cell = location.balanced_bisection(problem.flat, combined, np.ones(n // COARSE_CELL))
    # A unit heavier than a cell's share leaves cells empty (their centre would be 0/0): only the
    # cells that hold units are numbered.
    _used, cell = np.unique(cell, return_inverse=True)
    cells = int(cell.max()) + 1
    if cells < COARSE_CELL * k // 2:  # so lumpy that cells no longer simplify the map
        return None
    mass = np.bincount(cell, weights=problem.weight, minlength=cells)
    xy = np.column_stack(
        [np.bincount(cell, weights=problem.weight * units.xy[:, c], minlength=cells) / mass for c in range(2)]
    )
    metrics = {name: np.bincount(cell, weights=v, minlength=cells) for name, v in units.metrics.items()}
    coarse_units = Units([str(c) for c in range(cells)], xy, units.geographic, metrics, noun="cell")
    coarse_rules = replace(rules, contiguous=False)
    coarse = prepare(coarse_units, problem.territories, coarse_rules, check=False)
    # The cells' search has a clock of its own, as it always had: a time limit it hits is not
    # reported as the whole search's.
    centres, labels = best_start(coarse, SearchClock(clock.deadline), STARTS if several else 1, progress)
    return centres, labels[cell]


def best_start(
    problem: BalanceProblem, clock: SearchClock, starts: int, progress: Progress
) -> tuple[np.ndarray, np.ndarray]:
    """Locate and allocate from `starts` starts (the bisection, then seeded k-means++) and keep
    the cheapest, the ones that hold the tightest aimed band first. Returns its centres and each
    unit's territory (its largest share)."""
    n = len(problem.units)
    tight = problem.aimed[0]
    best: tuple[tuple[bool, float], np.ndarray, np.ndarray] | None = None
    for start in range(starts):
        progress("Splitting the map", 0.05 + 0.05 * start / starts)
        centres, anchor = first_start(problem) if start == 0 else seeded_start(problem, start)
        arcs, x, centres = locate_and_allocate(problem, clock, centres, anchor, silent, LOCATION_ROUNDS)
        sums = np.column_stack(
            [
                np.bincount(arcs.terr, weights=x * tight.amounts[arcs.unit, m], minlength=problem.k)
                for m in range(tight.amounts.shape[1])
            ]
        )
        key = (not inside_bands(tight, sums).all(), float(x @ arcs.cost))
        if best is None or key < best[0]:
            best = (key, centres, largest_share(arcs, x, n))
        if clock.out_of_time():
            break
    assert best is not None
    return best[1], best[2]


def seeded_start(problem: BalanceProblem, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Centres drawn by weighted k-means++ (seeded by the rules' seed and the start's number)
    and each unit's nearest of them, re-centred: another basin than the bisection's. For
    requests without homes (a home's centre never moves)."""
    rng = np.random.default_rng([problem.rules.seed, start])
    flat, weight, k = problem.flat, problem.weight, problem.k
    chosen = location.spread_picks(flat, weight, k, rng)
    squared = np.sum((flat[:, None, :] - flat[chosen][None, :, :]) ** 2, axis=2)
    labels = np.argmin(squared, axis=1)
    units = problem.units
    middle = np.tile(np.average(units.xy, axis=0, weights=weight), (k, 1))
    centres = location.centres(units.xy, units.geographic, np.arange(weight.size), labels, weight, middle)
    return centres, labels
