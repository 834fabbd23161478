"""Fairness measures on values whose answers are worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from territorial.evaluate.fairness import fairness, gini, lorenz


def test_four_reps_one_to_four_give_the_hand_worked_measures() -> None:
    result = fairness("workload", ["a", "b", "c", "d"], np.array([1.0, 2.0, 3.0, 4.0]))
    assert result.mean == 2.5 and result.total == 10.0 and not result.capacity_weighted
    assert result.cv == pytest.approx(np.sqrt(1.25) / 2.5)
    # Every ordered pair's |difference| sums to 20; ÷ (2 · 4² · 2.5) = 0.25.
    assert result.gini == pytest.approx(0.25)
    assert (result.max_over_min, result.max_over_mean) == (4.0, 1.6)
    assert result.within_tolerance == 0.0  # none within 2.25 … 2.75
    assert [x for x, _ in result.lorenz] == [0, 0.25, 0.5, 0.75, 1]
    assert [y for _, y in result.lorenz] == pytest.approx([0, 0.1, 0.3, 0.6, 1])
    # Furthest from the mean first; ties by name.
    assert result.flagged.rows() == [
        ("a", 1.0, 2.5, -0.6),
        ("d", 4.0, 2.5, 0.6),
        ("b", 2.0, 2.5, -0.2),
        ("c", 3.0, 2.5, 0.2),
    ]


def test_capacity_sets_each_groups_target_and_the_spread_reads_value_per_capacity() -> None:
    even = fairness("workload", ["full", "half"], np.array([20.0, 10.0]), np.array([2.0, 1.0]))
    assert (even.cv, even.gini, even.max_over_min, even.within_tolerance) == (0.0, 0.0, 1.0, 1.0)
    assert even.flagged.is_empty() and even.capacity_weighted
    uneven = fairness("workload", ["a", "b"], np.array([10.0, 10.0]), np.array([1.0, 1.5]))
    # Targets 8 and 12: a is 25% over, b 16.7% under.
    assert uneven.flagged.get_column("group").to_list() == ["a", "b"]
    assert uneven.flagged.get_column("target").to_list() == pytest.approx([8.0, 12.0])
    assert uneven.flagged.get_column("off_target").to_list() == pytest.approx([0.25, -1 / 6])
    assert uneven.within_tolerance == 0.0


def test_a_group_at_zero_leaves_max_over_min_empty_rather_than_infinite() -> None:
    result = fairness("potential", ["a", "b"], np.array([0.0, 5.0]))
    assert result.max_over_min is None
    assert result.gini == pytest.approx(0.5)
    assert gini(np.array([0.0, 0.0, 0.0, 9.0])) == pytest.approx(0.75)
    assert lorenz(np.array([0.0, 0.0])) == [(0.0, 0.0), (1.0, 1.0)]


def test_nothing_to_spread_gives_no_ratios() -> None:
    result = fairness("bookings", ["a", "b"], np.array([0.0, 0.0]))
    assert (result.cv, result.gini, result.max_over_mean, result.within_tolerance) == (None, None, None, 1.0)
