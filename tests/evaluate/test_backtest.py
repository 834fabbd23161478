"""Scoring forecasts: the baselines, WAPE, paired wins and coverage, on hand-made numbers."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from territorial.evaluate.backtest import (
    FORECAST,
    LAST_MONTH,
    OPEN_PIPELINE,
    SEASONAL_NAIVE,
    TRAILING_3,
    baselines,
    scorecard,
    wape,
)

JUNE, JULY = date(2017, 6, 1), date(2017, 7, 1)


def test_wape_is_absolute_error_over_bookings() -> None:
    scored = pl.DataFrame({FORECAST: [90.0, 30.0], "actual": [100.0, 20.0]})
    assert wape(scored) == pytest.approx(20 / 120)
    assert wape(scored.with_columns(pl.lit(0.0).alias("actual"))) is None


def test_scorecard_counts_paired_wins_and_coverage_over_group_months_with_bookings() -> None:
    rows = pl.DataFrame(
        {
            "group": ["a", "b", "a", "b"] * 2 + ["c"],
            "month": [JUNE, JUNE, JULY, JULY] * 2 + [JULY],
            "method": [FORECAST] * 4 + [LAST_MONTH] * 4 + [FORECAST],
            FORECAST: [100.0, 50.0, 80.0, 40.0, 90.0, 60.0, 100.0, 40.0, 5.0],
            "low": [90.0, 40.0, 50.0, 45.0, None, None, None, None, 0.0],
            "high": [110.0, 60.0, 90.0, 50.0, None, None, None, None, 9.0],
            "actual": [100.0, 50.0, 100.0, 40.0, 100.0, 50.0, 100.0, 40.0, 0.0],  # c booked nothing
        }
    )
    card = {r["method"]: r for r in scorecard(rows).iter_rows(named=True)}
    # June: forecast 0 vs last month 20/150; July: forecast 20/140 vs last month 0.
    assert card[FORECAST]["wape"] == pytest.approx(20 / 290)
    assert card[LAST_MONTH]["wape"] == pytest.approx(20 / 290)
    assert (card[FORECAST]["months_won"], card[FORECAST]["months"]) == (1, 2)
    assert card[LAST_MONTH]["months_won"] == 1  # months the forecast beat it
    assert card[FORECAST]["coverage"] == pytest.approx(2 / 4)  # a-July and b-July fall outside


def test_baselines_from_what_was_known() -> None:
    schema = {
        "opportunity_id": pl.String,
        "group": pl.String,
        "product": pl.String,
        "stage": pl.String,
        "amount": pl.Float64,
        "created": pl.Date,
        "closed": pl.Date,
        "won": pl.Boolean,
        "is_closed": pl.Boolean,
    }
    rows = [
        ("m4", "g", "X", "Won", 30.0, date(2017, 3, 1), date(2017, 4, 10), True, True),
        ("m5", "g", "X", "Won", 60.0, date(2017, 3, 1), date(2017, 5, 10), True, True),
        ("m6", "g", "X", "Won", 90.0, date(2017, 3, 1), date(2017, 6, 10), True, True),
        # Open on June 30, created June 1; with the median won cycle (70 days) it lands on August 10.
        ("o1", "g", "X", "Engaging", None, date(2017, 6, 1), None, None, False),
        # Created May 20: lands on July 29, inside July, at its list price.
        ("o2", "g", "X", "Engaging", None, date(2017, 5, 20), None, None, False),
    ]
    deals = pl.DataFrame(rows, schema=schema, orient="row")
    history = pl.DataFrame(
        schema={
            "opportunity_id": pl.String,
            "changed": pl.Date,
            "stage": pl.String,
            "amount": pl.Float64,
            "expected_close": pl.Date,
        }
    )
    prices = pl.DataFrame({"product": ["X"], "list_price": [500.0]})
    found = dict(
        baselines(deals, history, date(2017, 6, 30), JULY, prices).select("method", FORECAST).iter_rows()
    )
    assert found == {LAST_MONTH: 90.0, TRAILING_3: 60.0, SEASONAL_NAIVE: 30.0, OPEN_PIPELINE: 500.0}
