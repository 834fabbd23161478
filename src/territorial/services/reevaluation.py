"""Keeping the live assignment current when an import changes accounts: the changed accounts, and
the pools they wait in, re-evaluated inside the import's transaction (README, "Plan lifecycle")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.entities import Entity
from territorial.domain.fields import ACCOUNT_ID, OWNER_ID
from territorial.domain.lifecycle import ChangeKind
from territorial.domain.plan import PRIMARY, Plan
from territorial.engine.live import LIVE_COLUMNS, PREVIOUS_COLUMNS, Hold, Override, dated, live
from territorial.engine.live_causes import REEVALUATED, account_causes, cause_of_row
from territorial.engine.live_changes import changes_between
from territorial.progress import Progress, silent
from territorial.rules.ast import fields_of
from territorial.services.activation import LOCK
from territorial.services.assign import account_workload, stored_in
from territorial.services.change_log import write_live
from territorial.services.context import Context
from territorial.services.pins import live_activation, pins_in_force, pools_of
from territorial.services.settings import load_settings, today
from territorial.services.unit_of_work import UnitOfWork

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

    accounts: int  # accounts re-evaluated: those it changed, and those waiting in pools they entered
    changed: int  # live rows whose territory or rep changed
    # Accounts whose CRM owner the import set to a rep outside their pool: their live rep stays.
    drift: tuple[OwnerDrift, ...] = ()


def reevaluate_import(
    uow: UnitOfWork, ctx: Context, import_id: int, progress: Progress = silent
) -> Reevaluated | None:
    """Bring the live rows up to date with the accounts import `import_id` (an import, an undo or a
    deactivation, read from its history) changed, while a plan is active; None when none is.

    The result equals live() run on the whole workspace: placed accounts keep their owner, so only
    the changed accounts can move, and a pool's loads matter only to its waiting accounts, so the
    pools a changed account waits in are evaluated whole. An owner_id changed in the CRM to another
    rep of the account's pool is a manual move; to a rep outside it, drift (the live rep stays)."""
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
    plan, book, _warnings = stored_in(uow, active.plan_id, progress)
    progress("Reading the live assignment", None)
    pools = pools_of(uow.roster.current())
    holds, overrides = pins_in_force(uow)
    previous = uow.live.rows(PREVIOUS_COLUMNS)
    moves = owner_moves(history, previous, pools)
    owners = with_moves(previous, moves)
    day = today(ctx, load_settings())
    progress(f"Evaluating {len(changed):,} changed accounts and the pools they wait in", None)
    evaluate = _Evaluation(book, plan, pools, holds, overrides, owners, day)
    first = evaluate.rows(changed)
    members = _waiting_pool_members(first, owners, pools)
    evaluated = sorted({*changed, *members})
    rows = evaluate.rows(evaluated) if members else first
    # Placed accounts keep their owners, so a pool member's row comes out as it was; one that does
    # not (a live row that fell behind) is written too.
    behind = changes_between(
        owners.filter(pl.col("account_id").is_in(members)), rows.filter(pl.col("account_id").is_in(members))
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
class _Evaluation:
    """live() on some of the workspace's accounts, everything else as the whole run has it."""

    book: AccountBook
    plan: Plan
    pools: Mapping[str, Sequence[str]]
    holds: list[Hold]
    overrides: list[Override]
    owners: pl.DataFrame  # the live rows owners are read from (PREVIOUS_COLUMNS)
    day: date

    def rows(self, account_ids: Sequence[str]) -> pl.DataFrame:
        ids = self.book.frame.get_column(self.book.columns[ACCOUNT_ID]).cast(pl.String)
        some = self.book.take(np.flatnonzero(ids.is_in(list(account_ids)).to_numpy()))
        if not len(some):
            return pl.DataFrame(schema=_LIVE_SCHEMA)
        workload, null_workload = account_workload(self.plan, some)
        wanted = self.owners.filter(pl.col("account_id").is_in(list(account_ids)))
        return live(
            some,
            self.plan,
            self.pools,
            self.holds,
            self.overrides,
            wanted,
            workload=workload,
            null_workload=null_workload,
            cause="",  # each row's cause is set from the import's history (see reevaluate_import)
            since=self.day,
        ).rows


def _waiting_pool_members(
    rows: pl.DataFrame, owners: pl.DataFrame, pools: Mapping[str, Sequence[str]]
) -> list[str]:
    """The accounts in the pools (of several reps) where a row of `rows` took a rep other than its
    owner's: its rep was chosen by load, and every account of the pool counts toward the loads."""
    shared = [territory for territory, reps in pools.items() if len(reps) > 1]
    moved = changes_between(owners, rows).filter(pl.col("to_territory_id").is_in(shared))
    entered = moved.select("layer", pl.col("to_territory_id").alias("territory_id")).unique()
    members = owners.join(entered, on=["layer", "territory_id"], how="semi")
    return sorted(set(members.get_column("account_id").to_list()))


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
    if uow.plans.active() is None:
        return ()
    crm = uow.records.read(
        Entity.ACCOUNTS, {ACCOUNT_ID: pl.String(), OWNER_ID: pl.String()}, active_only=True
    ).select(ACCOUNT_ID, pl.col(OWNER_ID).alias("crm_owner_id"))
    return _drifted(crm, uow.live.rows(_PLACE))
