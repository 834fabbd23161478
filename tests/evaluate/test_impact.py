"""The sales-response curve, effort spreading, fitting and the bootstrap on hand-made data."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from territorial.evaluate.impact import (
    DEFAULT_RESPONSES,
    DEFAULT_SEGMENT,
    MIN_FIT_ACCOUNTS,
    Response,
    bootstrap_interval,
    default_response,
    effort_index,
    effort_shifts,
    expected_bookings,
    fair_share,
    fit_response,
    segment_impact,
    segment_responses,
    territory_impact,
)


def test_the_response_runs_from_its_floor_through_one_at_a_fair_share_to_its_ceiling() -> None:
    curve = Response(0.2, 1.8, 1.0, 1.0)
    assert curve.at(np.array([0.0, 1.0, 3.0])).tolist() == pytest.approx([0.2, 1.0, 1.4])
    assert curve.at(np.array([1e9]))[0] == pytest.approx(1.8)
    # Each default gives about its baseline at a fair share of effort, and is concave.
    for response in DEFAULT_RESPONSES.values():
        assert response.at(np.array([1.0]))[0] == pytest.approx(1.0, abs=0.01)
        steps = np.diff(response.at(np.linspace(0.0, 4.0, 41)))
        assert np.all(steps > 0) and np.all(np.diff(steps) < 0)
    assert default_response("ENTERPRISE") == DEFAULT_RESPONSES["enterprise"]
    assert default_response("Public sector") == DEFAULT_RESPONSES[DEFAULT_SEGMENT]


def test_a_reps_capacity_spreads_over_its_accounts_by_workload() -> None:
    workload = pl.Series([1.0, 3.0, 2.0, 5.0])
    reference = fair_share(workload, 3.0)  # 3 reps' capacity over 11 units of workload
    assert reference == pytest.approx(3 / 11)
    effort = effort_index(pl.Series(["r1", "r1", "r2", None]), workload, {"r1": 1.0, "r2": 2.0}, reference)
    # r1: capacity 1 over workload 4; r2: 2 over 2; the account with no rep gets none.
    assert effort.tolist() == pytest.approx([11 / 12, 11 / 12, 11 / 3, 0.0])
    # A rep not in the workspace carries capacity 1.
    assert effort_index(pl.Series(["r9"]), pl.Series([2.0]), {}, 0.5).tolist() == [1.0]


def test_moving_effort_from_a_saturated_account_to_an_under_covered_one_books_more() -> None:
    baseline = np.array([100.0, 100.0])
    segments = ["SMB", "SMB"]
    responses = {"SMB": DEFAULT_RESPONSES["smb"]}
    before = expected_bookings(baseline, np.array([3.0, 0.2]), segments, responses)
    after = expected_bookings(baseline, np.array([1.6, 1.6]), segments, responses)  # the same effort in all
    assert after.sum() > before.sum()
    gained, lost = after[1] - before[1], before[0] - after[0]
    assert gained > 3 * lost  # the saturated account gives up little of what the other gains


def test_identical_plans_differ_by_exactly_zero_with_a_zero_width_interval() -> None:
    baseline = np.array([50.0, 80.0, 10.0])
    effort = np.array([0.5, 1.0, 2.0])
    segments = ["a", "a", "b"]
    responses = {"a": DEFAULT_RESPONSES["smb"], "b": DEFAULT_RESPONSES["enterprise"]}
    difference = expected_bookings(baseline, effort, segments, responses) - expected_bookings(
        baseline, effort.copy(), segments, responses
    )
    assert difference.sum() == 0.0
    assert bootstrap_interval(difference, 200, 7) == (0.0, 0.0)


def test_the_bootstrap_is_deterministic_with_its_seed_and_brackets_the_difference() -> None:
    difference = np.random.default_rng(0).normal(2.0, 5.0, 500)
    low, high = bootstrap_interval(difference, 200, 20)
    assert bootstrap_interval(difference, 200, 20) == (low, high)
    assert bootstrap_interval(difference, 200, 21) != (low, high)
    assert low < difference.sum() < high


def test_fitting_recovers_a_curve_on_the_grid_and_is_deterministic() -> None:
    effort = np.repeat(np.linspace(0.1, 3.0, 30), 2)
    truth = Response(0.25, 1.5, 0.5, 1.0)
    fitted = fit_response(effort, truth.at(effort))
    assert (fitted.half, fitted.shape) == (0.5, 1.0)
    # The capped top 5% pulls the ceiling a little below the truth.
    assert fitted.floor == pytest.approx(0.25, abs=0.05) and fitted.ceiling == pytest.approx(1.5, abs=0.1)
    assert fit_response(effort, truth.at(effort)) == fitted


def test_territory_and_segment_figures_and_the_effort_shifts() -> None:
    accounts = pl.DataFrame(
        {
            "segment": ["SMB", "SMB", "ENT"],
            "territory_a": ["W", "W", "E"],
            "territory_b": ["W", "E", "E"],
            "effort_a": [0.5, 0.5, 2.0],
            "effort_b": [2.0, 1.0, 1.0],
            "expected_a": [10.0, 20.0, 30.0],
            "expected_b": [15.0, 24.0, 28.0],
            "difference": [5.0, 4.0, -2.0],
        }
    )
    assert territory_impact(accounts).rows() == [
        ("E", 1, 2, 2.0, 1.0, 30.0, 52.0, 22.0),
        ("W", 2, 1, 0.5, 2.0, 30.0, 15.0, -15.0),
    ]
    assert segment_impact(accounts).rows() == [("ENT", 1, 30.0, 28.0, -2.0), ("SMB", 2, 30.0, 39.0, 9.0)]
    lose, gain = effort_shifts(accounts)
    assert (lose.gains, lose.accounts, lose.saturated, lose.expected_change) == (False, 1, 1.0, -2.0)
    assert (gain.gains, gain.accounts, gain.under_covered, gain.expected_change) == (True, 2, 1.0, 9.0)
    assert (gain.effort_before, gain.effort_after) == (0.5, 1.5)


def test_a_segment_is_fitted_only_with_enough_accounts_that_booked() -> None:
    truth = Response(0.3, 1.3, 0.5, 1.0)
    effort = np.tile(np.linspace(0.2, 3.0, 8), 6)  # 48 accounts of "SMB"
    smb_baseline = np.full(effort.size, 100.0)
    ent = MIN_FIT_ACCOUNTS - 1  # one account short of a fit
    segments = ["SMB"] * effort.size + ["Enterprise"] * ent
    efforts = np.concatenate([effort, np.linspace(0.5, 2.0, ent)])
    baseline = np.concatenate([smb_baseline, np.full(ent, 50.0)])
    won = np.concatenate([smb_baseline * truth.at(effort), np.full(ent, 40.0)])
    enterprise, smb = segment_responses(segments, won, baseline, efforts)
    assert (enterprise.segment, enterprise.fitted, enterprise.booked) == ("Enterprise", False, ent)
    assert enterprise.response == DEFAULT_RESPONSES["enterprise"]
    assert (smb.segment, smb.fitted, smb.accounts, smb.booked) == ("SMB", True, 48, 48)
    assert (smb.response.half, smb.response.shape) == (0.5, 1.0)
    # Told not to fit, every segment keeps its default.
    unfitted = segment_responses(segments, won, baseline, efforts, fit=False)
    assert [m.response for m in unfitted] == [DEFAULT_RESPONSES["enterprise"], DEFAULT_RESPONSES["smb"]]
