"""Use cases: KPIs and fairness of a chosen assignment (a stored run, a plan as activating it would make
it, or the live one), over the workspace's reps and opportunities."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from territorial.domain.entities import Entity
from territorial.domain.fairness import DEFAULT_TOLERANCE, Fairness
from territorial.domain.fields import ACCOUNT_ID
from territorial.domain.lifecycle import PlanState
from territorial.domain.plan import PRIMARY, Plan
from territorial.errors import BadInput, Problem
from territorial.evaluate.fairness import fairness
from territorial.evaluate.kpis import (
    GROUP,
    GROUPINGS,
    KPI_COLUMNS,
    LAYER,
    REP,
    TERRITORY,
    kpi_table,
    priced,
    rep_field,
    stage_probabilities,
)
from territorial.evaluate.periods import Period, parse_period
from territorial.evaluate.quotas import prorated
from territorial.io.price_list import read_price_list
from territorial.progress import Progress, silent
from territorial.services.activation import evaluate_for_activation
from territorial.services.assign import account_figures, stored_in
from territorial.services.context import Context
from territorial.services.plans import plan_in
from territorial.services.settings import Settings, load_settings, today
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore

ACTIVE = "active"
PLACEMENT_COLUMNS = ["account_id", "layer", "territory_id", "rep_id", "overlaps", "tie"]
DEAL_TYPES: dict[str, pl.DataType] = {
    "opportunity_id": pl.String(),
    "account_id": pl.String(),
    "rep_id": pl.String(),
    "product": pl.String(),
    "stage": pl.String(),
    "amount": pl.Float64(),
    "created": pl.Date(),
    "closed": pl.Date(),
    "won": pl.Boolean(),
    "is_closed": pl.Boolean(),
}
REP_TYPES: dict[str, pl.DataType] = {
    "rep_id": pl.String(),
    "name": pl.String(),
    "team": pl.String(),
    "manager_id": pl.String(),
    "capacity": pl.Float64(),
    "quota": pl.Float64(),
}
# What `fairness` measures unless told: what a territory plan balances.
DEFAULT_MEASURES = ("workload", "potential")
NUMERIC_KPIS = tuple(c for c in KPI_COLUMNS if c != GROUP)


@dataclass(frozen=True)
class Chosen:
    """The assignment the figures read, in words, and what each account carries in it."""

    described: str
    plan: Plan | None  # None: the accounts' owners, with no plan
    placement: pl.DataFrame  # PLACEMENT_COLUMNS
    accounts: pl.DataFrame  # account_id, workload, potential
    warnings: list[Problem]


@dataclass(frozen=True)
class KpiReport:
    described: str
    by: str
    period: Period | None
    table: pl.DataFrame  # evaluate.kpis.KPI_COLUMNS
    probabilities: str  # where the weighted pipeline's chances came from, in words
    capacities: dict[str, float]  # by group, where reps carry capacity (fairness weights targets by it)
    notes: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class FairnessReport:
    kpis: KpiReport
    measures: list[Fairness]


def kpis(
    workspace: WorkspaceStore,
    ctx: Context,
    run: int | None = None,
    plan: str | None = None,
    by: str = REP,
    period: str | None = None,
    price_list: Path | None = None,
    progress: Progress = silent,
    chosen: Chosen | None = None,
) -> KpiReport:
    """KPIs of the chosen assignment (--run, --plan ID|active; else the active plan, else the latest
    run) per group, over the period's closed deals (all of them without one). `chosen`: the
    assignment already chosen by the caller, which reads several evaluations of one."""
    settings = load_settings()
    chosen_period = None if period is None else parse_period(period, settings.fiscal_year_start_month)
    prices = None if price_list is None else read_price_list(price_list)
    with workspace.unit_of_work() as uow:
        if chosen is None:
            chosen = choose_assignment(uow, ctx, settings, run, plan, progress)
        reps = workspace_reps(uow)
        grouping = grouping_of(by, reps)
        progress("Reading the opportunities", None)
        deals = uow.records.read(Entity.OPPORTUNITIES, DEAL_TYPES, active_only=True)
        history = uow.records.read(
            Entity.OPPORTUNITY_HISTORY,
            {"opportunity_id": pl.String(), "stage": pl.String()},
            active_only=True,
        )
        saved = None if chosen_period is None else saved_quotas(uow, chosen_period)
    progress("Computing the KPIs", None)
    valued = priced(deals, prices)
    configured = settings.stage_probabilities
    probabilities = stage_probabilities(valued.frame, history, configured)
    table = kpi_table(
        chosen.placement,
        chosen.accounts,
        valued.frame,
        reps,
        grouping,
        chosen_period,
        probabilities,
        _known_groups(chosen.plan, reps, grouping),
        saved,
    )
    notes = _notes(grouping, chosen_period, reps, deals, valued.unpriced_open, prices is not None, saved)
    source = (
        "stage_probabilities in the settings, else the win rate learned by stage"
        if configured
        else "the win rate learned by stage"
    )
    return KpiReport(
        chosen.described,
        grouping,
        chosen_period,
        table,
        f"{source} (else the overall win rate, {probabilities[1]:.0%})",
        _capacities(chosen.plan, reps, grouping),
        notes,
        chosen.warnings,
    )


def fairness_report(
    workspace: WorkspaceStore,
    ctx: Context,
    run: int | None = None,
    plan: str | None = None,
    by: str = REP,
    measures: tuple[str, ...] = DEFAULT_MEASURES,
    tolerance: float = DEFAULT_TOLERANCE,
    period: str | None = None,
    price_list: Path | None = None,
    progress: Progress = silent,
    chosen: Chosen | None = None,
) -> FairnessReport:
    """How evenly each measure spreads across reps (or territories): a KPI column each."""
    if by not in (REP, TERRITORY):
        raise BadInput.at(
            f"fairness compares reps or territories, not '{by}'; expected rep or territory", "--by"
        )
    unknown = [m for m in measures if m not in NUMERIC_KPIS]
    if unknown:
        raise BadInput.at(
            f"unknown measure {', '.join(unknown)}; expected any of {', '.join(NUMERIC_KPIS)}", "--measure"
        )
    if tolerance <= 0 or tolerance >= 1:
        raise BadInput.at(
            f"a tolerance is a share between 0 and 1 (0.10 is ±10%), not {tolerance}", "--tolerance"
        )
    report = kpis(workspace, ctx, run, plan, by, period, price_list, progress, chosen)
    return FairnessReport(report, fairness_of(report.table, report.capacities, measures, tolerance))


def fairness_of(
    table: pl.DataFrame, capacities: dict[str, float], measures: tuple[str, ...], tolerance: float
) -> list[Fairness]:
    """Each measure's spread over the table's groups (KPI_COLUMNS rows; the rows for what no group
    holds, such as "(no territory)", left out), weighted by capacity where groups carry one."""
    real = table.filter(~pl.col(GROUP).str.starts_with("("))
    groups = real.get_column(GROUP).to_list()
    capacity = np.array([capacities.get(g, np.nan) for g in groups], dtype=np.float64) if capacities else None
    return [
        fairness(
            m, groups, real.get_column(m).cast(pl.Float64).fill_null(0.0).to_numpy(), capacity, tolerance
        )
        for m in measures
    ]


def fairness_frame(measures: list[Fairness]) -> pl.DataFrame:
    """One row per measure, as `--out` writes it."""
    rows = [
        {
            "measure": m.measure,
            "groups": m.groups,
            "total": m.total,
            "mean": m.mean,
            "capacity_weighted": m.capacity_weighted,
            "cv": m.cv,
            "gini": m.gini,
            "max_over_min": m.max_over_min,
            "max_over_mean": m.max_over_mean,
            "tolerance": m.tolerance,
            "within_tolerance": m.within_tolerance,
            "flagged": m.flagged.height,
        }
        for m in measures
    ]
    return pl.DataFrame(rows)


def lorenz_frame(measures: list[Fairness]) -> pl.DataFrame:
    rows = [(m.measure, x, y) for m in measures for x, y in m.lorenz]
    schema = {"measure": pl.String, "share_of_groups": pl.Float64, "share_of_measure": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row")


def saved_quotas(uow: UnitOfWork, period: Period) -> pl.DataFrame | None:
    """layer, territory_id, rep_id, quota: the saved quotas taken by days for the period; None when no
    saved quota's period shares a day with it (the reps' quota field is used then)."""
    found = uow.quotas.overlapping(period.start, period.end)
    if not found:
        return None
    rows = prorated(
        [(q.period_start, q.period_end, q.layer, q.territory_id, q.rep_id, q.amount) for q in found],
        period.start,
        period.end,
    )
    schema = {"layer": pl.String, "territory_id": pl.String, "rep_id": pl.String, "quota": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row")


# ---- the chosen assignment -------------------------------------------------------------------


def choose_assignment(
    uow: UnitOfWork, ctx: Context, settings: Settings, run: int | None, plan: str | None, progress: Progress
) -> Chosen:
    if run is not None and plan is not None:
        raise BadInput.at("give --run or --plan, not both", "--plan")
    if run is not None:
        return _stored_run(uow, run, progress)
    if plan is None:
        active = uow.plans.active()
        if active is not None:
            return _live(uow, active.plan_id, progress)
        runs = uow.runs.list()
        if not runs:
            return _owners(uow)
        return _stored_run(uow, runs[-1].run_id, progress)
    if plan.strip().lower() == ACTIVE:
        active = uow.plans.active()
        if active is None:
            raise BadInput.at("no plan is active; `territorial plan activate ID` makes one live", "--plan")
        return _live(uow, active.plan_id, progress)
    plan_id = _plan_id(plan)
    if plan_in(uow, plan_id, "--plan").state is PlanState.ACTIVE:
        return _live(uow, plan_id, progress)
    evaluated = evaluate_for_activation(uow, plan_id, today(ctx, settings), progress)
    rows = evaluated.result.rows.select(PLACEMENT_COLUMNS)
    accounts = account_figures(evaluated.plan, evaluated.book, None, evaluated.warnings)
    described = f"plan {plan_id} as activating it today would make it"
    return Chosen(described, evaluated.plan, rows, accounts, list(evaluated.warnings))


def _stored_run(uow: UnitOfWork, run_id: int, progress: Progress) -> Chosen:
    info = uow.runs.get(run_id)
    rows = uow.runs.results(run_id) if info is not None else None
    if info is None or rows is None:
        raise BadInput.at(f"no assignment run with id {run_id}; `territorial run list` shows them", "--run")
    plan, book, warnings = stored_in(uow, info.plan_id, progress)
    # The run's own workload, as it was computed then; potential as the plan defines it today.
    workload = rows.filter(pl.col("layer") == PRIMARY).select(ACCOUNT_ID, "workload")
    accounts = account_figures(plan, book, workload, warnings)
    return Chosen(
        f"run {run_id} (plan {info.plan_id})", plan, rows.select(PLACEMENT_COLUMNS), accounts, warnings
    )


def _live(uow: UnitOfWork, plan_id: int, progress: Progress) -> Chosen:
    plan, book, warnings = stored_in(uow, plan_id, progress)
    rows = uow.live.rows(PLACEMENT_COLUMNS)
    accounts = account_figures(plan, book, None, warnings)
    return Chosen(f"the live assignment (active plan {plan_id})", plan, rows, accounts, warnings)


def _owners(uow: UnitOfWork) -> Chosen:
    """Each account with its owner as its rep and no territory: a workspace with no plan yet (a CRM
    export on its own) still has KPIs by rep, manager or any rep field."""
    owners = uow.records.read(
        Entity.ACCOUNTS, {ACCOUNT_ID: pl.String(), "owner_id": pl.String()}, active_only=True
    )
    placement = owners.select(
        ACCOUNT_ID,
        pl.lit(PRIMARY).alias("layer"),
        pl.lit(None, pl.String).alias("territory_id"),
        pl.col("owner_id").alias("rep_id"),
        pl.lit("").alias("overlaps"),
        pl.lit(False).alias("tie"),
    )
    # No plan defines workload or potential: an account is one unit of work and holds no potential.
    accounts = owners.select(ACCOUNT_ID, pl.lit(1.0).alias("workload"), pl.lit(0.0).alias("potential"))
    described = "the accounts' owners (no plan is active and no run is stored)"
    return Chosen(described, None, placement, accounts, [])


def _plan_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadInput.at(f"--plan takes a plan id or 'active', not '{text}'", "--plan") from None


# ---- groups -----------------------------------------------------------------------------------


def workspace_reps(uow: UnitOfWork) -> pl.DataFrame:
    return uow.records.read(Entity.REPS, REP_TYPES, active_only=True)


def grouping_of(by: str, reps: pl.DataFrame) -> str:
    """territory, rep, manager, layer, or a rep field the workspace's reps have (team, regional_office)."""
    wanted = by.strip().lower()
    if wanted in GROUPINGS or wanted in reps.columns:
        return wanted
    fields = sorted(c for c in reps.columns if c not in ("rep_id", "name", "capacity", "quota"))
    raise BadInput.at(
        f"cannot group by '{by}': expected {', '.join(GROUPINGS)} or a field of the workspace's reps"
        + (f" ({', '.join(fields)})" if fields else " (none imported: `territorial import reps FILE`)"),
        "--by",
    )


def _known_groups(plan: Plan | None, reps: pl.DataFrame, by: str) -> list[str]:
    """Groups that get a row even when they hold nothing: the plan's primary leaf territories (a
    roll-up holds no account of its own: a row of zeros would read as a starved territory) and reps
    (without a plan, the workspace's reps)."""
    primary = [] if plan is None else [t for t in plan.territories if t.layer == PRIMARY and not t.children]
    if by == TERRITORY:
        return [t.id for t in primary]
    if by == LAYER:
        return [] if plan is None else sorted({t.layer for t in plan.territories})
    if plan is None:
        plan_reps = sorted(reps.get_column("rep_id").to_list())
    else:
        plan_reps = sorted({rep for t in primary for rep in t.reps})
    column = rep_field(by)
    if column == "rep_id":
        return plan_reps
    if column is None or column not in reps.columns:
        return []
    values = reps.filter(pl.col("rep_id").is_in(plan_reps)).get_column(column).drop_nulls()
    return sorted(values.cast(pl.String).unique().to_list())


def _capacities(plan: Plan | None, reps: pl.DataFrame, by: str) -> dict[str, float]:
    """Each rep's capacity, or each primary territory's (its reps' summed), where reps carry one."""
    by_rep = {r: float(c) for r, c in reps.select("rep_id", "capacity").drop_nulls().iter_rows()}
    if by == REP:
        return by_rep
    if by != TERRITORY or plan is None:
        return {}
    sums = {
        t.id: sum(by_rep[rep] for rep in t.reps if rep in by_rep)
        for t in plan.territories
        if t.layer == PRIMARY and any(rep in by_rep for rep in t.reps)
    }
    return sums


def _notes(
    by: str,
    period: Period | None,
    reps: pl.DataFrame,
    deals: pl.DataFrame,
    unpriced: int,
    has_prices: bool,
    saved: pl.DataFrame | None = None,
) -> list[str]:
    notes = []
    if deals.is_empty():
        notes.append("the workspace has no opportunities: pipeline and performance figures are 0")
    if saved is not None:
        notes.append("quota: the quotas saved by `quota allocate`, taken by days for the period")
    elif rep_field(by) is None:
        notes.append("quota and attainment are empty by territory and layer until quotas are allocated")
    elif period is None:
        notes.append("quota and attainment need --period (a rep's quota field is annual)")
    elif "quota" not in reps.columns or reps.get_column("quota").is_null().all():
        notes.append("attainment is empty: no rep has a quota")
    if unpriced:
        advice = "" if has_prices else "; --price-list FILE prices them by product"
        notes.append(f"{unpriced:,} open deals have no amount and count as 0 in the pipeline{advice}")
    return notes
