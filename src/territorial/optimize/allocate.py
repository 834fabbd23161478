"""The allocation step: a transport problem on a sparse nearest-candidates graph, and its rounding.

Each unit may go to its few nearest eligible territories (plus its current one); the balance
bands, the move budget and the locks become rows and removed arcs of one linear program."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from territorial.optimize import highs
from territorial.optimize.keys import distinct
from territorial.optimize.problem import NONE

WHOLE = 1 - 1e-6  # an LP share at least this large is the unit's territory
PRESENT = 1e-9
ROUNDING_OPTIONS = 10  # cheapest territories per split unit in the second rounding attempt


@dataclass(frozen=True)
class Arcs:
    """Where each unit may go: arc a sends unit[a] to territory terr[a] at cost[a]. Sorted by unit."""

    unit: np.ndarray
    terr: np.ndarray
    cost: np.ndarray

    def select(self, keep: np.ndarray) -> Arcs:
        return Arcs(self.unit[keep], self.terr[keep], self.cost[keep])


@dataclass(frozen=True)
class Segments:
    """Arcs laid out one row per unit (arcs are sorted by unit): `slots[r]` holds the arc indices
    of unit `units[r]`, padded with -1."""

    slots: np.ndarray
    units: np.ndarray

    @classmethod
    def of(cls, arcs: Arcs) -> Segments:
        units, starts, counts = np.unique(arcs.unit, return_index=True, return_counts=True)
        width = int(counts.max()) if counts.size else 0
        column = np.arange(arcs.unit.size) - np.repeat(starts, counts)
        slots = np.full((units.size, width), -1, dtype=np.int64)
        slots[np.repeat(np.arange(units.size), counts), column] = np.arange(arcs.unit.size)
        return cls(slots, units)

    def grid(self, value: np.ndarray) -> np.ndarray:
        """Per-arc values laid out in the slots, inf in the padding."""
        return np.where(self.slots >= 0, value[self.slots], np.inf)

    def best(self, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per unit: its lowest value and the index of the first arc that has it."""
        grid = self.grid(value)
        column = np.argmin(grid, axis=1)
        rows = np.arange(self.units.size)
        return grid[rows, column], self.slots[rows, column]

    def ranks(self, value: np.ndarray) -> np.ndarray:
        """Each arc's rank among its unit's arcs, cheapest first (0)."""
        order = np.argsort(self.grid(value), axis=1, kind="stable")
        rank = np.empty(self.slots.shape, dtype=np.int64)
        rank[np.arange(self.units.size)[:, None], order] = np.arange(self.slots.shape[1])[None, :]
        out = np.empty(int((self.slots >= 0).sum()), dtype=np.int64)
        filled = self.slots >= 0
        out[self.slots[filled]] = rank[filled]
        return out


@dataclass(frozen=True)
class Bands:
    """Balance rows: amounts (n, m) of each balanced metric per unit and the (k, m) band limits.
    Amounts and limits are scaled per metric so the LP sees numbers near 1."""

    amounts: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True)
class MoveLimit:
    """At least `keep` of the units with a current territory stay in it."""

    current: np.ndarray
    keep: float


def nearest_arcs(
    flat_units: np.ndarray,
    flat_centres: np.ndarray,
    group: np.ndarray,
    allowed: np.ndarray,
    current: np.ndarray,
    locked: np.ndarray,
    count: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(unit, territory) pairs: each free unit's `count` nearest allowed territories and its
    current one (when allowed); a locked unit only its own territory."""
    units, terrs = [], []
    free = locked == NONE
    for g in range(allowed.shape[0]):
        members = np.flatnonzero((group == g) & free)
        options = np.flatnonzero(allowed[g])
        if members.size == 0 or options.size == 0:
            continue
        nearest = min(count, options.size)
        _dist, idx = cKDTree(flat_centres[options]).query(flat_units[members], k=nearest)
        idx = np.asarray(idx).reshape(members.size, nearest)
        units.append(np.repeat(members, nearest))
        terrs.append(options[idx].ravel())
    staying = np.flatnonzero(free & (current != NONE))
    staying = staying[allowed[group[staying], current[staying]]]
    units += [staying, np.flatnonzero(~free)]
    terrs += [current[staying], locked[~free]]
    unit = np.concatenate(units).astype(np.int64)
    terr = np.concatenate(terrs).astype(np.int64)
    k = len(flat_centres)
    key = distinct(unit * k + terr)
    return key // k, key % k


def transport(
    arcs: Arcs,
    n: int,
    k: int,
    bands: Bands,
    moves: MoveLimit | None,
    time_limit: float | None,
    interior: bool = False,
) -> highs.Solution:
    """The LP relaxation: every unit shared out in full, every band held, the budget kept."""
    matrix, lower, upper = _rows(arcs, n, k, bands, moves)
    return highs.solve(
        arcs.cost, matrix, lower, upper, col_upper=highs.INF, time_limit=time_limit, interior=interior
    )


def transport_focused(
    arcs: Arcs,
    n: int,
    k: int,
    bands: Bands,
    moves: MoveLimit | None,
    free: np.ndarray,
    settled_arc: np.ndarray,
    time_limit: float | None,
) -> highs.Solution:
    """The transport LP over the `free` units only; every other unit stays on its settled arc
    (settled_arc[unit] is an arc index). Returns x over all arcs and the bands' duals."""
    fixed = np.flatnonzero(~free)
    fixed_arcs = arcs.select(settled_arc[fixed])
    open_arcs = np.flatnonzero(free[arcs.unit])
    used = _used(fixed_arcs, bands, k)
    units, local = np.unique(arcs.unit[open_arcs], return_inverse=True)
    local_arcs = Arcs(local.ravel(), arcs.terr[open_arcs], arcs.cost[open_arcs])
    local_bands = Bands(bands.amounts[units], bands.lower - used, bands.upper - used)
    local_moves = None
    if moves is not None:
        kept = float(np.count_nonzero(moves.current[fixed_arcs.unit] == fixed_arcs.terr))
        local_moves = MoveLimit(moves.current[units], moves.keep - kept)
    matrix, lower, upper = _rows(local_arcs, units.size, k, local_bands, local_moves)
    solution = highs.solve(
        local_arcs.cost, matrix, lower, upper, col_upper=highs.INF, time_limit=time_limit, interior=True
    )
    if not solution.has_solution:
        return solution
    x = np.zeros(arcs.unit.size)
    x[settled_arc[fixed]] = 1.0
    x[open_arcs] = solution.x
    # Report duals in the full model's row order: units first (unused by callers), then bands.
    duals = np.concatenate([np.zeros(n), solution.row_duals[units.size :]])
    objective = float(arcs.cost @ x)
    return highs.Solution(solution.status, x, duals, objective, objective)


def _used(arcs: Arcs, bands: Bands, k: int) -> np.ndarray:
    """(k, m) amounts the given arcs already bring to each territory."""
    m = bands.amounts.shape[1]
    used = np.zeros((k, m))
    for metric in range(m):
        used[:, metric] = np.bincount(arcs.terr, weights=bands.amounts[arcs.unit, metric], minlength=k)
    return used


def _rows(
    arcs: Arcs, n: int, k: int, bands: Bands, moves: MoveLimit | None
) -> tuple[sp.csc_array, np.ndarray, np.ndarray]:
    m = bands.amounts.shape[1]
    columns = np.arange(arcs.unit.size)
    rows = [arcs.unit]
    cols = [columns]
    vals = [np.ones(arcs.unit.size)]
    for metric in range(m):
        rows.append(n + arcs.terr * m + metric)
        cols.append(columns)
        vals.append(bands.amounts[arcs.unit, metric])
    lower = [np.ones(n), bands.lower.ravel()]
    upper = [np.ones(n), bands.upper.ravel()]
    n_rows = n + k * m
    if moves is not None:
        stays = np.flatnonzero(moves.current[arcs.unit] == arcs.terr)
        rows.append(np.full(stays.size, n_rows))
        cols.append(stays)
        vals.append(np.ones(stays.size))
        lower.append(np.array([moves.keep]))
        upper.append(np.array([float(n)]))
        n_rows += 1
    matrix = sp.csc_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, arcs.unit.size)
    )
    return matrix, np.concatenate(lower), np.concatenate(upper)


def round_shares(
    arcs: Arcs,
    x: np.ndarray,
    n: int,
    k: int,
    bands: Bands,
    moves: MoveLimit | None,
    time_limit: float | None,
    seed: int,
) -> np.ndarray | None:
    """Whole units keep their territory; the few units the LP split are placed by a small MILP
    that holds the bands. None when that MILP has no solution."""
    labels = np.full(n, NONE, dtype=np.int64)
    whole = x >= WHOLE
    labels[arcs.unit[whole]] = arcs.terr[whole]
    split = labels == NONE
    if not split.any():
        return labels
    fixed_arcs = arcs.select(whole)
    # The split units' own arcs first, then their few cheapest too, then all of theirs: a unit with
    # thirty homes to choose from makes a MILP that takes seconds to settle where ten take none.
    of_split = arcs.select(split[arcs.unit])
    present = x[split[arcs.unit]] > PRESENT
    near = Segments.of(of_split).ranks(of_split.cost) < ROUNDING_OPTIONS
    tried = 0
    for chosen in (present, present | near, np.ones(of_split.unit.size, dtype=bool)):
        if np.count_nonzero(chosen) == tried:
            continue  # the same arcs as the attempt before: the same MILP
        tried = int(np.count_nonzero(chosen))
        placed, _solution = place(of_split.select(chosen), fixed_arcs, k, bands, moves, time_limit, seed)
        if placed is not None:
            labels[placed.unit] = placed.terr
            return labels
    return None


def exact(
    arcs: Arcs, n: int, k: int, bands: Bands, moves: MoveLimit | None, time_limit: float | None, seed: int
) -> tuple[np.ndarray | None, highs.Solution]:
    """The whole assignment as a MILP over the arcs: the exact answer when it finishes in time."""
    matrix, lower, upper = _rows(arcs, n, k, bands, moves)
    solution = highs.solve(arcs.cost, matrix, lower, upper, integer=True, time_limit=time_limit, seed=seed)
    if not solution.has_solution:
        return None, solution
    chosen = solution.x > 0.5
    labels = np.full(n, NONE, dtype=np.int64)
    labels[arcs.unit[chosen]] = arcs.terr[chosen]
    return labels, solution


def place(
    free: Arcs,
    fixed: Arcs,
    k: int,
    bands: Bands,
    moves: MoveLimit | None,
    time_limit: float | None,
    seed: int,
    gap: float = 1e-6,
    node_limit: int | None = None,
    offset: float = 0.0,
) -> tuple[Arcs | None, highs.Solution]:
    """Choose one arc per unit of `free` so that, with the `fixed` arcs, every band holds, at
    the least cost: within the relative `gap` of the optimum of free cost + `offset` (pass the
    fixed arcs' cost to measure the gap against the whole), or the best found in `node_limit`
    nodes. Returns the chosen arcs (None when there are none) and the MILP's solution, whose
    status tells whether a limit stopped it."""
    used = _used(fixed, bands, k)
    units, local = np.unique(free.unit, return_inverse=True)
    local_arcs = Arcs(local.ravel(), free.terr, free.cost)
    local_bands = Bands(bands.amounts[units], bands.lower - used, bands.upper - used)
    local_moves = None
    if moves is not None:
        kept = float(np.count_nonzero(moves.current[fixed.unit] == fixed.terr))
        local_moves = MoveLimit(moves.current[units], moves.keep - kept)
    matrix, lower, upper = _rows(local_arcs, units.size, k, local_bands, local_moves)
    # Rows of the units' own assignment come first; the bands are slack rows for the others.
    solution = highs.solve(
        free.cost,
        matrix,
        lower,
        upper,
        integer=True,
        time_limit=time_limit,
        seed=seed,
        gap=gap,
        node_limit=node_limit,
        offset=offset,
    )
    if not solution.has_solution:
        return None, solution
    return free.select(solution.x > 0.5), solution
