"""Balance and fairness of one figure across reps or territories: CV, Gini, max/min, max/mean, the share
within tolerance of each one's target, the Lorenz curve, and who falls outside."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from territorial.domain.fairness import DEFAULT_TOLERANCE, FLAGGED_COLUMNS, Fairness


def fairness(
    measure: str,
    groups: Sequence[str],
    values: np.ndarray,
    capacity: np.ndarray | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> Fairness:
    """The measures for `values` (one per group). `capacity` (one per group, > 0) weights targets; a
    group with no capacity given counts as the groups' mean capacity."""
    values = np.asarray(values, dtype=np.float64)
    weights = _weights(capacity, values.size)
    total = float(values.sum())
    target = targets(values, capacity)
    load = values / weights
    mean = float(load.mean()) if values.size else 0.0
    positive = mean > 0
    off = np.divide(values - target, target, out=np.zeros_like(values), where=target > 0)
    outside = np.where(target > 0, np.abs(off) > tolerance + 1e-12, values > 0)
    order = sorted((int(i) for i in np.flatnonzero(outside)), key=lambda i: (-abs(float(off[i])), groups[i]))
    flagged = pl.DataFrame(
        {
            "group": [groups[i] for i in order],
            "value": values[order],
            "target": target[order],
            "off_target": off[order],
        },
        schema=FLAGGED_COLUMNS,
    )
    smallest = float(load.min()) if values.size else 0.0
    return Fairness(
        measure=measure,
        groups=int(values.size),
        total=total,
        mean=float(values.mean()) if values.size else 0.0,
        capacity_weighted=capacity is not None,
        cv=float(load.std()) / mean if positive else None,
        gini=gini(load) if positive else None,
        max_over_min=float(load.max()) / smallest if positive and smallest > 0 else None,
        max_over_mean=float(load.max()) / mean if positive else None,
        within_tolerance=float(1 - outside.mean()) if values.size else None,
        tolerance=tolerance,
        lorenz=lorenz(load),
        flagged=flagged,
    )


def targets(values: np.ndarray, capacity: np.ndarray | None = None) -> np.ndarray:
    """Each group's target: its capacity's share of the total (without capacity, the mean)."""
    values = np.asarray(values, dtype=np.float64)
    weights = _weights(capacity, values.size)
    return float(values.sum()) * weights / weights.sum() if values.size else values


def gini(values: np.ndarray) -> float:
    """Mean absolute difference between every pair ÷ twice the mean (0 = equal)."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    n = ordered.size
    if n == 0 or ordered.sum() <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * ranks - n - 1) @ ordered / (n * ordered.sum()))


def lorenz(values: np.ndarray) -> list[tuple[float, float]]:
    """The Lorenz curve: after the k smallest of n groups, (k/n, their share of the total)."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    total = ordered.sum()
    if ordered.size == 0 or total <= 0:
        return [(0.0, 0.0), (1.0, 1.0)]
    shares = np.concatenate([[0.0], np.cumsum(ordered) / total])
    steps = np.arange(ordered.size + 1) / ordered.size
    return [(float(x), float(y)) for x, y in zip(steps, shares, strict=True)]


def _weights(capacity: np.ndarray | None, size: int) -> np.ndarray:
    if capacity is None:
        return np.ones(size)
    weights = np.asarray(capacity, dtype=np.float64)
    given = np.isfinite(weights) & (weights > 0)
    fill = float(weights[given].mean()) if given.any() else 1.0
    return np.where(given, weights, fill)
