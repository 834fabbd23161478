"""Unit adjacency and territory connectivity."""

from __future__ import annotations

import numpy as np

from territorial.optimize.graph import adjacency, contiguous, point_edges
from territorial.optimize.location import balanced_bisection
from territorial.optimize.problem import Units


def units_at(points: list[tuple[float, float]], edges: np.ndarray | None = None) -> Units:
    xy = np.array(points, dtype=float)
    return Units(
        ids=[str(i) for i in range(len(points))],
        xy=xy,
        geographic=False,
        metrics={"workload": np.ones(len(points))},
        edges=edges,
    )


def neighbours(adj: object, i: int) -> set[int]:
    return set(adj[[i]].indices.tolist())  # type: ignore[index]


def test_delaunay_grid_is_symmetric_and_connected() -> None:
    grid = [(x, y) for x in range(4) for y in range(4)]
    adj = adjacency(units_at(grid))
    assert (adj != adj.T).nnz == 0
    assert adj.diagonal().sum() == 0
    assert neighbours(adj, 0) >= {1, 4}
    assert contiguous(adj, np.zeros(16, dtype=np.int64), 1).all()


def test_units_on_the_same_spot_share_its_neighbours() -> None:
    adj = adjacency(units_at([(0, 0), (1, 0), (0, 1), (0, 0)]))
    assert neighbours(adj, 3) == {0, 1, 2}


def test_points_on_a_line_are_chained() -> None:
    edges = point_edges(np.array([[2.0, 0], [0, 0], [1, 0]]))
    assert {tuple(sorted(e)) for e in edges.tolist()} == {(0, 2), (1, 2)}


def test_given_edges_are_used_as_they_are() -> None:
    adj = adjacency(units_at([(0, 0), (5, 5), (9, 9)], edges=np.array([[0, 2]])))
    assert neighbours(adj, 0) == {2}
    assert neighbours(adj, 1) == set()
    labels = np.array([0, 0, 1])
    assert contiguous(adj, labels, 2).tolist() == [False, True]


def test_bisection_balances_capacity_weighted_shares() -> None:
    rng = np.random.default_rng(1)
    points = rng.random((1000, 2))
    capacity = np.array([1.0, 0.5, 1.0, 1.0, 0.5])
    labels = balanced_bisection(points, np.ones(1000), capacity)
    counts = np.bincount(labels, minlength=5)
    expected = 1000 * capacity / capacity.sum()
    assert np.all(np.abs(counts - expected) <= 2)
