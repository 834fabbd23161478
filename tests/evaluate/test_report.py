"""The review report's own figures on hand-made frames whose answers are worked out by hand."""

from __future__ import annotations

import polars as pl
import pytest

from territorial.evaluate.fairness import fairness
from territorial.evaluate.report import (
    AT_RISK,
    BELOW,
    NO_QUOTA,
    NO_TERRITORY,
    ON_TRACK,
    balance_bars,
    county_holders,
    forecast_against_quota,
    headcount_advice,
    kpi_summary,
    penetration_advice,
    rebalance_advice,
    territory_flows,
)

# County 17031 holds a1, a2 (WEST) and a3 (EAST): WEST holds 2 of 3. County 36061 holds a4 (EAST) and
# a5 (in no territory): a tie, broken by the lower territory id, "(no territory)" sorting before
# "EAST". a6's county 99999 is not on the map and a7 has none; a6 is located, a7 is not.
PLACEMENT = pl.DataFrame(
    {
        "account_id": ["a1", "a2", "a3", "a4", "a6", "a7", "a1", "a4"],
        "layer": ["primary"] * 6 + ["security", "security"],
        "territory_id": ["WEST", "WEST", "EAST", "EAST", "WEST", None, "SEC1", "SEC2"],
    }
)
PLACES = pl.DataFrame(
    {
        "account_id": ["a1", "a2", "a3", "a4", "a5", "a6", "a7"],
        "county": ["17031", "17031", "17031", "36061", "36061", "99999", None],
        "lat": [41.8, 41.9, 41.7, 40.7, 40.8, 30.0, None],
        "lon": [-87.6, -87.7, -87.5, -74.0, -74.1, -90.0, None],
    }
)


def test_each_county_takes_the_territory_holding_most_of_its_accounts() -> None:
    holders = county_holders(PLACEMENT, PLACES, {"17031", "36061"})
    rows = holders.counties.select("layer", "county", "territory_id", "accounts", "county_accounts").rows()
    assert rows == [
        ("primary", "17031", "WEST", 2, 3),
        ("primary", "36061", NO_TERRITORY, 1, 2),
        ("security", "17031", "SEC1", 1, 1),
        ("security", "36061", "SEC2", 1, 1),
    ]
    assert holders.counties.get_column("share").to_list() == pytest.approx([2 / 3, 0.5, 1.0, 1.0])
    assert holders.layers == ["primary", "security"]


def test_accounts_whose_county_is_not_on_the_map_are_listed_with_where_they_are() -> None:
    off = county_holders(PLACEMENT, PLACES, {"17031", "36061"}).off_map
    assert off.rows() == [("a6", "WEST", 30.0, -90.0), ("a7", NO_TERRITORY, None, None)]


def test_territory_flows_count_primary_moves_largest_first() -> None:
    movers = pl.DataFrame(
        {
            "account_id": ["a1", "a2", "a3", "a4", "a5"],
            "layer": ["primary", "primary", "primary", "security", "primary"],
            "from_territory": ["WEST", "WEST", "EAST", "S1", None],
            "to_territory": ["EAST", "EAST", "WEST", "S2", "EAST"],
        }
    )
    potential = pl.DataFrame({"account_id": ["a1", "a2", "a3", "a5"], "potential": [10.0, 5.0, 100.0, 1.0]})
    flows = territory_flows(movers, potential, top=2)
    assert flows.rows() == [("WEST", "EAST", 2, 15.0), ("EAST", "WEST", 1, 100.0)]
    assert territory_flows(movers.head(0), potential, top=5).is_empty()


def test_forecast_against_quota_reads_the_interval() -> None:
    forecast = pl.DataFrame(
        {
            "territory_id": ["A", "B", "C", "D"],
            "forecast": [50.0, 90.0, 120.0, 10.0],
            "low": [40.0, 70.0, 100.0, 5.0],
            "high": [80.0, 110.0, 140.0, 20.0],
        }
    )
    quota = pl.DataFrame(
        {"territory_id": ["A", "B", "C", "D", "E"], "quota": [100.0, 100.0, 100.0, None, 50.0]}
    )
    table = forecast_against_quota(forecast, quota)
    assert table.select("territory_id", "outlook").rows() == [
        ("E", BELOW),  # nothing forecast against a quota of 50
        ("A", BELOW),  # even the high end (80) misses 100
        ("B", AT_RISK),  # 90 misses, the high end (110) makes it
        ("C", ON_TRACK),
        ("D", NO_QUOTA),
    ]
    assert table.get_column("forecast_to_quota").to_list() == pytest.approx([0.0, 0.5, 0.9, 1.2, None])


def test_balance_bars_use_the_capacity_weighted_target() -> None:
    table = pl.DataFrame(
        {"group": ["r1", "r2", "(no rep)"], "workload": [40.0, 20.0, 5.0], "potential": [400.0, 600.0, 0.0]}
    )
    bars = balance_bars(table, ["workload"], {"r1": 1.0, "r2": 2.0})
    # 60 of workload: r1's target is a third (20), r2's two thirds (40).
    assert bars.select("group", "target", "of_target").rows() == [("r1", 20.0, 2.0), ("r2", 40.0, 0.5)]
    even = balance_bars(table, ["potential"], {})
    assert even.get_column("of_target").to_list() == pytest.approx([0.8, 1.2])


def test_rebalance_advice_names_the_territories_off_target_and_the_drift() -> None:
    workload = fairness("workload", ["A", "B", "C"], pl.Series([10.0, 10.0, 40.0]).to_numpy())
    advice = rebalance_advice([workload], None, None)
    # The mean is 20: A and B are 50% under, C 100% over.
    assert advice == [
        "Rebalance workload: 3 of 3 territories are more than ±10% off their target — "
        "C (+100%), A (-50%), B (-50%)."
    ]
    even = fairness("workload", ["A", "B"], pl.Series([10.0, 10.5]).to_numpy())
    drifted = pl.DataFrame({"territory_id": ["A"], "measure": ["workload"], "change": [0.25]})
    advice = rebalance_advice([even], drifted, "territorial balance --workspace --plan 1")
    assert advice == [
        "Figures drifted past the threshold since the assignment was made: A (workload +25%). "
        "Run: territorial balance --workspace --plan 1"
    ]
    assert rebalance_advice([even], None, None) == [
        "No territory needs rebalancing: every balanced figure is within tolerance."
    ]


def test_headcount_advice_names_territories_short_of_reps() -> None:
    needs = pl.DataFrame(
        {
            "territory_id": ["A", "B", "C"],
            "fte": [2.5, 0.4, 3.2],
            "reps_needed": [3, 1, 4],
            "current_reps": [1, 1, 3],
        }
    )
    assert headcount_advice(needs) == [
        "Add headcount: 3 reps across 2 territories — A needs 3 reps (2.5 FTE of workload) and has 1; "
        "C needs 4 reps (3.2 FTE of workload) and has 3."
    ]
    assert headcount_advice(needs.filter(pl.col("territory_id") == "B")) == [
        "No territory needs more reps than it has for its workload."
    ]


def test_penetration_advice_names_the_untapped_accounts() -> None:
    index = pl.DataFrame(
        {"territory_id": ["A", "B"], "index": [0.25, 1.3], "under_penetrated": [True, False]}
    )
    untapped = pl.DataFrame({"territory_id": ["A", "A"], "rank": [2, 1], "account_id": ["x2", "x1"]})
    assert penetration_advice(index, untapped) == ["A books 25% of its share of potential: work x1, x2."]


def test_kpi_summary_totals_and_win_rate() -> None:
    table = pl.DataFrame(
        {
            "group": ["A", "B", NO_TERRITORY],
            "accounts": [2, 1, 1],
            "workload": [40.0, 20.0, 5.0],
            "potential": [400.0, 600.0, 50.0],
            "open_pipeline": [0.0, 1000.0, 500.0],
            "weighted_pipeline": [0.0, 500.0, 500.0],
            "bookings": [800.0, 0.0, 0.0],
            "won": [3, 0, 0],
            "lost": [0, 1, 0],
        }
    )
    summary = dict(kpi_summary(table))
    assert summary["Territories"] == "2"
    assert summary["Accounts"] == "4"
    assert summary["Accounts in no territory"] == "1"
    assert summary["Open pipeline"] == "1,500"
    assert summary["Win rate"] == "75%"
    assert (
        dict(kpi_summary(table.with_columns(pl.lit(0).alias("won"), pl.lit(0).alias("lost"))))["Win rate"]
        == "no deal closed"
    )
