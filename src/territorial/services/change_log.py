"""Every write of the live assignment goes through here: it records a change set, with the rows whose
territory or rep changed, in the same transaction as the rows themselves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from territorial.domain.lifecycle import ChangeKind
from territorial.engine.live_changes import KEY_COLUMNS, changes_between
from territorial.services.audit import record_change_set
from territorial.services.context import Context
from territorial.services.outbox import enqueue_notices
from territorial.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Recorded:
    """The change set a write of the live assignment made, and how many rows it changed."""

    change_set_id: int
    changes: int


def write_live(
    uow: UnitOfWork,
    ctx: Context,
    kind: ChangeKind,
    summary: str,
    effective: date,
    before: pl.DataFrame | None,
    rows: pl.DataFrame,
    accounts: Sequence[str] | None = None,
    plan_id: int | None = None,
) -> Recorded:
    """Write `rows` as the live assignment (all of it, or only the rows of `accounts`) and record what
    changed against `before` (the live rows, at least account_id, layer, territory_id and rep_id, that
    the caller read in this transaction; None: there were none) as one change set made by `ctx.actor`,
    with its entry in the audit trail."""
    if before is None:
        before = pl.DataFrame(schema={name: pl.String for name in KEY_COLUMNS})
    if accounts is not None:
        wanted = list(accounts)
        before = before.filter(pl.col("account_id").is_in(wanted))
        rows = rows.filter(pl.col("account_id").is_in(wanted))
    changed = changes_between(before, rows)
    if plan_id is None:
        active = uow.plans.active()
        plan_id = None if active is None else active.plan_id
    change_set_id = uow.changes.open(kind, ctx.now(), effective, ctx.actor, summary, plan_id, changed.height)
    uow.changes.add(change_set_id, changed)
    enqueue_notices(uow, change_set_id, ctx.now(), changed)  # told in the change's own transaction
    record_change_set(uow, ctx, change_set_id, kind, summary, effective, plan_id, changed)
    if accounts is None:
        uow.live.replace(rows)
    else:
        uow.live.put(accounts, rows)
    return Recorded(change_set_id, changed.height)
