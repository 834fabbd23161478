"""Use case: the expected bookings difference between two plans, from a sales-response model of each
account's bookings to the effort its rep can give it, with a bootstrap interval over accounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from territorial.domain.entities import Entity
from territorial.domain.fields import ACCOUNT_ID
from territorial.domain.plan import PRIMARY
from territorial.errors import BadInput, Problem
from territorial.evaluate.impact import (
    INTERVAL,
    RESAMPLES,
    SATURATED,
    UNDER_COVERED,
    EffortShift,
    SegmentModel,
    bootstrap_interval,
    effort_index,
    effort_shifts,
    expected_bookings,
    fair_share,
    segment_impact,
    segment_responses,
    territory_impact,
)
from territorial.progress import Progress, silent
from territorial.services.compare import plan_sides
from territorial.services.context import Context
from territorial.services.kpis import DEAL_TYPES, REP_TYPES
from territorial.services.potential import field_potential
from territorial.services.unit_of_work import WorkspaceStore

# The bootstrap's seed unless --seed is given: the same inputs print the same figures.
DEFAULT_SEED = 20
SEGMENT_FIELD = "segment"
SEAT = "(seat) "  # the effort holder of a territory in a plan that names no reps
TERRITORY, ACCOUNT = "territory", "account"
BY = (TERRITORY, ACCOUNT)
# History shorter than this is stretched to it before it is made annual: a month of bookings says
# little about a year.
MIN_HISTORY_DAYS = 30
ACCOUNT_COLUMNS = [
    "account_id",
    "segment",
    "territory_a",
    "rep_a",
    "territory_b",
    "rep_b",
    "baseline",
    "effort_a",
    "effort_b",
    "expected_a",
    "expected_b",
    "difference",
]


@dataclass(frozen=True)
class ImpactReport:
    plan_a: int
    plan_b: int
    baseline: str  # what scales each account's response, in words
    expected_a: float
    expected_b: float
    low: float
    high: float
    seed: int
    resamples: int
    segments: list[SegmentModel]
    accounts: pl.DataFrame  # ACCOUNT_COLUMNS, by account_id
    territories: pl.DataFrame  # evaluate.impact.TERRITORY_COLUMNS
    by_segment: pl.DataFrame  # segment, accounts, expected_a, expected_b, difference
    shifts: list[EffortShift]  # the accounts losing effort, then those gaining it
    notes: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    interval: float = INTERVAL
    saturated: float = SATURATED  # effort index above which an account is saturated
    under_covered: float = UNDER_COVERED  # effort index below which it is under-covered

    @property
    def difference(self) -> float:
        return self.expected_b - self.expected_a


def plan_impact(
    workspace: WorkspaceStore,
    ctx: Context,
    plan_a: int,
    plan_b: int,
    seed: int = DEFAULT_SEED,
    potential: str | None = None,
    segment: str | None = None,
    fit: bool = True,
    progress: Progress = silent,
) -> ImpactReport:
    """Expected bookings under plan A and plan B (as activating it now would make it): each account's
    baseline (potential × the workspace's bookings per unit of potential, or its own bookings when
    no potential is defined) times its segment's response at the effort its rep can give it. With
    `fit` False, every segment takes its default curve."""
    if seed < 0:
        raise BadInput.at(f"--seed is a whole number 0 or more, not {seed}", "--seed")
    sides = plan_sides(workspace, ctx, plan_a, plan_b, progress)
    progress("Estimating the expected bookings", None)
    with workspace.unit_of_work() as uow:
        reps = uow.records.read(Entity.REPS, REP_TYPES, active_only=True)
        deals = uow.records.read(Entity.OPPORTUNITIES, DEAL_TYPES, active_only=True)
    book, plan = sides.evaluated.book, sides.evaluated.plan
    ids = book.frame.get_column(book.columns[ACCOUNT_ID]).cast(pl.String)
    segment_name = segment or SEGMENT_FIELD
    notes: list[str] = []
    if segment_name in book.columns:
        segments = book.frame.get_column(book.columns[segment_name]).cast(pl.String).fill_null("(none)")
    elif segment is not None:
        known = ", ".join(sorted(book.columns))
        raise BadInput.at(f"the accounts have no field '{segment}'; they have {known}", "--segment")
    else:
        segments = pl.Series([None] * len(ids), dtype=pl.String).fill_null("(all)")
        notes.append("the accounts have no `segment` field: one response curve for all (--segment FIELD)")
    accounts = pl.DataFrame({ACCOUNT_ID: ids, "segment": segments})
    if potential is not None:
        accounts = accounts.with_columns(field_potential(plan, book, potential).alias("potential"))
    primary = (
        sides.joined.filter(pl.col("layer") == PRIMARY)
        .unique(ACCOUNT_ID, keep="first", maintain_order=True)
        .select(ACCOUNT_ID, "from_territory", "from_rep", "to_territory", "to_rep", "workload", "potential")
    )
    if potential is not None:
        primary = primary.drop("potential")
    accounts = accounts.join(primary, on=ACCOUNT_ID, how="left").sort(ACCOUNT_ID)
    won = _annual_won(deals)
    accounts = accounts.join(won, on=ACCOUNT_ID, how="left").with_columns(pl.col("won").fill_null(0.0))
    baseline, described, rate = _baseline(accounts, potential is not None or plan.potential is not None)
    if rate is None:
        notes.append("no potential is defined: each account's own yearly bookings are its baseline")
    elif not won.height:
        notes.append("the workspace has no won deals: expected figures are in units of potential")

    effort_a, effort_b = _efforts(accounts, reps, f"plan {plan_a}", f"plan {plan_b}", notes)

    models = segment_responses(
        accounts.get_column("segment").to_list(),
        accounts.get_column("won").to_numpy(),
        baseline,
        effort_a,
        fit=fit and rate is not None and rate > 0,
    )
    responses = {m.segment: m.response for m in models}
    kinds = accounts.get_column("segment").to_list()
    expected_a = expected_bookings(baseline, effort_a, kinds, responses)
    expected_b = expected_bookings(baseline, effort_b, kinds, responses)
    difference = expected_b - expected_a
    low, high = bootstrap_interval(difference, RESAMPLES, seed)
    table = pl.DataFrame(
        {
            "account_id": accounts.get_column(ACCOUNT_ID),
            "segment": accounts.get_column("segment"),
            "territory_a": accounts.get_column("from_territory"),
            "rep_a": accounts.get_column("from_rep"),
            "territory_b": accounts.get_column("to_territory"),
            "rep_b": accounts.get_column("to_rep"),
            "baseline": baseline,
            "effort_a": effort_a,
            "effort_b": effort_b,
            "expected_a": expected_a,
            "expected_b": expected_b,
            "difference": difference,
        }
    ).select(ACCOUNT_COLUMNS)
    return ImpactReport(
        plan_a,
        plan_b,
        described,
        float(expected_a.sum()),
        float(expected_b.sum()),
        low,
        high,
        seed,
        RESAMPLES,
        models,
        table,
        territory_impact(table),
        segment_impact(table),
        effort_shifts(table),
        notes,
        sides.warnings,
    )


def _efforts(
    accounts: pl.DataFrame, reps: pl.DataFrame, name_a: str, name_b: str, notes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Each account's effort index in plan A and in plan B, against one fair share: the reps'
    capacity over the book's workload, averaged over the two plans. In a plan that names no reps at
    all (a draft from `balance`), each territory is one seat of capacity 1: plans are compared as
    designs, each territory a rep's book; elsewhere a territory with no rep is a vacancy."""
    capacity = {r: float(c) for r, c in reps.select("rep_id", "capacity").drop_nulls().iter_rows()}
    holders = []
    for name, rep, territory in ((name_a, "from_rep", "from_territory"), (name_b, "to_rep", "to_territory")):
        vacant = accounts.filter(pl.col(rep).is_null() & pl.col(territory).is_not_null()).height
        if vacant and accounts.get_column(rep).is_null().all():
            notes.append(f"{name} names no reps: each of its territories counts as one rep of capacity 1")
            holder = pl.coalesce(pl.col(rep), pl.lit(SEAT) + pl.col(territory))
        else:
            if vacant:
                notes.append(
                    f"{vacant:,} account{'' if vacant == 1 else 's'} of {name} in territories with no rep: "
                    "no selling effort"
                )
            holder = pl.col(rep)
        holders.append(accounts.select(holder.alias("holder")).get_column("holder"))
    held = [sum(capacity.get(h, 1.0) for h in side.drop_nulls().unique().to_list()) for side in holders]
    workload = accounts.get_column("workload")
    reference = fair_share(workload, sum(held) / 2.0)
    effort_a, effort_b = (effort_index(side, workload, capacity, reference) for side in holders)
    return effort_a, effort_b


def _annual_won(deals: pl.DataFrame) -> pl.DataFrame:
    """account_id, won: each account's won amount per year over the span of the history's won deals."""
    booked = deals.filter(pl.col("won").fill_null(False) & pl.col("account_id").is_not_null())
    if booked.is_empty():
        return pl.DataFrame(schema={ACCOUNT_ID: pl.String, "won": pl.Float64})
    closed = booked.get_column("closed").drop_nulls()
    first, last = closed.min(), closed.max()
    days = (last - first).days + 1 if isinstance(first, date) and isinstance(last, date) else 365
    years = max(days, MIN_HISTORY_DAYS) / 365.25
    return booked.group_by("account_id").agg((pl.col("amount").fill_null(0.0).sum() / years).alias("won"))


def _baseline(accounts: pl.DataFrame, has_potential: bool) -> tuple[np.ndarray, str, float | None]:
    """Each account's bookings at a fair share of effort, what it is in words, and the workspace's
    bookings per unit of potential (None: the account's own bookings are its baseline). With
    potential, a segment that booked uses its own bookings per unit of potential."""
    won = accounts.get_column("won").to_numpy()
    if not has_potential:
        if won.sum() <= 0:
            raise BadInput.at(
                "nothing to scale the response by: the plan defines no potential and the workspace has no "
                "won deals; give --potential FIELD (an account number field, such as annual_revenue)",
                "--potential",
            )
        return won, "each account's yearly bookings", None
    values = accounts.get_column("potential").fill_null(0.0).clip(lower_bound=0.0).to_numpy()
    total = float(values.sum())
    if total <= 0:
        raise BadInput.at(
            "every account's potential is 0: give --potential FIELD (an account number field, such as "
            "annual_revenue)",
            "--potential",
        )
    rate = float(won.sum()) / total if won.sum() > 0 else 1.0
    rates = np.full(values.size, rate)
    kinds = accounts.get_column("segment").to_numpy()
    for name in sorted(set(kinds.tolist())):
        chosen = kinds == name
        booked, held = float(won[chosen].sum()), float(values[chosen].sum())
        if booked > 0 and held > 0:
            rates[chosen] = booked / held
    words = f"potential × its segment's yearly bookings per unit of potential (the workspace's: {rate:.4g})"
    return values * rates, words, rate
