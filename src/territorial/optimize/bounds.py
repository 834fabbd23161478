"""Proof of quality: a lower bound on the cost for given centres, and on the moves a rebalance needs."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp

from territorial.optimize import highs
from territorial.optimize.allocate import Bands, MoveLimit
from territorial.optimize.problem import NONE, Units, distances

CHUNK_ARCS = 2_000_000  # units × territories evaluated at once
SUBGRADIENT_STEPS = 60


def lagrangian_bound(
    units: Units,
    centres: np.ndarray,
    weight: np.ndarray,
    bands: Bands,
    band_duals: np.ndarray,
    moves: MoveLimit | None,
    move_dual: float,
    move_penalty: float,
    group: np.ndarray,
    allowed: np.ndarray,
) -> float:
    """A lower bound on the cost of every assignment that holds the bands (and the move budget),
    for these centres, over all eligible territories, not only the nearest candidates.

    The band and budget rows are priced with multipliers (the duals of the transport LP, which
    makes the bound equal that LP's value when no left-out arc would have helped); what is left
    splits into one choice per unit. Any multipliers of the right sign give a valid bound."""
    k, m = bands.lower.shape
    y = band_duals.reshape(k, m)
    locked = units.locked_or_none()
    current = moves.current if moves is not None else units.current_or_none()
    total = float(np.sum(np.where(y > 0, y * bands.lower, y * bands.upper)))
    if moves is not None and move_dual > 0:
        total += move_dual * moves.keep
    terr = np.arange(k)
    for rows, near in distance_chunks(units, centres):
        reduced = weight[rows][:, None] * near - bands.amounts[rows] @ y.T
        cur = current[rows]
        has = cur != NONE
        if move_penalty:
            moved = has[:, None] & (terr[None, :] != cur[:, None])
            reduced += move_penalty * moved
        if moves is not None and move_dual > 0:
            reduced[np.flatnonzero(has), cur[has]] -= move_dual
        reduced[~allowed[group[rows]]] = np.inf
        pinned = locked[rows] != NONE
        if pinned.any():
            keep = reduced[pinned, locked[rows][pinned]]
            reduced[pinned] = np.inf
            reduced[np.flatnonzero(pinned), locked[rows][pinned]] = keep
        total += float(reduced.min(axis=1).sum())
    return total


def distance_chunks(units: Units, centres: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every unit's distance to every centre, about CHUNK_ARCS at a time: (rows, (rows, k) grid)."""
    n, k = len(units), len(centres)
    step = max(1, CHUNK_ARCS // max(k, 1))
    terr = np.arange(k)
    for start in range(0, n, step):
        rows = np.arange(start, min(n, start + step))
        grid_rows = np.repeat(rows, k)
        grid_cols = np.tile(terr, rows.size)
        yield rows, distances(units, grid_rows, centres, grid_cols).reshape(rows.size, k)


def min_moves(bands: Bands, current: np.ndarray, locked: np.ndarray) -> float:
    """The LP minimum number of units that must leave their current territory to bring every
    territory inside its bands: over-full territories must shed their excess, and what shortfall
    the unplaced units cannot fill must come from moved units. 0 when nothing has a territory."""
    model = _moves_model(bands, current, locked)
    if model is None:
        return 0.0
    solution = highs.solve(*model, col_upper=1.0, presolve=False)
    return solution.objective if solution.has_solution else float("inf")


def min_moves_whole(bands: Bands, current: np.ndarray, locked: np.ndarray) -> float:
    """A whole-number lower bound on the moves, never below the LP's rounded up: each over-full
    territory must shed its excess in whole units (its largest first give the fewest), and the
    shortfall the unplaced units leave must be filled by whole units of some territory."""
    k, m = bands.lower.shape
    placed = current != NONE
    lp = min_moves(bands, current, locked)
    if not placed.any() or not np.isfinite(lp):
        return lp if placed.any() else 0.0
    amounts = bands.amounts
    movable = placed & (locked == NONE)
    shed = np.zeros(k)
    filled = 0.0
    for metric in range(m):
        sums = np.bincount(current[placed], weights=amounts[placed, metric], minlength=k)
        for terr in np.flatnonzero(sums > bands.upper[:, metric]):
            mine = amounts[movable & (current == terr), metric]
            shed[terr] = max(shed[terr], _fewest_covering(mine, sums[terr] - bands.upper[terr, metric]))
        unplaced = amounts[~placed, metric].sum()
        shortfall = np.maximum(bands.lower[:, metric] - sums, 0.0).sum() - unplaced
        if shortfall > 0:
            filled = max(filled, _fewest_covering(amounts[movable, metric], shortfall))
    return float(max(np.ceil(lp - 1e-6), shed.sum(), filled))


def _fewest_covering(amounts: np.ndarray, need: float) -> float:
    """How many of these amounts, at the fewest, add up to `need` (largest first)."""
    total = np.cumsum(np.sort(amounts)[::-1])
    count = int(np.searchsorted(total, need * (1 - 1e-9)))
    return float(count + 1) if count < total.size else float("inf")


def _moves_model(
    bands: Bands, current: np.ndarray, locked: np.ndarray
) -> tuple[np.ndarray, sp.csc_array, np.ndarray, np.ndarray] | None:
    k, m = bands.lower.shape
    placed = current != NONE
    if not placed.any():
        return None
    amounts = bands.amounts
    sums = np.zeros((k, m))
    for metric in range(m):
        sums[:, metric] = np.bincount(current[placed], weights=amounts[placed, metric], minlength=k)
    unplaced = amounts[~placed].sum(axis=0)
    movable = np.flatnonzero(placed & (locked == NONE))
    rows, cols, vals, lower = [], [], [], []
    row = 0
    for metric in range(m):
        for terr in np.flatnonzero(sums[:, metric] > bands.upper[:, metric]):
            mine = np.flatnonzero(current[movable] == terr)
            rows.append(np.full(mine.size, row))
            cols.append(mine)
            vals.append(amounts[movable[mine], metric])
            lower.append(sums[terr, metric] - bands.upper[terr, metric])
            row += 1
        shortfall = np.maximum(bands.lower[:, metric] - sums[:, metric], 0.0).sum() - unplaced[metric]
        if shortfall > 0:
            rows.append(np.full(movable.size, row))
            cols.append(np.arange(movable.size))
            vals.append(amounts[movable, metric])
            lower.append(shortfall)
            row += 1
    if row == 0:
        return None
    matrix = sp.csc_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(row, movable.size)
    )
    return np.ones(movable.size), matrix, np.array(lower), np.full(row, highs.INF)


def grouped_bound(
    units: Units,
    centres: np.ndarray,
    base: np.ndarray,
    extra: np.ndarray,
    ratio: np.ndarray,
    residual: np.ndarray,
    spread: float,
    bands: Bands,
    band_duals: np.ndarray,
) -> float:
    """The Lagrangian bound of `lagrangian_bound` for accounts grouped in units, computed per unit
    yet valid for every split of the units' accounts. An account lies at least (its unit point's
    distance − its own offset from that point) from any centre, and `spread` sums the accounts'
    cost weight × offset; its cost weight is its workload plus a constant, and its scaled amounts
    are its workload times its unit's `ratio` plus a residual.

    Per unit: `base` and `extra` sum the accounts' workloads and constants, `residual[u, m]` the
    residuals' absolute values (0 when the workload is the only balanced metric). Plain requests
    only (no skills, locks or moves)."""
    k, m = bands.lower.shape
    y = band_duals.reshape(k, m)
    total = float(np.sum(np.where(y > 0, y * bands.lower, y * bands.upper)))
    total -= float(residual.sum(axis=0) @ np.abs(y).max(axis=0)) + spread
    for rows, near in distance_chunks(units, centres):
        reduced = near - ratio[rows] @ y.T
        total += float(base[rows] @ reduced.min(axis=1) + extra[rows] @ near.min(axis=1))
    return total


def improved_lagrangian(
    cost: np.ndarray,
    amounts: np.ndarray,
    bands: Bands,
    start: np.ndarray,
    upper_bound: float,
    iterations: int = SUBGRADIENT_STEPS,
) -> float:
    """The best Lagrangian bound found by supergradient ascent from the multipliers `start`
    (k, m), over a dense (n, k) `cost` matrix (inf where a unit may not go): when the transport LP
    saw only a few candidates per unit its duals price the rest badly, and a few cheap steps
    recover most of the gap. Every value it returns is a valid bound, whatever the steps."""
    k, m = bands.lower.shape
    y = start.reshape(k, m).astype(np.float64).copy()
    best = -np.inf
    step = 1.0
    stalled = 0
    for _step in range(iterations):
        choice, least = _cheapest(cost, amounts, y)
        value = float(np.sum(np.minimum(y * bands.lower, y * bands.upper)) + least)
        if not np.isfinite(best) or value > best + 1e-9 * max(1.0, abs(best)):
            best, stalled = value, 0
        else:
            stalled += 1
            if stalled >= 3:
                step, stalled = step / 2, 0
        taken = np.column_stack([np.bincount(choice, weights=amounts[:, c], minlength=k) for c in range(m)])
        side = np.where(
            y > 0, bands.lower, np.where(y < 0, bands.upper, np.clip(taken, bands.lower, bands.upper))
        )
        slope = side - taken
        norm = float(np.sum(slope**2))
        if norm <= 1e-18 or not np.isfinite(value):
            break
        y += step * max(upper_bound - value, 0.0) / norm * slope
    return best


# Rows of the (n, k) reduced-cost matrix priced at a time: a block of this many rows stays in the
# CPU cache, where pricing the whole matrix at once streams it through memory twice a step.
_PRICING_ROWS = 2048


def _cheapest(cost: np.ndarray, amounts: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Each unit's cheapest territory at the reduced cost `cost - amounts @ y.T`, and the sum of
    those least reduced costs."""
    n = cost.shape[0]
    choice = np.empty(n, dtype=np.int64)
    least = 0.0
    prices = y.T
    for first in range(0, n, _PRICING_ROWS):
        block = slice(first, min(first + _PRICING_ROWS, n))
        reduced = cost[block] - amounts[block] @ prices
        chosen = np.argmin(reduced, axis=1)
        choice[block] = chosen
        least += float(np.take_along_axis(reduced, chosen[:, None], axis=1).sum())
    return choice, least
