"""Where territories sit: a balanced recursive bisection to start from, and each territory's centre."""

from __future__ import annotations

import numpy as np

from territorial.geo.distance import haversine_km

WEISZFELD_STEPS = 4


def balanced_bisection(points: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Split the points in two along their main axis so each side's weight matches its share of
    capacity, and recurse until each territory has its own part. Returns a territory per point."""
    n, k = len(points), len(capacity)
    labels = np.zeros(n, dtype=np.int64)
    stack = [(np.arange(n), np.arange(k))]
    while stack:
        idx, terr = stack.pop()
        if len(terr) == 1 or idx.size == 0:
            labels[idx] = terr[0]
            continue
        half = len(terr) // 2
        share = capacity[terr[:half]].sum() / capacity[terr].sum()
        order = idx[np.lexsort((idx, _main_axis(points[idx])))]
        cumulative = np.cumsum(weight[order])
        goal = share * cumulative[-1]
        cut = int(np.searchsorted(cumulative, goal))
        if cut < order.size and cut > 0 and goal - cumulative[cut - 1] < cumulative[cut] - goal:
            cut -= 1  # the nearer of the two cut points
        cut = min(max(cut + 1, 1), order.size - 1) if order.size > 1 else 1
        stack.append((order[cut:], terr[half:]))
        stack.append((order[:cut], terr[:half]))
    return labels


def spread_picks(points: np.ndarray, weight: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k distinct point indices drawn by weighted k-means++: the first in proportion to weight,
    each next in proportion to weight × squared distance to the nearest point already drawn, so
    the picks spread over the map. When every point sits on a drawn one, any point not yet drawn."""
    chosen = [int(rng.choice(weight.size, p=weight / weight.sum()))]
    nearest = np.sum((points - points[chosen[0]]) ** 2, axis=1)
    for _ in range(k - 1):
        spread = weight * nearest
        if spread.sum() > 0:
            pick = int(rng.choice(weight.size, p=spread / spread.sum()))
        else:
            pick = int(rng.choice(np.setdiff1d(np.arange(weight.size), chosen)))
        chosen.append(pick)
        nearest = np.minimum(nearest, np.sum((points - points[pick]) ** 2, axis=1))
    return np.array(chosen, dtype=np.int64)


def _main_axis(points: np.ndarray) -> np.ndarray:
    """Projection of the points on their principal axis (the direction of greatest spread)."""
    centred = points - points.mean(axis=0)
    if len(points) < 2:
        return np.asarray(centred[:, 0])
    cov = centred.T @ centred
    _values, vectors = np.linalg.eigh(cov)
    axis = vectors[:, -1]
    axis = axis if axis[np.argmax(np.abs(axis))] > 0 else -axis  # a fixed sign: determinism
    return np.asarray(centred @ axis)


def centres(
    xy: np.ndarray,
    geographic: bool,
    unit: np.ndarray,
    terr: np.ndarray,
    mass: np.ndarray,
    previous: np.ndarray,
) -> np.ndarray:
    """The weighted median point (Weber point) of each territory: the spot that minimises its
    workload-weighted distance. Unit unit[a] puts mass[a] in territory terr[a]; a territory
    without mass keeps its previous centre."""
    k = len(previous)
    total = np.bincount(terr, weights=mass, minlength=k)
    filled = total > 0
    centre = previous.copy()
    centre[filled] = _weighted_mean(xy[unit], terr, mass, k)[filled]
    for _ in range(WEISZFELD_STEPS):
        a, b = xy[unit], centre[terr]
        if geographic:
            d = haversine_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
        else:
            d = np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])
        step = _weighted_mean(xy[unit], terr, mass / np.maximum(d, 1e-9), k)
        centre[filled] = step[filled]
    return centre


def _weighted_mean(points: np.ndarray, group: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    total = np.bincount(group, weights=weight, minlength=k)
    safe = np.where(total > 0, total, 1.0)
    return np.column_stack(
        [np.bincount(group, weights=weight * points[:, c], minlength=k) / safe for c in range(2)]
    )
