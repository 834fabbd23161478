"""Balance units into territories: the stages in order (start, transport, rounding, contiguity
search, bound), by regions for many territories and in two levels for large account sets."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from territorial.optimize import location, two_level
from territorial.optimize.balance.bound import cost_and_bound, grouped_bound, moves_bounds
from territorial.optimize.balance.closest import closest
from territorial.optimize.balance.problem import (
    LOCATION_ROUNDS,
    Alignment,
    BalanceProblem,
    SearchClock,
    centres_of,
    prepare,
    within_bands,
)
from territorial.optimize.balance.rounding import round_split_units, settle_boundaries
from territorial.optimize.balance.search import (
    close_gaps,
    local_search,
    rebalance_with_fewest_moves,
    rebalancing_applies,
    shift_boundaries,
)
from territorial.optimize.balance.start import coarse_start, first_start
from territorial.optimize.balance.transport import locate_and_allocate
from territorial.optimize.feasibility import (
    OutOfTime,
    check_pieces,
    tolerance_not_met,
)
from territorial.optimize.graph import adjacency, contiguous
from territorial.optimize.problem import (
    NONE,
    Rules,
    Territories,
    Units,
    distances,
    targets,
)
from territorial.progress import Progress, silent

REFINE_ROUNDS = 2  # unit-level rounds after the cells
POLISH_ROUNDS = 3  # LP + repair rounds when the repair left territories outside tolerance
# Many territories: the map is cut (a balanced bisection) into regions of about this many
# territories, each solved on its own, then the whole is repaired and searched once.
REGION_FROM = 200  # territories
REGION_TERRITORIES = 25


def balance(units: Units, territories: Territories, rules: Rules, progress: Progress = silent) -> Alignment:
    """Assign every unit to a territory so the balanced metrics sit within their tolerances,
    at the least workload-weighted distance.

    Raises Infeasible when the request cannot be met (with the binding constraint), OutOfTime
    when the time limit ran out first, and ToleranceNotMet when the search ended with territories
    outside tolerance, unless `rules.best_effort` asks for the closest alignment (closest.py).

    With a move budget (`max_moves`, no `move_penalty`) and a current alignment, the answer moves
    as few units as possible first and is as compact as possible second. Large account sets are
    solved in two levels (two_level.py): contiguity is then judged over the units' adjacency."""
    if rules.best_effort:
        return closest(units, territories, rules, lambda u, t, r: _balance(u, t, r, progress))
    return _balance(units, territories, rules, progress)


def _balance(units: Units, territories: Territories, rules: Rules, progress: Progress) -> Alignment:
    started = time.perf_counter()
    if two_level.applies(units):
        return _balance_accounts(units, territories, rules, progress, started)
    problem = prepare(units, territories, rules)
    clock = SearchClock(started + rules.time_limit)
    progress("Checking the request", 0.02)
    min_moves, whole = moves_bounds(problem)
    adj = adjacency(units)
    if rules.contiguous:
        check_pieces(units, connected_components(adj, directed=False)[1], problem.k)
    labels, centres = _rebalance_or_solve(problem, clock, adj, started, progress)
    progress("Computing the bound", 0.9)
    centres = centres_of(problem, labels, centres)
    cost, bound = cost_and_bound(problem, clock, labels, centres)
    progress("Done", 1.0)
    connected = contiguous(adj, labels, problem.k)
    alignment = _alignment(problem, clock, labels, centres, cost, bound, min_moves, connected, started, whole)
    return _judged(problem, alignment)


def _rebalance_or_solve(
    problem: BalanceProblem, clock: SearchClock, adj: sp.csr_array, started: float, progress: Progress
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and centres: the fewest-moves rebalance when it applies and finds an answer, else
    the full search."""
    if rebalancing_applies(problem):
        progress("Rebalancing with the fewest moves", 0.1)
        solved = rebalance_with_fewest_moves(problem, clock, adj)
        if solved is not None:
            return solved
    return _solve(problem, clock, adj, started, progress)


def _judged(problem: BalanceProblem, alignment: Alignment) -> Alignment:
    """The alignment, or the error that says why it is not good enough."""
    units, territories, rules = problem.units, problem.territories, problem.rules
    if not alignment.within.all() and not rules.best_effort:
        if alignment.time_limit_hit:
            raise OutOfTime.after(rules.time_limit, units.source)
        columns = [alignment.metrics.index(name) for name in problem.names]
        raise tolerance_not_met(
            units,
            territories.ids,
            problem.names,
            problem.tolerance,
            alignment.deviation[:, columns],
            alignment,
        )
    return alignment


def _balance_accounts(
    accounts: Units, territories: Territories, rules: Rules, progress: Progress, started: float
) -> Alignment:
    """Two levels: group the accounts into units, balance the units, settle single accounts in
    border units where a territory is still outside its band, bound the cost at account level."""
    problem = prepare(accounts, territories, rules)
    clock = SearchClock(started + rules.time_limit)
    min_moves, whole = moves_bounds(problem)
    progress("Grouping accounts into units", 0.03)
    grouping = two_level.group_accounts(accounts, territories, rules)
    unit_problem = prepare(grouping.units, territories, rules, check=False)
    adj = adjacency(grouping.units)
    if rules.contiguous:
        check_pieces(grouping.units, connected_components(adj, directed=False)[1], problem.k)
    unit_labels, centres = _rebalance_or_solve(unit_problem, clock, adj, started, progress)
    progress("Settling accounts on the borders", 0.85)
    bands = problem.requested
    labels = two_level.settle_accounts(
        grouping, accounts, unit_labels, adj, (bands.lower, bands.upper), bands.amounts
    )
    progress("Computing the bound", 0.9)
    centres = centres_of(problem, labels, centres)
    rows = np.arange(len(accounts))
    cost = float(np.sum(problem.weight * distances(accounts, rows, centres, labels)))
    bound = grouped_bound(unit_problem, clock, grouping, problem, unit_labels, centres)
    connected = two_level.contiguous_accounts(adj, grouping.unit_of, labels, problem.k)
    progress("Done", 1.0)
    alignment = _alignment(
        problem, clock, labels, centres, cost, min(bound, cost), min_moves, connected, started, whole
    )
    return _judged(problem, alignment)


def _solve(
    problem: BalanceProblem, clock: SearchClock, adj: sp.csr_array, started: float, progress: Progress
) -> tuple[np.ndarray, np.ndarray]:
    """Location-allocation from a bisection, rounding, repair and local search."""
    rules = problem.rules
    if _regional(problem):
        return _solve_by_regions(problem, clock, adj, progress)
    progress("Splitting the map", 0.05)
    coarse = coarse_start(problem, clock, progress)
    rounds = LOCATION_ROUNDS
    if coarse is not None:
        (centres, anchor), rounds = coarse, REFINE_ROUNDS
    else:
        centres, anchor = first_start(problem)
    progress("Allocating", 0.1)
    arcs, x, centres = locate_and_allocate(problem, clock, centres, anchor, progress, rounds)
    progress("Rounding split units", 0.55)
    labels = round_split_units(problem, clock, arcs, x)
    progress("Settling the borders", 0.58)
    labels, centres = settle_boundaries(problem, clock, labels, centres, adj)
    progress("Repairing contiguity" if rules.contiguous else "Improving", 0.6)
    labels, centres = local_search(problem, clock, labels, centres, adj)
    if not within_bands(problem, labels).all() and problem.moves is None and not clock.out_of_time():
        # A few territories still outside: the fewest boundary moves that bring all inside.
        progress("Closing the last gaps", 0.8)
        fixed = close_gaps(problem, clock, adj, labels, centres)
        if fixed is not None:
            labels, centres = fixed, centres_of(problem, fixed, centres)
    for hops in range(1, POLISH_ROUNDS + 1):
        if within_bands(problem, labels).all() or clock.out_of_time():
            break
        labels, centres = shift_boundaries(problem, clock, labels, centres, adj, hops)
    return labels, centres


def _regional(problem: BalanceProblem) -> bool:
    """Many territories without homes, skills, locks or current territories: regions apply."""
    units = problem.units
    plain = units.skills is None and units.locked is None and units.current is None
    return plain and problem.k >= REGION_FROM and not problem.has_home.any()


def _solve_by_regions(
    problem: BalanceProblem, clock: SearchClock, adj: sp.csr_array, progress: Progress
) -> tuple[np.ndarray, np.ndarray]:
    """Cut the map into regions whose workload matches their territories' capacity (a balanced
    bisection), solve each region on its own, then repair and search the whole once."""
    units, territories, k = problem.units, problem.territories, problem.k
    n = len(units)
    count = max(1, round(k / REGION_TERRITORIES))
    terr_region = (np.arange(k) * count) // k
    capacity = np.bincount(terr_region, weights=territories.capacity, minlength=count)
    combined = problem.requested.amounts.sum(axis=1) + 1e-9
    unit_region = location.balanced_bisection(problem.flat, combined, capacity)
    labels = np.full(n, NONE, dtype=np.int64)
    centres = np.zeros((k, 2))
    for region in range(count):
        progress(f"Balancing region {region + 1} of {count}", 0.05 + 0.6 * region / count)
        members = np.flatnonzero(unit_region == region)
        mine = np.flatnonzero(terr_region == region)
        sub_adj = sp.csr_array(adj[members][:, members])
        sub_units = Units(
            ids=[units.ids[i] for i in members],
            xy=units.xy[members],
            geographic=units.geographic,
            metrics={name: values[members] for name, values in units.metrics.items()},
            noun=units.noun,
            source=units.source,
        )
        sub_territories = territories.subset(mine)
        # The whole time left is each region's safety cap, not a share: the regions stop by their
        # own round limits, so the answer does not depend on the machine's speed.
        sub_rules = replace(problem.rules, time_limit=clock.remaining(), best_effort=True)
        sub = replace(prepare(sub_units, sub_territories, sub_rules, check=False), thorough=False)
        sub_clock = SearchClock(time.perf_counter() + sub_rules.time_limit)
        sub_labels, sub_centres = _solve(sub, sub_clock, sub_adj, time.perf_counter(), silent)
        clock.time_limit_hit |= sub_clock.time_limit_hit
        labels[members] = mine[sub_labels]
        centres[mine] = sub_centres
    progress("Joining the regions", 0.7)
    return local_search(problem, clock, labels, centres, adj, rounds=1)


def _alignment(
    problem: BalanceProblem,
    clock: SearchClock,
    labels: np.ndarray,
    centres: np.ndarray,
    cost: float,
    bound: float,
    min_moves: float | None,
    connected: np.ndarray,
    started: float,
    min_moves_whole: float | None = None,
) -> Alignment:
    units, k = problem.units, problem.k
    names, all_targets = targets(units, problem.territories)
    totals = np.column_stack(
        [np.bincount(labels, weights=units.metrics[name], minlength=k) for name in names]
    )
    columns = [names.index(name) for name in problem.names]
    off = np.abs(totals[:, columns] - all_targets[:, columns])
    within = np.all(off <= problem.tolerance * all_targets[:, columns] * (1 + 1e-9) + 1e-9, axis=1)
    distance = distances(units, np.arange(len(units)), centres, labels)
    weighted = np.bincount(labels, weights=problem.weight * distance, minlength=k)
    mass = np.bincount(labels, weights=problem.weight, minlength=k)
    moved = (problem.current != NONE) & (labels != problem.current)
    return Alignment(
        territory=labels,
        moved=moved,
        centres=centres,
        metrics=names,
        totals=totals,
        targets=all_targets,
        tolerances=dict(problem.rules.tolerances),
        within=within,
        contiguous=connected,
        compactness=np.where(mass > 0, weighted / np.where(mass > 0, mass, 1.0), 0.0),
        cost=cost,
        bound=bound,
        moves=int(np.count_nonzero(moved)),
        movable=int(np.count_nonzero(problem.current != NONE)),
        min_moves=min_moves,
        seconds=time.perf_counter() - started,
        min_moves_whole=min_moves_whole,
        time_limit_hit=clock.time_limit_hit or clock.out_of_time(),
    )
