"""KPIs on a hand-made book whose figures are worked out by hand (see BOOK below)."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from territorial.evaluate.kpis import kpi_table, priced, stage_probabilities, stage_win_rates
from territorial.evaluate.periods import parse_period

# Primary: A1, A2 in T1 (r1); A3 in T2 (r2); A4 in T2 with no rep (vacant); A5 in no territory.
# An overlay puts A1 in O1 too. r3 holds nothing.
PLACEMENT = pl.DataFrame(
    {
        "account_id": ["A1", "A2", "A3", "A4", "A5", "A1"],
        "layer": ["primary"] * 5 + ["security"],
        "territory_id": ["T1", "T1", "T2", "T2", None, "O1"],
        "rep_id": ["r1", "r1", "r2", None, None, "r9"],
        "overlaps": ["T9", "", "", "", "", ""],
        "tie": [False, False, True, False, False, False],
    }
)
ACCOUNTS = pl.DataFrame(
    {
        "account_id": ["A1", "A2", "A3", "A4", "A5"],
        "workload": [2.0, 3.0, 5.0, 1.0, 4.0],
        "potential": [10.0, 20.0, 30.0, 40.0, 50.0],
    }
)
REPS = pl.DataFrame(
    {
        "rep_id": ["r1", "r2", "r3"],
        "manager_id": ["m1", "m1", "m2"],
        "quota": [400_000.0, None, 100.0],
    }
)
D = date
# d4 is r2's deal on r1's account A1; d5 has no account; d8 closed before the quarter.
DEALS = pl.DataFrame(
    {
        "opportunity_id": ["d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8"],
        "account_id": ["A1", "A2", "A3", "A1", None, "A3", "A5", "A1"],
        "rep_id": ["r1", "r1", "r2", "r2", "r1", "r2", "r1", "r1"],
        "product": ["Q", "Q", "Q", "P", "Q", "Q", "P", "Q"],
        "stage": ["Won", "Won", "Lost", "Lost", "Won", "Proposal", "Prospecting", "Won"],
        "amount": [100.0, 300.0, 200.0, None, 50.0, 1000.0, None, 999.0],
        "created": [D(2027, 1, 1), D(2027, 1, 1), D(2027, 1, 1), D(2027, 1, 1), D(2027, 2, 1), D(2027, 1, 1),
                    D(2027, 1, 1), D(2026, 11, 1)],
        "closed": [D(2027, 1, 11), D(2027, 1, 31), D(2027, 2, 1), D(2027, 2, 15), D(2027, 3, 1), None, None,
                   D(2026, 12, 20)],
        "won": [True, True, False, False, True, None, None, True],
        "is_closed": [None] * 8,
    },
    schema_overrides={"is_closed": pl.Boolean},
)  # fmt: skip
PRICES = pl.DataFrame({"product": ["P"], "list_price": [100.0]})
Q1 = parse_period("2027Q1")


def table(by: str, known: tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
    deals = priced(DEALS, PRICES).frame
    probabilities = stage_probabilities(deals, None, {"Proposal": 0.5})
    frame = kpi_table(PLACEMENT, ACCOUNTS, deals, REPS, by, Q1, probabilities, known)
    return {row["group"]: row for row in frame.to_dicts()}


def test_by_rep_book_figures_follow_the_assignment_and_performance_the_deals_own_rep() -> None:
    rows = table("rep", ("r1", "r2", "r3"))
    assert list(rows) == ["r1", "r2", "r3", "(no territory)", "(vacant)"]
    r1, r2 = rows["r1"], rows["r2"]
    assert (r1["accounts"], r1["workload"], r1["potential"], r1["overlaps"], r1["ties"]) == (
        2,
        5.0,
        30.0,
        1,
        0,
    )
    assert (r2["accounts"], r2["workload"], r2["potential"], r2["ties"]) == (1, 5.0, 30.0, 1)
    # r1 won d1, d2, d5 in the quarter (d8 closed in December): 450 over 3 deals, cycles 10, 30, 28 days.
    assert (r1["bookings"], r1["won"], r1["lost"], r1["win_rate"], r1["win_rate_value"]) == (
        450.0,
        3,
        0,
        1.0,
        1.0,
    )
    assert (r1["average_deal"], r1["cycle_days"]) == (150.0, 28.0)
    # r2 lost d3 (200) and d4 (no amount: its list price, 100).
    assert (r2["bookings"], r2["won"], r2["lost"], r2["win_rate"], r2["win_rate_value"]) == (
        0.0,
        0,
        2,
        0.0,
        0.0,
    )
    assert r2["average_deal"] is None and r2["cycle_days"] is None
    # Open pipeline sits with the account's rep: d6 on A3 (r2), weighted by the configured 50%.
    assert (r2["open_pipeline"], r2["weighted_pipeline"]) == (1000.0, 500.0)
    # d7 on A5 (no territory) has no amount: list price 100, weighted by the overall win rate 4/6
    # (Prospecting has no configured or learned rate).
    nowhere = rows["(no territory)"]
    assert (nowhere["accounts"], nowhere["open_pipeline"]) == (1, 100.0)
    assert nowhere["weighted_pipeline"] == pytest.approx(100 * 4 / 6)
    assert (rows["(vacant)"]["accounts"], rows["(vacant)"]["potential"]) == (1, 40.0)
    assert rows["r3"]["accounts"] == 0 and rows["r3"]["win_rate"] is None
    # r1's annual quota for the quarter's 90 days; r2 has none.
    assert r1["quota"] == pytest.approx(400_000 * 90 / 365.25)
    assert r1["attainment"] == pytest.approx(450 / (400_000 * 90 / 365.25))
    assert r2["quota"] is None and r2["attainment"] is None


def test_by_territory_performance_follows_the_accounts_territory() -> None:
    rows = table("territory")
    assert list(rows) == ["T1", "T2", "(no account)", "(no territory)"]
    t1 = rows["T1"]
    # d1, d2 won and d4 lost on T1's accounts: 2 of 3 by count, 400 of 500 by value.
    assert (t1["bookings"], t1["won"], t1["lost"], t1["win_rate"], t1["win_rate_value"]) == (
        400.0,
        2,
        1,
        2 / 3,
        0.8,
    )
    assert (t1["cycle_days"], t1["quota"]) == (20.0, None)
    assert (rows["T2"]["accounts"], rows["T2"]["lost"], rows["T2"]["open_pipeline"]) == (2, 1, 1000.0)
    assert (rows["(no account)"]["bookings"], rows["(no account)"]["accounts"]) == (50.0, 0)


def test_by_manager_and_by_layer() -> None:
    managers = table("manager", ("m1", "m2"))
    assert (managers["m1"]["won"], managers["m1"]["lost"], managers["m1"]["bookings"]) == (3, 2, 450.0)
    assert managers["m1"]["accounts"] == 3 and managers["m2"]["accounts"] == 0
    assert managers["m2"]["quota"] == pytest.approx(100 * 90 / 365.25)
    layers = table("layer")
    assert (layers["primary"]["accounts"], layers["security"]["accounts"]) == (4, 1)
    # A deal counts in each layer that holds its account: d1 and d4 sit on A1, in both.
    assert (layers["security"]["won"], layers["security"]["lost"]) == (1, 1)


def test_win_rates_by_stage_are_learned_from_the_stages_closed_deals_went_through() -> None:
    history = pl.DataFrame({"opportunity_id": ["d1", "d3", "d4", "d6"], "stage": ["Proposal"] * 4})
    rates = stage_win_rates(DEALS, history)
    # d1 won, d3 and d4 lost after Proposal; d6 is still open and teaches nothing.
    assert rates.filter(pl.col("stage") == "Proposal").rows() == [("Proposal", 1 / 3, 3)]
    learned, overall = stage_probabilities(DEALS, history, {"Won": 1.0})
    assert learned["Proposal"] == pytest.approx(1 / 3) and overall == pytest.approx(4 / 6)
