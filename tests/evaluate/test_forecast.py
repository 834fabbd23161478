"""Forecasts on hand-made deals with known answers, and the leakage property: nothing dated after
--as-of changes a forecast."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples
from territorial.evaluate.forecast import forecast, known_at, time_to_close
from territorial.evaluate.periods import periods_from

AS_OF = date(2017, 6, 30)
DEAL_SCHEMA = {
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
HISTORY_SCHEMA = {
    "opportunity_id": pl.String,
    "changed": pl.Date,
    "stage": pl.String,
    "amount": pl.Float64,
    "expected_close": pl.Date,
}
PRICES = pl.DataFrame({"product": ["GTX", "MG"], "list_price": [1000.0, 50.0]})


def deals(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=DEAL_SCHEMA, orient="row")


def history(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=HISTORY_SCHEMA, orient="row")


NO_HISTORY = history([])


def test_what_was_known_on_the_day() -> None:
    book = deals(
        [
            # Won on the day: closed by then, its amount known.
            ("w", "East", "GTX", "Won", 900.0, date(2017, 5, 1), date(2017, 6, 30), True, True),
            # Won later: open then, at its list price (never its close value), stage from history.
            ("later", "East", "GTX", "Won", 5000.0, date(2017, 6, 1), date(2017, 7, 9), True, True),
            # Open today with an amount of its own but no list price.
            ("open", "West", "Other", "Engaging", 70.0, date(2017, 6, 2), None, None, False),
            # Created after the day, or with no created day: not there.
            ("new", "West", "GTX", "Won", 10.0, date(2017, 7, 1), date(2017, 7, 2), True, True),
            ("undated", "West", "GTX", "Prospecting", None, None, None, None, False),
        ]
    )
    moves = history(
        [
            ("later", date(2017, 6, 1), "Qualify", None, date(2017, 7, 15)),
            ("later", date(2017, 7, 1), "Propose", 4000.0, date(2017, 7, 31)),  # after the day
        ]
    )
    known = known_at(book, moves, AS_OF, PRICES)
    assert known.undated == 1
    assert known.closed.get_column("opportunity_id").to_list() == ["w"]
    assert known.won_over_list == pytest.approx(0.9)  # 900 won on a 1,000 list price
    rows = {r["opportunity_id"]: r for r in known.open.iter_rows(named=True)}
    assert sorted(rows) == ["later", "open"]
    assert (rows["later"]["stage"], rows["later"]["value"], rows["later"]["priced"]) == (
        "Qualify",
        1000.0,
        True,
    )
    assert rows["later"]["expected_close"] == date(2017, 7, 15)
    assert (rows["open"]["stage"], rows["open"]["value"], rows["open"]["priced"]) == (None, 70.0, False)


def test_time_to_close_counts_open_deals_as_censored() -> None:
    # Two won at 10 days, two lost at 5; one still open at 7 days: at risk until then, not lost.
    ages = [(10, True), (10, True), (5, False), (5, False)]
    created = [AS_OF - timedelta(days=40)] * 4
    book = deals(
        [
            (f"d{i}", "g", "GTX", None, 1.0, c, c + timedelta(days=a), won, True)
            for i, ((a, won), c) in enumerate(zip(ages, created, strict=True))
        ]
        + [("o", "g", "GTX", None, None, AS_OF - timedelta(days=7), None, None, False)]
    )
    timing = time_to_close(known_at(book, NO_HISTORY, AS_OF, None), AS_OF)
    assert timing.open_after(np.array([4, 5]))[1] == pytest.approx(3 / 5)  # 2 of 5 lost at 5
    # At 10 days, 2 are at risk (the open deal left at 7) and both are won: 3/5 × 1.
    assert timing.won_by(np.array([9, 10, 400])).tolist() == pytest.approx([0.0, 0.6, 0.6])


def test_the_current_period_is_what_closed_so_far_plus_the_rest() -> None:
    book = deals(
        [
            ("a", "East", "GTX", "Won", 300.0, date(2017, 6, 1), date(2017, 6, 10), True, True),
            ("b", "East", "GTX", "Won", 200.0, date(2017, 5, 1), date(2017, 5, 20), True, True),
        ]
    )
    result = forecast(book, NO_HISTORY, date(2017, 6, 15), "month", 2)
    june, july = result.table.iter_rows(named=True)
    assert (june["group"], june["period_start"]) == ("East", date(2017, 6, 1))
    assert june["forecast"] >= 300.0 and june["low"] >= 300.0  # closed so far is certain
    assert june["low"] <= june["forecast"] <= june["high"]
    assert july["period_start"] == date(2017, 7, 1)
    again = forecast(book, NO_HISTORY, date(2017, 6, 15), "month", 2)
    assert again.table.write_csv() == result.table.write_csv()  # same inputs, same bytes


def test_an_open_deal_with_a_stage_is_weighted_by_its_stage_win_rate() -> None:
    """Stage Late: 20 closed deals went through it, 15 won (75%); the open deal, at Late with an
    expected close inside July, brings 0.75 × its value × the blend's pipeline share to July."""
    rows: list[tuple[Any, ...]] = []
    moves: list[tuple[Any, ...]] = []
    start = date(2017, 1, 2)
    for i in range(20):
        created = start + timedelta(days=i)
        closed = created + timedelta(days=30)
        rows.append((f"c{i}", "g", "GTX", "Won" if i < 15 else "Lost", 100.0, created, closed, i < 15, True))
        moves.append((f"c{i}", created, "Late", 100.0, closed))
    rows.append(("o", "g", "GTX", "Late", None, date(2017, 6, 20), None, None, False))
    moves.append(("o", date(2017, 6, 20), "Late", 4000.0, date(2017, 7, 10)))
    known_rates = forecast(deals(rows), history(moves), AS_OF, "month", 2)
    without = forecast(deals(rows[:-1]), history(moves[:-1]), AS_OF, "month", 2)
    july = known_rates.table.filter(pl.col("period_start") == date(2017, 7, 1)).row(0, named=True)
    july_without = without.table.filter(pl.col("period_start") == date(2017, 7, 1)).row(0, named=True)
    # Every slip seen was 0 days: the deal closes on its expected day, inside July, with chance 75%.
    from territorial.evaluate import forecast as module

    assert july["forecast"] - july_without["forecast"] == pytest.approx(
        module.PIPELINE_WEIGHT * 0.75 * 4000.0
    )


@pytest.mark.parametrize(
    ("day", "grain", "start_month", "labels"),
    [
        (date(2017, 8, 31), "month", 1, ["2017-08", "2017-09"]),
        (date(2017, 8, 31), "quarter", 1, ["2017Q3", "2017Q4"]),
        (date(2026, 3, 5), "quarter", 2, ["2027Q1", "2027Q2"]),  # Feb-Apr 2026 opens FY2027
        (date(2026, 1, 5), "quarter", 2, ["2026Q4", "2027Q1"]),
    ],
)
def test_periods_from_a_day(day: date, grain: str, start_month: int, labels: list[str]) -> None:
    assert [p.label for p in periods_from(day, grain, 2, start_month)] == labels


# ---- leakage ---------------------------------------------------------------------------------------

BASE = date(2017, 1, 1)
LEAK_AS_OF = date(2017, 7, 31)


@st.composite
def books(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    count = draw(st.integers(5, 40))
    rows, moves = [], []
    for i in range(count):
        created = BASE + timedelta(days=draw(st.integers(0, 300)))
        outcome = draw(st.sampled_from(["won", "lost", "open"]))
        closed = created + timedelta(days=draw(st.integers(0, 120))) if outcome != "open" else None
        amount = float(draw(st.integers(1, 50)) * 100) if outcome == "won" else None
        group = draw(st.sampled_from(["East", "West"]))
        product = draw(st.sampled_from(["GTX", "MG"]))
        stage = {"won": "Won", "lost": "Lost", "open": "Engaging"}[outcome]
        rows.append(
            (f"d{i:03d}", group, product, stage, amount, created, closed, outcome == "won", outcome != "open")
        )
        for step in range(draw(st.integers(0, 2))):
            changed = created + timedelta(days=draw(st.integers(0, 90)))
            moves.append(
                (
                    f"d{i:03d}",
                    changed,
                    draw(st.sampled_from(["Qualify", "Propose"])),
                    float(draw(st.integers(1, 50)) * 100),
                    changed + timedelta(days=draw(st.integers(0, 60)) + step),
                )
            )
    return deals(rows), history(moves)


def later_facts_changed(
    book: pl.DataFrame, moves: pl.DataFrame, shift: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every fact dated after LEAK_AS_OF changed: later closes move and flip outcome and amount, later
    deals are added, later history rows change stage, amount and expected close."""
    later_close = pl.col("closed") > LEAK_AS_OF
    changed = book.with_columns(
        pl.when(later_close)
        .then(pl.col("closed") + pl.duration(days=shift))
        .otherwise(pl.col("closed"))
        .alias("closed"),
        pl.when(later_close).then(~pl.col("won")).otherwise(pl.col("won")).alias("won"),
        pl.when(later_close).then(pl.lit(12345.0)).otherwise(pl.col("amount")).alias("amount"),
        pl.when(later_close).then(pl.lit("Changed")).otherwise(pl.col("stage")).alias("stage"),
    )
    added = deals(
        [
            (
                "zz",
                "East",
                "GTX",
                "Won",
                777.0,
                LEAK_AS_OF + timedelta(days=shift),
                LEAK_AS_OF + timedelta(days=shift + 3),
                True,
                True,
            )
        ]
    )
    later = pl.col("changed") > LEAK_AS_OF
    new_moves = moves.with_columns(
        pl.when(later).then(pl.lit("Changed")).otherwise(pl.col("stage")).alias("stage"),
        pl.when(later).then(pl.lit(1.0)).otherwise(pl.col("amount")).alias("amount"),
    )
    extra = history(
        [("d000", LEAK_AS_OF + timedelta(days=shift), "Late", 99999.0, LEAK_AS_OF + timedelta(days=2))]
    )
    return pl.concat([changed, added]), pl.concat([new_moves, extra])


@settings(max_examples=examples(6, 200))
@given(books(), st.integers(1, 90), st.sampled_from(["month", "quarter"]))
def test_changing_any_fact_dated_after_as_of_changes_no_forecast(
    drawn: tuple[pl.DataFrame, pl.DataFrame], shift: int, grain: str
) -> None:
    book, moves = drawn
    before = forecast(book, moves, LEAK_AS_OF, grain, 2, PRICES, groups=["East", "West"]).table
    changed_book, changed_moves = later_facts_changed(book, moves, shift)
    after = forecast(changed_book, changed_moves, LEAK_AS_OF, grain, 2, PRICES, groups=["East", "West"]).table
    assert before.equals(after)
