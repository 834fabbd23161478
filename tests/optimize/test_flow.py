"""The min-cost flow gives the transport LP's optimum: checked against HiGHS on the same arcs,
with zero, tiny and heavy amounts, costs that include move penalties, and bands that cannot hold."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from territorial.optimize import allocate, flow
from territorial.optimize.allocate import Arcs, Bands

SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@st.composite
def problems(draw: st.DrawFn) -> tuple[Arcs, int, int, Bands]:
    n = draw(st.integers(3, 40))
    k = draw(st.integers(2, 5))
    kinds = st.sampled_from(["zero", "tiny", "normal", "normal", "heavy"])
    sizes = {"zero": 0.0, "tiny": 1e-9, "normal": 1.0, "heavy": 25.0}
    amount = np.array([sizes[draw(kinds)] * draw(st.integers(1, 9)) for _ in range(n)])
    if amount.sum() == 0:
        amount[0] = 1.0
    rows, cols = [], []
    for unit in range(n):
        options = draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=k, unique=True))
        rows += [unit] * len(options)
        cols += options
    unit, terr = np.array(rows), np.array(cols)
    distance = np.array([draw(st.integers(0, 50)) for _ in rows], dtype=float)
    penalty = np.array([draw(st.sampled_from([0.0, 0.0, 7.0])) for _ in rows])
    cost = (amount[unit] + 0.01) * distance + penalty  # a move penalty adds a constant per arc
    tolerance = draw(st.sampled_from([0.05, 0.2, 0.5]))
    share = amount.sum() / k
    scaled = amount[:, None] / share
    return (
        Arcs(unit, terr, cost),
        n,
        k,
        Bands(scaled, np.full((k, 1), 1 - tolerance), np.full((k, 1), 1 + tolerance)),
    )


@SETTINGS
@given(problems())
def test_the_flow_finds_the_lp_optimum(problem: tuple[Arcs, int, int, Bands]) -> None:
    arcs, n, k, bands = problem
    lp = allocate.transport(arcs, n, k, bands, None, 30.0)
    found = flow.transport_flow(arcs, n, k, bands)
    event(found.status)
    if not lp.has_solution:
        assert found.status in (flow.INFEASIBLE, flow.TOO_NARROW)
        return
    if found.status == flow.TOO_NARROW:
        return  # the caller asks the LP
    assert found.has_solution, found.status
    assert np.allclose(np.bincount(arcs.unit, weights=found.x, minlength=n), 1.0)
    load = np.bincount(arcs.terr, weights=found.x * bands.amounts[arcs.unit, 0], minlength=k)
    assert np.all(load >= bands.lower[:, 0] - 1e-6) and np.all(load <= bands.upper[:, 0] + 1e-6)
    slack = 1e-6 * max(1.0, lp.objective)
    assert lp.objective - slack <= found.objective <= lp.objective + slack


def test_a_band_of_no_width_is_left_to_the_lp() -> None:
    arcs = Arcs(np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 0, 1, 0, 1]), np.ones(6))
    amounts = np.array([[1.0], [1.0], [1.0]]) / 1.5
    bands = Bands(amounts, np.ones((2, 1)), np.ones((2, 1)))
    assert flow.transport_flow(arcs, 3, 2, bands).status == flow.TOO_NARROW
