"""Planted instances keep their promises: connected parts of at least the floor, every part within
±1% of the mean on every metric, no unit over its share of its part, and the same seed the same
instance."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from territorial.generate.planted import PLANTED_WITHIN, Rules, planted_instance


def _pieces(instance_edges: np.ndarray, members: np.ndarray, n: int) -> int:
    graph = sp.coo_array(
        (np.ones(len(instance_edges)), (instance_edges[:, 0], instance_edges[:, 1])), shape=(n, n)
    ).tocsr()
    graph = graph + graph.T
    return int(connected_components(graph[members][:, members], directed=False)[0])


@pytest.mark.parametrize(
    ("seed", "n", "k", "metrics", "rules"),
    [
        (1, 300, 8, 3, Rules()),
        (2, 2000, 50, 2, Rules()),
        (3, 1200, 20, 1, Rules(spread=(0.25, 4.0))),
        (4, 400, 40, 2, Rules(min_part=5, max_share=0.4, spread=(0.25, 4.0), heavy=(0.25, 0.4))),
    ],
)
def test_a_planted_partition_is_connected_and_within_one_percent(
    seed: int, n: int, k: int, metrics: int, rules: Rules
) -> None:
    planted = planted_instance(seed, n, k, metrics, rules)
    assert planted.units.height == n and planted.k == k and len(planted.metrics) == metrics
    index = {unit: i for i, unit in enumerate(planted.units["id"])}
    edges = np.array([[index[a], index[b]] for a, b in planted.edges.iter_rows()])
    sizes = np.bincount(planted.part, minlength=k)
    assert sizes.min() >= rules.min_part
    for p in range(k):
        assert _pieces(edges, np.flatnonzero(planted.part == p), n) == 1
    for name in planted.metrics:
        values = planted.units[name].to_numpy()
        totals = np.bincount(planted.part, weights=values, minlength=k)
        assert np.abs(totals / totals.mean() - 1).max() <= PLANTED_WITHIN
        assert (values / totals[planted.part]).max() <= rules.max_share + 1e-6
    low, high = rules.spread
    # Parts are sized by 1/factor; the floor can only narrow the range.
    assert planted.factors.max() / planted.factors.min() <= high / low * 1.1


def test_the_same_seed_gives_the_same_instance() -> None:
    first, second = planted_instance(7, 500, 10, 2), planted_instance(7, 500, 10, 2)
    assert first.units.equals(second.units) and first.edges.equals(second.edges)
    assert not first.units.equals(planted_instance(8, 500, 10, 2).units)


def test_too_many_parts_for_the_floor_is_refused() -> None:
    with pytest.raises(ValueError, match="need more than"):
        planted_instance(1, 300, 16, 1)
