"""Use case: the dashboard: the book's KPIs, how evenly workload and potential spread, and what needs a
planner's eye (drift, vacancies, ties, unassigned accounts, leads waiting, undelivered notices), for
the whole book (admins and planners) or a manager's team."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from territorial.domain.fairness import DEFAULT_TOLERANCE, Fairness
from territorial.domain.notifications import MessageState
from territorial.domain.plan import PRIMARY, Plan
from territorial.errors import BadInput, NotAllowed
from territorial.evaluate.kpis import KPI_COLUMNS, REP, TERRITORY
from territorial.evaluate.report import balance_bars
from territorial.progress import Progress, silent
from territorial.services.context import Context, Role
from territorial.services.drift import drift
from territorial.services.kpis import DEFAULT_MEASURES, KpiReport, choose_assignment, fairness_of, kpis
from territorial.services.settings import load_settings
from territorial.services.snapshots import kept
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore
from territorial.services.vacancy import covers_in
from territorial.services.visibility import team_of, team_territories

# The balance chart shows the groups furthest from their target: 5,000 bars read as a smear, and
# plotly draws 60 in a few milliseconds.
CHART_GROUPS = 60
TABLE_COLUMNS = tuple(KPI_COLUMNS)  # the KPI table's columns, on the page and in its CSV


@dataclass(frozen=True)
class Alert:
    """Something that needs attention: how many, in a sentence, and what to do about it."""

    kind: str  # drift, vacancies, ties, unassigned, leads_waiting, undeliverable
    count: int
    says: str
    next_step: str


@dataclass(frozen=True)
class Dashboard:
    described: str  # the assignment the figures read, in words
    by: str  # territory (the whole book) or rep (a manager's team)
    cards: list[tuple[str, str]]  # (label, figure as shown)
    table: pl.DataFrame  # evaluate.kpis.KPI_COLUMNS, one row per group shown
    balance: list[Fairness]
    bars: pl.DataFrame  # evaluate.report.balance_bars of the CHART_GROUPS furthest from target
    charted_of: int  # how many groups the bars were chosen from
    alerts: list[Alert]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Book:
    """The whole book's figures, kept until the workspace changes (services.snapshots)."""

    by_territory: KpiReport
    by_rep: KpiReport
    placement: pl.DataFrame  # account_id, layer, territory_id, rep_id, overlaps, tie
    plan: Plan | None
    roster: pl.DataFrame  # territory_id, rep_id, position
    drifted: pl.DataFrame | None  # evaluate.drift.DRIFT_COLUMNS past the threshold
    drift_note: str | None  # why there is no drift figure
    vacant: dict[str, str]  # territory_id -> who covers it, in words ("" when nobody does)
    leads_waiting: int  # leads whose latest decision gave them no rep (queued or nurtured)
    undelivered: list[str]  # the recipient of each notice that failed or whose delivery is unknown


def dashboard(workspace: WorkspaceStore, ctx: Context, progress: Progress = silent) -> Dashboard:
    """The dashboard as the principal may see it: admins and planners the whole book by territory, a
    manager their team by rep (the figures cover only its accounts); a rep's page is their book."""
    with workspace.unit_of_work() as uow:
        team = team_of(uow, ctx)
    if ctx.principal.role is Role.REP:
        raise NotAllowed.at(
            "the dashboard shows the whole book or a team's; a rep's own page is their book (/home)",
            "Authorization",
            subject="dashboard",
        )
    book = kept(workspace, "dashboard", lambda: _whole_book(workspace, ctx, progress))
    if team is None:
        primary = _primary_leaves(book.plan)
        table = book.by_territory.table
        if primary is not None:
            table = table.filter(pl.col("group").is_in(primary) | pl.col("group").str.starts_with("("))
        capacities, by, territories = book.by_territory.capacities, TERRITORY, None
        placement = book.placement
    else:
        table = book.by_rep.table.filter(pl.col("group").is_in(sorted(team)))
        capacities = {rep: c for rep, c in book.by_rep.capacities.items() if rep in team}
        by = REP
        placement = book.placement.filter(pl.col("rep_id").is_in(sorted(team)))
        territories = team_territories(placement, book.roster, book.plan, team)
    balance = fairness_of(table, capacities, DEFAULT_MEASURES, DEFAULT_TOLERANCE)
    charted = _furthest(table, capacities)
    return Dashboard(
        described=book.by_territory.described,
        by=by,
        cards=_cards(table, placement, balance, by),
        table=table,
        balance=balance,
        bars=balance_bars(charted, list(DEFAULT_MEASURES), capacities),
        charted_of=table.filter(~pl.col("group").str.starts_with("(")).height,
        alerts=_alerts(book, placement, territories),
        notes=book.by_territory.notes,
    )


def _whole_book(workspace: WorkspaceStore, ctx: Context, progress: Progress) -> _Book:
    settings = load_settings()
    with workspace.unit_of_work() as uow:
        chosen = choose_assignment(uow, ctx, settings, None, None, progress)
        roster = uow.roster.current()
        vacant = _vacancies(uow, chosen.plan, roster)
        waiting = uow.routing.latest_decisions().filter(pl.col("rep_id").is_null()).height
        undelivered = [m.recipient for m in uow.outbox.messages([MessageState.FAILED, MessageState.UNKNOWN])]
    by_territory = kpis(workspace, ctx, by=TERRITORY, progress=progress, chosen=chosen)
    by_rep = kpis(workspace, ctx, by=REP, progress=progress, chosen=chosen)
    try:
        found = drift(workspace, ctx, progress=progress)
        drifted, drift_note = found.drifted, None
    except BadInput as nothing:  # no active plan nor run, or an activation older than its figures
        drifted, drift_note = None, nothing.problems[0].message
    return _Book(
        by_territory,
        by_rep,
        chosen.placement,
        chosen.plan,
        roster,
        drifted,
        drift_note,
        vacant,
        waiting,
        undelivered,
    )


def _primary_leaves(plan: Plan | None) -> list[str] | None:
    """The plan's primary territories that hold accounts: roll-ups and overlays would count twice."""
    if plan is None:
        return None
    return [t.id for t in plan.territories if t.layer == PRIMARY and not t.children]


def _vacancies(uow: UnitOfWork, plan: Plan | None, roster: pl.DataFrame) -> dict[str, str]:
    """The plan's leaf territories with nobody in their pool, and who covers each."""
    if plan is None:
        return {}
    pools: dict[str, list[str]] = {}
    for territory_id, rep_id in roster.select("territory_id", "rep_id").iter_rows():
        pools.setdefault(territory_id, []).append(rep_id)
    covers = covers_in(uow, plan, pools)
    return {
        t.id: str(covers[t.id]) if t.id in covers else ""
        for t in plan.territories
        if not t.children and not pools.get(t.id)
    }


def _furthest(table: pl.DataFrame, capacities: dict[str, float]) -> pl.DataFrame:
    """The CHART_GROUPS groups whose workload is furthest from its target, by group."""
    real = table.filter(~pl.col("group").str.starts_with("("))
    if real.height <= CHART_GROUPS:
        return real
    workload = balance_bars(real, ["workload"], capacities)
    off = workload.with_columns((pl.col("of_target").fill_null(0.0) - 1).abs().alias("off"))
    groups = off.sort(["off", "group"], descending=[True, False]).head(CHART_GROUPS).get_column("group")
    return real.filter(pl.col("group").is_in(groups.implode()))


def _figure(value: float) -> str:
    return f"{value:,.0f}"


def _cards(
    table: pl.DataFrame, placement: pl.DataFrame, balance: list[Fairness], by: str
) -> list[tuple[str, str]]:
    real = table.filter(~pl.col("group").str.starts_with("("))
    accounts = placement.filter(pl.col("layer") == PRIMARY).get_column("account_id").n_unique()
    groups = "Territories" if by == TERRITORY else "Reps"
    cards = [
        ("Accounts", _figure(accounts)),
        (groups, _figure(real.height)),
        ("Open pipeline", _figure(float(table.get_column("open_pipeline").fill_null(0).sum()))),
        ("Weighted pipeline", _figure(float(table.get_column("weighted_pipeline").fill_null(0).sum()))),
        ("Bookings", _figure(float(table.get_column("bookings").fill_null(0).sum()))),
    ]
    for measure in balance:
        within = "–" if measure.within_tolerance is None else f"{measure.within_tolerance:.0%}"
        cards.append((f"{groups} within ±{measure.tolerance:.0%} of their {measure.measure} target", within))
    return cards


def _alerts(book: _Book, placement: pl.DataFrame, territories: set[str] | None) -> list[Alert]:
    """Each alert, with a count of 0 when all is well; a manager's only over their team's territories
    and accounts (unassigned accounts, leads waiting and notices are nobody's team's: a planner's)."""
    whole = territories is None
    alerts = []
    if book.drifted is not None:
        drifted = book.drifted
        if territories is not None:
            drifted = drifted.filter(pl.col("territory_id").is_in(sorted(territories)))
        count = drifted.get_column("territory_id").n_unique()
        alerts.append(
            Alert(
                "drift",
                count,
                f"{count:,} territories have drifted past ±10% in workload or potential since activation",
                "`territorial drift` lists them, with the rebalance to run",
            )
        )
    else:
        alerts.append(Alert("drift", 0, f"No drift figure: {book.drift_note}", "activate a plan"))
    vacant = sorted(t for t in book.vacant if territories is None or t in territories)
    uncovered = [t for t in vacant if not book.vacant[t]]
    alerts.append(
        Alert(
            "vacancies",
            len(vacant),
            f"{len(vacant):,} territories have no rep ({len(uncovered):,} of them covered by nobody)"
            + (f": {', '.join(vacant[:5])}{'…' if len(vacant) > 5 else ''}" if vacant else ""),
            "`territorial rep add` or `rep move` fills a vacancy; `vacant_owner` in the settings covers it",
        )
    )
    ties = placement.filter(pl.col("tie")).get_column("account_id").n_unique()
    alerts.append(
        Alert(
            "ties",
            ties,
            f"{ties:,} accounts were settled by the plan's tie-break",
            "give the overlapping territories priorities, or narrow their rules",
        )
    )
    if whole:
        unassigned = placement.filter((pl.col("layer") == PRIMARY) & pl.col("territory_id").is_null()).height
        alerts += [
            Alert(
                "unassigned",
                unassigned,
                f"{unassigned:,} accounts are in no territory",
                "a catch-all territory, or wider rules, gives them one",
            ),
            Alert(
                "leads_waiting",
                book.leads_waiting,
                f"{book.leads_waiting:,} leads are waiting without a rep (queued or nurtured)",
                "`territorial route` again once their territories have reps",
            ),
            Alert(
                "undeliverable",
                len(book.undelivered),
                f"{len(book.undelivered):,} notifications could not be delivered",
                "`territorial notify --failed` shows why; `notify --resend` tries again",
            ),
        ]
    return alerts
