"""Use case: forecast bookings per territory, rep, manager or rep field, as of a day, from the
workspace's opportunities and their history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.evaluate.forecast import Forecast, forecast
from territorial.evaluate.kpis import LAYER, TERRITORY, deal_groups, placed_accounts
from territorial.evaluate.periods import GRAINS
from territorial.io.price_list import read_price_list
from territorial.progress import Progress, silent
from territorial.services.context import Context
from territorial.services.kpis import DEAL_TYPES, Chosen, choose_assignment, grouping_of, workspace_reps
from territorial.services.settings import load_settings, today
from territorial.services.unit_of_work import WorkspaceStore

HISTORY_TYPES: dict[str, pl.DataType] = {
    "opportunity_id": pl.String(),
    "changed": pl.Date(),
    "stage": pl.String(),
    "amount": pl.Float64(),
    "expected_close": pl.Date(),
}
MAX_HORIZON = 36


@dataclass(frozen=True)
class ForecastReport:
    as_of: date
    by: str
    grain: str
    result: Forecast
    described: str  # the assignment territories came from, or the deals' own reps
    notes: list[str] = field(default_factory=list)


def forecast_bookings(
    workspace: WorkspaceStore,
    ctx: Context,
    as_of: str | None = None,
    by: str = "rep",
    grain: str = "month",
    horizon: int = 2,
    price_list: Path | None = None,
    run: int | None = None,
    plan: str | None = None,
    progress: Progress = silent,
    chosen: Chosen | None = None,
) -> ForecastReport:
    """Bookings per group for `horizon` periods of `grain` from the one holding `as_of` (default: today),
    from only what the workspace knew on `as_of`."""
    settings = load_settings()
    day = today(ctx, settings) if as_of is None else _day(as_of)
    wanted_grain = grain.strip().lower()
    if wanted_grain not in GRAINS:
        raise BadInput.at(f"--grain is month or quarter, not '{grain}'", "--grain")
    if not 1 <= horizon <= MAX_HORIZON:
        raise BadInput.at(f"--horizon counts periods from 1 to {MAX_HORIZON}, not {horizon}", "--horizon")
    prices = None if price_list is None else read_price_list(price_list)
    with workspace.unit_of_work() as uow:
        reps = workspace_reps(uow)
        grouping = grouping_of(by, reps)
        placed = None
        described = "the deals' own reps"
        if grouping in (TERRITORY, LAYER):
            if chosen is None:
                chosen = choose_assignment(uow, ctx, settings, run, plan, progress)
            placed, described = placed_accounts(chosen.placement, reps, grouping), chosen.described
        progress("Reading the opportunities", None)
        deals = uow.records.read(Entity.OPPORTUNITIES, DEAL_TYPES, active_only=True)
        history = uow.records.read(Entity.OPPORTUNITY_HISTORY, HISTORY_TYPES, active_only=True)
    progress("Forecasting", None)
    grouped = deal_groups(deals, reps, grouping, placed if placed is not None else _nowhere())
    result = forecast(grouped, history, day, wanted_grain, horizon, prices, settings.fiscal_year_start_month)
    return ForecastReport(day, grouping, wanted_grain, result, described, _notes(result, prices is not None))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput.at(f"'{text}' is not a day; expected YYYY-MM-DD", "--as-of") from None


def _nowhere() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"account_id": pl.String, "group": pl.String, "overlaps": pl.String, "tie": pl.Boolean}
    )


def _notes(result: Forecast, priced: bool) -> list[str]:
    known = result.known
    notes = []
    if known.closed.is_empty() and known.open.is_empty():
        notes.append(
            "no opportunity was created by then: `territorial import opportunities FILE` brings them in"
        )
    if known.undated:
        notes.append(f"{known.undated:,} deals without a created day are left out")
    unknown = known.open.filter(pl.col("stage").is_null()).height
    if unknown:
        notes.append(
            f"{unknown:,} of {known.open.height:,} open deals have no stage recorded by then: "
            "their chance is that of deals still open at their age"
        )
    listed = known.open.filter(pl.col("priced")).height
    if listed:
        notes.append(
            f"{listed:,} open deals are valued at their product's list price × {known.won_over_list:.2f} "
            "(won amount ÷ list price of the deals won by then)"
        )
    unpriced = known.open.filter(pl.col("value") == 0).height
    if unpriced:
        hint = "" if priced else "; --price-list FILE values them by product"
        notes.append(f"{unpriced:,} open deals have no amount recorded by then and count 0{hint}")
    notes.append(f"run rate: {result.run_rate_method}")
    return notes
