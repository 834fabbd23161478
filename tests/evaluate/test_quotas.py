"""Quota allocation: exact sums at both levels, growth bounds, monotone response to potential, ramping."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territorial.errors import BadInput
from territorial.evaluate.quotas import (
    GrowthBounds,
    QuotaWeights,
    TerritoryFigures,
    allocate,
    employed_share,
    growth_range,
    prorated,
)

UNIT = 1000


@st.composite
def books(draw: st.DrawFn) -> tuple[list[TerritoryFigures], dict[str, Fraction]]:
    count = draw(st.integers(1, 6))
    territories = []
    employed: dict[str, Fraction] = {}
    for index in range(count):
        reps = tuple(f"r{index}{n}" for n in range(draw(st.integers(0, 3))))
        for rep in reps:
            employed[rep] = Fraction(draw(st.integers(0, 4)), 4)
        territories.append(
            TerritoryFigures(
                f"T{index}",
                float(draw(st.integers(0, 5_000_000))),
                float(draw(st.sampled_from([0, 0, 1_500, 250_000, 1_000_000, 3_333_333]))),
                reps,
            )
        )
    return territories, employed


WEIGHTS = st.builds(QuotaWeights, st.sampled_from([0.0, 0.6, 1.0]), st.sampled_from([0.0, 0.4, 1.0]))
BOUNDS = st.builds(
    GrowthBounds, st.sampled_from([-0.1, 0.0, 0.05]), st.sampled_from([0.1, 0.3, 1.0]), st.just(UNIT)
)


def feasible(book: list[TerritoryFigures], weights: QuotaWeights, bounds: GrowthBounds, units: int) -> bool:
    try:
        allocate(units * UNIT, book, weights, bounds, {})
    except BadInput:
        return False
    return True


@settings(max_examples=100, deadline=None)
@given(books(), WEIGHTS, BOUNDS, st.integers(0, 20_000))
def test_quotas_sum_to_the_target_at_both_levels_within_the_growth_bounds(
    book: tuple[list[TerritoryFigures], dict[str, Fraction]],
    weights: QuotaWeights,
    bounds: GrowthBounds,
    units: int,
) -> None:
    territories, employed = book
    target = units * UNIT
    try:
        result = allocate(target, territories, weights, bounds, employed)
    except BadInput as problem:
        assert "reachable range" in str(problem) or "no whole multiple" in str(problem)
        return
    assert sum(result.territories.values()) == target
    assert sum(amount for _t, _r, amount in result.reps) == target
    for t in territories:
        amount = result.territories[t.territory_id]
        assert amount % UNIT == 0 and amount >= 0
        if t.history > 0:
            assert t.history * (1 + bounds.min_growth) <= amount + 1e-6
            assert amount <= t.history * (1 + bounds.max_growth) + 1e-6
        in_territory = [a for tid, _r, a in result.reps if tid == t.territory_id]
        assert sum(in_territory) == amount


@settings(max_examples=100, deadline=None)
@given(books(), WEIGHTS, BOUNDS, st.integers(0, 20_000), st.data())
def test_raising_one_territorys_potential_never_lowers_its_quota(
    book: tuple[list[TerritoryFigures], dict[str, Fraction]],
    weights: QuotaWeights,
    bounds: GrowthBounds,
    units: int,
    data: st.DataObject,
) -> None:
    territories, _employed = book
    if not feasible(territories, weights, bounds, units):
        return
    index = data.draw(st.integers(0, len(territories) - 1))
    raised = list(territories)
    grown = territories[index]
    raised[index] = TerritoryFigures(
        grown.territory_id, grown.potential + data.draw(st.integers(1, 5_000_000)), grown.history, grown.reps
    )
    if not feasible(raised, weights, bounds, units):
        return  # a territory with no potential before could not take units; now it may have to
    before = allocate(units * UNIT, territories, weights, bounds, {}).territories[grown.territory_id]
    after = allocate(units * UNIT, raised, weights, bounds, {}).territories[grown.territory_id]
    assert after >= before


def test_a_target_outside_the_growth_bounds_states_the_reachable_range() -> None:
    book = [
        TerritoryFigures("EAST", 1.0, 1_000_000, ("a",)),
        TerritoryFigures("WEST", 1.0, 2_000_000, ("b",)),
    ]
    with pytest.raises(BadInput, match="reachable range is 3,000,000 to 3,900,000"):
        allocate(4_000_000, book, QuotaWeights(), GrowthBounds(0.0, 0.3, UNIT), {})
    with pytest.raises(BadInput, match="reachable range is 3,000,000 to 3,900,000"):
        allocate(2_000_000, book, QuotaWeights(), GrowthBounds(0.0, 0.3, UNIT), {})


def test_a_hand_worked_allocation_with_a_ramping_rep() -> None:
    # Potential 3:1, no history: 750 and 250 units of 1,000. EAST's rep b is employed half the period:
    # a full share is 375; b keeps 187.5 and a takes the other 187.5 → 562.5 and 187.5, the half unit
    # to a (ties by rep_id).
    book = [TerritoryFigures("EAST", 3.0, 0.0, ("a", "b")), TerritoryFigures("WEST", 1.0, 0.0, ("c",))]
    result = allocate(1_000_000, book, QuotaWeights(1.0, 0.0), GrowthBounds(unit=UNIT), {"b": Fraction(1, 2)})
    assert result.territories == {"EAST": 750_000, "WEST": 250_000}
    assert result.reps == [("EAST", "a", 563_000), ("EAST", "b", 187_000), ("WEST", "c", 250_000)]


def test_growth_bounds_with_no_whole_unit_inside_name_the_territory() -> None:
    book = [TerritoryFigures("EAST", 1.0, 1_500, ("a",)), TerritoryFigures("WEST", 1.0, 0, ("b",))]
    with pytest.raises(
        BadInput, match="--round: no whole multiple of 1,000 lies within the growth bounds of EAST"
    ):
        allocate(10_000, book, QuotaWeights(), GrowthBounds(0.0, 0.1, UNIT), {})


def test_growth_bounds_are_whole_units_and_exact() -> None:
    assert growth_range(1_000_000, GrowthBounds(0.0, 0.1, UNIT), 99) == (1000, 1100)
    assert growth_range(1_000_500, GrowthBounds(0.0, 0.1, UNIT), 99) == (1001, 1100)
    assert growth_range(0, GrowthBounds(0.0, 0.1, UNIT), 99) == (0, 99)
    assert growth_range(1_000_000, GrowthBounds(-2.0, 0.1, UNIT), 99) == (0, 1100)  # never below 0


def test_a_rep_starting_mid_period_carries_days_employed_times_the_ramp() -> None:
    year = (date(2027, 1, 1), date(2027, 12, 31))
    assert employed_share(None, *year, ()) == 1
    assert employed_share(date(2027, 7, 2), *year, ()) == Fraction(183, 365)
    # Months 1 and 2 at a half: 31 + 28 days count half of the 365.
    assert employed_share(date(2027, 1, 1), *year, (0.5, 0.5)) == Fraction(365 - 59, 365) + Fraction(59, 730)
    assert employed_share(date(2028, 1, 1), *year, ()) == 0


def test_saved_quotas_are_taken_by_the_days_their_period_shares() -> None:
    year = (date(2027, 1, 1), date(2027, 12, 31))
    saved = [(*year, "primary", "WEST", "r1", 365_000.0), (*year, "primary", "EAST", None, 730.0)]
    # 2027Q1 is 90 of the year's 365 days; 2026-12 shares none.
    assert prorated(saved, date(2027, 1, 1), date(2027, 3, 31)) == [
        ("primary", "WEST", "r1", 90_000.0),
        ("primary", "EAST", None, 180.0),
    ]
    assert prorated(saved, date(2026, 12, 1), date(2026, 12, 31)) == []
