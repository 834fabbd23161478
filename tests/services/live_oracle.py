"""The live assignment computed whole from the workspace's inputs, and replayed from the change log:
what the lifecycle tests compare the stored live rows with."""

from __future__ import annotations

from datetime import date

import polars as pl

from territorial.engine.live import PREVIOUS_COLUMNS, live
from territorial.services.assign import account_workload, stored_in
from territorial.services.pins import pins_in_force, pools_of
from territorial.services.unit_of_work import WorkspaceStore
from territorial.services.vacancy import covers_in

Places = dict[tuple[str, str], tuple[str | None, str | None]]
KEY = ["account_id", "layer", "territory_id", "rep_id"]


def stored_places(store: WorkspaceStore) -> Places:
    """The stored live rows' territory and rep by (account, layer)."""
    with store.unit_of_work() as uow:
        rows = uow.live.rows(KEY)
    return {(a, layer): (t, r) for a, layer, t, r in rows.iter_rows()}


def places_from_scratch(store: WorkspaceStore, previous: pl.DataFrame | None = None) -> Places:
    """live(...) of the workspace's accounts, active plan, roster, holds and overrides, run on them
    all, its owners read from `previous` (default the stored live rows), a vacant territory covered
    by its manager or the vacant owner; {} with no active plan."""
    with store.unit_of_work() as uow:
        active = uow.plans.active()
        if active is None:
            return {}
        plan, book, _ = stored_in(uow, active.plan_id)
        holds, overrides = pins_in_force(uow)
        workload, _nulls = account_workload(plan, book)
        owners = uow.live.rows(PREVIOUS_COLUMNS) if previous is None else previous
        pools = pools_of(uow.roster.current())
        vacant = covers_in(uow, plan, pools)
    rows = live(
        book,
        plan,
        pools,
        holds,
        overrides,
        owners,
        workload=workload,
        cause="x",
        since=date(2000, 1, 1),
        vacant=vacant,
    ).rows
    return {(a, layer): (t, r) for a, layer, t, r in rows.select(KEY).iter_rows()}


def replayed(store: WorkspaceStore) -> Places:
    """The live places the change log's rows give, applied in order from nothing; each row's `from`
    must be where the previous one left the account."""
    places: Places = {}
    with store.unit_of_work() as uow:
        for row in uow.changes.rows().iter_rows(named=True):
            key = (row["account_id"], row["layer"])
            assert places.get(key, (None, None)) == (row["from_territory_id"], row["from_rep_id"])
            places[key] = (row["to_territory_id"], row["to_rep_id"])
    return {key: place for key, place in places.items() if place != (None, None)}


def placed(places: Places) -> Places:
    """The places that hold a territory or a rep (the change log has no row for the others)."""
    return {key: place for key, place in places.items() if place != (None, None)}
