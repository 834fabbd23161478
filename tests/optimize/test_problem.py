"""Distances between units and centres."""

from __future__ import annotations

import numpy as np
import pytest

from territorial.optimize.problem import Units, distance_matrix, distances


@pytest.mark.parametrize("geographic", [True, False])
def test_the_matrix_holds_every_pair_as_distances_measures_it(geographic: bool) -> None:
    rng = np.random.default_rng(2)
    xy = np.column_stack([rng.uniform(25, 49, 30), rng.uniform(-124, -67, 30)])
    units = Units([str(i) for i in range(30)], xy, geographic, {"w": np.ones(30)})
    centres = xy[[3, 17, 25, 8]] + 0.5
    rows, cols = np.repeat(np.arange(30), 4), np.tile(np.arange(4), 30)
    expected = distances(units, rows, centres, cols).reshape(30, 4)
    assert np.array_equal(distance_matrix(units, centres), expected)
