"""Scoring bookings forecasts against what happened: the naive baselines a planner would use, WAPE,
paired wins and interval coverage, for walk-forward backtests."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from territorial.evaluate.forecast import GROUP, known_at

LAST_MONTH = "last month"
TRAILING_3 = "trailing 3-month mean"
SEASONAL_NAIVE = "same month last quarter"
OPEN_PIPELINE = "open pipeline"
FORECAST = "forecast"
BASELINES = (LAST_MONTH, TRAILING_3, SEASONAL_NAIVE, OPEN_PIPELINE)


def monthly_bookings(deals: pl.DataFrame) -> pl.DataFrame:
    """group, month, bookings: won amount by close month (deals: group, won, closed, amount)."""
    return (
        deals.filter(pl.col("won").fill_null(False) & pl.col("closed").is_not_null())
        .group_by(GROUP, pl.col("closed").dt.truncate("1mo").alias("month"))
        .agg(pl.col("amount").fill_null(0.0).sum().alias("bookings"))
        .sort(GROUP, "month")
    )


def baselines(
    deals: pl.DataFrame, history: pl.DataFrame, as_of: date, month: date, prices: pl.DataFrame | None
) -> pl.DataFrame:
    """group, method, forecast: each baseline's bookings for the month starting `month`, from what was
    known on `as_of` (the last day of the month before it): last month's bookings, the trailing 3-month
    mean, the same month of the previous quarter, and the open pipeline (open deals at their value,
    closing at created + the median won cycle learned by then)."""
    known = known_at(deals, history, as_of, prices)
    booked = monthly_bookings(known.closed)
    names = sorted(set(known.closed.get_column(GROUP)) | set(known.open.get_column(GROUP)))
    frame = pl.DataFrame({GROUP: names}, schema={GROUP: pl.String})

    def months_back(count: int) -> date:
        index = month.year * 12 + month.month - 1 - count
        return date(index // 12, index % 12 + 1, 1)

    def mean_over(first: date, last: date, method: str) -> pl.DataFrame:
        inside = booked.filter(pl.col("month").is_between(first, last))
        span = (last.year - first.year) * 12 + last.month - first.month + 1
        summed = inside.group_by(GROUP).agg((pl.col("bookings").sum() / span).alias(FORECAST))
        return frame.join(summed, on=GROUP, how="left").with_columns(
            pl.col(FORECAST).fill_null(0.0), pl.lit(method).alias("method")
        )

    won = known.closed.filter(pl.col("won"))
    cycle = (won.get_column("closed") - won.get_column("created")).dt.total_days().median()
    end = months_back(-1) - timedelta(days=1)
    landing = pl.col("created") + pl.duration(days=int(cycle or 0))  # type: ignore[arg-type]
    pipeline = (
        known.open.filter(landing.is_between(month, end))
        .group_by(GROUP)
        .agg(pl.col("value").sum().alias(FORECAST))
    )
    parts = [
        mean_over(months_back(1), months_back(1), LAST_MONTH),
        mean_over(months_back(3), months_back(1), TRAILING_3),
        mean_over(months_back(3), months_back(3), SEASONAL_NAIVE),
        frame.join(pipeline, on=GROUP, how="left").with_columns(
            pl.col(FORECAST).fill_null(0.0), pl.lit(OPEN_PIPELINE).alias("method")
        ),
    ]
    return pl.concat([p.select(GROUP, "method", FORECAST) for p in parts]).sort("method", GROUP)


def wape(scored: pl.DataFrame) -> float | None:
    """Σ|forecast − actual| ÷ Σ actual (scored: forecast, actual); None when nothing was booked."""
    actual = float(scored.get_column("actual").sum())
    if actual <= 0:
        return None
    return float((scored.get_column(FORECAST) - scored.get_column("actual")).abs().sum()) / actual


def scorecard(rows: pl.DataFrame) -> pl.DataFrame:
    """method, wape, months_won, months, coverage: rows (group, month, method, forecast, actual, and
    low/high for the forecast) over the group-months with bookings. months_won counts the months whose
    WAPE beats the method's (for the forecast: beats every baseline); coverage is the share of those
    group-months inside the forecast's interval."""
    booked = rows.filter(pl.col("actual") > 0)
    by_month = (
        booked.group_by("method", "month")
        .agg(((pl.col(FORECAST) - pl.col("actual")).abs().sum() / pl.col("actual").sum()).alias("wape"))
        .pivot(on="method", index="month", values="wape")
        .sort("month")
    )
    methods = sorted(set(booked.get_column("method")), key=lambda m: (m != FORECAST, m))
    mine = by_month.get_column(FORECAST) if FORECAST in by_month.columns else None
    result = []
    for method in methods:
        chosen = booked.filter(pl.col("method") == method)
        if method == FORECAST:
            others = [by_month.get_column(m) for m in methods if m != FORECAST]
            wins = sum(all(v < o[i] for o in others) for i, v in enumerate(by_month.get_column(FORECAST)))
            inside = chosen.filter(pl.col("actual").is_between(pl.col("low"), pl.col("high"))).height
            coverage: float | None = inside / chosen.height if chosen.height else None
        else:
            assert mine is not None
            wins = sum(m < v for m, v in zip(mine, by_month.get_column(method), strict=True))
            coverage = None
        result.append((method, wape(chosen), wins, by_month.height, coverage))
    schema = {
        "method": pl.String,
        "wape": pl.Float64,
        "months_won": pl.Int64,
        "months": pl.Int64,
        "coverage": pl.Float64,
    }
    return pl.DataFrame(result, schema=schema, orient="row")
