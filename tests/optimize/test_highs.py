"""The HiGHS wrapper: a constant offset counts in the objective and the bound (so in the MILP's
relative gap, which `allocate.place` relies on); a status that answers nothing is retried once."""

from __future__ import annotations

import numpy as np
import pytest
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


def test_a_status_that_is_no_answer_is_retried_by_the_dual_simplex_without_presolve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HiGHS once returned "not set" (a solver error) on a transport LP and the balance reported
    it as a time limit. Any status that does not answer the model gets one more run."""
    runs: list[highs._Options] = []
    real = highs._run

    def first_fails(lp: object, options: highs._Options) -> tuple[object, str]:
        runs.append(options)
        h, text = real(lp, options)  # type: ignore[arg-type]
        return (h, "not set") if len(runs) == 1 else (h, text)

    monkeypatch.setattr(highs, "_run", first_fails)
    matrix = sp.csc_array(np.ones((1, 3)))
    solution = highs.solve(np.array([3.0, 1.0, 2.0]), matrix, np.ones(1), np.ones(1), interior=True)
    assert solution.status == "optimal" and solution.objective == 1.0
    assert [(o.dual_simplex, o.presolve, o.interior) for o in runs] == [
        (False, True, True),
        (True, False, False),
    ]


def test_a_settled_status_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []
    real = highs._run

    def counted(lp: object, options: highs._Options) -> tuple[object, str]:
        h, text = real(lp, options)  # type: ignore[arg-type]
        runs.append(text)
        return h, text

    monkeypatch.setattr(highs, "_run", counted)
    matrix = sp.csc_array(np.ones((1, 2)))
    infeasible = highs.solve(np.ones(2), matrix, np.full(1, 5.0), np.full(1, 5.0))  # x ≤ 1 each: sum ≤ 2
    assert infeasible.status == "infeasible" and runs == ["infeasible"]
