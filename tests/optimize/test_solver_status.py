"""A solver failure is reported as one, naming the stage: never as a time limit."""

from __future__ import annotations

import numpy as np
import pytest

from territorial.optimize import allocate, highs
from territorial.optimize.balance import balance
from territorial.optimize.feasibility import OutOfTime, SolverFailed
from territorial.optimize.problem import Rules, Territories, Units


def two_metric_units() -> Units:
    """Two metrics, so each transport step is an LP (one metric is a min-cost flow)."""
    rng = np.random.default_rng(3)
    xy = rng.random((60, 2)) * 10
    metrics = {"workload": rng.random(60) + 0.5, "revenue": rng.random(60) + 0.5}
    return Units([f"U{i}" for i in range(60)], xy, False, metrics)


def failing(status: str) -> object:
    def transport(*_args: object, **_kwargs: object) -> highs.Solution:
        empty = np.zeros(0)
        return highs.Solution(status, empty, empty, float("inf"), float("-inf"))

    return transport


@pytest.mark.parametrize("status", ["not set", "solve error", "unbounded or infeasible"])
def test_a_solver_failure_names_the_stage_not_a_time_limit(
    monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    monkeypatch.setattr(allocate, "transport", failing(status))
    rules = Rules(tolerances={"workload": 0.05, "revenue": 0.05}, workload="workload")
    with pytest.raises(SolverFailed) as raised:
        balance(two_metric_units(), Territories.unnamed(3), rules)
    message = str(raised.value)
    assert "allocating units to territories" in message and repr(status) in message
    assert "time limit" not in message


def test_a_time_limit_is_still_a_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocate, "transport", failing("time limit"))
    rules = Rules(tolerances={"workload": 0.05, "revenue": 0.05}, workload="workload")
    with pytest.raises(OutOfTime):
        balance(two_metric_units(), Territories.unnamed(3), rules)
