"""The overrides and holds in force as the live function takes them, and re-evaluating the live rows
of the accounts they pin, end or release, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.lifecycle import ActivationStatus, ChangeKind
from territorial.domain.plan import Plan
from territorial.engine.live import PREVIOUS_COLUMNS, Hold, Live, Override, live
from territorial.engine.workload import account_workload
from territorial.services.assign import stored_in
from territorial.services.change_log import write_live
from territorial.services.context import Context
from territorial.services.unit_of_work import UnitOfWork
from territorial.services.vacancy import covers_in

# What an expired override or hold is until the tick that ends it.
EXPIRED = "expired; ends at next tick"
# Placeholder cause of rows live() changes without an event of their own (see `relive`).
_NO_CAUSE = ""


def pins_in_force(uow: UnitOfWork) -> tuple[list[Hold], list[Override]]:
    """The holds and overrides not ended (an expired one stays in force until a tick ends it)."""
    holds = [
        Hold(h.account_id, h.layer, h.territory_id, h.rep_id, h.until, h.actor or "")
        for h in uow.holds.in_force()
    ]
    overrides = [
        Override(o.account_id, o.layer, o.territory_id, o.rep_id, o.reason, o.until, o.actor or "")
        for o in uow.overrides.in_force()
    ]
    return holds, overrides


def pools_of(roster: pl.DataFrame) -> dict[str, list[str]]:
    """territory_id -> its reps in pool order, from roster rows (territory_id, rep_id, position)."""
    pools: dict[str, list[str]] = {}
    for territory_id, rep_id, _position in roster.sort("territory_id", "position").iter_rows():
        pools.setdefault(territory_id, []).append(rep_id)
    return pools


def live_now(
    uow: UnitOfWork,
    plan: Plan,
    book: AccountBook,
    previous: pl.DataFrame | None,
    cause: str,
    day: date,
    carried: Mapping[str, Mapping[str, float]] | None = None,
) -> Live:
    """live(...) of `book` and the active `plan` with the workspace's inputs as they stand in this
    transaction: its roster, the overrides and holds in force, who covers its vacant territories;
    `carried` is what pool reps hold from accounts outside `book` (engine.live)."""
    pools = pools_of(uow.roster.current())
    holds, overrides = pins_in_force(uow)
    workload, null_workload = account_workload(plan, book)
    return live(
        book,
        plan,
        pools,
        holds,
        overrides,
        previous,
        workload=workload,
        null_workload=null_workload,
        cause=cause,
        since=day,
        vacant=covers_in(uow, plan, pools),
        carried=carried,
    )


def relive(
    uow: UnitOfWork,
    ctx: Context,
    kind: ChangeKind,
    summary: str,
    causes: Mapping[tuple[str, str], str],
    day: date,
) -> int:
    """Re-evaluate the live rows of the accounts in `causes` ((account_id, layer) -> why) with the
    overrides and holds now in force, and write them as one change set (`kind`, `summary`); how many
    rows changed territory or rep.

    The live function runs on the whole workspace, as from scratch, but only these accounts' rows
    are written: placed accounts keep their owners, so a pin put on or taken off one account moves
    no other (their rows come out the same). A row named in `causes` takes that cause even when its
    territory and rep stay (a hold keeps them); its since changes only when they change."""
    active = uow.plans.active()
    if active is None or not causes:
        return 0
    plan, book, _warnings = stored_in(uow, active.plan_id)
    previous = uow.live.rows(PREVIOUS_COLUMNS)
    result = live_now(uow, plan, book, previous, _NO_CAUSE, day)
    accounts = sorted({account for account, _layer in causes})
    rows = result.rows.filter(pl.col("account_id").is_in(accounts))
    of_account = {account: cause for (account, _layer), cause in sorted(causes.items())}
    named = pl.DataFrame(
        [(a, layer, cause) for (a, layer), cause in causes.items()],
        schema={"account_id": pl.String, "layer": pl.String, "_event": pl.String},
        orient="row",
    )
    rows = rows.join(named, on=["account_id", "layer"], how="left", maintain_order="left")
    fallback = pl.col("account_id").replace_strict(of_account, default=None, return_dtype=pl.String)
    rows = rows.with_columns(
        pl.when(pl.col("_event").is_not_null())
        .then(pl.col("_event"))
        .when(pl.col("cause") == _NO_CAUSE)
        .then(fallback)
        .otherwise(pl.col("cause"))
        .alias("cause"),
        pl.lit(live_activation(uow), pl.Int64).alias("activation_id"),
    ).drop("_event")
    return write_live(uow, ctx, kind, summary, day, previous, rows, accounts, active.plan_id).changes


def live_activation(uow: UnitOfWork) -> int:
    """The activation the live rows follow: the last one applied."""
    applied = [a.activation_id for a in uow.activations.history() if a.status is ActivationStatus.APPLIED]
    return applied[-1]


@dataclass(frozen=True)
class Ended:
    """An override or hold that a tick or an activation ended, in plain words."""

    kind: str  # override or hold
    account_id: str
    layer: str
    cause: str


def end_expired(uow: UnitOfWork, ctx: Context, day: date) -> list[Ended]:
    """End the overrides and holds whose `until` has come by `day` (at 00:00 that day) and
    re-evaluate their accounts: the tick's part for them."""
    overrides = [o for o in uow.overrides.in_force() if o.until is not None and o.until <= day]
    holds = [h for h in uow.holds.in_force() if h.until <= day]
    now = ctx.now()
    uow.overrides.end([o.override_id for o in overrides], now, "override expired")
    uow.holds.end([h.hold_id for h in holds], now, "hold expired")
    ended = [Ended("override", o.account_id, o.layer, "override expired") for o in overrides]
    ended += [Ended("hold", h.account_id, h.layer, "hold expired") for h in holds]
    summary = _expired(len(overrides), len(holds), day)
    relive(uow, ctx, ChangeKind.TICK, summary, {(e.account_id, e.layer): e.cause for e in ended}, day)
    return ended


def _expired(overrides: int, holds: int, day: date) -> str:
    """`1 override and 2 holds expired on DAY`, naming only what did: the change set's summary,
    which the feed and every digest quote."""
    named = [
        f"{n} {noun}{'' if n == 1 else 's'}" for n, noun in ((overrides, "override"), (holds, "hold")) if n
    ]
    return f"{' and '.join(named) or 'nothing'} expired on {day}"


def first_expiry(uow: UnitOfWork, day: date) -> date | None:
    """The earliest day by `day` on which an override or hold in force expires, if any."""
    days = [o.until for o in uow.overrides.in_force() if o.until is not None and o.until <= day]
    days += [h.until for h in uow.holds.in_force() if h.until <= day]
    return min(days, default=None)


def lacking(plan: Plan, reps: Collection[str], pin: Hold | Override) -> str | None:
    """What a hold or an override names that `plan` (whose roster is `reps`) lacks, as `territory X,
    rep Y`; None when the plan has all of it."""
    missing = []
    if pin.layer not in plan.layers:
        missing.append(f"layer {pin.layer}")
    elif pin.territory_id is not None and all(
        (t.id, t.layer) != (pin.territory_id, pin.layer) for t in plan.territories
    ):
        missing.append(f"territory {pin.territory_id}")
    if pin.rep_id is not None and pin.rep_id not in reps:
        missing.append(f"rep {pin.rep_id}")
    return ", ".join(missing) or None


@dataclass(frozen=True)
class PinsFor:
    """The overrides and holds in force, sorted by whether a plan has all they name."""

    holds: list[Hold]
    overrides: list[Override]
    stale_overrides: dict[int, tuple[str, str]]  # override_id -> (`A-1 (primary)`, `territory X`): lacking
    stale_holds: dict[int, str]  # hold_id -> `rep Y`


def pins_for(uow: UnitOfWork, plan: Plan, reps: Collection[str]) -> PinsFor:
    """The overrides and holds in force that `plan` (whose roster is `reps`) can take, and the rest."""
    holds_now, overrides_now = pins_in_force(uow)
    result = PinsFor([], [], {}, {})
    for stored, override in zip(uow.overrides.in_force(), overrides_now, strict=True):
        if (lacks := lacking(plan, reps, override)) is None:
            result.overrides.append(override)
        else:
            result.stale_overrides[stored.override_id] = (f"{override.account_id} ({override.layer})", lacks)
    for stored_hold, hold in zip(uow.holds.in_force(), holds_now, strict=True):
        if (lacks := lacking(plan, reps, hold)) is None:
            result.holds.append(hold)
        else:
            result.stale_holds[stored_hold.hold_id] = lacks
    return result
