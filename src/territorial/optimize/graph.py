"""Unit adjacency (given edges, or a Delaunay triangulation of the points) and territory connectivity."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay, QhullError

from territorial.optimize.problem import Units


def adjacency(units: Units) -> sp.csr_array:
    """Symmetric 0/1 adjacency over the units, without self-loops."""
    n = len(units)
    pairs = units.edges if units.edges is not None else point_edges(units.flat())
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    matrix = sp.csr_array((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix


def point_edges(points: np.ndarray) -> np.ndarray:
    """Delaunay neighbours of points; units on the same spot are joined to each other and to
    their spot's neighbours. Points on one line are chained in order."""
    n = len(points)
    if n <= 1:
        return np.zeros((0, 2), dtype=np.int64)
    spots, first, spot_of = np.unique(points, axis=0, return_index=True, return_inverse=True)
    spot_of = spot_of.ravel()
    spot_pairs = _spot_edges(spots)
    # Each spot is stood for by its first unit; the others on it copy that unit's edges.
    lead = first[spot_pairs]
    edges = [lead]
    others = np.flatnonzero(first[spot_of] != np.arange(n))
    if others.size:
        edges.append(np.column_stack([others, first[spot_of[others]]]))
        for a, b in ((0, 1), (1, 0)):
            spot_a = spot_pairs[:, a]
            for unit in others:  # rare: identical coordinates
                mine = spot_a == spot_of[unit]
                nbrs = first[spot_pairs[mine, b]]
                edges.append(np.column_stack([np.full(nbrs.size, unit), nbrs]))
    return np.concatenate(edges).astype(np.int64)


def _spot_edges(spots: np.ndarray) -> np.ndarray:
    m = len(spots)
    if m == 1:
        return np.zeros((0, 2), dtype=np.int64)
    if m >= 3:
        try:
            tri = Delaunay(spots)
        except QhullError:
            tri = None
        if tri is not None:
            indptr, indices = tri.vertex_neighbor_vertices
            src = np.repeat(np.arange(m), np.diff(indptr))
            keep = src < indices
            return np.column_stack([src[keep], indices[keep]])
    order = np.lexsort((spots[:, 1], spots[:, 0]))
    return np.column_stack([order[:-1], order[1:]])


def territory_components(adj: sp.csr_array, labels: np.ndarray) -> np.ndarray:
    """Connected-component id of every unit in the graph cut to edges inside one territory."""
    coo = adj.tocoo()
    inside = labels[coo.row] == labels[coo.col]
    n = adj.shape[0]
    cut = sp.csr_array((coo.data[inside], (coo.row[inside], coo.col[inside])), shape=(n, n))
    _count, component = connected_components(cut, directed=False)
    return np.asarray(component)


def contiguous(adj: sp.csr_array, labels: np.ndarray, k: int) -> np.ndarray:
    """(k,) True where a territory's units form one connected piece (empty counts as connected)."""
    component = territory_components(adj, labels)
    pieces = np.zeros(k, dtype=np.int64)
    seen = np.unique(np.column_stack([labels, component]), axis=0)
    np.add.at(pieces, seen[:, 0], 1)
    return np.asarray(pieces <= 1)
