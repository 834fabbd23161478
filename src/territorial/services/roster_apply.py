"""A roster change carried out inside the caller's transaction: the roster rows it ends and starts,
the holds and overrides it ends or makes, and the live rows it moves, with causes in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from territorial.domain.lifecycle import ChangeKind
from territorial.domain.plan import Plan
from territorial.domain.roster import RosterChangeKind, RosterChangeStatus, StoredRosterChange
from territorial.engine.live import PREVIOUS_COLUMNS
from territorial.engine.live_changes import changes_between
from territorial.engine.vacancy import Cover
from territorial.progress import Progress, silent
from territorial.services.assign import stored_in
from territorial.services.change_log import write_live
from territorial.services.context import Context
from territorial.services.pins import live_activation, live_now, pools_of
from territorial.services.plans import stored_plan
from territorial.services.unit_of_work import UnitOfWork
from territorial.services.vacancy import covers_in

# Placeholder cause of the rows the change moves, replaced by a cause in words before writing.
_MOVED = ""


@dataclass(frozen=True)
class Applied:
    """What a roster change did: live rows moved, holds and overrides ended or made, vacancies."""

    change: StoredRosterChange
    changed: int = 0  # live rows whose territory or rep changed
    ended: list[str] = field(default_factory=list)  # `hold on A-1 (primary)`: ended by a leave
    held: int = 0  # accounts a move --with-book keeps with the rep
    vacant: list[str] = field(default_factory=list)  # `EAST is vacant: its manager m-1 takes it`
    cancelled: str | None = None  # why it was not applied (a tick finds the plan changed)


def refusal(uow: UnitOfWork, change: StoredRosterChange) -> tuple[str, str] | None:
    """Why the change cannot be made on the workspace as it stands, and the option to blame; None
    when it can. Checked when it is asked for, and again when a tick applies it."""
    active = uow.plans.active()
    if active is None:
        return "no plan is active: the roster is the active plan's (`territorial plan activate`)", "REP_ID"
    rep, territory = change.rep_id, change.territory_id
    reps = {r.rep_id: r for r in uow.reps.list()}
    roster = uow.roster.current()
    covering = roster.filter(pl.col("rep_id") == rep).get_column("territory_id").to_list()
    option = "--to" if change.kind is RosterChangeKind.MOVE else "--territory"
    if change.kind is not RosterChangeKind.LEAVE:
        plan = stored_plan(uow, active.plan_id)
        if territory not in {t.id for t in plan.territories}:
            ids = [t.id for t in plan.territories]
            listed = ", ".join(ids[:10]) + (", ..." if len(ids) > 10 else "")
            return (
                f"the active plan {active.plan_id} has no territory {territory!r} (it has {listed})",
                option,
            )
        if territory in covering:
            return f"{rep} is in {territory}'s pool already", option
    if change.kind is RosterChangeKind.JOIN:
        if rep not in reps or not reps[rep].active:
            what = "no rep of the workspace" if rep not in reps else "an inactive rep"
            return f"{rep} is {what}: `territorial import reps` adds reps", "REP_ID"
        return None
    if not covering:
        return f"{rep} is in no territory's pool (`territorial rep list` shows the roster)", "REP_ID"
    if change.kind is RosterChangeKind.MOVE:
        if not _left_by_move(plan, covering, territory):
            layer = _layer(plan, territory)
            return (
                f"{rep} covers no {layer} territory to move from (`territorial rep add` adds them)",
                "REP_ID",
            )
        if change.book_until is not None and change.book_until <= change.effective:
            return f"{change.book_until} is not after the move ({change.effective})", "--with-book"
    return None


def _layer(plan: Plan, territory_id: str | None) -> str:
    return next(t.layer for t in plan.territories if t.id == territory_id)


def _left_by_move(plan: Plan, covering: list[str], to: str | None) -> list[str]:
    """The territories a rep moving to `to` leaves: those of its layer the rep covers."""
    layer = _layer(plan, to)
    return sorted(t.id for t in plan.territories if t.id in covering and t.layer == layer)


def apply_change(
    uow: UnitOfWork, ctx: Context, change: StoredRosterChange, progress: Progress = silent
) -> Applied:
    """Carry the change out on its effective day, or cancel it (with why) when the workspace no
    longer allows it. The live function runs on the whole workspace; the rows that moved (placed
    accounts keep their owners, so only the rep's book and the pools it leaves or joins) and the
    accounts a move keeps with the rep are written as one change set of kind roster."""
    found = refusal(uow, change)
    if found is not None:
        note = f"not applied on {change.effective}: {found[0]}"
        uow.roster_changes.mark(change.change_id, RosterChangeStatus.CANCELLED, ctx.now(), note)
        return Applied(change, cancelled=note)
    active = uow.plans.active()
    assert active is not None
    plan, book, _warnings = stored_in(uow, active.plan_id, progress)
    day, rep, event = change.effective, change.rep_id, change.event()
    previous = uow.live.rows(PREVIOUS_COLUMNS)
    before = pools_of(uow.roster.current())
    activation_id = live_activation(uow)
    ended = _end_leavers_pins(uow, ctx, change) if change.kind is RosterChangeKind.LEAVE else []
    named: dict[tuple[str, str], str] = {}
    if change.kind is RosterChangeKind.LEAVE:
        uow.roster.end(rep, day)
    else:
        assert change.territory_id is not None
        if change.kind is RosterChangeKind.MOVE:
            left = _left_by_move(plan, [t for t, reps in before.items() if rep in reps], change.territory_id)
            uow.roster.end(rep, day, left)
            if change.book_until is not None:
                named = _keep_book(uow, ctx, change, previous, left)
        uow.roster.join(activation_id, change.territory_id, rep, day)
    # Applied before the vacancies are read: a manager who leaves covers nothing from that day.
    uow.roster_changes.mark(change.change_id, RosterChangeStatus.APPLIED, ctx.now())
    pools = pools_of(uow.roster.current())
    covers = covers_in(uow, plan, pools)
    progress(f"Re-evaluating {len(book):,} accounts", None)
    rows = live_now(uow, plan, book, previous, _MOVED, day).rows
    moved = changes_between(previous, rows).join(
        previous.select("account_id", "layer"), on=["account_id", "layer"], how="semi"
    )  # accounts never placed (imported since the activation) wait for their own placement
    touched = {t for t in {*before, *pools} if before.get(t) != pools.get(t)}
    for account, layer, from_rep, to_territory, to_rep in moved.select(
        "account_id", "layer", "from_rep_id", "to_territory_id", "to_rep_id"
    ).iter_rows():
        where = _cause(rep, to_territory, to_rep, covers)
        # A row the change did not touch (vacant_owner set since, say) moved for that alone.
        ours = rep in (from_rep, to_rep) or to_territory in touched
        named.setdefault((account, layer), "; ".join(filter(None, [event, where])) if ours else where)
    causes = pl.DataFrame(
        [(a, layer, cause) for (a, layer), cause in named.items()],
        schema={"account_id": pl.String, "layer": pl.String, "_named": pl.String},
        orient="row",
    )
    rows = rows.join(causes, on=["account_id", "layer"], how="left", maintain_order="left").with_columns(
        pl.coalesce("_named", "cause").alias("cause"), pl.lit(activation_id, pl.Int64).alias("activation_id")
    )
    accounts = sorted({account for account, _layer in named})
    recorded = write_live(
        uow, ctx, ChangeKind.ROSTER, event, day, previous, rows.drop("_named"), accounts, active.plan_id
    )
    vacant = [_vacancy(t, covers.get(t)) for t, reps in sorted(before.items()) if reps and not pools.get(t)]
    return Applied(change, recorded.changes, ended, len(named) if change.book_until else 0, vacant)


def _cause(rep: str, territory: str | None, to_rep: str | None, covers: dict[str, Cover]) -> str:
    """Where a moved row went, in plain words (`pool AMER-EAST shared it out`); empty when it went
    to the rep of the change."""
    if to_rep is not None and to_rep == rep:
        return ""
    cover = covers.get(territory) if territory is not None else None
    if cover is not None and to_rep == cover.rep_id:
        return f"{territory} is vacant: {cover} took it"
    if to_rep is None:
        return f"{territory or 'no territory'} is vacant"
    return f"pool {territory} shared it out"


def _vacancy(territory: str, cover: Cover | None) -> str:
    if cover is None:
        return f"{territory} is vacant: its accounts have no rep (set its manager, or vacant_owner)"
    return f"{territory} is vacant: {cover} takes its accounts"


def _end_leavers_pins(uow: UnitOfWork, ctx: Context, change: StoredRosterChange) -> list[str]:
    """A leaving rep's holds, and the overrides to them, end on the leave day."""
    cause = f"ended: {change.event()} on {change.effective}"
    holds = [h for h in uow.holds.in_force() if h.rep_id == change.rep_id]
    overrides = [o for o in uow.overrides.in_force() if o.rep_id == change.rep_id]
    uow.holds.end([h.hold_id for h in holds], ctx.now(), cause)
    uow.overrides.end([o.override_id for o in overrides], ctx.now(), cause)
    return [f"hold on {h.account_id} ({h.layer})" for h in holds] + [
        f"override on {o.account_id} ({o.layer})" for o in overrides
    ]


def _keep_book(
    uow: UnitOfWork, ctx: Context, change: StoredRosterChange, previous: pl.DataFrame, left: list[str]
) -> dict[tuple[str, str], str]:
    """move --with-book: a hold keeps each of the rep's accounts in the territories left with them
    until the day given (accounts already pinned keep their pin); each one's cause."""
    until = change.book_until
    assert until is not None
    pinned = {(h.account_id, h.layer) for h in uow.holds.in_force()}
    pinned |= {(o.account_id, o.layer) for o in uow.overrides.in_force()}
    book = previous.filter(pl.col("rep_id") == change.rep_id, pl.col("territory_id").is_in(left))
    cause = f"{change.event()}; keeps the account until {until}"
    kept = {}
    for account, layer, territory in (
        book.select("account_id", "layer", "territory_id").sort("account_id", "layer").iter_rows()
    ):
        if (account, layer) in pinned:
            continue
        uow.holds.add(account, layer, territory, change.rep_id, ctx.actor, ctx.now(), until)
        kept[(account, layer)] = cause
    return kept


def due_changes(uow: UnitOfWork, day: date) -> list[StoredRosterChange]:
    """The scheduled roster changes whose day has come by `day`, in date order."""
    return uow.roster_changes.pending(day)
