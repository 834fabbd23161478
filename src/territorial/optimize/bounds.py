"""Proof of quality: a lower bound on the cost for given centres, and on the moves a rebalance needs."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from territorial.optimize import highs
from territorial.optimize.allocate import Bands, MoveLimit
from territorial.optimize.problem import NONE, Units, distances

CHUNK_ARCS = 2_000_000  # units × territories evaluated at once


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
    n = len(units)
    k, m = bands.lower.shape
    y = band_duals.reshape(k, m)
    locked = units.locked_or_none()
    current = moves.current if moves is not None else units.current_or_none()
    total = float(np.sum(np.where(y > 0, y * bands.lower, y * bands.upper)))
    if moves is not None and move_dual > 0:
        total += move_dual * moves.keep
    step = max(1, CHUNK_ARCS // max(k, 1))
    terr = np.arange(k)
    for start in range(0, n, step):
        rows = np.arange(start, min(n, start + step))
        grid_rows = np.repeat(rows, k)
        grid_cols = np.tile(terr, rows.size)
        cost = weight[grid_rows] * distances(units, grid_rows, centres, grid_cols)
        reduced = cost.reshape(rows.size, k) - bands.amounts[rows] @ y.T
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


def min_moves(bands: Bands, current: np.ndarray, locked: np.ndarray) -> float:
    """The LP minimum number of units that must leave their current territory to bring every
    territory inside its bands: over-full territories must shed their excess, and what shortfall
    the unplaced units cannot fill must come from moved units. 0 when nothing has a territory."""
    k, m = bands.lower.shape
    placed = current != NONE
    if not placed.any():
        return 0.0
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
        return 0.0
    matrix = sp.csc_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(row, movable.size)
    )
    solution = highs.solve(
        np.ones(movable.size), matrix, np.array(lower), np.full(row, highs.INF), col_upper=1.0
    )
    return solution.objective if solution.has_solution else float("inf")
