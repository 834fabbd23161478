"""Unit adjacency built for the balancer: k nearest neighbours, or neighbouring regions (counties),
always joined into one connected graph so that contiguity can be asked for."""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import coo_array, csr_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from territorial.optimize.graph import point_edges

DEFAULT_NEIGHBOURS = 6


def knn_edges(points: np.ndarray, k: int = DEFAULT_NEIGHBOURS) -> np.ndarray:
    """Each place joined to its k nearest other places (symmetric); units on one spot are joined
    to each other and share their spot's neighbours; then bridged into one piece."""
    n = len(points)
    if n <= 1:
        return np.zeros((0, 2), dtype=np.int64)
    spots, first, spot_of = np.unique(points, axis=0, return_index=True, return_inverse=True)
    spot_of = spot_of.ravel()
    m = len(spots)
    spot_pairs = np.zeros((0, 2), dtype=np.int64)
    if m > 1:
        count = min(k, m - 1)
        _dist, nearest = cKDTree(spots).query(spots, k=count + 1)
        nearest = np.asarray(nearest).reshape(m, count + 1)[:, 1:]
        spot_pairs = np.column_stack([np.repeat(np.arange(m), count), nearest.ravel()])
    return bridge_components(points, _on_units(spot_of, first, spot_pairs))


def region_edges(
    points: np.ndarray, region: np.ndarray, region_pairs: np.ndarray, regions: int
) -> np.ndarray:
    """Adjacency that follows region borders (counties): two units are neighbours when they are
    Delaunay neighbours and their regions are the same, share a border, or both border one stretch
    of regions without units (land nobody works is crossed freely).

    `region` is each unit's region index in [0, regions); `region_pairs` (r, 2) lists the regions
    that share a border. Each region's units are joined among themselves, bordering regions whose
    units no Delaunay edge joins get their closest pair, and what is still apart (islands) is
    joined to the nearest unit outside it."""
    region = np.asarray(region, dtype=np.int64)
    pairs = np.asarray(region_pairs, dtype=np.int64).reshape(-1, 2)
    populated = np.zeros(regions, dtype=bool)
    populated[region] = True
    both = populated[pairs[:, 0]] & populated[pairs[:, 1]]
    direct = _symmetric(pairs[both], regions)
    crossing = _empty_stretches(pairs, populated, regions)
    everywhere = point_edges(points)
    a, b = region[everywhere[:, 0]], region[everywhere[:, 1]]
    keep = (a == b) | (np.asarray(direct[a, b]).ravel() > 0)
    keep |= np.asarray(crossing[a].multiply(crossing[b]).sum(axis=1)).ravel() > 0
    edges = [everywhere[keep]]
    order = np.argsort(region, kind="stable")
    starts = np.searchsorted(region[order], np.arange(regions + 1))
    members = [order[starts[r] : starts[r + 1]] for r in range(regions)]
    for units in members:
        if units.size > 1:
            edges.append(units[point_edges(points[units])])
    kept = edges[0]
    linked = set(zip(region[kept[:, 0]].tolist(), region[kept[:, 1]].tolist(), strict=True))
    trees: dict[int, cKDTree] = {}
    for ra, rb in pairs[both].tolist():
        if (ra, rb) in linked or (rb, ra) in linked:
            continue
        if rb not in trees:
            trees[rb] = cKDTree(points[members[rb]])
        dist, nearest = trees[rb].query(points[members[ra]])
        best = int(np.argmin(dist))
        edges.append(np.array([[members[ra][best], members[rb][int(np.atleast_1d(nearest)[best])]]]))
    return bridge_components(points, np.concatenate(edges).astype(np.int64))


def _symmetric(pairs: np.ndarray, size: int) -> csr_array:
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    return csr_array((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(size, size))


def _empty_stretches(pairs: np.ndarray, populated: np.ndarray, regions: int) -> csr_array:
    """(regions, stretches): which connected stretch of unpopulated regions each region borders."""
    empty_pairs = pairs[~populated[pairs[:, 0]] & ~populated[pairs[:, 1]]]
    _count, stretch = connected_components(_symmetric(empty_pairs, regions), directed=False)
    touching = np.concatenate([pairs, pairs[:, ::-1]])
    touching = touching[populated[touching[:, 0]] & ~populated[touching[:, 1]]]
    return csr_array(
        (np.ones(len(touching), dtype=np.int8), (touching[:, 0], stretch[touching[:, 1]])),
        shape=(regions, regions),
    )


def bridge_components(points: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """`edges` plus, while the graph falls apart, an edge from every piece but the largest to the
    nearest unit outside it (Borůvka rounds: the number of pieces at least halves each round)."""
    n = len(points)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    if n <= 1:
        return _unique(edges)
    tree: cKDTree | None = None
    while True:
        graph = coo_array((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
        pieces, piece = connected_components(graph, directed=False)
        if pieces == 1:
            return _unique(edges)
        tree = tree or cKDTree(points)
        largest = int(np.argmax(np.bincount(piece)))
        bridges = [
            _nearest_outside(tree, points, np.flatnonzero(piece == p), piece)
            for p in range(pieces)
            if p != largest
        ]
        edges = np.concatenate([edges, np.array(bridges, dtype=np.int64)])


def _nearest_outside(tree: cKDTree, points: np.ndarray, inside: np.ndarray, piece: np.ndarray) -> list[int]:
    """The closest pair (a unit of `inside`, a unit of another piece)."""
    n, own = len(points), piece[inside[0]]
    count = min(n, len(inside) + 1, 8)
    while True:
        dist, found = tree.query(points[inside], k=count)
        dist = np.asarray(dist).reshape(len(inside), count)
        found = np.asarray(found).reshape(len(inside), count)
        away = piece[np.minimum(found, n - 1)] != own
        if away.any():
            dist = np.where(away, dist, np.inf)
            row, col = np.unravel_index(int(np.argmin(dist)), dist.shape)
            return [int(inside[row]), int(found[row, col])]
        count = min(n, count * 4)


def _on_units(spot_of: np.ndarray, first: np.ndarray, spot_pairs: np.ndarray) -> np.ndarray:
    """Unit pairs from spot pairs: each spot's first unit stands for it; the other units on a spot
    are joined to it and to the first units of its neighbouring spots."""
    n = len(spot_of)
    lead = first[spot_of]
    others = np.flatnonzero(lead != np.arange(n))
    edges = [first[spot_pairs], np.column_stack([others, lead[others]])]
    if others.size and spot_pairs.size:
        on_spot = pl.DataFrame({"unit": others, "spot": spot_of[others]})
        for a, b in ((0, 1), (1, 0)):
            pairs = pl.DataFrame({"spot": spot_pairs[:, a], "neighbour": first[spot_pairs[:, b]]})
            joined = on_spot.join(pairs, on="spot")
            edges.append(joined.select("unit", "neighbour").to_numpy())
    return np.concatenate(edges).astype(np.int64)


def _unique(edges: np.ndarray) -> np.ndarray:
    edges = edges[edges[:, 0] != edges[:, 1]]
    return np.unique(np.sort(edges, axis=1), axis=0) if edges.size else edges
