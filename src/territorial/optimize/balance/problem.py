"""The balance in solver form: the problem (scaled metrics, bands, skills, locks, the move budget),
the search clock, the answer, and the small measures every stage shares."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from territorial.errors import BadInput
from territorial.optimize import allocate, flow, highs, location
from territorial.optimize.allocate import Arcs, Bands, MoveLimit
from territorial.optimize.feasibility import (
    Infeasible,
    check_request,
    locked_load,
    percent,
)
from territorial.optimize.keys import distinct
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

LOCATION_ROUNDS = 8  # transport + re-centre rounds at most
FULL_LP_ARCS = 60_000  # larger transport problems are solved over their boundary units only
# Homes cluster where the work is, so an account's 10 nearest homes are often all in one city and
# cannot balance it; over 30 the flow reaches the LP optimum over every home within 0.1% (30,000
# accounts, 100 homes: 1.104e8 over 30 or over all 100). Every request whose territories all sit
# at reps' homes takes this many candidates, whether the flow or the LP solves it.
HOME_CANDIDATES = 30


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
    # --best-effort: each territory given to units too large for any band, with those units (and
    # nothing else); the other territories' targets are then what is left (closest.py).
    alone: tuple[tuple[int, tuple[int, ...]], ...] = ()

    @property
    def gap(self) -> float:
        """How far the cost may be above the best possible, as a share of the cost."""
        return max(0.0, (self.cost - self.bound) / self.cost) if self.cost > 0 else 0.0

    @property
    def deviation(self) -> np.ndarray:
        """(k, len(metrics)) relative deviation from target (0 where the target is 0)."""
        safe = np.where(self.targets > 0, self.targets, 1.0)
        return np.asarray(np.where(self.targets > 0, self.totals / safe - 1.0, 0.0))


@dataclass(frozen=True)
class BalanceProblem:
    """The request in solver form, fixed for the whole search: the units and territories, the
    rules, the balanced metrics scaled with their bands, skills, locks and the move budget."""

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
    # Several location starts and settled borders (STARTS, settle_boundaries); off in each of
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
            key = distinct(np.concatenate([unit * k + terr, np.flatnonzero(free) * k + also[free]]))
            unit, terr = key // k, key % k
        cost = self.weight[unit] * distances(self.units, unit, centres, terr)
        penalty = self.rules.move_penalty
        if penalty:
            cur = self.current[unit]
            cost = cost + penalty * ((cur != NONE) & (cur != terr))
        return Arcs(unit, terr, cost)


@dataclass
class SearchClock:
    """The search's deadline, and whether the time limit stopped any stage (the answer may then
    depend on the machine's speed). Every stage that can run long is handed the clock."""

    deadline: float
    time_limit_hit: bool = False

    def remaining(self) -> float:
        return max(0.05, self.deadline - time.perf_counter())

    def out_of_time(self) -> bool:
        """Past the deadline (and remember it)."""
        past = time.perf_counter() > self.deadline
        self.time_limit_hit |= past
        return past

    def note(self, solution: highs.Solution) -> highs.Solution:
        if solution.status == "time limit":
            self.time_limit_hit = True
        return solution


def prepare(units: Units, territories: Territories, rules: Rules, check: bool = True) -> BalanceProblem:
    _check_shapes(units, territories, rules)
    all_names, all_targets = targets(units, territories)
    names = list(rules.tolerances)
    target = all_targets[:, [all_names.index(name) for name in names]]
    tolerance = np.array([rules.tolerances[name] for name in names], dtype=np.float64)
    group, allowed = skill_groups(units, territories)
    if check:
        check_request(units, territories, names, tolerance, target, group, allowed, rules.best_effort)
    scale = target.mean(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    amounts = np.column_stack([units.metrics[name] for name in names]).astype(np.float64) / scale
    scaled = target / scale

    def bands(share: np.ndarray) -> Bands:
        return Bands(amounts, scaled * (1 - share), scaled * (1 + share))

    current = units.current_or_none()
    locked = units.locked_or_none()
    requested, aimed = (
        bands(tolerance),
        [bands(tolerance * rules.aim), bands(tolerance * (1 + rules.aim) / 2)],
    )
    if rules.best_effort:
        # Tolerances give way, locks do not: a territory whose locked units already carry more
        # than its band may hold them (and takes nothing more). As check_request judges it.
        held = locked_load(locked, amounts, len(territories))
        requested, aimed = _hold(requested, held), [_hold(b, held) for b in aimed]
    movable = int(np.count_nonzero(current != NONE))
    moves, max_moved = None, None
    if rules.max_moves is not None and movable:
        max_moved = int(np.floor(rules.max_moves * movable + 1e-9))
        moves = MoveLimit(current, float(movable - max_moved))
    return BalanceProblem(
        units=units,
        territories=territories,
        rules=rules,
        names=names,
        tolerance=tolerance,
        target=target,
        requested=requested,
        aimed=aimed,
        group=group,
        allowed=allowed,
        current=current,
        locked=locked,
        moves=moves,
        max_moved=max_moved,
        weight=cost_weight(units, rules),
        flat=units.flat(),
        has_home=~np.isnan(territories.home).any(axis=1),
    )


def _hold(bands: Bands, held: np.ndarray) -> Bands:
    """The bands with each territory's upper limit raised to what its locked units carry."""
    return Bands(bands.amounts, bands.lower, np.maximum(bands.upper, held * (1 + 1e-9)))


def _check_shapes(units: Units, territories: Territories, rules: Rules) -> None:
    if len(units) == 0:
        raise BadInput.at(f"there are no {units.noun}s to balance", units.source)
    if len(territories) == 0:
        raise BadInput.at("there are no territories to balance into", units.source)
    if len(territories) > len(units):
        message = (
            f"{len(territories)} territories but only {len(units)} {units.noun}s: a territory needs at "
            f"least one {units.noun}; ask for at most {len(units)}"
        )
        raise Infeasible(BadInput.at(message, units.source, subject="territories").problems)
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
        # Above 1 only when --best-effort relaxes a band (the lower bound is then 0).
        if not (0 <= tolerance < (np.inf if rules.best_effort else 1)):
            raise BadInput.at(f"the tolerance of {name} must be at least 0 and below 1", subject=name)
    for name, values in units.metrics.items():
        if np.any(~np.isfinite(values)) or np.any(values < 0):
            raise BadInput.at(f"{name} must be a non-negative number for every {units.noun}", subject=name)


def one_metric(bands: Bands, metric: int) -> Bands:
    return Bands(bands.amounts[:, [metric]], bands.lower[:, [metric]], bands.upper[:, [metric]])


def candidate_count(problem: BalanceProblem) -> int:
    """Nearest territories per unit in the first candidate graph."""
    wanted = max(problem.rules.candidates, HOME_CANDIDATES if problem.has_home.all() else 0)
    return min(problem.k, wanted)


def widened(problem: BalanceProblem) -> float:
    """How many times the usual candidates each unit has in the first candidate graph."""
    return candidate_count(problem) / min(problem.k, problem.rules.candidates)


def by_flow(problem: BalanceProblem) -> bool:
    """One metric is balanced and no move budget binds: the transport problem is a min-cost flow,
    solved whole (over HOME_CANDIDATES nearest homes when every territory has one). Without homes
    it serves each location round too: on the benchmark's 3,000 ZIPs the rounds took 0.3 s
    instead of HiGHS's 2.4 s, to the same alignment."""
    return problem.moves is None and flow.applies(problem.requested)


def largest_share(arcs: Arcs, x: np.ndarray, n: int) -> np.ndarray:
    """Each unit's territory with the largest LP share (the first on a tie)."""
    order = np.lexsort((-x, arcs.unit))
    first = np.ones(order.size, dtype=bool)
    first[1:] = arcs.unit[order[1:]] != arcs.unit[order[:-1]]
    labels = np.full(n, NONE, dtype=np.int64)
    labels[arcs.unit[order[first]]] = arcs.terr[order[first]]
    return labels


def centres_of(problem: BalanceProblem, labels: np.ndarray, previous: np.ndarray) -> np.ndarray:
    units = problem.units
    n = len(units)
    centres = location.centres(units.xy, units.geographic, np.arange(n), labels, problem.weight, previous)
    centres[problem.has_home] = problem.territories.home[problem.has_home]
    return centres


def reach_arcs(
    problem: BalanceProblem, labels: np.ndarray, centres: np.ndarray, adj: sp.csr_array, hops: int
) -> Arcs:
    """Each unit's arcs to its own territory and, when it may move, to every territory within
    `hops` steps over the adjacency, priced at these centres."""
    n, k = len(problem.units), problem.k
    reach = sp.csr_array((np.ones(n), (np.arange(n), labels)), shape=(n, k))
    for _hop in range(hops):
        reach = reach + adj @ reach
    reach = reach.tocoo()
    free_units = problem.locked == NONE
    keep = free_units[reach.row] & problem.allowed[problem.group[reach.row], reach.col]
    own = np.arange(n) * k + labels
    key = distinct(np.concatenate([reach.row[keep] * k + reach.col[keep], own]))
    unit, terr = key // k, key % k
    cost = problem.weight[unit] * distances(problem.units, unit, centres, terr)
    if problem.rules.move_penalty:
        cur = problem.current[unit]
        cost = cost + problem.rules.move_penalty * ((cur != NONE) & (cur != terr))
    return Arcs(unit, terr, cost)


def alignment_cost(problem: BalanceProblem, labels: np.ndarray, centres: np.ndarray) -> float:
    """The alignment's cost: workload-weighted distance to the centres, plus the move penalty."""
    rows = np.arange(len(problem.units))
    cost = float(np.sum(problem.weight * distances(problem.units, rows, centres, labels)))
    moved = (problem.current != NONE) & (labels != problem.current)
    return cost + (problem.rules.move_penalty or 0.0) * float(np.count_nonzero(moved))


def within_bands(problem: BalanceProblem, labels: np.ndarray) -> np.ndarray:
    """(k,) every balanced metric inside its requested band."""
    return within_band(problem.requested, labels)


def within_band(bands: Bands, labels: np.ndarray) -> np.ndarray:
    """(k,) every balanced metric inside these bands."""
    k = bands.lower.shape[0]
    sums = np.column_stack(
        [np.bincount(labels, weights=bands.amounts[:, m], minlength=k) for m in range(bands.amounts.shape[1])]
    )
    return inside_bands(bands, sums)


def inside_bands(bands: Bands, sums: np.ndarray) -> np.ndarray:
    """(k,) every territory's (k, m) sums inside these bands."""
    slack = 1e-9 * np.maximum(bands.upper, 1.0)
    return np.asarray(np.all((sums >= bands.lower - slack) & (sums <= bands.upper + slack), axis=1))


def cost_matrix(problem: BalanceProblem, centres: np.ndarray) -> np.ndarray:
    """(n, k) cost of every unit in every territory: inf where skills or a lock forbid it."""
    k = problem.k
    cost = problem.weight[:, None] * distance_matrix(problem.units, centres)
    penalty = problem.rules.move_penalty or 0.0
    if penalty:
        has = problem.current != NONE
        cost += penalty * (has[:, None] & (np.arange(k)[None, :] != problem.current[:, None]))
    cost[~problem.allowed[problem.group]] = np.inf
    pinned = np.flatnonzero(problem.locked != NONE)
    if pinned.size:
        keep = cost[pinned, problem.locked[pinned]]
        cost[pinned] = np.inf
        cost[pinned, problem.locked[pinned]] = keep
    return np.asarray(cost)
