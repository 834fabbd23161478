"""Planted balancing instances: real ZIP points with a hidden contiguous partition that is within
±1% on every metric, so a feasible ±5% contiguous answer is known to exist.

Built in three steps (issue 17):
1. the n real ZCTA points nearest a random populated ZIP, and their Delaunay edges; k parts of
   set sizes cut by straight lines at random angles, each cut kept only when both sides are
   connected over the edges;
2. skewed (log-normal) activities per unit, clipped so that no unit holds more than a set share of
   its part;
3. each part's activities multiplied by one factor per part and metric, so that every part's
   total is the mean part total within ±1%.

A part's factor is how dense its activity is against the others': part sizes are drawn in
proportion to 1 / factor, with factors drawn from `spread` (e.g. [0.7, 1.3], or [0.25, 4] for dense
cities beside empty land), so the factors that equalise the parts come out close to those drawn.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay

from territorial.generate.accounts import populated_zips

PLANTED_WITHIN = 0.01
# Column names as real unit files have them, count-like ones included: a column named in --metric
# is always that column.
METRIC_NAMES = ("accounts", "count", "workload", "revenue")
# Redraws of the seeds before a partition that meets the part-size floor is given up on.
GROW_ATTEMPTS = 50
# Cut angles tried before a split is given up on (and the whole partition redrawn).
CUT_ATTEMPTS = 30


@dataclass(frozen=True)
class Rules:
    """What a planted instance promises: parts of at least `min_part` units, no unit over
    `max_share` of its part, part factors within `spread`."""

    min_part: int = 20
    max_share: float = 0.25
    spread: tuple[float, float] = (0.7, 1.3)
    # Half the parts get one unit holding a share in this range (rule-breaking instances).
    heavy: tuple[float, float] | None = None


@dataclass(frozen=True)
class Planted:
    units: pl.DataFrame  # id, lat, lon, one column per metric
    edges: pl.DataFrame  # a, b (unit ids)
    part: np.ndarray  # the planted part of each unit
    metrics: tuple[str, ...]
    factors: np.ndarray  # (k, metrics): what each part's activity was multiplied by

    @property
    def k(self) -> int:
        return int(self.part.max()) + 1


@functools.cache
def _zip_points() -> np.ndarray:
    frame = populated_zips().sort("zip")
    return np.column_stack([frame["lat"].to_numpy(), frame["lon"].to_numpy()])


def planted_instance(seed: int, n: int, k: int, metrics: int, rules: Rules = Rules()) -> Planted:
    """The planted instance for a seed: n units, k parts, `metrics` activity columns."""
    if k * rules.min_part > n:
        raise ValueError(f"{k} parts of at least {rules.min_part} units need more than {n} units")
    rng = np.random.default_rng(seed)
    points = _zip_points()
    centre = points[rng.integers(len(points))]
    nearest = np.argsort(np.hypot(*(points - centre).T), kind="stable")[:n]
    xy = points[np.sort(nearest)]
    pairs = delaunay_pairs(xy)
    low, high = rules.spread
    density = np.exp(rng.uniform(np.log(low), np.log(high), k))
    part = _grow(rng, xy, pairs, _part_sizes(n, 1.0 / density, rules.min_part), rules.min_part)
    names = tuple(rng.choice(METRIC_NAMES, size=metrics, replace=False).tolist())
    columns: dict[str, object] = {"id": [f"U{i:05d}" for i in range(n)], "lat": xy[:, 0], "lon": xy[:, 1]}
    factors = np.empty((k, metrics))
    for m, name in enumerate(names):
        raw = rng.lognormal(0.0, rng.uniform(0.5, 1.5), n)
        if rules.heavy is not None:
            raw = _with_heavy_units(rng, raw, part, k, rules.heavy)
        raw = _capped(raw, part, k, rules.max_share)
        # Skewed within a part, the same mean per unit in every part (shares unchanged): the
        # factor alone sets how dense a part's activity is.
        raw *= (np.bincount(part, minlength=k) / np.bincount(part, weights=raw, minlength=k))[part]
        sums = np.bincount(part, weights=raw, minlength=k)
        off = rng.uniform(-1.0, 1.0, k)
        off -= off.mean()  # the target is the mean part: keep every part within ±1% of it
        goal = sums.mean() * (1.0 + off * (PLANTED_WITHIN * 0.99 / max(np.abs(off).max(), 1e-12)))
        factors[:, m] = goal / sums
        columns[name] = np.round(raw * factors[part, m], 6)
    ids = np.asarray(columns["id"])
    edges = pl.DataFrame({"a": ids[pairs[:, 0]], "b": ids[pairs[:, 1]]})
    return Planted(pl.DataFrame(columns), edges, part, names, factors / np.exp(np.log(factors).mean(axis=0)))


def delaunay_pairs(xy: np.ndarray) -> np.ndarray:
    """The (a < b) Delaunay edges between points, sorted; coincident points are nudged apart."""
    triangles = Delaunay(xy + np.arange(len(xy))[:, None] * 1e-9).simplices
    pairs = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [0, 2]]])
    return np.unique(np.sort(pairs, axis=1), axis=0)


def _part_sizes(n: int, shares: np.ndarray, floor: int) -> np.ndarray:
    """n split in proportion to `shares`, each part at least `floor` (largest remainders)."""
    spare = n - floor * len(shares)
    ideal = spare * shares / shares.sum()
    sizes = np.floor(ideal).astype(np.int64)
    order = np.argsort(-(ideal - sizes), kind="stable")
    sizes[order[: spare - int(sizes.sum())]] += 1
    return np.asarray(sizes + floor)


def _grow(
    rng: np.random.Generator, xy: np.ndarray, pairs: np.ndarray, sizes: np.ndarray, floor: int
) -> np.ndarray:
    """Connected parts of exactly `sizes` units, by recursive straight cuts at random angles: each
    cut splits the units and the parts in two, at the count the parts on each side need, and is
    kept only when both sides are connected."""
    n = len(xy)
    graph = sp.coo_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)).tocsr()
    graph = (graph + graph.T).tocsr()
    for _ in range(GROW_ATTEMPTS):
        part = np.full(n, -1)
        if _cut(rng, xy, graph, np.arange(n), np.arange(len(sizes)), sizes, part):
            return part
    raise ValueError(f"no partition with parts of at least {floor} units in {GROW_ATTEMPTS} attempts")


def _cut(
    rng: np.random.Generator,
    xy: np.ndarray,
    graph: sp.csr_array,
    units: np.ndarray,
    parts: np.ndarray,
    sizes: np.ndarray,
    part: np.ndarray,
) -> bool:
    if len(parts) == 1:
        part[units] = parts[0]
        return True
    parts = rng.permutation(parts)
    half = len(parts) // 2
    count = int(sizes[parts[:half]].sum())
    for _ in range(CUT_ATTEMPTS):
        angle = rng.uniform(0.0, np.pi)
        along = xy[units] @ np.array([np.cos(angle), np.sin(angle)])
        order = units[np.argsort(along, kind="stable")]
        first, second = np.sort(order[:count]), np.sort(order[count:])
        if _connected(graph, first) and _connected(graph, second):
            return _cut(rng, xy, graph, first, parts[:half], sizes, part) and _cut(
                rng, xy, graph, second, parts[half:], sizes, part
            )
    return False


def _connected(graph: sp.csr_array, units: np.ndarray) -> bool:
    pieces, _ = connected_components(graph[units][:, units], directed=False)
    return bool(pieces == 1)


def _capped(values: np.ndarray, part: np.ndarray, k: int, max_share: float) -> np.ndarray:
    """Values clipped until no unit holds more than `max_share` of its part's total."""
    values = values.copy()
    for _ in range(100):
        cap = max_share * np.bincount(part, weights=values, minlength=k)[part]
        if (values <= cap * (1 + 1e-9)).all():
            break
        values = np.minimum(values, cap * 0.999)
    return values


def _with_heavy_units(
    rng: np.random.Generator, values: np.ndarray, part: np.ndarray, k: int, share: tuple[float, float]
) -> np.ndarray:
    """In half the parts (drawn), one unit made to hold a share in `share` of its part."""
    values = values.copy()
    for p in np.flatnonzero(rng.random(k) < 0.5).tolist():
        members = np.flatnonzero(part == p)
        unit = int(rng.choice(members))
        s = rng.uniform(*share)
        values[unit] = s / (1 - s) * (values[members].sum() - values[unit])
    return values
