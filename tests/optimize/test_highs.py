"""The HiGHS wrapper: a constant offset counts in the objective and the bound (so in the MILP's
relative gap, which `allocate.place` relies on)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from territorial.optimize import highs


def test_offset_is_part_of_the_objective_and_the_bound() -> None:
    # Choose one of three items (costs 3, 1, 2): the optimum is 1, plus the offset.
    matrix = sp.csc_array(np.ones((1, 3)))
    plain = highs.solve(np.array([3.0, 1.0, 2.0]), matrix, np.ones(1), np.ones(1), integer=True)
    shifted = highs.solve(
        np.array([3.0, 1.0, 2.0]), matrix, np.ones(1), np.ones(1), integer=True, offset=100.0
    )
    assert plain.objective == 1.0
    assert shifted.objective == 101.0 and shifted.mip_bound == 101.0
    assert np.array_equal(plain.x, shifted.x)
