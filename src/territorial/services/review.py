"""Use case: the quarterly review of an assignment, gathered from the other evaluations (KPIs and
fairness, the county map, moves since the last plan, penetration, forecast against quota, drift and
headcount) into one report; a section with nothing to show says why in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from territorial.domain.fairness import Fairness
from territorial.domain.fields import ACCOUNT_ID
from territorial.domain.plan import PRIMARY
from territorial.errors import BadInput, Problem
from territorial.evaluate.kpis import GROUP, TERRITORY
from territorial.evaluate.periods import periods_from
from territorial.evaluate.report import (
    CountyHolders,
    balance_bars,
    county_holders,
    forecast_against_quota,
    headcount_advice,
    kpi_summary,
    penetration_advice,
    rebalance_advice,
    territory_flows,
)
from territorial.geo.counties import outlined_counties
from territorial.optimize.capacity import headcount
from territorial.progress import Progress, silent
from territorial.services.assign import load_workspace_book
from territorial.services.capacity import CapacityRequest
from territorial.services.compare import compare_plans
from territorial.services.context import Context
from territorial.services.drift import drift
from territorial.services.forecast import forecast_bookings
from territorial.services.kpis import ACTIVE, Chosen, choose_assignment, fairness_report
from territorial.services.penetration import PenetrationReport, penetration
from territorial.services.places import account_places
from territorial.services.settings import load_settings, today
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore

TOP_MOVES = 10  # territory-to-territory flows listed under "top movers"
# Headcount at `territorial capacity`'s defaults: a rep sells 1,600 hours a year at 80% utilisation.
HOURS_PER_REP = CapacityRequest.hours_per_rep
UTILISATION = CapacityRequest.utilisation


@dataclass(frozen=True)
class ReviewReport:
    """What the review shows; each `*_note` is the plain sentence shown instead of (or beside) a
    section's figures."""

    described: str
    day: date
    quarter: str  # the period of the performance figures and the forecast
    summary: list[tuple[str, str]]
    kpis: pl.DataFrame  # evaluate.kpis.KPI_COLUMNS by territory
    balance: list[Fairness]  # workload and potential by territory
    bars: pl.DataFrame  # evaluate.report.balance_bars
    counties: CountyHolders | None
    counties_note: str | None
    flows: pl.DataFrame | None  # evaluate.report.FLOW_COLUMNS
    flows_note: str | None
    penetration: PenetrationReport | None
    penetration_note: str | None
    quota: pl.DataFrame | None  # evaluate.report.QUOTA_COLUMNS
    quota_period: str | None
    quota_note: str | None
    recommendations: list[str]
    notes: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def review(
    workspace: WorkspaceStore,
    ctx: Context,
    run: int | None = None,
    plan: str | None = None,
    potential: str | None = None,
    price_list: Path | None = None,
    progress: Progress = silent,
) -> ReviewReport:
    """The review of the chosen assignment (--run, --plan ID|active; else the active plan, else the
    latest run), as of today; performance against potential reads the plan's potential, or the
    account field `potential` names."""
    settings = load_settings()
    day = today(ctx, settings)
    with workspace.unit_of_work() as uow:
        chosen = choose_assignment(uow, ctx, settings, run, plan, progress)
        current, previous = _plans_compared(uow, run, plan)
    # The quarter holding today: its bookings, win rate, quota and attainment; book figures are today's.
    quarter = periods_from(day, "quarter", 1, settings.fiscal_year_start_month)[0].label
    progress("Computing KPIs and fairness", None)
    fair = fairness_report(
        workspace,
        ctx,
        run,
        plan,
        TERRITORY,
        period=quarter,
        price_list=price_list,
        progress=progress,
        chosen=chosen,
    )
    table = fair.kpis.table
    counties, counties_note = _county_map(workspace, chosen, progress)
    flows, flows_note = _moves(workspace, ctx, chosen, current, previous, progress)
    progress("Computing penetration", None)
    under, under_note = _penetration(workspace, ctx, chosen, potential, price_list, progress)
    quota, period, quota_note = _forecast_quota(workspace, ctx, chosen, table, price_list, progress)
    advice = _recommendations(workspace, ctx, chosen, fair.measures, run, plan, under, progress)
    return ReviewReport(
        described=chosen.described,
        day=day,
        quarter=quarter,
        summary=kpi_summary(table),
        kpis=table,
        balance=fair.measures,
        bars=balance_bars(table, [m.measure for m in fair.measures], fair.kpis.capacities),
        counties=counties,
        counties_note=counties_note,
        flows=flows,
        flows_note=flows_note,
        penetration=under,
        penetration_note=under_note,
        quota=quota,
        quota_period=period,
        quota_note=quota_note,
        recommendations=advice,
        notes=fair.kpis.notes,
        warnings=chosen.warnings,
    )


def _plans_compared(uow: UnitOfWork, run: int | None, plan: str | None) -> tuple[int | None, int | None]:
    """The chosen assignment's plan and the plan before it: for a what-if plan, the active one; for
    the active plan (or a run of it), the plan applied before it."""
    active = uow.plans.active()
    active_id = None if active is None else active.plan_id
    if run is not None:
        info = uow.runs.get(run)
        current = None if info is None else info.plan_id
    elif plan is None or plan.strip().lower() == ACTIVE:
        if active_id is not None:
            current = active_id
        else:
            runs = uow.runs.list()
            current = runs[-1].plan_id if runs else None
    else:
        current = int(plan)
    if current is None:
        return None, None
    if active_id is not None and active_id != current:
        return current, active_id
    applied = [
        a.plan_id for a in uow.activations.history() if a.applied_at is not None and a.plan_id != current
    ]
    return current, (applied[-1] if applied else None)


def _county_map(
    workspace: WorkspaceStore, chosen: Chosen, progress: Progress
) -> tuple[CountyHolders | None, str | None]:
    if chosen.plan is None:
        return None, "No plan is active and no run is stored, so no territory holds a county yet."
    progress("Placing the accounts on the county map", None)
    _plan, book, _warnings = load_workspace_book(workspace, chosen.plan, progress)
    holders = county_holders(chosen.placement, account_places(book), set(outlined_counties()))
    if holders.counties.is_empty():
        return holders, "No account has a county on the map (a ZIP code or county_fips field places it)."
    return holders, None


def _moves(
    workspace: WorkspaceStore,
    ctx: Context,
    chosen: Chosen,
    current: int | None,
    previous: int | None,
    progress: Progress,
) -> tuple[pl.DataFrame | None, str | None]:
    if current is None:
        return None, "No plan is active and no run is stored: there is no plan to compare."
    if previous is None:
        return None, "There is no previous plan to compare with: this is the first plan applied."
    progress(f"Comparing with plan {previous}", None)
    comparison = compare_plans(workspace, ctx, previous, current, progress)
    flows = territory_flows(comparison.movers, chosen.accounts.select(ACCOUNT_ID, "potential"), TOP_MOVES)
    if flows.is_empty():
        return flows, f"No account changes territory between plan {previous} and plan {current}."
    return flows, f"Plan {previous} → plan {current}: the largest moves between territories."


def _penetration(
    workspace: WorkspaceStore,
    ctx: Context,
    chosen: Chosen,
    potential: str | None,
    price_list: Path | None,
    progress: Progress,
) -> tuple[PenetrationReport | None, str | None]:
    try:
        report = penetration(
            workspace, ctx, price_list=price_list, potential=potential, progress=progress, chosen=chosen
        )
    except BadInput as problem:
        return None, "Performance against potential cannot be shown: " + "; ".join(
            p.message for p in problem.problems
        ) + "."
    if report.index.get_column("bookings").sum() == 0:
        return report, "Nothing was booked yet, so no territory can be measured against its potential."
    if report.index.filter(pl.col("under_penetrated")).is_empty():
        return report, f"No territory books below {report.below:.0%} of its share of potential."
    return report, None


def _forecast_quota(
    workspace: WorkspaceStore,
    ctx: Context,
    chosen: Chosen,
    quotas: pl.DataFrame,
    price_list: Path | None,
    progress: Progress,
) -> tuple[pl.DataFrame | None, str | None, str | None]:
    """The quarter's forecast by territory against the quotas of the KPI table (the same quarter)."""
    progress("Forecasting the quarter", None)
    forecast = forecast_bookings(
        workspace, ctx, None, TERRITORY, "quarter", 1, price_list, progress=progress, chosen=chosen
    )
    result = forecast.result
    period = result.periods[0].label
    if result.known.closed.is_empty() and result.known.open.is_empty():
        day = forecast.as_of.isoformat()
        return None, period, f"No opportunity was created by {day}, so there is nothing to forecast."
    frame = forecast_against_quota(
        result.table.rename({GROUP: "territory_id"}).select("territory_id", "forecast", "low", "high"),
        quotas.select(pl.col(GROUP).alias("territory_id"), "quota"),
    )
    if frame.get_column("quota").is_null().all():
        note = f"No quota is allocated for {period}: `territorial quota allocate` sets them."
        return frame, period, note
    return frame, period, None


def _recommendations(
    workspace: WorkspaceStore,
    ctx: Context,
    chosen: Chosen,
    balance: list[Fairness],
    run: int | None,
    plan: str | None,
    under: PenetrationReport | None,
    progress: Progress,
) -> list[str]:
    drifted, command = None, None
    live = run is not None or plan is None or plan.strip().lower() == ACTIVE
    if live:
        progress("Computing drift", None)
        try:
            report = drift(workspace, ctx, run, progress=progress)
            drifted, command = report.drifted, report.rebalance
        except BadInput:
            pass  # nothing kept to compare with: fairness alone says what to rebalance
    advice = rebalance_advice(balance, drifted, command)
    primary = chosen.placement.filter(
        (pl.col("layer") == PRIMARY) & pl.col("territory_id").is_not_null()
    ).join(chosen.accounts.select(ACCOUNT_ID, "workload"), on=ACCOUNT_ID, how="left")
    if not primary.is_empty():
        needs = headcount(
            primary.select("territory_id"),
            primary.get_column("workload").cast(pl.Float64).fill_null(0.0).to_numpy(),
            primary.get_column("rep_id").to_list(),
            HOURS_PER_REP,
            UTILISATION,
        )
        advice += headcount_advice(needs.table)
    if under is not None:
        advice += penetration_advice(under.index, under.untapped)
    return advice
