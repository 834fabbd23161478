"""Reading the workspace's accounts, reps, opportunities and leads a page at a time, filtered, and
only the rows and ids the principal may see."""

from __future__ import annotations

from typing import Any

import polars as pl

from territorial.domain.entities import SCHEMAS, Entity
from territorial.domain.fields import ACCOUNT_ID, OWNER_ID
from territorial.domain.plan import PRIMARY
from territorial.errors import NotFound
from territorial.rules.to_polars import POLARS_TYPES
from territorial.services.context import Context
from territorial.services.pages import MAX_LIMIT, Page, check_limit, cursor_after, key_of, page_of
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore
from territorial.services.visibility import EVERYTHING, Visible, owned_rows, owning_run, visible_to

CUSTOM = "custom"  # an account's custom fields, as one object of text values


def _core(entity: Entity) -> dict[str, pl.DataType]:
    return {name: POLARS_TYPES[ftype] for name, ftype in SCHEMAS[entity].fields.items()}


def _account_shown(row: dict[str, Any], visible: Visible) -> dict[str, Any]:
    custom = row[CUSTOM] or {}
    return {
        **row,
        "owner_id": visible.rep(row["owner_id"]),
        "parent_id": visible.account(row["parent_id"]),
        CUSTOM: {name: visible.text(value) for name, value in sorted(custom.items()) if value is not None},
    }


def list_accounts(
    workspace: WorkspaceStore,
    ctx: Context,
    rep: str | None = None,
    territory: str | None = None,
    country: str | None = None,
    state: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page:
    """Active accounts by account_id; `rep` and `territory` keep those the rep owns or the
    territory holds in any layer (live, else the latest run)."""
    with workspace.unit_of_work() as uow:
        visible = visible_to(uow, ctx)
        if visible.everything:
            return _account_page(uow, rep, territory, country, state, cursor, limit)
        check_limit(limit)
        after = key_of(cursor) if cursor is not None else None
        # The principal's accounts in binary id order (Python compares code points, as UTF-8 bytes
        # sort), read a few pages at a time until the page is full: a rep's page reads their
        # accounts, not the book.
        wanted = sorted(a for a in visible.accounts if after is None or a > after)
        if rep is not None or territory is not None:
            owned = _owned_ids(uow, rep, territory)
            wanted = [account_id for account_id in wanted if account_id in owned]
        equal = {name: value for name, value in (("country", country), ("state", state)) if value is not None}
        rows: list[dict[str, Any]] = []
        for start in range(0, len(wanted), _READ_AT_ONCE):
            chunk = wanted[start : start + _READ_AT_ONCE]
            found = _account_rows(uow, chunk)
            rows += [
                found[account_id]
                for account_id in chunk
                if account_id in found and all(found[account_id][k] == v for k, v in equal.items())
            ]
            if len(rows) > limit:
                break
    shown = rows[:limit]
    more = len(rows) > limit
    return Page(
        [_account_shown(row, visible) for row in shown], cursor_after(shown[-1][ACCOUNT_ID]) if more else None
    )


_READ_AT_ONCE = 2 * MAX_LIMIT  # accounts read per statement while filling a page


def _owned_ids(uow: UnitOfWork, rep: str | None, territory: str | None) -> set[str]:
    """The accounts the rep owns and the territory holds (either, or both), in any layer: the live
    assignment's, read through its indexes, else the owning run's."""
    if uow.plans.active_id() is not None and rep is not None:
        owned = uow.live.rows_of_reps([rep], ["account_id", "territory_id"])
    elif uow.plans.active_id() is not None:
        owned = uow.live.in_territories([territory or ""], ["account_id", "territory_id"])
    else:
        owned = owned_rows(uow)[0]
        owned = owned.filter(pl.col("rep_id") == rep) if rep is not None else owned
    if territory is not None:
        owned = owned.filter(pl.col("territory_id") == territory)
    return set(owned.get_column(ACCOUNT_ID).to_list())


def _account_page(
    uow: UnitOfWork,
    rep: str | None,
    territory: str | None,
    country: str | None,
    state: str | None,
    cursor: str | None,
    limit: int,
) -> Page:
    """list_accounts for a principal who sees everything: filtered and paged in the database, so a
    page of a million accounts reads that page (GET /accounts?rep=ID at the routing rate)."""
    check_limit(limit)
    owned_by = {name: value for name, value in (("rep_id", rep), ("territory_id", territory)) if value}
    run_id = None
    if owned_by and uow.plans.active_id() is None:
        owning = owning_run(uow)
        if owning is None:
            return Page([], None)
        run_id = owning.run_id
    equal = {name: value for name, value in (("country", country), ("state", state)) if value is not None}
    after = key_of(cursor) if cursor is not None else None
    ids = uow.records.account_page(after, limit + 1, equal, owned_by, run_id)
    shown = ids[:limit]
    found = _account_rows(uow, shown)
    rows = [_account_shown(found[account_id], EVERYTHING) for account_id in shown if account_id in found]
    return Page(rows, cursor_after(shown[-1]) if len(ids) > limit else None)


def _account_rows(uow: UnitOfWork, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Some active accounts by id, read row by row (a page, one account), as _accounts shows them."""
    found = {row[ACCOUNT_ID]: row for row in uow.records.account_rows(ids)} if ids else {}
    if found and uow.plans.active_id() is not None:
        # As with_live_owners: the primary live rep; an account not placed yet keeps the CRM's.
        for account_id, rep_id in uow.live.reps_of(ids, PRIMARY).items():
            if account_id in found:
                found[account_id][OWNER_ID] = rep_id
    return found


def get_account(workspace: WorkspaceStore, ctx: Context, account_id: str) -> dict[str, Any]:
    with workspace.unit_of_work() as uow:
        visible = visible_to(uow, ctx)
        found = _account_rows(uow, [account_id]) if visible.account(account_id) else {}
    if account_id not in found:
        raise NotFound.at(f"no account with id {account_id!r}", "account_id")
    return _account_shown(found[account_id], visible)


def _rep_shown(row: dict[str, Any], visible: Visible) -> dict[str, Any]:
    return {**row, "manager_id": visible.rep(row["manager_id"])}


def list_reps(
    workspace: WorkspaceStore,
    ctx: Context,
    manager: str | None = None,
    team: str | None = None,
    active: bool | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page:
    """Reps by rep_id; `manager` keeps their direct reports."""
    with workspace.unit_of_work() as uow:
        visible = visible_to(uow, ctx)
        reps = uow.records.read(Entity.REPS, _core(Entity.REPS))
    if not visible.everything:
        reps = reps.filter(pl.col("rep_id").is_in(list(visible.reps)))
    for column, wanted in (("manager_id", manager), ("team", team), ("active", active)):
        if wanted is not None:
            reps = reps.filter(pl.col(column) == wanted)
    page = page_of(reps, "rep_id", cursor, limit)
    return Page([_rep_shown(row, visible) for row in page.rows], page.next_cursor)


def get_rep(workspace: WorkspaceStore, ctx: Context, rep_id: str) -> dict[str, Any]:
    with workspace.unit_of_work() as uow:
        visible = visible_to(uow, ctx)
        reps = uow.records.read(Entity.REPS, _core(Entity.REPS))
    found = reps.filter(pl.col("rep_id") == rep_id) if visible.rep(rep_id) else reps.clear()
    if found.is_empty():
        raise NotFound.at(f"no rep with id {rep_id!r}", "rep_id")
    return _rep_shown(found.row(0, named=True), visible)


def _opportunities(uow: UnitOfWork, visible: Visible) -> pl.DataFrame:
    """Active opportunities the principal may see: on their accounts or in their reps' names."""
    frame = uow.records.read(Entity.OPPORTUNITIES, _core(Entity.OPPORTUNITIES), active_only=True)
    if visible.everything:
        return frame
    mine = pl.col("account_id").is_in(list(visible.accounts)) | pl.col("rep_id").is_in(list(visible.reps))
    return frame.filter(mine.fill_null(False))


def _opportunity_shown(row: dict[str, Any], visible: Visible) -> dict[str, Any]:
    return {**row, "account_id": visible.account(row["account_id"]), "rep_id": visible.rep(row["rep_id"])}


def list_opportunities(
    workspace: WorkspaceStore,
    ctx: Context,
    account: str | None = None,
    rep: str | None = None,
    open_only: bool = False,
    cursor: str | None = None,
    limit: int = 100,
) -> Page:
    """Active opportunities by opportunity_id; `open_only` keeps those neither closed nor won."""
    with workspace.unit_of_work() as uow:
        visible = visible_to(uow, ctx)
        frame = _opportunities(uow, visible)
    for column, wanted in (("account_id", account), ("rep_id", rep)):
        if wanted is not None:
            frame = frame.filter(pl.col(column) == wanted)
    if open_only:
        frame = frame.filter(pl.col("closed").is_null() & pl.col("won").is_null())
    page = page_of(frame, "opportunity_id", cursor, limit)
    return Page([_opportunity_shown(row, visible) for row in page.rows], page.next_cursor)


def get_opportunity(workspace: WorkspaceStore, ctx: Context, opportunity_id: str) -> dict[str, Any]:
    with workspace.unit_of_work() as uow:
        frame = _opportunities(uow, visible := visible_to(uow, ctx))
    found = frame.filter(pl.col("opportunity_id") == opportunity_id)
    if found.is_empty():
        raise NotFound.at(f"no opportunity with id {opportunity_id!r}", "opportunity_id")
    return _opportunity_shown(found.row(0, named=True), visible)


ROUTED = {"rep_id": "routed_rep_id", "territory_id": "routed_territory_id"}


def _leads(uow: UnitOfWork, visible: Visible) -> pl.DataFrame:
    """Active leads with whom their latest routing decision sent them to; a rep's are those routed to them."""
    frame = uow.records.read(Entity.LEADS, _core(Entity.LEADS), active_only=True)
    routed = uow.routing.latest_decisions().rename(ROUTED)
    frame = frame.join(routed, on="lead_id", how="left")
    return frame if visible.everything else frame.filter(pl.col("lead_id").is_in(list(visible.leads)))


def _lead_shown(row: dict[str, Any], visible: Visible) -> dict[str, Any]:
    return {
        **row,
        "routed_rep_id": visible.rep(row["routed_rep_id"]),
        "routed_territory_id": visible.territory(row["routed_territory_id"]),
        "matched_account_id": visible.account(row["matched_account_id"]),
    }


def list_leads(
    workspace: WorkspaceStore,
    ctx: Context,
    rep: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page:
    """Active leads by lead_id; `rep` keeps those routed to the rep."""
    with workspace.unit_of_work() as uow:
        visible = visible_to(uow, ctx)
        frame = _leads(uow, visible)
    if rep is not None:
        frame = frame.filter(pl.col("routed_rep_id") == rep)
    page = page_of(frame, "lead_id", cursor, limit)
    return Page([_lead_shown(row, visible) for row in page.rows], page.next_cursor)


def get_lead(workspace: WorkspaceStore, ctx: Context, lead_id: str) -> dict[str, Any]:
    with workspace.unit_of_work() as uow:
        frame = _leads(uow, visible := visible_to(uow, ctx))
    found = frame.filter(pl.col("lead_id") == lead_id)
    if found.is_empty():
        raise NotFound.at(f"no lead with id {lead_id!r}", "lead_id")
    return _lead_shown(found.row(0, named=True), visible)
