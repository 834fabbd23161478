"""Bookings forecasts as of a day, from only what the CRM knew that day: the open pipeline weighted by
win rates and time to close, deals yet to be created, and a seasonal run rate."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from territorial.domain.opportunities import is_closed, is_won
from territorial.evaluate.kpis import stage_win_rates
from territorial.evaluate.periods import MONTH, Period, periods_from

GROUP = "group"
FORECAST_COLUMNS = [GROUP, "period_start", "forecast", "low", "high"]
Z_80 = 1.2815515655446004  # the standard normal's 90th percentile: low and high hold 80%

# Settings chosen on the CRM Sales Opportunities data with target months 2017-04 … 2017-08 (as-of
# dates up to 2017-07-31), then frozen for the reported span (benchmarks/forecast_backtest.py). WAPE
# of the month ahead there, office | agent level: the blend weight 0.3 / 0.4 / 0.5 gave 20.7 | 37.4,
# 20.7 | 36.9, 20.7 | 36.7% (0.7 and 1.0, with PRIOR_MONTHS 1: 22.4 | 37.8, 26.7 | 41.8%); the best
# baseline, the trailing 3-month mean, 32.2 | 44.4%. The interval's two terms were set for 80% coverage
# at both levels (80% | 79%).
PIPELINE_WEIGHT = 0.5  # the deal-by-deal forecast's share of the blend; the seasonal run rate has the rest
PRIOR_MONTHS = 0.5  # a pipeline scale counts 1.0 as this many months seen (0: 19.8 | 36.3%, 1: 21.2 | 37.1%)
MODEL_ERROR = 0.15  # relative error of the blend beyond the deals' own chance, for the interval
OVERDISPERSION = 1.0  # bookings vary like this many Poisson counts of typical won deals
NEW_DEALS_WINDOW_DAYS = 91  # the creation rate of the last quarter carries on (not tuned)
WON_SIZE_WINDOW_DAYS = 182  # the average won deal of the last half year sizes deals to come (not tuned)
MIN_STAGE_DEALS = 20  # a stage's win rate is used once this many closed deals went through it
MIN_SLIPS = 20  # expected close days are used once this many won deals had one recorded
MIN_MONTHS_FOR_HOLT_WINTERS = 12  # four seasons of three months: fewer fit the noise
CALIBRATION_MONTHS = 12  # the past months whose outcomes scale the deal-by-deal forecast
MONTHS_IN_QUARTER = 3
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Known:
    """What the CRM knew on `as_of`."""

    closed: pl.DataFrame  # group, created, closed, won, amount: deals closed by then
    open: pl.DataFrame  # group, created, stage, value, priced (by list price), expected_close
    undated: int  # deals without a created day: left out
    won_over_list: float  # won amount ÷ list price of the deals won by then (1.0 without prices)


@dataclass(frozen=True)
class Forecast:
    table: pl.DataFrame  # FORECAST_COLUMNS, by group and period
    periods: list[Period]
    known: Known
    run_rate_method: str  # in words


def known_at(deals: pl.DataFrame, history: pl.DataFrame, as_of: date, prices: pl.DataFrame | None) -> Known:
    """deals: opportunity_id, group, product, stage, amount, created, closed, won, is_closed (as the
    CRM shows them today); history: opportunity_id, changed, stage, amount, expected_close.

    A deal is open on `as_of` if it was created by then and had not closed; its stage is the last one
    its history recorded by then (else unknown), its amount the last recorded by then, else its
    product's list price, else the amount of a deal that is still open today; its expected close day
    only as recorded by then. Nothing dated later is read."""
    undated = deals.filter(pl.col("created").is_null()).height
    created = deals.filter(pl.col("created") <= as_of)
    closed_by = is_closed() & (pl.col("closed") <= as_of)
    closed = created.filter(closed_by).select(
        GROUP, "opportunity_id", "created", "closed", is_won().alias("won"), "amount", "product"
    )
    still_open = created.filter(~closed_by.fill_null(False))
    recorded = history.filter(pl.col("changed") <= as_of).sort("opportunity_id", "changed")
    last = recorded.group_by("opportunity_id", maintain_order=True).agg(
        pl.col("stage").drop_nulls().last().alias("stage_then"),
        pl.col("amount").drop_nulls().last().alias("amount_then"),
        pl.col("expected_close").drop_nulls().last().alias("expected_close"),
    )
    opened = still_open.join(last, on="opportunity_id", how="left")
    list_price = pl.lit(None, pl.Float64)
    if prices is not None:
        opened = opened.join(prices, on="product", how="left")
        list_price = pl.col("list_price").cast(pl.Float64)
    open_today = pl.when(~is_closed()).then(pl.col("amount"))
    value = pl.coalesce(pl.col("amount_then"), list_price, open_today).cast(pl.Float64)
    priced = pl.col("amount_then").is_null() & list_price.is_not_null()
    open_deals = opened.select(
        GROUP,
        "opportunity_id",
        "created",
        pl.col("stage_then").alias("stage"),
        value.fill_null(0.0).alias("value"),
        priced.alias("priced"),
        "expected_close",
    ).sort("opportunity_id")
    return Known(closed, open_deals, undated, _won_over_list(closed, prices))


def _won_over_list(closed: pl.DataFrame, prices: pl.DataFrame | None) -> float:
    """Won deals close near their list price, not at it: the ratio learned from those won by then."""
    if prices is None:
        return 1.0
    won = closed.filter(pl.col("won") & pl.col("amount").is_not_null()).join(prices, on="product")
    listed = float(won.get_column("list_price").sum()) if won.height else 0.0
    return float(won.get_column("amount").sum()) / listed if listed > 0 else 1.0


# ---- time to close ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeToClose:
    """How deals close with age (days since created), learned with deals still open as censored:
    `won[a]` is the chance a new deal is won by age a, `open[a]` that it is still open after age a
    (Aalen-Johansen, won and lost as competing outcomes; lost deals close faster than won ones)."""

    won: np.ndarray
    open: np.ndarray

    def won_by(self, age: np.ndarray) -> np.ndarray:
        """The chance of being won by each age (0 before age 0; flat after the oldest age seen)."""
        index = np.clip(age, -1, self.won.size - 1)
        return np.where(index < 0, 0.0, self.won[np.maximum(index, 0)])

    def open_after(self, age: np.ndarray) -> np.ndarray:
        index = np.clip(age, -1, self.open.size - 1)
        return np.where(index < 0, 1.0, self.open[np.maximum(index, 0)])


def time_to_close(known: Known, as_of: date) -> TimeToClose:
    ended = (known.closed.get_column("closed") - known.closed.get_column("created")).dt.total_days()
    waiting = (pl.lit(as_of) - known.open.get_column("created")).dt.total_days()
    ages = np.concatenate([ended.to_numpy(), known.open.select(waiting).to_series().to_numpy()]).astype(
        np.int64
    )
    kinds = np.concatenate(
        [np.where(known.closed.get_column("won").to_numpy(), 1, 2), np.zeros(known.open.height, np.int64)]
    )
    ages = np.maximum(ages, 0)
    size = int(ages.max()) + 1 if ages.size else 1
    at_risk = np.cumsum(np.bincount(ages, minlength=size)[::-1])[::-1].astype(np.float64)
    won = np.bincount(ages[kinds == 1], minlength=size).astype(np.float64)
    lost = np.bincount(ages[kinds == 2], minlength=size).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard_won = np.where(at_risk > 0, won / at_risk, 0.0)
        hazard_any = np.where(at_risk > 0, (won + lost) / at_risk, 0.0)
    still_open = np.cumprod(1.0 - hazard_any)
    before = np.concatenate([[1.0], still_open[:-1]])
    return TimeToClose(np.cumsum(before * hazard_won), still_open)


# ---- the forecast -----------------------------------------------------------------------------------


def forecast(
    deals: pl.DataFrame,
    history: pl.DataFrame,
    as_of: date,
    grain: str,
    horizon: int,
    prices: pl.DataFrame | None = None,
    fiscal_year_start_month: int = 1,
    groups: list[str] | None = None,
) -> Forecast:
    """Bookings (won amount by close day) per group and period: `horizon` periods of `grain`, the first
    holding `as_of`, whose forecast is what closed won by `as_of` plus a forecast of the rest.

    Each month of the rest blends the deal-by-deal forecast (the open pipeline and deals yet to be
    created, each scaled by how it did in past months at the same place in the quarter) with the
    seasonal run rate."""
    periods = periods_from(as_of, grain, horizon, fiscal_year_start_month)
    months = periods_from(as_of, MONTH, _months_between(periods[0].start, periods[-1].end) + 1)
    known = known_at(deals, history, as_of, prices)
    timing = time_to_close(known, as_of)
    seen = set(known.closed.get_column(GROUP)) | set(known.open.get_column(GROUP))
    names = sorted(set(groups or []) | seen)
    pipeline = _open_deal_chances(known, history, deals, as_of, timing, months)
    new = _new_deals(known, as_of, timing, months)
    new_same = _new_deals(known, as_of, timing, months, within=True)
    calibration = _calibration(deals, history, prices, known, as_of, fiscal_year_start_month)
    run_rate, method = _run_rate(known.closed, as_of, months, names)
    typical = _typical_won(known, as_of)
    rows = []
    for period in periods:
        inside = [i for i, m in enumerate(months) if period.start <= m.start <= period.end]
        for name in names:
            rest, variance = 0.0, 0.0
            for i in inside:
                place = _place_in_quarter(months[i].start, fiscal_year_start_month)
                mean_p, var_p = pipeline.get((name, i), (0.0, 0.0))
                mean_n, var_n = new.get((name, i), (0.0, 0.0))
                same_month = calibration.new_in_month[place]
                if same_month is not None:
                    # Deals created within the month: as past months at its place brought, for the
                    # days left; deals created after as_of in earlier months: as the model says.
                    mean_same, _var = new_same.get((name, i), (0.0, 0.0))
                    left = _days_left(months[i], as_of) / months[i].days
                    mean_n += same_month * calibration.new_shares.get(name, 0.0) * left - mean_same
                scale = calibration.pipeline_scale[place]
                structural = scale * mean_p + max(0.0, mean_n)
                rest += PIPELINE_WEIGHT * structural + (1 - PIPELINE_WEIGHT) * run_rate[name][i]
                variance += (PIPELINE_WEIGHT**2) * (scale * scale * var_p + var_n)
            booked = _booked(known.closed, name, period, as_of)
            variance += OVERDISPERSION * rest * typical + (MODEL_ERROR * rest) ** 2
            spread = Z_80 * float(np.sqrt(variance))
            point = booked + rest
            rows.append((name, period.start, point, max(booked, point - spread), point + spread))
    schema = {
        GROUP: pl.String,
        "period_start": pl.Date,
        "forecast": pl.Float64,
        "low": pl.Float64,
        "high": pl.Float64,
    }
    table = pl.DataFrame(rows, schema=schema, orient="row").sort(GROUP, "period_start")
    return Forecast(table, periods, known, method)


def _typical_won(known: Known, as_of: date) -> float:
    """E[V²] ÷ E[V] of the won deals of the last WON_SIZE_WINDOW_DAYS: bookings made of deals this size
    vary like a Poisson count of them (variance = bookings × this)."""
    recent = pl.col("closed") > as_of - timedelta(days=WON_SIZE_WINDOW_DAYS)
    amounts = known.closed.filter(pl.col("won") & recent).get_column("amount").drop_nulls()
    values = amounts.cast(pl.Float64).to_numpy()
    mean = float(values.mean()) if values.size else 0.0
    return float((values**2).mean()) / mean if mean > 0 else 0.0


def _place_in_quarter(month: date, fiscal_year_start_month: int) -> int:
    """0, 1 or 2: the month's place in its (fiscal) quarter."""
    return (month.month - fiscal_year_start_month) % MONTHS_IN_QUARTER


@dataclass(frozen=True)
class Calibration:
    """What past months at each place in the quarter (0, 1, 2) say about the deal-by-deal forecast."""

    pipeline_scale: list[float]  # what the open pipeline brought ÷ what was expected of it
    new_in_month: list[float | None]  # the average month's won bookings from deals created in it
    new_shares: dict[str, float]  # each group's share of those


def _calibration(
    deals: pl.DataFrame,
    history: pl.DataFrame,
    prices: pl.DataFrame | None,
    known: Known,
    as_of: date,
    fiscal_year_start_month: int,
) -> Calibration:
    """By place in the quarter, over the months complete by `as_of` (the last CALIBRATION_MONTHS):
    what the open pipeline brought ÷ what the same forecast, made the day before the month, expected of
    it (shrunk towards 1 by PRIOR_MONTHS), and the won bookings of deals created within the month. Sales
    teams close old deals at quarter ends and new ones at quarter starts, which time since created alone
    does not tell."""
    won = known.closed.filter(pl.col("won"))
    expected = np.zeros(MONTHS_IN_QUARTER)
    actual = np.zeros(MONTHS_IN_QUARTER)
    seen = np.zeros(MONTHS_IN_QUARTER)
    new_total = np.zeros(MONTHS_IN_QUARTER)
    new_months = np.zeros(MONTHS_IN_QUARTER)
    new_won = []
    last_complete = _next_month(as_of)
    for back in range(CALIBRATION_MONTHS, 0, -1):
        start = _months_before(last_complete, back)
        month = periods_from(start, MONTH, 1)[0]
        before = start - timedelta(days=1)
        past = known_at(deals, history, before, prices)
        if past.closed.filter(pl.col("won")).is_empty():
            continue  # nothing had closed yet: no month to learn from
        place = _place_in_quarter(start, fiscal_year_start_month)
        closed_in = won.filter(pl.col("closed").is_between(month.start, month.end))
        older = pl.col("created") <= before
        created_in = closed_in.filter(~older)
        new_won.append(created_in)
        new_total[place] += float(created_in.get_column("amount").fill_null(0.0).sum())
        new_months[place] += 1
        timing = time_to_close(past, before)
        pipeline = _open_deal_chances(past, history, deals, before, timing, [month])
        expected[place] += sum(mean for mean, _var in pipeline.values())
        actual[place] += float(closed_in.filter(older).get_column("amount").fill_null(0.0).sum())
        seen[place] += 1
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, actual / expected, 1.0)
        scale = np.where(seen > 0, (seen * ratio + PRIOR_MONTHS) / (seen + PRIOR_MONTHS), 1.0)
        new_in_month = np.where(new_months > 0, new_total / np.maximum(new_months, 1), np.nan)
    frame = pl.concat(new_won) if new_won else won.clear()
    total = float(frame.get_column("amount").fill_null(0.0).sum())
    shares = {
        name: float(amount) / total
        for name, amount in frame.group_by(GROUP).agg(pl.col("amount").fill_null(0.0).sum()).iter_rows()
        if total > 0
    }
    return Calibration(
        [float(v) for v in scale],
        [None if np.isnan(v) else float(v) for v in new_in_month],
        shares,
    )


def _booked(closed: pl.DataFrame, name: str, period: Period, as_of: date) -> float:
    if period.start > as_of:
        return 0.0
    won = closed.filter(
        (pl.col(GROUP) == name) & pl.col("won") & pl.col("closed").is_between(period.start, as_of)
    )
    return float(won.get_column("amount").fill_null(0.0).sum())


def _open_deal_chances(
    known: Known,
    history: pl.DataFrame,
    deals: pl.DataFrame,
    as_of: date,
    timing: TimeToClose,
    periods: list[Period],
) -> dict[tuple[str, int], tuple[float, float]]:
    """(group, period index) -> expected won value of the deals open on `as_of`, and its variance.

    A deal's chance of being won: its stage's win rate learned by then when the stage is known, else
    the chance for a deal still open at its age. When it closes, if won: near its expected close day
    moved by the slips seen on won deals (when one is recorded), else as deals of its age close."""
    frame = known.open
    if frame.is_empty():
        return {}
    closed_ids = known.closed.get_column("opportunity_id")
    rates = stage_win_rates(
        deals.filter(pl.col("opportunity_id").is_in(closed_ids.implode())).with_columns(
            pl.lit(True).alias("is_closed")
        ),
        history.filter((pl.col("changed") <= as_of) & pl.col("opportunity_id").is_in(closed_ids.implode())),
    ).filter(pl.col("closed_deals") >= MIN_STAGE_DEALS)
    stage_rate = dict(zip(rates.get_column("stage"), rates.get_column("win_rate"), strict=True))
    created = frame.get_column("created").to_numpy().astype("datetime64[D]").astype(np.int64)
    today = _day_number(as_of)
    age = today - created
    still_open = timing.open_after(age)
    won_later = timing.won[-1] - timing.won_by(age)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_age = np.where(still_open > 0, won_later / still_open, 0.0)
    stages = frame.get_column("stage").to_list()
    win = np.array([stage_rate.get(s, np.nan) if s is not None else np.nan for s in stages], dtype=np.float64)
    win = np.where(np.isnan(win), by_age, win)
    value = frame.get_column("value").to_numpy() * np.where(
        frame.get_column("priced").to_numpy(), known.won_over_list, 1.0
    )
    slips = _slips(known, history, as_of)
    expected = frame.get_column("expected_close")
    has_expected = expected.is_not_null().to_numpy() & (slips.size >= MIN_SLIPS)
    expected_day = expected.to_numpy().astype("datetime64[D]").astype(np.int64)
    names = frame.get_column(GROUP).to_numpy()
    found: dict[tuple[str, int], tuple[float, float]] = {}
    for index, first, last in _days_to_come(periods, as_of):
        # When a won deal closes, by its age: the won-by-age curve past its age today.
        with np.errstate(divide="ignore", invalid="ignore"):
            by_timing = np.where(
                won_later > 0,
                (timing.won_by(last - created) - timing.won_by(first - 1 - created)) / won_later,
                0.0,
            )
        if has_expected.any():
            by_slip = _share_by_slip(expected_day, slips, today, first, last)
            by_timing = np.where(has_expected, by_slip, by_timing)
        chance = np.clip(win * by_timing, 0.0, 1.0)
        means = value * chance
        variances = value**2 * chance * (1 - chance)
        summed = (
            pl.DataFrame({GROUP: names, "mean": means, "var": variances})
            .group_by(GROUP)
            .agg(pl.col("mean").sum(), pl.col("var").sum())
        )
        for name, mean, var in summed.iter_rows():
            found[(name, index)] = (float(mean), float(var))
    return found


def _slips(known: Known, history: pl.DataFrame, as_of: date) -> np.ndarray:
    """Days from an expected close day recorded before a won deal closed to the day it closed, for
    the deals won by `as_of`."""
    won = known.closed.filter(pl.col("won")).select("opportunity_id", "closed")
    recorded = history.filter((pl.col("changed") <= as_of) & pl.col("expected_close").is_not_null())
    pairs = recorded.join(won, on="opportunity_id").filter(pl.col("changed") < pl.col("closed"))
    return (pairs.get_column("closed") - pairs.get_column("expected_close")).dt.total_days().sort().to_numpy()


def _share_by_slip(expected: np.ndarray, slips: np.ndarray, today: int, first: int, last: int) -> np.ndarray:
    """For each deal, the share of the slips seen that move its expected close day into [first, last],
    among those that leave it after today (it has not closed yet)."""
    safe = np.where(expected < 0, today, expected)  # NaT reads as a large negative number
    later = slips.size - np.searchsorted(slips, today - safe, side="right")
    inside = np.searchsorted(slips, last - safe, side="right") - np.searchsorted(
        slips, first - 1 - safe, side="right"
    )
    return np.where(later > 0, inside / np.maximum(later, 1), 0.0)


def _new_deals(
    known: Known, as_of: date, timing: TimeToClose, periods: list[Period], within: bool = False
) -> dict[tuple[str, int], tuple[float, float]]:
    """(group, period index) -> expected won value of deals created after `as_of` and won within the
    period, and its variance: the last quarter's creation rate, the won-by-age curve and the last half
    year's won deal size (a compound Poisson count)."""
    window_start = as_of - timedelta(days=NEW_DEALS_WINDOW_DAYS - 1)
    created = pl.concat([known.closed.select(GROUP, "created"), known.open.select(GROUP, "created")]).filter(
        pl.col("created") >= window_start
    )
    rates = dict(created.group_by(GROUP).agg(pl.len()).iter_rows())
    won = known.closed.filter(
        pl.col("won") & (pl.col("closed") > as_of - timedelta(days=WON_SIZE_WINDOW_DAYS))
    )
    sizes = {
        name: (float(mean or 0.0), float(square or 0.0))
        for name, mean, square in won.group_by(GROUP)
        .agg(
            pl.col("amount").fill_null(0.0).mean(),
            (pl.col("amount").fill_null(0.0) ** 2).mean().alias("square"),
        )
        .iter_rows()
    }
    today = _day_number(as_of)
    found: dict[tuple[str, int], tuple[float, float]] = {}
    for index, first, last in _days_to_come(periods, as_of):
        days = np.arange(first if within else today + 1, last + 1)  # within: created in the period
        # A deal created on day c is won within the period with chance won_by(last-c) - won_by(first-1-c).
        per_deal = float(np.sum(timing.won_by(last - days) - timing.won_by(first - 1 - days)))
        for name, count in rates.items():
            size, square = sizes.get(name, (0.0, 0.0))
            per_day = count / NEW_DEALS_WINDOW_DAYS
            found[(name, index)] = (per_day * size * per_deal, per_day * square * per_deal)
    return found


# ---- the run rate -------------------------------------------------------------------------------------


def _run_rate(
    closed: pl.DataFrame, as_of: date, periods: list[Period], names: list[str]
) -> tuple[dict[str, list[float]], str]:
    """name -> bookings per period at the seasonal run rate of the months complete by `as_of`: the total's
    Holt-Winters forecast (multiplicative seasons by month of the quarter) once there are enough months,
    else its trailing 3-month mean by month-of-quarter index; shared by the groups' last 3 months."""
    months = _complete_months(closed, as_of)
    start = _next_month(as_of)
    totals = months.group_by("month").agg(pl.col("amount").sum())
    if totals.height:
        # Months with no bookings between the first and the last count as 0.
        first: date = totals.get_column("month").min()  # type: ignore[assignment]
        every = pl.date_range(first, _months_before(start, 1), "1mo", eager=True)
        totals = pl.DataFrame({"month": every}).join(totals, on="month", how="left").fill_null(0.0)
    ahead = _months_between(start, periods[-1].end)
    series = totals.get_column("amount").to_numpy() if totals.height else np.zeros(0)
    first_month = totals.get_column("month")[0] if totals.height else None
    if series.size >= MIN_MONTHS_FOR_HOLT_WINTERS and np.all(series > 0):
        path, method = _holt_winters(series, ahead), "Holt-Winters (statsmodels) on the monthly total"
    else:
        path, method = (
            _seasonal_mean(series, first_month, ahead),
            "the trailing 3-month mean by month of the quarter",
        )
    recent = months.filter(pl.col("month") >= _months_before(start, MONTHS_IN_QUARTER))
    total_recent = float(recent.get_column("amount").sum())
    shares = {
        name: float(amount) / total_recent if total_recent > 0 else 0.0
        for name, amount in recent.group_by(GROUP).agg(pl.col("amount").sum()).iter_rows()
    }
    result: dict[str, list[float]] = {}
    for name in names:
        share = shares.get(name, 0.0)
        result[name] = [share * _rest_of(period, path, start, as_of) for period in periods]
    return result, method


def _months_in(period: Period) -> int:
    return 1 if period.days <= 31 else MONTHS_IN_QUARTER


def _complete_months(closed: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """group, month, amount: won bookings by close month, for months ended by `as_of`."""
    month = pl.col("closed").dt.truncate("1mo")
    ended = pl.col("closed").dt.month_end() <= as_of
    return (
        closed.filter(pl.col("won") & ended)
        .group_by(GROUP, month.alias("month"))
        .agg(pl.col("amount").fill_null(0.0).sum())
    )


def _rest_of(period: Period, path: list[float], start: date, as_of: date) -> float:
    """The run rate of the period's days after `as_of`: each month not complete by then, by its share
    of days left."""
    total = 0.0
    for month in periods_from(period.start, MONTH, _months_in(period)):
        index = _months_between(start, month.start)
        if index < 0 or index >= len(path):
            continue
        first = max(month.start, as_of + timedelta(days=1))
        total += path[index] * max(0, (month.end - first).days + 1) / month.days
    return total


def _days_to_come(periods: list[Period], as_of: date) -> Iterator[tuple[int, int, int]]:
    """(index, first, last) day numbers of each period's days after `as_of`, for those that have any."""
    today = _day_number(as_of)
    for index, period in enumerate(periods):
        first, last = max(_day_number(period.start), today + 1), _day_number(period.end)
        if first <= last:
            yield index, first, last


def _day_number(day: date) -> int:
    """Days since 1970-01-01, as numpy counts dates."""
    return (day - EPOCH).days


def _days_left(month: Period, as_of: date) -> int:
    return max(0, (month.end - max(month.start, as_of + timedelta(days=1))).days + 1)


def _next_month(as_of: date) -> date:
    """The first month not complete on `as_of`."""
    following = as_of + timedelta(days=1)
    return (
        date(following.year, following.month, 1) if following.day == 1 else date(as_of.year, as_of.month, 1)
    )


def _months_between(start: date, later: date) -> int:
    return (later.year - start.year) * 12 + later.month - start.month


def _months_before(start: date, count: int) -> date:
    index = start.year * 12 + start.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _holt_winters(series: np.ndarray, ahead: int) -> list[float]:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = ExponentialSmoothing(
            series, trend=None, seasonal="mul", seasonal_periods=MONTHS_IN_QUARTER
        ).fit()
        path = fitted.forecast(ahead + 1)
    return [max(0.0, float(v)) for v in np.asarray(path)]


def _seasonal_mean(series: np.ndarray, first_month: date | None, ahead: int) -> list[float]:
    if series.size == 0 or first_month is None:
        return [0.0] * (ahead + 1)
    level = float(series[-MONTHS_IN_QUARTER:].mean())
    position = [(first_month.month - 1 + i) % MONTHS_IN_QUARTER for i in range(series.size)]
    mean = float(series.mean())
    index = {}
    for p in range(MONTHS_IN_QUARTER):
        seen = [float(v) for v, q in zip(series, position, strict=True) if q == p]
        index[p] = (sum(seen) / len(seen)) / mean if seen and mean > 0 else 1.0
    recent = [index[q] for q in position[-MONTHS_IN_QUARTER:]]
    deseason = level / (sum(recent) / len(recent)) if recent and sum(recent) > 0 else level
    following = (first_month.month - 1 + series.size) % MONTHS_IN_QUARTER
    return [deseason * index[(following + i) % MONTHS_IN_QUARTER] for i in range(ahead + 1)]
