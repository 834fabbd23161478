"""Keeping the live assignment current when an import changes accounts: the changed accounts
re-evaluated inside the import's transaction, each pool's other accounts counted by the load they
hold (README, "Plan lifecycle")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from territorial.domain.entities import Entity
from territorial.domain.fields import ACCOUNT_ID, OWNER_ID
from territorial.domain.lifecycle import ChangeKind
from territorial.domain.plan import PRIMARY, Plan
from territorial.engine.live import LIVE_COLUMNS, PREVIOUS_COLUMNS, Hold, Override, dated
from territorial.engine.live_causes import REEVALUATED, account_causes, cause_of_row
from territorial.engine.live_changes import changes_between
from territorial.engine.workload import account_workload
from territorial.progress import Progress, silent
from territorial.rules.ast import fields_of
from territorial.services.activation import LOCK
from territorial.services.assign import apply_reps
from territorial.services.change_log import write_live
from territorial.services.context import Context
from territorial.services.pins import live_activation, live_now, pins_in_force, pools_of
from territorial.services.plans import stored_plan
from territorial.services.settings import load_settings, today
from territorial.services.unit_of_work import UnitOfWork
from territorial.services.workspace import active_reps, load_some_accounts

# The progress message the re-evaluation starts with (the lifecycle benchmark times from it).
STARTED = "Re-evaluating the live assignment"
_PLACE = ["account_id", "layer", "territory_id", "rep_id"]
_LIVE_SCHEMA = {
    **dict.fromkeys(LIVE_COLUMNS, pl.String()),
    "tie": pl.Boolean(),
    "since": pl.Date(),
}


def import_lock(entity: Entity) -> str:
    """The write lock an import (or undo, or deactivation) of `entity` takes: for accounts and reps,
    the one activations, ticks, overrides and holds take, since they write the live rows too (changed
    accounts are re-evaluated; a rep set inactive leaves the roster)."""
    return LOCK if entity in (Entity.ACCOUNTS, Entity.REPS) else f"import:{entity.value}"


@dataclass(frozen=True)
class OwnerDrift:
    """An account whose owner in the CRM is not its live rep: the next delta export reasserts it."""

    account_id: str
    crm_owner_id: str | None
    rep_id: str | None  # the primary live rep, which stays
    territory_id: str | None


@dataclass(frozen=True)
class Reevaluated:
    """What an import changed in the live assignment."""

    accounts: int  # accounts re-evaluated: those it changed, and any the live rows left waiting in a pool
    changed: int  # live rows whose territory or rep changed
    # Accounts whose CRM owner the import set to a rep outside their pool: their live rep stays.
    drift: tuple[OwnerDrift, ...] = ()


def reevaluate_import(
    uow: UnitOfWork, ctx: Context, import_id: int, progress: Progress = silent
) -> Reevaluated | None:
    """Bring the live rows up to date with the accounts import `import_id` (an import, an undo or a
    deactivation, read from its history) changed, while a plan is active; None when none is.

    The result equals live() run on the whole workspace: placed accounts keep their owner, so only
    the changed accounts can move, and the rest of a pool matter to them only by the load each rep
    holds, counted from the live rows. An owner_id changed in the CRM to another rep of the
    account's pool is a manual move; to a rep outside it, drift (the live rep stays)."""
    active = uow.plans.active()
    if active is None:
        return None
    progress(STARTED, None)
    history = uow.records.history_since(import_id).filter(
        (pl.col("import_id") == import_id) & (pl.col("entity") == Entity.ACCOUNTS.value)
    )
    if history.is_empty():
        return None
    changed = sorted(set(history.get_column("record_id").to_list()))
    progress(f"Reading plan {active.plan_id}", None)
    plan = stored_plan(uow, active.plan_id)
    reps = active_reps(uow)
    if reps is not None:
        plan, _warnings = apply_reps(plan, reps, "the workspace's reps")
    progress("Reading the live assignment", None)
    pools = pools_of(uow.roster.current())
    holds, overrides = pins_in_force(uow)
    previous = uow.live.rows_of(changed, PREVIOUS_COLUMNS)
    pinned = _pinned_to_reps(holds, overrides)
    loads = _pool_loads(uow, plan, pools, changed, previous, pinned)
    if loads.waiting:
        previous = pl.concat([previous, uow.live.rows_of(loads.waiting, PREVIOUS_COLUMNS)])
    moves = owner_moves(history, previous, pools)
    owners = with_moves(previous, moves)
    day = today(ctx, load_settings())
    evaluated = sorted({*changed, *loads.waiting})
    progress(f"Evaluating {len(evaluated):,} accounts", None)
    book = load_some_accounts(uow, plan, evaluated)
    if len(book):
        rows = live_now(uow, plan, book, owners, "", day, loads.carried).rows  # causes: from history
    else:
        rows = pl.DataFrame(schema=_LIVE_SCHEMA)
    # Accounts the live rows had waiting in a pool (a live row that fell behind) are written too
    # when their row comes out otherwise.
    behind = changes_between(
        owners.filter(pl.col("account_id").is_in(loads.waiting)),
        rows.filter(pl.col("account_id").is_in(loads.waiting)),
    )
    written = sorted({*changed, *behind.get_column("account_id").to_list()})
    rule_fields = {name for t in plan.territories if t.rule is not None for name in fields_of(t.rule)}
    causes = account_causes(history, rule_fields, moves)
    rows = rows.join(causes, on="account_id", how="left", maintain_order="left").with_columns(
        pl.col("what").fill_null(REEVALUATED), pl.col("matches").fill_null(False)
    )
    rows = dated(rows, previous, cause_of_row(), day).with_columns(
        pl.lit(live_activation(uow), pl.Int64).alias("activation_id")
    )
    progress(f"Writing {len(written):,} accounts' live rows", None)
    summary = f"import {import_id} changed {len(changed):,} accounts"
    recorded = write_live(uow, ctx, ChangeKind.IMPORT, summary, day, previous, rows, written, active.plan_id)
    return Reevaluated(len(evaluated), recorded.changes, _drift(history, rows))


@dataclass(frozen=True)
class _PoolLoads:
    """What the accounts an import did not change hold in the shared pools."""

    carried: dict[str, dict[str, float]]  # territory_id -> pool rep -> workload held
    waiting: list[str]  # accounts re-evaluated too: those placed with no pool rep (nor pinned)


def _pool_loads(
    uow: UnitOfWork,
    plan: Plan,
    pools: Mapping[str, Sequence[str]],
    changed: Sequence[str],
    previous: pl.DataFrame,
    pinned: set[tuple[str, str]],
) -> _PoolLoads:
    """Each shared pool rep's load from the live rows of the accounts the import did not change
    (those it changed are re-evaluated, and count as they come out). Without a workload field a
    load is a count, which the database makes; with one, the rows and their accounts' workloads
    are read. A live row in a pool without a pool rep (and no hold or override) is waiting: it
    is re-evaluated with the changed accounts, as a whole run would place it."""
    shared = sorted(territory for territory, reps in pools.items() if len(reps) > 1)
    if not shared:
        return _PoolLoads({}, [])
    keys = ["territory_id", "rep_id"]
    if plan.workload is None:
        held = uow.live.accounts_per_rep(shared).with_columns(pl.col("accounts").cast(pl.Float64))
        mine = (
            previous.filter(pl.col("territory_id").is_in(shared)).group_by(keys).agg(pl.len().alias("_mine"))
        )
        held = held.join(mine, on=keys, how="left", nulls_equal=True).select(
            *keys, (pl.col("accounts") - pl.col("_mine").fill_null(0)).alias("load")
        )
        outside = _outside_pools(held, pools)
        rows = uow.live.in_territories(outside, ["account_id", "layer", "territory_id", "rep_id"])
    else:
        rows = uow.live.in_territories(shared, ["account_id", "layer", "territory_id", "rep_id"])
        rows = rows.filter(~pl.col("account_id").is_in(list(changed)))
        book = load_some_accounts(uow, plan, rows.get_column("account_id").unique().to_list())
        workload, _nulls = account_workload(plan, book)
        ids = book.frame.get_column(book.columns[ACCOUNT_ID]).cast(pl.String)
        if not np.array_equal(workload, np.round(workload)):
            # Sums of fractions depend on their order, and a whole run adds them in account_id order
            # with the changed accounts among them: the pools are re-evaluated whole instead.
            return _PoolLoads({}, sorted(set(ids.to_list())))
        weights = pl.DataFrame({"account_id": ids, "load": workload})
        rows = rows.join(weights, on="account_id", how="left")
        held = rows.group_by(keys).agg(pl.col("load").sum())
    rows = rows.filter(~pl.col("account_id").is_in(list(changed)))
    carried: dict[str, dict[str, float]] = {}
    for territory, rep, load in held.iter_rows():
        if rep in pools[territory]:
            carried.setdefault(territory, {})[rep] = load
    stray = [
        account
        for account, layer, territory, rep in rows.select("account_id", "layer", *keys).iter_rows()
        if rep not in pools[territory] and (account, layer) not in pinned
    ]
    return _PoolLoads(carried, sorted(set(stray)))


def _pinned_to_reps(holds: Sequence[Hold], overrides: Sequence[Override]) -> set[tuple[str, str]]:
    """The (account, layer) entries whose pin in force (an override, else a hold) names a rep: those
    never wait in a pool. A pin to a territory alone leaves the rep to the pool, as for any row."""
    reps = {(h.account_id, h.layer): h.rep_id for h in holds}
    reps.update({(o.account_id, o.layer): o.rep_id for o in overrides})
    return {entry for entry, rep in reps.items() if rep is not None}


def _outside_pools(held: pl.DataFrame, pools: Mapping[str, Sequence[str]]) -> list[str]:
    """The territories where some live row has a rep outside the territory's pool."""
    return sorted({t for t, rep in held.select("territory_id", "rep_id").iter_rows() if rep not in pools[t]})


def owner_moves(
    history: pl.DataFrame, previous: pl.DataFrame, pools: Mapping[str, Sequence[str]]
) -> dict[str, str]:
    """Accounts whose owner_id an import changed to another rep of their primary territory's pool:
    a manual move, account -> that rep."""
    owners = history.filter(pl.col("field") == OWNER_ID).select("record_id", "new_value")
    primary = previous.filter(pl.col("layer") == PRIMARY)
    places = {a: (t, r) for a, t, r in primary.select("account_id", "territory_id", "rep_id").iter_rows()}
    moves = {}
    for account, rep in owners.iter_rows():
        territory, live_rep = places.get(account, (None, None))
        if rep is not None and rep != live_rep and territory is not None and rep in pools.get(territory, ()):
            moves[account] = rep
    return moves


def with_moves(previous: pl.DataFrame, moves: Mapping[str, str]) -> pl.DataFrame:
    """The live rows with each moved account's primary rep set to the rep it moved to: the owner the
    pool keeps."""
    if not moves:
        return previous
    moved = pl.col("account_id").replace_strict(dict(moves), default=None, return_dtype=pl.String)
    primary = pl.col("layer") == PRIMARY
    return previous.with_columns(
        pl.when(primary & moved.is_not_null()).then(moved).otherwise(pl.col("rep_id")).alias("rep_id")
    )


def _drift(history: pl.DataFrame, rows: pl.DataFrame) -> tuple[OwnerDrift, ...]:
    """The accounts whose owner_id the import changed and whose primary live rep is another rep."""
    owners = history.filter(pl.col("field") == OWNER_ID).select(
        pl.col("record_id").alias("account_id"), pl.col("new_value").alias("crm_owner_id")
    )
    return _drifted(owners, rows)


def _drifted(owners: pl.DataFrame, rows: pl.DataFrame) -> tuple[OwnerDrift, ...]:
    primary = rows.filter(pl.col("layer") == PRIMARY).select("account_id", "territory_id", "rep_id")
    joined = owners.filter(pl.col("crm_owner_id").is_not_null()).join(primary, on="account_id")
    differ = joined.filter(pl.col("crm_owner_id").ne_missing(pl.col("rep_id"))).sort("account_id")
    return tuple(
        OwnerDrift(a, crm, rep, territory)
        for a, crm, territory, rep in differ.select(
            "account_id", "crm_owner_id", "territory_id", "rep_id"
        ).iter_rows()
    )


def owner_drift(uow: UnitOfWork) -> tuple[OwnerDrift, ...]:
    """Every active account whose CRM owner_id is not its primary live rep, in account_id order; none
    while no plan is active (the CRM's owner is then the owner). What `drift` lists."""
    if uow.plans.active_id() is None:
        return ()
    crm = uow.records.read(
        Entity.ACCOUNTS, {ACCOUNT_ID: pl.String(), OWNER_ID: pl.String()}, active_only=True
    ).select(ACCOUNT_ID, pl.col(OWNER_ID).alias("crm_owner_id"))
    return _drifted(crm, uow.live.rows(_PLACE))
