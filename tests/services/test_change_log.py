"""Every write of the live assignment is a change set with the rows it moved (services.change_log):
an activation, an override or hold, a tick; the change log replays to the live assignment."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
from live_oracle import replayed
from workspace_books import write_book

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.domain.lifecycle import ChangeKind
from territorial.services.activation import activate_plan, tick
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.overrides import add_hold, add_override
from territorial.services.plans import add_plan
from territorial.services.unit_of_work import WorkspaceStore

LATER = Context.admin("tester", datetime(2026, 3, 5, 9, 0))


def _live(store: WorkspaceStore) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    with store.unit_of_work() as uow:
        rows = uow.live.rows(["account_id", "layer", "territory_id", "rep_id"])
    return {(a, layer): (t, r) for a, layer, t, r in rows.iter_rows() if (t, r) != (None, None)}


def test_each_live_change_is_a_change_set_whose_rows_replay_to_the_live_assignment(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    paths = write_book(tmp_path)
    import_records(store, CTX, Entity.REPS, paths["reps"])
    import_records(store, CTX, Entity.ACCOUNTS, paths["accounts"])
    plan_id = add_plan(store, CTX, paths["plan"])
    activated = activate_plan(store, CTX, plan_id)
    add_override(store, LATER, "A-3", "WEST", None, "strategic account")
    held = _live(store)[("A-1", "primary")]
    add_hold(store, LATER, "A-1", datetime(2026, 3, 9).date())
    tick(store, LATER, datetime(2026, 3, 10).date())  # the hold expires
    with store.unit_of_work() as uow:
        sets = uow.changes.sets()
        rows = uow.changes.rows()
    assert [(s.kind, s.actor, s.plan_id) for s in sets] == [
        (ChangeKind.ACTIVATION, CTX.actor, plan_id),
        (ChangeKind.OVERRIDE, "tester", plan_id),
        (ChangeKind.HOLD, "tester", plan_id),
        (ChangeKind.TICK, "tester", plan_id),
    ]
    assert sets[0].summary == f"plan {plan_id} activated" and sets[0].changes == activated.changed
    assert sets[1].changes == 1 and "strategic account" in sets[1].summary
    # A hold keeps the account where it is: a change set with no changed row.
    assert sets[2].changes == 0 and _live(store)[("A-1", "primary")] == held
    counted = rows.group_by("change_set_id").len().sort("change_set_id")
    assert dict(counted.iter_rows()) == {s.change_set_id: s.changes for s in sets if s.changes}
    a3 = rows.filter(pl.col("account_id") == "A-3").sort("change_set_id")
    assert a3.get_column("cause").to_list()[-1] == "override by a planner: strategic account"
    assert a3.get_column("to_territory_id").to_list()[-1] == "WEST"
    assert replayed(store) == _live(store)
