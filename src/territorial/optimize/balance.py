"""Balance units into territories: a balanced bisection to start, location-allocation rounds of
transport LPs, rounding of the split units, contiguity repair and local search, then the bound."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from territorial.errors import BadInput
from territorial.optimize import allocate, bounds, flow, highs, location, rebalance, two_level
from territorial.optimize.allocate import Arcs, Bands, MoveLimit
from territorial.optimize.feasibility import (
    OutOfTime,
    check_request,
    explain_lp,
    explain_moves,
    explain_whole_units,
    percent,
    tolerance_not_met,
)
from territorial.optimize.graph import adjacency, contiguous
from territorial.optimize.problem import (
    NONE,
    Rules,
    Territories,
    Units,
    cost_weight,
    distance_matrix,
    distances,
    skill_groups,
    targets,
)
from territorial.optimize.repair import Board, repair_and_improve
from territorial.progress import Progress, silent

LOCATION_ROUNDS = 8  # transport + re-centre rounds at most
COARSE_CELL = 10  # units per cell when large instances are first located on cells
REFINE_ROUNDS = 2  # unit-level rounds after the cells
POLISH_ROUNDS = 3  # LP + repair rounds when the repair left territories outside tolerance
CONVERGED = 1e-3  # stop re-centring when the cost improves by less than this share
SEARCH_ROUNDS = 3  # local search + re-centre rounds
EXACT_TIME_SHARE = 0.3  # of the time limit, for the exact MILP when rounding fails
EXACT_MAX_ARCS = 20_000  # above this, no exact MILP when rounding fails: the search repairs
FULL_LP_ARCS = 60_000  # larger transport problems are solved over their boundary units only
# The share of units (most uncertain first) the LP may move, and how many options each keeps.
FOCUS = ((0.1, 4), (0.2, 6), (0.5, 6), (1.0, 4))
# Homes cluster where the work is, so an account's 10 nearest homes are often all in one city and
# cannot balance it; over 30 the flow reaches the LP optimum over every home within 0.1% (30,000
# accounts, 100 homes: 1.104e8 over 30 or over all 100). Every request whose territories all sit
# at reps' homes takes this many candidates, whether the flow or the LP solves it.
HOME_CANDIDATES = 30
REBALANCE_TIME_SHARE = 0.5  # of the time left, for each fewest-moves MILP
REPAIR_GAP = 0.5  # the closing moves need not be the proven fewest: within half of them
CLOSING_RINGS = 2  # neighbour rings around the territories outside their band, before all
REBALANCE_NEAREST = 3  # without contiguity, a unit may also move to its nearest territories
# Location starts (the bisection, then seeded k-means++) tried on cells when each transport step
# is a min-cost flow. On the benchmark's 3,000 ZIPs the best of ten starts took the ±2% territories
# from 146.6 to 144.9 km (six: 145.1, twenty: 144.9) for about a second.
STARTS = 10
# Many territories: the map is cut (a balanced bisection) into regions of about this many
# territories, each solved on its own, then the whole is repaired and searched once.
REGION_FROM = 200  # territories
# Settling the borders after rounding: at most this many border units; the MILP stops at this
# relative gap or after this many branch-and-bound nodes (limits that give the same answer on
# every machine, unlike a time limit).
SETTLE_MAX_UNITS = 5_000
SETTLE_GAP = 1e-3
SETTLE_NODES = 50
SETTLE_RINGS = 2
DENSE_BOUND = 5_000_000  # units × territories up to which the bound is improved on a dense matrix
BOUND_CANDIDATES = 5  # nearest territories per unit in the LP that prices the two-level bound
REGION_TERRITORIES = 25


@dataclass(frozen=True)
class Alignment:
    """The answer: a territory per unit, with everything the report needs to judge it."""

    territory: np.ndarray  # (n,) territory index per unit
    moved: np.ndarray  # (n,) left its current territory
    centres: np.ndarray  # (k, 2) in the units' coordinates
    metrics: list[str]  # every metric of the units
    totals: np.ndarray  # (k, len(metrics))
    targets: np.ndarray  # (k, len(metrics))
    tolerances: dict[str, float]
    within: np.ndarray  # (k,) every balanced metric inside its tolerance
    contiguous: np.ndarray  # (k,) one connected piece over the unit adjacency
    compactness: np.ndarray  # (k,) workload-weighted mean distance to the centre
    cost: float  # workload-weighted distance (+ move penalties): what was minimised
    bound: float  # no alignment meeting the bands can cost less, for these centres
    moves: int
    movable: int  # units that had a current territory
    min_moves: float | None  # LP minimum number of moves to reach the tolerances
    seconds: float
    min_moves_whole: float | None = None  # the same bound with whole units (a whole number)
    time_limit_hit: bool = False  # the time limit stopped a stage: the answer may vary by run

    @property
    def gap(self) -> float:
        """How far the cost may be above the best possible, as a share of the cost."""
        return max(0.0, (self.cost - self.bound) / self.cost) if self.cost > 0 else 0.0

    @property
    def deviation(self) -> np.ndarray:
        """(k, len(metrics)) relative deviation from target (0 where the target is 0)."""
        safe = np.where(self.targets > 0, self.targets, 1.0)
        return np.asarray(np.where(self.targets > 0, self.totals / safe - 1.0, 0.0))


@dataclass
class _Request:
    """The request in solver form: scaled balanced metrics and their bands."""

    units: Units
    territories: Territories
    rules: Rules
    names: list[str]
    tolerance: np.ndarray
    target: np.ndarray  # (k, m) unscaled targets of the balanced metrics
    requested: Bands
    aimed: list[Bands]  # tighter bands, tightest first
    group: np.ndarray
    allowed: np.ndarray
    current: np.ndarray
    locked: np.ndarray
    moves: MoveLimit | None
    max_moved: int | None
    weight: np.ndarray
    flat: np.ndarray
    has_home: np.ndarray
    deadline: float
    time_limit_hit: bool = False
    # Several location starts and settled borders (STARTS, _settle_boundaries); off in each of
    # many regions, where they would cost the 1,000,000-account benchmark its time limit.
    thorough: bool = True

    @property
    def k(self) -> int:
        return len(self.territories)

    def describe_tolerances(self) -> str:
        return " and ".join(f"{n} ±{percent(t)}" for n, t in zip(self.names, self.tolerance, strict=True))

    def arcs(self, centres: np.ndarray, count: int, also: np.ndarray | None = None) -> Arcs:
        unit, terr = allocate.nearest_arcs(
            self.flat,
            self.units.flat(centres),
            self.group,
            self.allowed,
            self.current,
            self.locked,
            count,
        )
        if also is not None:  # a known assignment's own arcs, so that it stays feasible
            free = self.locked == NONE
            free[free] = self.allowed[self.group[free], also[free]]
            k = self.k
            key = np.unique(np.concatenate([unit * k + terr, np.flatnonzero(free) * k + also[free]]))
            unit, terr = key // k, key % k
        cost = self.weight[unit] * distances(self.units, unit, centres, terr)
        penalty = self.rules.move_penalty
        if penalty:
            cur = self.current[unit]
            cost = cost + penalty * ((cur != NONE) & (cur != terr))
        return Arcs(unit, terr, cost)

    def remaining(self) -> float:
        return max(0.05, self.deadline - time.perf_counter())

    def out_of_time(self) -> bool:
        """Past the deadline (and remember it: the answer then depends on the machine's speed)."""
        past = time.perf_counter() > self.deadline
        self.time_limit_hit |= past
        return past

    def note(self, solution: highs.Solution) -> highs.Solution:
        if solution.status == "time limit":
            self.time_limit_hit = True
        return solution


def balance(units: Units, territories: Territories, rules: Rules, progress: Progress = silent) -> Alignment:
    """Assign every unit to a territory so the balanced metrics sit within their tolerances,
    at the least workload-weighted distance.

    Raises Infeasible when the request cannot be met (with the binding constraint), OutOfTime
    when the time limit ran out first, and ToleranceNotMet when the search ended with territories
    outside tolerance, unless `rules.best_effort` asks for that alignment anyway.

    With a move budget (`max_moves`, no `move_penalty`) and a current alignment, the answer moves
    as few units as possible first and is as compact as possible second. Large account sets are
    solved in two levels (two_level.py): contiguity is then judged over the units' adjacency."""
    started = time.perf_counter()
    if two_level.applies(units):
        return _balance_accounts(units, territories, rules, progress, started)
    request = _prepare(units, territories, rules, started)
    progress("Checking the request", 0.02)
    min_moves, whole = _moves_bounds(request)
    adj = adjacency(units)
    labels, centres = _rebalance_or_solve(request, adj, started, progress)
    progress("Computing the bound", 0.9)
    centres = _centres_of(request, labels, centres)
    cost, bound = _cost_and_bound(request, labels, centres)
    progress("Done", 1.0)
    connected = contiguous(adj, labels, request.k)
    alignment = _alignment(request, labels, centres, cost, bound, min_moves, connected, started, whole)
    return _judged(request, alignment)


def _rebalance_or_solve(
    request: _Request, adj: sp.csr_array, started: float, progress: Progress
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and centres: the fewest-moves rebalance when it applies and finds an answer, else
    the full search."""
    if _rebalancing(request):
        progress("Rebalancing with the fewest moves", 0.1)
        solved = _rebalance(request, adj)
        if solved is not None:
            return solved
    return _solve(request, adj, started, progress)


def _judged(request: _Request, alignment: Alignment) -> Alignment:
    """The alignment, or the error that says why it is not good enough."""
    units, territories, rules = request.units, request.territories, request.rules
    if not alignment.within.all() and not rules.best_effort:
        if alignment.time_limit_hit:
            raise OutOfTime.after(rules.time_limit, units.source)
        columns = [alignment.metrics.index(name) for name in request.names]
        raise tolerance_not_met(
            units,
            territories.ids,
            request.names,
            request.tolerance,
            alignment.deviation[:, columns],
            alignment,
        )
    return alignment


def _balance_accounts(
    accounts: Units, territories: Territories, rules: Rules, progress: Progress, started: float
) -> Alignment:
    """Two levels: group the accounts into units, balance the units, settle single accounts in
    border units where a territory is still outside its band, bound the cost at account level."""
    request = _prepare(accounts, territories, rules, started)
    min_moves, whole = _moves_bounds(request)
    progress("Grouping accounts into units", 0.03)
    grouping = two_level.group_accounts(accounts, territories, rules)
    unit_request = _prepare(grouping.units, territories, rules, started, check=False)
    adj = adjacency(grouping.units)
    unit_labels, centres = _rebalance_or_solve(unit_request, adj, started, progress)
    request.time_limit_hit |= unit_request.time_limit_hit
    progress("Settling accounts on the borders", 0.85)
    bands = request.requested
    labels = two_level.settle_accounts(
        grouping, accounts, unit_labels, adj, (bands.lower, bands.upper), bands.amounts
    )
    progress("Computing the bound", 0.9)
    centres = _centres_of(request, labels, centres)
    rows = np.arange(len(accounts))
    cost = float(np.sum(request.weight * distances(accounts, rows, centres, labels)))
    bound = _grouped_bound(unit_request, grouping, request, unit_labels, centres)
    connected = two_level.contiguous_accounts(adj, grouping.unit_of, labels, request.k)
    progress("Done", 1.0)
    alignment = _alignment(
        request, labels, centres, cost, min(bound, cost), min_moves, connected, started, whole
    )
    return _judged(request, alignment)


def _grouped_bound(
    unit_request: _Request,
    grouping: two_level.Grouping,
    request: _Request,
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
    count = min(unit_request.k, BOUND_CANDIDATES)
    arcs = unit_request.arcs(centres, count, also=unit_labels)
    n_units = len(units)
    solution = allocate.transport(
        arcs, n_units, unit_request.k, unit_request.requested, None, unit_request.remaining()
    )
    m = len(request.names)
    if not solution.has_solution:
        return float("-inf")
    duals = solution.row_duals[n_units : n_units + unit_request.k * m]
    size = len(units)
    unit_of = grouping.unit_of
    workload = request.units.metrics[request.rules.workload]
    base = np.bincount(unit_of, weights=workload, minlength=size)
    extra = np.bincount(unit_of, weights=request.weight - workload, minlength=size)
    amounts = request.requested.amounts
    summed = np.column_stack([np.bincount(unit_of, weights=amounts[:, c], minlength=size) for c in range(m)])
    ratio = summed / np.where(base > 0, base, np.inf)[:, None]
    residual = np.column_stack(
        [
            np.bincount(unit_of, weights=np.abs(amounts[:, c] - workload * ratio[unit_of, c]), minlength=size)
            for c in range(m)
        ]
    )
    spread = float(request.weight @ grouping.offset)
    return bounds.grouped_bound(
        units, centres, base, extra, ratio, residual, spread, request.requested, duals
    )


def _moves_bounds(request: _Request) -> tuple[float | None, float | None]:
    """The LP and whole-unit lower bounds on the moves; raise when the budget is below them."""
    if request.moves is None and not np.any(request.current != NONE):
        return None, None
    units = request.units
    min_moves = bounds.min_moves(request.requested, request.current, request.locked)
    if request.max_moved is not None and min_moves > request.max_moved + 1e-6:
        raise explain_moves(units, min_moves, request.max_moved, request.describe_tolerances())
    whole = bounds.min_moves_whole(request.requested, request.current, request.locked)
    if request.max_moved is not None and whole > request.max_moved:
        raise explain_moves(
            units, whole, request.max_moved, request.describe_tolerances(), kind="whole-unit bound"
        )
    return min_moves, whole


def _solve(
    request: _Request, adj: sp.csr_array, started: float, progress: Progress
) -> tuple[np.ndarray, np.ndarray]:
    """Location-allocation from a bisection, rounding, repair and local search."""
    rules = request.rules
    if _regional(request):
        return _solve_by_regions(request, adj, progress)
    progress("Splitting the map", 0.05)
    coarse = _coarse_start(request, started, progress)
    rounds = LOCATION_ROUNDS
    if coarse is not None:
        (centres, anchor), rounds = coarse, REFINE_ROUNDS
    else:
        centres, anchor = _start(request)
    progress("Allocating", 0.1)
    arcs, x, centres = _locate_and_allocate(request, centres, anchor, progress, rounds)
    progress("Rounding split units", 0.55)
    labels = _round(request, arcs, x)
    progress("Settling the borders", 0.58)
    labels, centres = _settle_boundaries(request, labels, centres, adj)
    progress("Repairing contiguity" if rules.contiguous else "Improving", 0.6)
    labels, centres = _search(request, labels, centres, adj)
    if not _within(request, labels).all() and request.moves is None and not request.out_of_time():
        # A few territories still outside: the fewest boundary moves that bring all inside.
        progress("Closing the last gaps", 0.8)
        fixed = _close_gaps(request, adj, labels, centres)
        if fixed is not None:
            labels, centres = fixed, _centres_of(request, fixed, centres)
    for hops in range(1, POLISH_ROUNDS + 1):
        if _within(request, labels).all() or request.out_of_time():
            break
        labels, centres = _shift_boundaries(request, labels, centres, adj, hops)
    return labels, centres


def _regional(request: _Request) -> bool:
    """Many territories without homes, skills, locks or current territories: regions apply."""
    units = request.units
    plain = units.skills is None and units.locked is None and units.current is None
    return plain and request.k >= REGION_FROM and not request.has_home.any()


def _solve_by_regions(
    request: _Request, adj: sp.csr_array, progress: Progress
) -> tuple[np.ndarray, np.ndarray]:
    """Cut the map into regions whose workload matches their territories' capacity (a balanced
    bisection), solve each region on its own, then repair and search the whole once."""
    units, territories, k = request.units, request.territories, request.k
    n = len(units)
    count = max(1, round(k / REGION_TERRITORIES))
    terr_region = (np.arange(k) * count) // k
    capacity = np.bincount(terr_region, weights=territories.capacity, minlength=count)
    combined = request.requested.amounts.sum(axis=1) + 1e-9
    unit_region = location.balanced_bisection(request.flat, combined, capacity)
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
        sub_territories = Territories(
            ids=[territories.ids[j] for j in mine],
            rep_ids=[territories.rep_ids[j] for j in mine],
            home=territories.home[mine],
            capacity=territories.capacity[mine],
            skills=[territories.skills[j] for j in mine],
        )
        # The whole time left is each region's safety cap, not a share: the regions stop by their
        # own round limits, so the answer does not depend on the machine's speed.
        sub_rules = replace(request.rules, time_limit=request.remaining(), best_effort=True)
        sub = _prepare(sub_units, sub_territories, sub_rules, time.perf_counter(), check=False)
        sub.thorough = False
        sub_labels, sub_centres = _solve(sub, sub_adj, time.perf_counter(), silent)
        request.time_limit_hit |= sub.time_limit_hit
        labels[members] = mine[sub_labels]
        centres[mine] = sub_centres
    progress("Joining the regions", 0.7)
    return _search(request, labels, centres, adj, rounds=1)


def _rebalancing(request: _Request) -> bool:
    """A move budget without a move penalty, on a current alignment the locks agree with."""
    locked = request.locked != NONE
    return (
        request.moves is not None
        and not request.rules.move_penalty
        and bool(np.all(request.locked[locked] == request.current[locked]))
    )


def _rebalance(request: _Request, adj: sp.csr_array) -> tuple[np.ndarray, np.ndarray] | None:
    """The fewest single moves (then the most compact of them) that bring the current alignment
    within tolerance, or None when single moves to touching (or near) territories cannot."""
    units, k = request.units, request.k
    current = request.current
    placed = np.flatnonzero(current != NONE)
    middle = np.average(units.xy[placed], axis=0, weights=request.weight[placed])
    centres = location.centres(
        units.xy, units.geographic, placed, current[placed], request.weight[placed], np.tile(middle, (k, 1))
    )
    centres[request.has_home] = request.territories.home[request.has_home]
    # Units whose current territory their skills do not allow must go: they start unplaced.
    start = current.copy()
    start[placed[~request.allowed[request.group[placed], current[placed]]]] = NONE
    labels = _fewest_moves(request, adj, start, current, centres, request.max_moved)
    return None if labels is None else (labels, centres)


def _close_gaps(
    request: _Request, adj: sp.csr_array, labels: np.ndarray, centres: np.ndarray
) -> np.ndarray | None:
    """Few boundary moves that bring the territories outside their band inside, among them and
    their neighbours first, then two steps out, then anywhere."""
    k = request.k
    coo = adj.tocoo()
    touching = sp.csr_array((np.ones(coo.row.size), (labels[coo.row], labels[coo.col])), shape=(k, k))
    area = ~_within(request, labels)
    for _ring in range(CLOSING_RINGS):
        area = area | (touching @ area.astype(np.float64) > 0)
        fixed = _fewest_moves(request, adj, labels, labels, centres, None, REPAIR_GAP, area)
        if fixed is not None or area.all():
            return fixed
    return _fewest_moves(request, adj, labels, labels, centres, None, REPAIR_GAP)


def _fewest_moves(
    request: _Request,
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
    units, k = request.units, request.k

    def cost_of(unit: np.ndarray, terr: np.ndarray) -> np.ndarray:
        return np.asarray(request.weight[unit] * distances(units, unit, centres, terr))

    def allowed_arc(unit: np.ndarray, terr: np.ndarray) -> np.ndarray:
        return np.asarray((request.locked[unit] == NONE) & request.allowed[request.group[unit], terr])

    extra_unit = extra_terr = np.zeros(0, dtype=np.int64)
    if not request.rules.contiguous:
        near = min(k, REBALANCE_NEAREST)
        extra_unit, extra_terr = allocate.nearest_arcs(
            request.flat, units.flat(centres), request.group, request.allowed, start, request.locked, near
        )
    options = rebalance.boundary_options(
        start, current, cost_of, adj, allowed_arc, request.rules.contiguous, extra_unit, extra_terr
    )
    if area is not None:
        options = options.among(start, area)
    result = rebalance.fewest_moves(
        start,
        current,
        request.requested.amounts,
        request.requested,
        options,
        adj,
        request.rules.contiguous,
        max_moved,
        REBALANCE_TIME_SHARE * request.remaining(),
        request.rules.seed,
        gap,
    )
    if result is None:
        return None
    if result.status == "time limit":
        request.time_limit_hit = True
    return result.labels


def _prepare(
    units: Units, territories: Territories, rules: Rules, started: float, check: bool = True
) -> _Request:
    _check_shapes(units, territories, rules)
    all_names, all_targets = targets(units, territories)
    names = list(rules.tolerances)
    target = all_targets[:, [all_names.index(name) for name in names]]
    tolerance = np.array([rules.tolerances[name] for name in names], dtype=np.float64)
    group, allowed = skill_groups(units, territories)
    if check:
        check_request(units, territories, names, tolerance, target, group, allowed)
    scale = target.mean(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    amounts = np.column_stack([units.metrics[name] for name in names]).astype(np.float64) / scale
    scaled = target / scale

    def bands(share: np.ndarray) -> Bands:
        return Bands(amounts, scaled * (1 - share), scaled * (1 + share))

    current = units.current_or_none()
    locked = units.locked_or_none()
    movable = int(np.count_nonzero(current != NONE))
    moves, max_moved = None, None
    if rules.max_moves is not None and movable:
        max_moved = int(np.floor(rules.max_moves * movable + 1e-9))
        moves = MoveLimit(current, float(movable - max_moved))
    return _Request(
        units=units,
        territories=territories,
        rules=rules,
        names=names,
        tolerance=tolerance,
        target=target,
        requested=bands(tolerance),
        aimed=[bands(tolerance * rules.aim), bands(tolerance * (1 + rules.aim) / 2)],
        group=group,
        allowed=allowed,
        current=current,
        locked=locked,
        moves=moves,
        max_moved=max_moved,
        weight=cost_weight(units, rules),
        flat=units.flat(),
        has_home=~np.isnan(territories.home).any(axis=1),
        deadline=started + rules.time_limit,
    )


def _check_shapes(units: Units, territories: Territories, rules: Rules) -> None:
    if len(units) == 0:
        raise BadInput.at(f"there are no {units.noun}s to balance", units.source)
    if len(territories) == 0:
        raise BadInput.at("there are no territories to balance into", units.source)
    if np.any(~(territories.capacity > 0)):
        raise BadInput.at("every capacity must be a positive number", units.source, subject="capacity")
    if rules.workload not in units.metrics:
        raise BadInput.at(f"unknown workload metric {rules.workload!r}", units.source)
    if not 0 < rules.aim <= 1:
        message = f"the aim must be above 0 and at most 1, got {rules.aim:g}"
        raise BadInput.at(message, units.source, subject="aim")
    for name, tolerance in rules.tolerances.items():
        if name not in units.metrics:
            raise BadInput.at(f"unknown metric {name!r}", units.source, subject=name)
        if not (0 <= tolerance < 1):
            raise BadInput.at(f"the tolerance of {name} must be between 0 and 1", subject=name)
    for name, values in units.metrics.items():
        if np.any(~np.isfinite(values)) or np.any(values < 0):
            raise BadInput.at(f"{name} must be a non-negative number for every {units.noun}", subject=name)


def _start(request: _Request) -> tuple[np.ndarray, np.ndarray]:
    """Initial centres and anchor: the current territories when every unit has one; with reps'
    homes and several metrics, the workload's min-cost flow (`_home_start`); else a balanced
    bisection. Territories with a home are centred on it."""
    units, k = request.units, request.k
    n = len(units)
    current = request.current
    if np.all(current != NONE):
        labels = current
    elif (by_homes := _home_start(request)) is not None:
        labels = by_homes
    else:
        combined = request.requested.amounts.sum(axis=1) + 1e-9
        labels = location.balanced_bisection(request.flat, combined, request.territories.capacity)
    middle = np.average(units.xy, axis=0, weights=request.weight)
    previous = np.tile(middle, (k, 1))
    centres = location.centres(units.xy, units.geographic, np.arange(n), labels, request.weight, previous)
    centres[request.has_home] = request.territories.home[request.has_home]
    return centres, labels


def _home_start(request: _Request) -> np.ndarray | None:
    """With every territory at a rep's home and several balanced metrics: each unit's territory in
    the min-cost flow that balances one metric alone (the workload when it is balanced, else the
    first) at the tightest aimed band that holds. Cheap, and near the answer: the LP then has only
    the other metrics to fix. None when the flow does not apply or finds no split."""
    names = request.names
    if not request.has_home.all() or len(names) < 2:  # one metric: the flow solves it whole
        return None
    first = names.index(request.rules.workload) if request.rules.workload in names else 0
    if not flow.applies(_one_metric(request.requested, first)):
        return None
    arcs = request.arcs(request.territories.home, _candidates(request))
    for bands in [*request.aimed, request.requested]:
        one = _one_metric(bands, first)
        solution = flow.transport_flow(arcs, len(request.units), request.k, one)
        if solution.has_solution:
            return _largest_share(arcs, solution.x, len(request.units))
    return None


def _one_metric(bands: Bands, metric: int) -> Bands:
    return Bands(bands.amounts[:, [metric]], bands.lower[:, [metric]], bands.upper[:, [metric]])


def _coarse_start(
    request: _Request, started: float, progress: Progress
) -> tuple[np.ndarray, np.ndarray] | None:
    """Locate the territories on cells of about COARSE_CELL units (a balanced bisection of the
    map), where each transport problem is small, and return the centres and every unit's
    territory as the start. Large instances without skills, locks or current territories take
    it, from the bisection, because the unit-level LP is slow; smaller ones without homes whose
    transport step is a min-cost flow take it to try several starts, since the best of them
    lands in a better basin (STARTS). None when neither applies."""
    units, rules = request.units, request.rules
    n, k = len(units), request.k
    plain = units.skills is None and units.locked is None and units.current is None
    # Fixed homes do not move, so locating on cells finds nothing the homes' own start lacks.
    if not plain or request.has_home.all() or n < COARSE_CELL * k:
        return None
    large = n * min(k, rules.candidates) > FULL_LP_ARCS
    several = request.thorough and _by_flow(request) and not request.has_home.any() and not large
    if not large and not several:
        return None
    cells = n // COARSE_CELL
    combined = request.requested.amounts.sum(axis=1) + 1e-9
    cell = location.balanced_bisection(request.flat, combined, np.ones(cells))
    mass = np.bincount(cell, weights=request.weight, minlength=cells)
    xy = np.column_stack(
        [np.bincount(cell, weights=request.weight * units.xy[:, c], minlength=cells) / mass for c in range(2)]
    )
    metrics = {name: np.bincount(cell, weights=v, minlength=cells) for name, v in units.metrics.items()}
    coarse_units = Units([str(c) for c in range(cells)], xy, units.geographic, metrics, noun="cell")
    coarse_rules = replace(rules, contiguous=False)
    coarse = _prepare(coarse_units, request.territories, coarse_rules, started, check=False)
    centres, labels = _best_start(coarse, STARTS if several else 1, progress)
    return centres, labels[cell]


def _best_start(request: _Request, starts: int, progress: Progress) -> tuple[np.ndarray, np.ndarray]:
    """Locate and allocate from `starts` starts (the bisection, then seeded k-means++) and keep
    the cheapest, the ones that hold the tightest aimed band first. Returns its centres and each
    unit's territory (its largest share)."""
    n = len(request.units)
    tight = request.aimed[0]
    best: tuple[tuple[bool, float], np.ndarray, np.ndarray] | None = None
    for start in range(starts):
        progress("Splitting the map", 0.05 + 0.05 * start / starts)
        centres, anchor = _start(request) if start == 0 else _seeded_start(request, start)
        arcs, x, centres = _locate_and_allocate(request, centres, anchor, silent, LOCATION_ROUNDS)
        sums = np.column_stack(
            [
                np.bincount(arcs.terr, weights=x * tight.amounts[arcs.unit, m], minlength=request.k)
                for m in range(tight.amounts.shape[1])
            ]
        )
        key = (not _inside(tight, sums).all(), float(x @ arcs.cost))
        if best is None or key < best[0]:
            best = (key, centres, _largest_share(arcs, x, n))
        if request.out_of_time():
            break
    assert best is not None
    return best[1], best[2]


def _seeded_start(request: _Request, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Centres drawn by weighted k-means++ (seeded by the rules' seed and the start's number)
    and each unit's nearest of them, re-centred: another basin than the bisection's. For
    requests without homes (a home's centre never moves)."""
    rng = np.random.default_rng([request.rules.seed, start])
    flat, weight, k = request.flat, request.weight, request.k
    chosen = location.spread_picks(flat, weight, k, rng)
    squared = np.sum((flat[:, None, :] - flat[chosen][None, :, :]) ** 2, axis=2)
    labels = np.argmin(squared, axis=1)
    units = request.units
    middle = np.tile(np.average(units.xy, axis=0, weights=weight), (k, 1))
    centres = location.centres(units.xy, units.geographic, np.arange(weight.size), labels, weight, middle)
    return centres, labels


def _locate_and_allocate(
    request: _Request, centres: np.ndarray, anchor: np.ndarray, progress: Progress, rounds: int
) -> tuple[Arcs, np.ndarray, np.ndarray]:
    """Alternate transport LPs and moving each free centre to the Weber point of its units.
    `anchor` is a territory per unit to start from: each LP keeps units far from any boundary
    where the previous round put them."""
    count = _candidates(request)
    band_options = [*request.aimed, request.requested]
    previous = float("inf")
    arcs, x = None, None
    for round_no in range(rounds):
        arcs, solution, count, band_options = _allocate(request, centres, count, band_options, anchor)
        x = solution.x
        anchor = _largest_share(arcs, x, len(request.units))
        if request.has_home.all() or request.out_of_time():
            break
        mass = x * request.weight[arcs.unit]
        moved = location.centres(
            request.units.xy, request.units.geographic, arcs.unit, arcs.terr, mass, centres
        )
        moved[request.has_home] = centres[request.has_home]
        converged = previous - solution.objective <= CONVERGED * abs(solution.objective)
        previous = solution.objective
        progress("Allocating", 0.1 + 0.45 * (round_no + 1) / rounds)
        if converged:
            break
        centres = moved
    assert arcs is not None and x is not None
    return arcs, x, centres


def _candidates(request: _Request) -> int:
    """Nearest territories per unit in the first candidate graph."""
    wanted = max(request.rules.candidates, HOME_CANDIDATES if request.has_home.all() else 0)
    return min(request.k, wanted)


def _widened(request: _Request) -> float:
    """How many times the usual candidates each unit has in the first candidate graph."""
    return _candidates(request) / min(request.k, request.rules.candidates)


def _by_flow(request: _Request) -> bool:
    """One metric is balanced and no move budget binds: the transport problem is a min-cost flow,
    solved whole (over HOME_CANDIDATES nearest homes when every territory has one). Without homes
    it serves each location round too: on the benchmark's 3,000 ZIPs the rounds took 0.3 s
    instead of HiGHS's 2.4 s, to the same alignment."""
    return request.moves is None and flow.applies(request.requested)


def _largest_share(arcs: Arcs, x: np.ndarray, n: int) -> np.ndarray:
    """Each unit's territory with the largest LP share (the first on a tie)."""
    order = np.lexsort((-x, arcs.unit))
    first = np.ones(order.size, dtype=bool)
    first[1:] = arcs.unit[order[1:]] != arcs.unit[order[:-1]]
    labels = np.full(n, NONE, dtype=np.int64)
    labels[arcs.unit[order[first]]] = arcs.terr[order[first]]
    return labels


def _allocate(
    request: _Request, centres: np.ndarray, count: int, band_options: list[Bands], anchor: np.ndarray
) -> tuple[Arcs, highs.Solution, int, list[Bands]]:
    """Solve the transport LP at the tightest aimed bands that work, else the requested ones,
    widening the candidate graph until it has a solution. Bands that failed are not tried again."""
    widen = _widened(request)
    while True:
        arcs = request.arcs(centres, count, also=anchor)
        for position, bands in enumerate(band_options):
            # With homes, an aimed band the focused LPs miss is not worth the whole LP: the next
            # band is tried. The last option, the requested band, always gets it.
            whole = position == len(band_options) - 1 or not request.has_home.all()
            solution = request.note(_transport(request, arcs, bands, anchor, whole, widen))
            if solution.has_solution:
                return arcs, solution, count, band_options[position:]
            if solution.status != "infeasible":
                raise OutOfTime.after(request.rules.time_limit, request.units.source)
        if count >= request.k:
            raise explain_lp(request.units, request.describe_tolerances())
        count = min(request.k, count * 2)


def _transport(
    request: _Request,
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
    n, k = len(request.units), request.k
    if _by_flow(request):
        solution = flow.transport_flow(arcs, n, k, bands)
        if solution.status != flow.TOO_NARROW:
            return solution
        # Whole flow units can miss a band of almost no width (±0%) that real amounts meet: the LP decides.
    if arcs.unit.size <= FULL_LP_ARCS * widen:
        return allocate.transport(arcs, n, k, bands, request.moves, request.remaining())
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
    stay = (arcs.terr == anchor[arcs.unit]) | (request.current[arcs.unit] == arcs.terr)
    for share, top in FOCUS:
        free = np.zeros(n, dtype=bool)
        free[uncertain_first[: int(np.ceil(share * n))]] = True
        free |= settled_arc < 0
        if request.has_home.all():
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
            arcs.select(keep), n, k, bands, request.moves, free, position[settled_arc], request.remaining()
        )
        if solution.has_solution:
            return _spread(solution, keep, arcs.unit.size)
        if solution.status != "infeasible":
            return solution
    if not whole:
        return solution
    if widen > 1 and rank.size and int(rank.max()) >= request.rules.candidates:
        # Homes' 30 candidates make the whole LP three times larger: first over each unit's usual
        # few nearest (and its anchor and current territory). On 8,000 accounts and 40 homes with
        # two metrics the balance took 12 s instead of 29, at the same cost.
        near = np.flatnonzero((rank < request.rules.candidates) | stay)
        fewer = allocate.transport(
            arcs.select(near), n, k, bands, request.moves, request.remaining(), interior=True
        )
        if fewer.has_solution:
            return _spread(fewer, near, arcs.unit.size)
        if fewer.status != "infeasible":
            return fewer
    return allocate.transport(arcs, n, k, bands, request.moves, request.remaining(), interior=True)


def _spread(solution: highs.Solution, subset: np.ndarray, size: int) -> highs.Solution:
    """A solution over the arcs `subset` as one over all `size` arcs (the others at zero)."""
    x = np.zeros(size)
    x[subset] = solution.x
    return highs.Solution(solution.status, x, solution.row_duals, solution.objective, 0.0)


def _round(request: _Request, arcs: Arcs, x: np.ndarray) -> np.ndarray:
    """Whole units from the LP shares; the exact MILP when the split units cannot be placed."""
    n, k, seed = len(request.units), request.k, request.rules.seed
    labels = allocate.round_shares(arcs, x, n, k, request.requested, request.moves, request.remaining(), seed)
    if labels is not None:
        return labels
    # The flow's wider lists are not a larger problem (the limit counts units); an LP's are.
    if arcs.unit.size > EXACT_MAX_ARCS * (_widened(request) if _by_flow(request) else 1.0):
        # Too large for the exact MILP to finish: each unit's largest share, the search repairs.
        return _largest_share(arcs, x, n)
    limit = max(1.0, EXACT_TIME_SHARE * request.remaining())
    labels, solution = allocate.exact(arcs, n, k, request.requested, request.moves, limit, seed)
    request.note(solution)
    if labels is not None:
        return labels
    every_arc = np.unique(arcs.terr[arcs.unit == arcs.unit[0]]).size  # a lower estimate is enough
    if solution.status == "infeasible" and _all_arcs(request, arcs, every_arc):
        raise explain_whole_units(request.units, request.names, request.tolerance, request.target)
    # No proof either way in the time given: take each unit's largest share, the search repairs.
    return _largest_share(arcs, x, n)


def _all_arcs(request: _Request, arcs: Arcs, _hint: int) -> bool:
    """Does the candidate graph hold every arc the skills and locks allow?"""
    free = request.locked == NONE
    possible = int(request.allowed[request.group[free]].sum()) + int(np.count_nonzero(~free))
    return arcs.unit.size >= possible


def _search(
    request: _Request,
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
            amounts=request.requested.amounts,
            target=(request.requested.lower + request.requested.upper) / 2,
            tolerance=request.tolerance,
            aim=request.tolerance * request.rules.aim,
            weight=request.weight,
            units=request.units,
            centres=centres,
            group=request.group,
            allowed=request.allowed,
            locked=request.locked,
            current=request.current,
            max_moved=request.max_moved,
            move_penalty=request.rules.move_penalty or 0.0,
            contiguous=request.rules.contiguous,
        )
        labels = repair_and_improve(board, adj, request.deadline)
        centres = _centres_of(request, labels, centres)
        if np.array_equal(before, labels) or request.out_of_time():
            break
    return labels, centres


def _centres_of(request: _Request, labels: np.ndarray, previous: np.ndarray) -> np.ndarray:
    units = request.units
    n = len(units)
    centres = location.centres(units.xy, units.geographic, np.arange(n), labels, request.weight, previous)
    centres[request.has_home] = request.territories.home[request.has_home]
    return centres


def _shift_boundaries(
    request: _Request, labels: np.ndarray, centres: np.ndarray, adj: sp.csr_array, hops: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rebalance a repaired alignment by an LP in which units may only pass to territories within
    `hops` steps over the adjacency: boundaries shift, territories do not scatter. Then round,
    repair and search again. Returns the input when the LP has no solution."""
    n, k = len(request.units), request.k
    arcs = _reach(request, labels, centres, adj, hops)
    free = np.bincount(arcs.unit, minlength=n) > 1
    settled = np.full(n, -1, dtype=np.int64)
    on_own = np.flatnonzero(arcs.terr == labels[arcs.unit])
    settled[arcs.unit[on_own]] = on_own
    for bands in [*request.aimed, request.requested]:
        solution = allocate.transport_focused(
            arcs, n, k, bands, request.moves, free, settled, request.remaining()
        )
        if solution.has_solution:
            return _search(request, _round(request, arcs, solution.x), centres, adj)
    return labels, centres


def _reach(request: _Request, labels: np.ndarray, centres: np.ndarray, adj: sp.csr_array, hops: int) -> Arcs:
    """Each unit's arcs to its own territory and, when it may move, to every territory within
    `hops` steps over the adjacency, priced at these centres."""
    n, k = len(request.units), request.k
    reach = sp.csr_array((np.ones(n), (np.arange(n), labels)), shape=(n, k))
    for _hop in range(hops):
        reach = reach + adj @ reach
    reach = reach.tocoo()
    free_units = request.locked == NONE
    keep = free_units[reach.row] & request.allowed[request.group[reach.row], reach.col]
    own = np.arange(n) * k + labels
    key = np.unique(np.concatenate([reach.row[keep] * k + reach.col[keep], own]))
    unit, terr = key // k, key % k
    cost = request.weight[unit] * distances(request.units, unit, centres, terr)
    if request.rules.move_penalty:
        cur = request.current[unit]
        cost = cost + request.rules.move_penalty * ((cur != NONE) & (cur != terr))
    return Arcs(unit, terr, cost)


def _settle_boundaries(
    request: _Request, labels: np.ndarray, centres: np.ndarray, adj: sp.csr_array
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
    n, k = len(request.units), request.k
    if not (request.thorough and request.rules.contiguous and _by_flow(request)):
        return labels, centres
    centres = _centres_of(request, labels, centres)
    arcs = _reach(request, labels, centres, adj, 1)
    options = np.bincount(arcs.unit, minlength=n)
    if np.count_nonzero(options > 1) > SETTLE_MAX_UNITS or request.out_of_time():
        return labels, centres
    for bands in request.aimed:
        solution = request.note(_transport(request, arcs, bands, labels))
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
                request.moves,
                request.remaining(),
                request.rules.seed,
                gap=SETTLE_GAP,
                node_limit=SETTLE_NODES,
                offset=float(fixed.cost.sum()),
            )
            request.note(milp)
            if placed is not None:
                settled[placed.unit] = placed.terr
                break
        if np.any(settled == NONE):
            continue
        return _cheaper(request, labels, settled, centres)
    return labels, centres


def _cheaper(
    request: _Request, before: np.ndarray, after: np.ndarray, centres: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The settled labels, unless those before already held the tightest aimed band at no more
    cost (the MILP may stop on its gap or node limit a little above them). With re-centred
    centres."""
    settled_centres = _centres_of(request, after, centres)
    held = _within_band(request.aimed[0], before).all()
    if held and _cost(request, before, centres) <= _cost(request, after, settled_centres):
        return before, centres
    return after, settled_centres


def _cost(request: _Request, labels: np.ndarray, centres: np.ndarray) -> float:
    """The alignment's cost: workload-weighted distance to the centres, plus the move penalty."""
    rows = np.arange(len(request.units))
    cost = float(np.sum(request.weight * distances(request.units, rows, centres, labels)))
    moved = (request.current != NONE) & (labels != request.current)
    return cost + (request.rules.move_penalty or 0.0) * float(np.count_nonzero(moved))


def _within(request: _Request, labels: np.ndarray) -> np.ndarray:
    """(k,) every balanced metric inside its requested band."""
    return _within_band(request.requested, labels)


def _within_band(bands: Bands, labels: np.ndarray) -> np.ndarray:
    """(k,) every balanced metric inside these bands."""
    k = bands.lower.shape[0]
    sums = np.column_stack(
        [np.bincount(labels, weights=bands.amounts[:, m], minlength=k) for m in range(bands.amounts.shape[1])]
    )
    return _inside(bands, sums)


def _inside(bands: Bands, sums: np.ndarray) -> np.ndarray:
    """(k,) every territory's (k, m) sums inside these bands."""
    slack = 1e-9 * np.maximum(bands.upper, 1.0)
    return np.asarray(np.all((sums >= bands.lower - slack) & (sums <= bands.upper + slack), axis=1))


def _cost_and_bound(request: _Request, labels: np.ndarray, centres: np.ndarray) -> tuple[float, float]:
    """The alignment's cost, and the Lagrangian bound priced by the transport LP's duals at these
    centres (the LP's arcs include the alignment's own, so it is feasible when the alignment is)."""
    n = len(request.units)
    cost = _cost(request, labels, centres)
    m = len(request.names)
    dense = request.moves is None and n * request.k <= DENSE_BOUND
    small = n * min(request.k, request.rules.candidates) <= FULL_LP_ARCS
    bound = float("-inf")
    band_duals = np.zeros(request.k * m)
    if small or not dense:
        band_duals, bound = _lp_bound(request, labels, centres, small)
    if dense:
        # Supergradient ascent over every unit × territory, from the LP's duals (when it ran:
        # few candidates per unit make them price the rest badly) and from zero; keep the best.
        matrix = _cost_matrix(request, centres)
        for start in (band_duals.reshape(request.k, m), np.zeros((request.k, m))):
            improved = bounds.improved_lagrangian(
                matrix, request.requested.amounts, request.requested, start, cost
            )
            bound = max(bound, improved)
            if not small:
                break
    return cost, min(bound, cost)


def _lp_bound(
    request: _Request, labels: np.ndarray, centres: np.ndarray, small: bool
) -> tuple[np.ndarray, float]:
    """The band duals of the transport LP at these centres and the Lagrangian bound they price.
    Small instances: the full LP. With a move budget, the LP focused on boundary units (its
    duals also price the budget). Else the full LP over a few candidates per unit."""
    n, k, m = len(request.units), request.k, len(request.names)
    count = min(k, request.rules.candidates if small else BOUND_CANDIDATES)
    arcs = request.arcs(
        centres, count if small or request.moves is None else request.rules.candidates, also=labels
    )
    if small or request.moves is None:
        solution = allocate.transport(arcs, n, k, request.requested, request.moves, request.remaining())
    else:
        solution = _transport(request, arcs, request.requested, labels)
    band_duals = np.zeros(k * m)
    move_dual = 0.0
    if solution.has_solution:
        band_duals = solution.row_duals[n : n + k * m]
        if request.moves is not None:
            move_dual = max(0.0, float(solution.row_duals[n + k * m]))
    bound = bounds.lagrangian_bound(
        request.units,
        centres,
        request.weight,
        request.requested,
        band_duals,
        request.moves,
        move_dual,
        request.rules.move_penalty or 0.0,
        request.group,
        request.allowed,
    )
    return band_duals, bound


def _cost_matrix(request: _Request, centres: np.ndarray) -> np.ndarray:
    """(n, k) cost of every unit in every territory: inf where skills or a lock forbid it."""
    k = request.k
    cost = request.weight[:, None] * distance_matrix(request.units, centres)
    penalty = request.rules.move_penalty or 0.0
    if penalty:
        has = request.current != NONE
        cost += penalty * (has[:, None] & (np.arange(k)[None, :] != request.current[:, None]))
    cost[~request.allowed[request.group]] = np.inf
    pinned = np.flatnonzero(request.locked != NONE)
    if pinned.size:
        keep = cost[pinned, request.locked[pinned]]
        cost[pinned] = np.inf
        cost[pinned, request.locked[pinned]] = keep
    return np.asarray(cost)


def _alignment(
    request: _Request,
    labels: np.ndarray,
    centres: np.ndarray,
    cost: float,
    bound: float,
    min_moves: float | None,
    connected: np.ndarray,
    started: float,
    min_moves_whole: float | None = None,
) -> Alignment:
    units, k = request.units, request.k
    names, all_targets = targets(units, request.territories)
    totals = np.column_stack(
        [np.bincount(labels, weights=units.metrics[name], minlength=k) for name in names]
    )
    columns = [names.index(name) for name in request.names]
    off = np.abs(totals[:, columns] - all_targets[:, columns])
    within = np.all(off <= request.tolerance * all_targets[:, columns] * (1 + 1e-9) + 1e-9, axis=1)
    distance = distances(units, np.arange(len(units)), centres, labels)
    weighted = np.bincount(labels, weights=request.weight * distance, minlength=k)
    mass = np.bincount(labels, weights=request.weight, minlength=k)
    moved = (request.current != NONE) & (labels != request.current)
    return Alignment(
        territory=labels,
        moved=moved,
        centres=centres,
        metrics=names,
        totals=totals,
        targets=all_targets,
        tolerances=dict(request.rules.tolerances),
        within=within,
        contiguous=connected,
        compactness=np.where(mass > 0, weighted / np.where(mass > 0, mass, 1.0), 0.0),
        cost=cost,
        bound=bound,
        moves=int(np.count_nonzero(moved)),
        movable=int(np.count_nonzero(request.current != NONE)),
        min_moves=min_moves,
        seconds=time.perf_counter() - started,
        min_moves_whole=min_moves_whole,
        time_limit_hit=request.time_limit_hit or request.out_of_time(),
    )
