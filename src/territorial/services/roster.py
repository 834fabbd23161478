"""The rep roster: reps joining a territory's pool, leaving, or moving, today at once or on a later
day through `tick`; the roster as it stands, its history, and the changes waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from territorial.domain.lifecycle import ChangeKind
from territorial.domain.roster import RosterChangeKind, RosterChangeStatus, StoredRosterChange
from territorial.errors import BadInput
from territorial.progress import Progress, silent
from territorial.services.activation import LOCK
from territorial.services.context import Context
from territorial.services.pins import relive
from territorial.services.roster_apply import Applied, apply_change, refusal
from territorial.services.settings import load_settings, today
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore


@dataclass(frozen=True)
class RosterChanged:
    """A roster change asked for: applied today (`applied`), or scheduled for `tick`."""

    change: StoredRosterChange
    applied: Applied | None  # None: scheduled

    @property
    def scheduled(self) -> bool:
        return self.applied is None


def add_rep(
    workspace: WorkspaceStore,
    ctx: Context,
    rep_id: str,
    territory_id: str,
    effective: date | None = None,
    progress: Progress = silent,
) -> RosterChanged:
    """An active workspace rep joins a territory's pool (last in pool order) from `effective`."""
    return _ask(workspace, ctx, RosterChangeKind.JOIN, rep_id, territory_id, None, effective, progress)


def leave_rep(
    workspace: WorkspaceStore,
    ctx: Context,
    rep_id: str,
    effective: date | None = None,
    progress: Progress = silent,
) -> RosterChanged:
    """A rep leaves every pool from `effective`: their book goes to each pool as waiting accounts
    (a pool left empty is vacant), and their holds and the overrides to them end."""
    return _ask(workspace, ctx, RosterChangeKind.LEAVE, rep_id, None, None, effective, progress)


def move_rep(
    workspace: WorkspaceStore,
    ctx: Context,
    rep_id: str,
    territory_id: str,
    with_book: date | None = None,
    effective: date | None = None,
    progress: Progress = silent,
) -> RosterChanged:
    """A rep leaves their territories of the layer of `territory_id` and joins it; with `with_book`,
    holds keep their accounts there with them until that day."""
    return _ask(workspace, ctx, RosterChangeKind.MOVE, rep_id, territory_id, with_book, effective, progress)


def _ask(
    workspace: WorkspaceStore,
    ctx: Context,
    kind: RosterChangeKind,
    rep_id: str,
    territory_id: str | None,
    with_book: date | None,
    effective: date | None,
    progress: Progress,
) -> RosterChanged:
    now = today(ctx, load_settings())
    day = effective or now
    if day < now:
        raise BadInput.at(f"{day} is past (today is {now}): nothing is back-dated", "--effective")
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        change = ask_in(uow, ctx, kind, rep_id, territory_id, with_book, day)
        if day > now:
            return RosterChanged(change, None)
        return RosterChanged(change, apply_change(uow, ctx, change, progress))


def ask_in(
    uow: UnitOfWork,
    ctx: Context,
    kind: RosterChangeKind,
    rep_id: str,
    territory_id: str | None,
    with_book: date | None,
    day: date,
) -> StoredRosterChange:
    """The change recorded as scheduled for `day`, inside the caller's transaction; refused (bad
    input naming the option) when the workspace does not allow it."""
    change = StoredRosterChange(
        0, kind, rep_id, territory_id, with_book, day, RosterChangeStatus.SCHEDULED, ctx.now(), ctx.actor
    )
    found = refusal(uow, change)
    if found is not None:
        raise BadInput.at(*found)
    change_id = uow.roster_changes.add(kind, rep_id, territory_id, with_book, day, ctx.now(), ctx.actor)
    return next(c for c in uow.roster_changes.pending() if c.change_id == change_id)


def cancel_change(workspace: WorkspaceStore, ctx: Context, change_id: int) -> StoredRosterChange:
    """Take back a scheduled roster change; it stays listed, cancelled, with who did it."""
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        found = [c for c in uow.roster_changes.all() if c.change_id == change_id]
        if not found:
            raise BadInput.at(f"no roster change {change_id}; `territorial rep list` shows them", "CHANGE_ID")
        if found[0].status is not RosterChangeStatus.SCHEDULED:
            raise BadInput.at(
                f"roster change {change_id} is {found[0].status.value}: "
                "only a scheduled one can be cancelled",
                "CHANGE_ID",
            )
        uow.roster_changes.mark(
            change_id, RosterChangeStatus.CANCELLED, ctx.now(), f"cancelled by {ctx.actor}"
        )
        return next(c for c in uow.roster_changes.all() if c.change_id == change_id)


@dataclass(frozen=True)
class RosterView:
    """The roster (territory_id, rep_id, position, valid_from, valid_to: in force only, or with
    `history` every row) and the roster changes (scheduled only, or with `history` all of them)."""

    rows: pl.DataFrame
    changes: list[StoredRosterChange]


def roster_view(workspace: WorkspaceStore, history: bool = False) -> RosterView:
    with workspace.unit_of_work() as uow:
        rows = uow.roster.history()
        changes = uow.roster_changes.all() if history else uow.roster_changes.pending()
    if not history:
        rows = rows.filter(pl.col("valid_to").is_null())
    return RosterView(rows.sort("territory_id", "position", "valid_from"), changes)


def leave_deactivated(uow: UnitOfWork, ctx: Context, import_id: int) -> list[Applied]:
    """A reps import (or deactivation, or undo) that set reps inactive: each one in the roster
    leaves that day, as `rep leave` would, in the import's transaction. Setting a rep active again
    changes no roster: an import never undoes a roster change."""
    history = uow.records.history_since(import_id).filter(
        pl.col("import_id") == import_id,
        pl.col("entity") == "reps",
        pl.col("field") == "active",
        pl.col("new_value") == "false",
    )
    if uow.plans.active_id() is None or history.is_empty():
        return []
    in_roster = set(uow.roster.current().get_column("rep_id").to_list())
    day = today(ctx, load_settings())
    inactive = set(history.get_column("record_id").to_list())
    left = [
        apply_change(uow, ctx, ask_in(uow, ctx, RosterChangeKind.LEAVE, rep, None, None, day))
        for rep in sorted(inactive & in_roster)
    ]
    # A rep in no pool may still hold live rows: a manager covering a vacant territory, who no
    # longer does once inactive. Their rows are placed again.
    covering = uow.live.rows(["account_id", "layer", "rep_id"]).filter(
        pl.col("rep_id").is_in(sorted(inactive - in_roster))
    )
    causes = {(account, layer): f"{rep} set inactive" for account, layer, rep in covering.iter_rows()}
    reps = sorted(set(covering.get_column("rep_id").to_list()))
    relive(uow, ctx, ChangeKind.ROSTER, f"{', '.join(reps)} set inactive", causes, day)
    return left
