"""Rebalance a current alignment with the fewest moves: a MILP over single boundary moves that
minimises the number of moves first and, among the fewest, the compactness cost."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from territorial.optimize import highs
from territorial.optimize.allocate import Bands
from territorial.optimize.graph import territory_components
from territorial.optimize.keys import distinct
from territorial.optimize.problem import NONE
from territorial.optimize.repair import may_leave

# Held this far inside each band, so the solver's feasibility tolerance cannot land outside it.
BAND_MARGIN = 1e-7
# Rounds of "these moves together cut a territory in two: not all of them" before giving up.
CUT_ROUNDS = 20
# At most this many boundary moves per territory enter the MILP (the cheapest first).
MOVES_PER_TERRITORY = 400
# Branch-and-bound nodes at most for each MILP: a limit that gives the same answer everywhere.
NODE_LIMIT = 2_000


@dataclass(frozen=True)
class Options:
    """Where each unit may go in one move: arc a sends unit[a] to territory terr[a], changing the
    compactness cost by delta[a]; `counts[a]` is 1 when it leaves a current territory."""

    unit: np.ndarray
    terr: np.ndarray
    delta: np.ndarray
    counts: np.ndarray

    def among(self, labels: np.ndarray, area: np.ndarray) -> Options:
        """Only moves from and to territories of `area` (k,) (placements of unplaced units too)."""
        src = labels[self.unit]
        keep = area[self.terr] & ((src == NONE) | area[np.maximum(src, 0)])
        return Options(self.unit[keep], self.terr[keep], self.delta[keep], self.counts[keep])


@dataclass(frozen=True)
class Rebalanced:
    labels: np.ndarray
    moves: int
    status: str  # "optimal", or the solver's status when a time limit stopped it


PairFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]


def boundary_options(
    labels: np.ndarray,
    current: np.ndarray,
    cost_of: PairFunction,
    adj: sp.csr_array,
    allowed_arc: PairFunction,
    contiguous: bool,
    extra_unit: np.ndarray,
    extra_terr: np.ndarray,
) -> Options:
    """Single moves: a unit to a territory it touches (and, without contiguity, to the extra
    candidate pairs given, such as its nearest territories). When contiguity is asked, only units
    whose leaving keeps their territory in one piece. Unplaced units (NONE) get every option; an
    option counts as a move when it takes a unit away from its `current` territory.

    `cost_of(unit, terr)` prices a unit in a territory; `allowed_arc(unit, terr)` says whether
    skills and locks allow it."""
    n = labels.size
    coo = adj.tocoo()
    src, dst = np.asarray(coo.row), np.asarray(coo.col)
    touching = (labels[dst] != NONE) & (labels[src] != labels[dst])
    unit = np.concatenate([src[touching], extra_unit])
    terr = np.concatenate([labels[dst[touching]], extra_terr])
    k = int(max(labels.max(initial=0), terr.max(initial=0))) + 1
    if contiguous:
        unit, terr = unit[: int(np.count_nonzero(touching))], terr[: int(np.count_nonzero(touching))]
    key = distinct(unit * k + terr)
    unit, terr = key // k, key % k
    keep = (terr != labels[unit]) & allowed_arc(unit, terr)
    unit, terr = unit[keep], terr[keep]
    if contiguous and unit.size:
        # Every arc came from a touching edge; keep the units whose leaving leaves no hole.
        neighbours = _lists(adj)
        safe = np.ones(n, dtype=bool)
        for u in distinct(unit[labels[unit] != NONE]).tolist():
            safe[u] = may_leave(u, int(labels[u]), -1, labels, neighbours, touch=False)
        keep = safe[unit]
        unit, terr = unit[keep], terr[keep]
    placed = labels[unit] != NONE
    here = np.where(placed, labels[unit], terr)
    delta = cost_of(unit, terr) - np.where(placed, cost_of(unit, here), 0.0)
    counts = (current[unit] != NONE) & (current[unit] != terr)
    return Options(unit, terr, delta, counts.astype(np.float64))


def _lists(adj: sp.csr_array) -> list[list[int]]:
    indptr, indices = adj.indptr, adj.indices
    flat = indices.tolist()
    return [flat[indptr[i] : indptr[i + 1]] for i in range(adj.shape[0])]


def fewest_moves(
    labels: np.ndarray,
    current: np.ndarray,
    amounts: np.ndarray,
    bands: Bands,
    options: Options,
    adj: sp.csr_array,
    contiguous: bool,
    max_moves: int | None,
    time_limit: float,
    seed: int,
    gap: float = 1e-6,
) -> Rebalanced | None:
    """Move as few units as possible so every territory is inside its band, then, keeping that
    number, as compactly as possible. `labels` is where each unit starts (NONE: unplaced, which
    must be placed); moves count against `current`. None when single boundary moves cannot do it.
    `gap` lets the first MILP stop at a relative gap: near-fewest moves are enough to repair."""
    k, m = bands.lower.shape
    options = _thin(options, labels, k)
    base = np.zeros((k, m))
    placed = labels != NONE
    for metric in range(m):
        base[:, metric] = np.bincount(labels[placed], weights=amounts[placed, metric], minlength=k)
    unplaced = np.flatnonzero(~placed)
    if unplaced.size and np.setdiff1d(unplaced, options.unit).size:
        return None  # an unplaced unit with nowhere to go
    matrix, lower, upper = _rows(labels, amounts, bands, options, base, unplaced)
    forbidden: list[np.ndarray] = []
    status = "optimal"
    # `time_limit` is for the whole of this call: each of up to 2 x CUT_ROUNDS MILPs gets what is
    # left of it (each got all of it, and a rule-breaking planted instance ran 400 s of a 60 s limit).
    deadline = time.perf_counter() + time_limit
    for _round in range(CUT_ROUNDS):
        if time.perf_counter() >= deadline:
            return None
        rows, low, up = _with_cuts(matrix, lower, upper, forbidden, options.unit.size)
        first = highs.solve(
            options.counts,
            rows,
            low,
            up,
            integer=True,
            time_limit=_left(deadline),
            seed=seed,
            gap=gap,
            node_limit=NODE_LIMIT,
        )
        if not first.has_solution:
            return None
        status = first.status
        fewest = float(np.round(options.counts @ np.round(first.x)))
        if max_moves is not None and fewest > max_moves:
            return None
        # Among the fewest moves, the most compact: one more row caps the number of moves.
        cap = sp.csc_array(options.counts.reshape(1, -1))
        second = highs.solve(
            options.delta,
            sp.vstack([rows, cap]).tocsc(),
            np.append(low, 0.0),
            np.append(up, fewest + 0.5),
            integer=True,
            time_limit=_left(deadline),
            seed=seed,
            presolve=False,  # HiGHS's presolve takes seconds over the dense cap row
            node_limit=NODE_LIMIT,
        )
        chosen = (second if second.has_solution else first).x > 0.5
        if second.has_solution and second.status == "time limit":
            status = second.status
        result = labels.copy()
        result[options.unit[chosen]] = options.terr[chosen]
        moves = int(np.count_nonzero((current != NONE) & (result != current)))
        if not contiguous:
            return Rebalanced(result, moves, status)
        broken = _cut_territories(adj, labels, result)
        if broken.size == 0:
            return Rebalanced(result, moves, status)
        # These moves out of one territory together cut it: at most all but one of them.
        for j in broken.tolist():
            leaving = np.flatnonzero(chosen & (labels[options.unit] == j))
            forbidden.append(leaving)
    return None


def _left(deadline: float) -> float:
    return max(0.05, deadline - time.perf_counter())


def _thin(options: Options, labels: np.ndarray, k: int) -> Options:
    """Keep each territory's MOVES_PER_TERRITORY cheapest outgoing moves, and every placement."""
    src = np.where(labels[options.unit] != NONE, labels[options.unit], k)
    order = np.lexsort((options.unit, options.delta, src))
    first = np.searchsorted(src[order], src[order], side="left")
    rank = np.arange(order.size) - first
    keep = np.sort(order[(rank < MOVES_PER_TERRITORY) | (src[order] == k)])
    return Options(options.unit[keep], options.terr[keep], options.delta[keep], options.counts[keep])


def _rows(
    labels: np.ndarray,
    amounts: np.ndarray,
    bands: Bands,
    options: Options,
    base: np.ndarray,
    unplaced: np.ndarray,
) -> tuple[sp.csc_array, np.ndarray, np.ndarray]:
    """Each unit takes at most one move (an unplaced unit exactly one); every band holds."""
    k, m = bands.lower.shape
    arcs = np.arange(options.unit.size)
    movers, slot = np.unique(options.unit, return_inverse=True)
    slot = slot.ravel()
    rows, cols, vals = [slot], [arcs], [np.ones(arcs.size)]
    must = np.isin(movers, unplaced)
    lower = [must.astype(np.float64)]
    upper = [np.ones(movers.size)]
    offset = movers.size
    src = labels[options.unit]
    placed = src != NONE
    for metric in range(m):
        amount = amounts[options.unit, metric]
        rows += [offset + options.terr * m + metric, offset + src[placed] * m + metric]
        cols += [arcs, arcs[placed]]
        vals += [amount, -amount[placed]]
    width = np.maximum(bands.upper - bands.lower, 0.0)
    margin = np.minimum(BAND_MARGIN * np.maximum(np.abs(bands.upper), 1.0), width / 4)
    lower.append((bands.lower + margin - base).ravel())
    upper.append((bands.upper - margin - base).ravel())
    matrix = sp.csc_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(offset + k * m, arcs.size),
    )
    return matrix, np.concatenate(lower), np.concatenate(upper)


def _with_cuts(
    matrix: sp.csc_array, lower: np.ndarray, upper: np.ndarray, forbidden: list[np.ndarray], n_arcs: int
) -> tuple[sp.csc_array, np.ndarray, np.ndarray]:
    if not forbidden:
        return matrix, lower, upper
    rows = np.concatenate([np.full(f.size, i) for i, f in enumerate(forbidden)])
    cols = np.concatenate(forbidden)
    cuts = sp.csc_array((np.ones(cols.size), (rows, cols)), shape=(len(forbidden), n_arcs))
    caps = np.array([f.size - 1 for f in forbidden], dtype=np.float64)
    return (
        sp.vstack([matrix, cuts]).tocsc(),
        np.concatenate([lower, np.zeros(len(forbidden))]),
        np.concatenate([upper, caps]),
    )


def _cut_territories(adj: sp.csr_array, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Territories that lost units and are no longer in one piece."""
    changed = distinct(before[(before != after) & (before != NONE)])
    if changed.size == 0:
        return changed
    was = territory_components(adj, before)
    now = territory_components(adj, after)
    broken = []
    for j in changed.tolist():
        if distinct(now[after == j]).size > distinct(was[before == j]).size:
            broken.append(j)
    return np.array(broken, dtype=np.int64)
