"""Plan states and activation (services.plan_states, services.activation): scheduling, tick,
archiving, re-activation, and the owner becoming the live rep; on the fake and both databases."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from workspace_books import write_book

from conftest import CTX
from fake_workspace import FakeWorkspace
from territorial.domain.entities import Entity
from territorial.domain.lifecycle import ActivationStatus, PlanState
from territorial.errors import BadInput
from territorial.services.activation import activate_plan, tick, unschedule_plan
from territorial.services.assign import assign_plan
from territorial.services.compare import compare_plans
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.plan_states import clone_plan, delete_plan, update_plan
from territorial.services.plans import add_plan, plan_reference
from territorial.services.unit_of_work import WorkspaceStore
from territorial.services.workspace import load_accounts

TODAY = CTX.now().date()  # 2026-03-02
# The same book, WEST shared by bob and cy only: jane's A-1 waits, and EAST grows.
PLAN_B = """\
name: Plan B
workload: employees
territories:
  - id: WEST
    rule: region = 'West'
    reps: [cy, bob]
  - id: EAST
    rule: state IN ('NY', 'MA', 'TX')
    reps: [dee, jane]
"""


def _states(store: WorkspaceStore) -> dict[int, tuple[PlanState, date | None]]:
    with store.unit_of_work() as uow:
        return {p.plan_id: (p.state, p.effective) for p in uow.plans.list()}


def _live(store: WorkspaceStore) -> dict[tuple[str, str], tuple[str | None, str | None, str, date]]:
    with store.unit_of_work() as uow:
        rows = uow.live.rows()
    return {
        (r["account_id"], r["layer"]): (r["territory_id"], r["rep_id"], r["cause"], r["since"])
        for r in rows.iter_rows(named=True)
    }


def _workspace(store: WorkspaceStore, folder: Path) -> tuple[int, int]:
    paths = write_book(folder)
    import_records(store, CTX, Entity.REPS, paths["reps"])
    import_records(store, CTX, Entity.ACCOUNTS, paths["accounts"])
    (folder / "b.yaml").write_text(PLAN_B)
    return add_plan(store, CTX, paths["plan"]), add_plan(store, CTX, folder / "b.yaml")


def test_activate_schedule_tick_and_activate_again(store: WorkspaceStore, tmp_path: Path) -> None:
    a, b = _workspace(store, tmp_path)
    assert _states(store) == {a: (PlanState.DRAFT, None), b: (PlanState.DRAFT, None)}
    done = activate_plan(store, CTX, a)
    assert (done.scheduled, done.archived, done.accounts, done.changed) == (False, None, 6, 6)
    live = _live(store)
    cause = f"plan {a} activated"
    # jane owns A-1 in the CRM and is in WEST's pool: she keeps it; bob keeps A-4; ghost left.
    assert live["A-1", "primary"] == ("WEST", "jane", cause, TODAY)
    assert live["A-4", "primary"] == ("WEST", "bob", cause, TODAY)
    assert live["A-3", "primary"] == ("SOUTH", None, cause, TODAY)  # ghost is inactive: vacant
    with store.unit_of_work() as uow:
        assert uow.roster.current().filter(pl.col("territory_id") == "WEST").get_column(
            "rep_id"
        ).to_list() == [
            "jane",
            "bob",
            "cy",
        ]
        owners = load_accounts(uow, {}).frame.sort("account_id").get_column("owner_id").to_list()
    assert owners == ["jane", "dee", None, "bob", "dee", "cy"]  # the live reps, not the CRM's

    with pytest.raises(BadInput, match="is past"):
        activate_plan(store, CTX, b, date(2026, 3, 1))
    with pytest.raises(BadInput, match=f"plan {a} is applied on 2026-03-02: one activation a day"):
        activate_plan(store, CTX, b)
    with pytest.raises(BadInput, match="is active already"):
        activate_plan(store, CTX, a, date(2026, 3, 20))
    later = activate_plan(store, CTX, b, date(2026, 3, 10))
    assert later.scheduled and _states(store)[b] == (PlanState.SCHEDULED, date(2026, 3, 10))
    with pytest.raises(BadInput, match="scheduled for 2026-03-10 already"):
        activate_plan(store, CTX, b, date(2026, 3, 11))
    assert unschedule_plan(store, CTX, b) == date(2026, 3, 10)
    assert _states(store)[b] == (PlanState.DRAFT, None)
    activate_plan(store, CTX, b, date(2026, 3, 10))

    assert tick(store, CTX, date(2026, 3, 9)).activations == []
    assert _live(store) == live  # nothing due, nothing changed
    [ticked] = tick(store, CTX, date(2026, 3, 12)).activations
    assert (ticked.plan_id, ticked.archived, ticked.effective) == (b, a, date(2026, 3, 10))
    assert _states(store) == {a: (PlanState.ARCHIVED, TODAY), b: (PlanState.ACTIVE, date(2026, 3, 10))}
    moved = _live(store)
    assert moved["A-1", "primary"] == (
        "WEST",
        "cy",
        f"plan {b} activated",
        date(2026, 3, 10),
    )  # jane left WEST
    assert moved["A-4", "primary"] == live["A-4", "primary"]  # kept: same territory and rep, same cause
    assert moved["A-3", "primary"][:2] == ("EAST", "jane")  # waiting: jane has 0, dee keeps 860

    # Undo: the archived plan activated again on a later day, as a new activation.
    ctx = Context.admin("tester", datetime(2026, 3, 12, 9, 0))
    again = activate_plan(store, ctx, a)
    assert (again.archived, again.effective) == (b, date(2026, 3, 12))
    assert _states(store)[a] == (PlanState.ACTIVE, date(2026, 3, 12))
    with store.unit_of_work() as uow:
        statuses = [(x.plan_id, x.status) for x in uow.activations.history()]
    applied, cancelled = ActivationStatus.APPLIED, ActivationStatus.CANCELLED
    assert statuses == [(a, applied), (b, cancelled), (b, applied), (a, applied)]


def test_drafts_are_updated_cloned_and_deleted_and_nothing_else_is(tmp_path: Path) -> None:
    store = FakeWorkspace()
    a, b = _workspace(store, tmp_path)
    activate_plan(store, CTX, a)
    assert plan_reference("active", store) == a
    copy = clone_plan(store, CTX, plan_reference("active", store))  # type: ignore[arg-type]
    assert _states(store)[copy] == (PlanState.DRAFT, None)
    update_plan(store, CTX, copy, tmp_path / "b.yaml")
    with store.unit_of_work() as uow:
        assert uow.plans.get(copy).name == "Plan B"  # type: ignore[union-attr]
    with pytest.raises(BadInput, match=f"plan {a} is active: only a draft can be updated"):
        update_plan(store, CTX, a, tmp_path / "b.yaml")
    with pytest.raises(BadInput, match="only a draft can be deleted"):
        delete_plan(store, CTX, a)
    assign_plan(store, CTX, b)  # a what-if run: it changes nothing live
    with store.unit_of_work() as uow:
        assert set(uow.live.rows().get_column("cause")) == {f"plan {a} activated"}
    with pytest.raises(BadInput, match=f"plan {b} has 1 run; --with-runs"):
        delete_plan(store, CTX, b)
    assert delete_plan(store, CTX, b, with_runs=True) == 1
    assert delete_plan(store, CTX, copy) == 0
    assert list(_states(store)) == [a]


def test_a_scheduled_plan_is_not_edited_and_unscheduling_an_archived_plan_keeps_it_archived(
    tmp_path: Path,
) -> None:
    store = FakeWorkspace()
    a, b = _workspace(store, tmp_path)
    activate_plan(store, CTX, a)
    activate_plan(store, CTX, b, date(2026, 3, 5))
    with pytest.raises(BadInput, match="unschedule` makes it a draft again"):
        update_plan(store, CTX, b, tmp_path / "b.yaml")
    tick(store, CTX, date(2026, 3, 5))
    activate_plan(store, CTX, a, date(2026, 4, 1))
    unschedule_plan(store, CTX, a)
    assert _states(store)[a] == (PlanState.ARCHIVED, TODAY)
    with pytest.raises(BadInput, match="not scheduled"):
        unschedule_plan(store, CTX, a)


def test_compare_previews_the_activation(store: WorkspaceStore, tmp_path: Path) -> None:
    a, b = _workspace(store, tmp_path)
    activate_plan(store, CTX, a)
    before = _live(store)
    result = compare_plans(store, CTX, a, b)
    ctx = Context.admin("tester", datetime(2026, 3, 3, 9, 0))
    activate_plan(store, ctx, b)
    after = _live(store)
    changed = {key for key in after if after[key][:2] != before.get(key, (None, None))[:2]}
    assert set(result.movers.select("account_id", "layer").iter_rows()) == changed
    assert result.movers.filter(pl.col("account_id") == "A-1").row(0) == (
        "A-1",
        "primary",
        "WEST",
        "jane",
        "WEST",
        "cy",
    )
    reps = {r["rep_id"]: r for r in result.reps.iter_rows(named=True)}
    assert (reps["jane"]["lost"], reps["jane"]["workload_lost"], reps["cy"]["gained"]) == (1, 5000.0, 1)
    # jane, bob, cy and dee had a primary rep in A (A-3 was vacant); only A-1 changed rep.
    assert result.continuity == pytest.approx(4 / 5)
    assert result.balance_a.reps == 4 and result.balance_b.reps == 4
    assert result.balance_b.cv is not None and result.balance_b.max_over_mean is not None
