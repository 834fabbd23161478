"""The rep roster (services.roster, services.roster_apply): joins, leaves and moves change the live
rows at once or at the tick of their day, with causes in plain words; vacancy; imports; clones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from workspace_books import PLAN, REPS, write_book

from conftest import CTX
from fake_workspace import FakeWorkspace
from territorial.domain.entities import Entity
from territorial.domain.lifecycle import ChangeKind
from territorial.domain.roster import RosterChangeStatus
from territorial.engine.live import PREVIOUS_COLUMNS
from territorial.errors import BadInput
from territorial.io.plan_file import parse_plan
from territorial.services.activation import activate_plan, tick
from territorial.services.assign import stored_in
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.overrides import add_hold, add_override, list_holds, list_overrides
from territorial.services.pins import live_now, pools_of
from territorial.services.plan_states import clone_plan
from territorial.services.plans import add_plan
from territorial.services.roster import add_rep, cancel_change, leave_rep, move_rep, roster_view
from territorial.services.undo import deactivate
from territorial.services.unit_of_work import WorkspaceStore

TODAY = CTX.now().date()  # 2026-03-02
LATER = Context.admin("tester", datetime(2026, 3, 5, 9, 0))
DAY = LATER.now().date()


def _active(store: WorkspaceStore, folder: Path, plan: str | None = None, reps: str = REPS) -> int:
    paths = write_book(folder)
    paths["reps"].write_text(reps)
    if plan is not None:
        paths["plan"].write_text(plan)
    import_records(store, CTX, Entity.REPS, paths["reps"])
    import_records(store, CTX, Entity.ACCOUNTS, paths["accounts"])
    plan_id = add_plan(store, CTX, paths["plan"])
    activate_plan(store, CTX, plan_id)
    return plan_id


def _live(store: WorkspaceStore) -> dict[str, tuple[str | None, str | None, str]]:
    with store.unit_of_work() as uow:
        rows = uow.live.rows()
    return {r["account_id"]: (r["territory_id"], r["rep_id"], r["cause"]) for r in rows.iter_rows(named=True)}


def _pools(store: WorkspaceStore) -> dict[str, list[str]]:
    with store.unit_of_work() as uow:
        return pools_of(uow.roster.current())


def _equals_live_from_scratch(store: WorkspaceStore) -> None:
    """The stored live rows (territory and rep) are live(...) of today's inputs, computed whole."""
    with store.unit_of_work() as uow:
        active = uow.plans.active()
        assert active is not None
        plan, book, _ = stored_in(uow, active.plan_id)
        stored = uow.live.rows(PREVIOUS_COLUMNS)
        whole = live_now(uow, plan, book, stored, "x", DAY).rows
    key = ["account_id", "layer", "territory_id", "rep_id"]
    assert whole.select(key).sort(key).equals(stored.select(key).sort(key))


def test_a_leaving_reps_book_is_shared_out_by_the_pool_and_their_pins_end(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    _active(store, tmp_path)
    add_override(store, LATER, "A-1", None, "cy", "named account")  # an override to cy: ends
    add_hold(store, LATER, "A-6", date(2026, 4, 1))  # cy's hold: ends
    add_hold(store, LATER, "A-4", date(2026, 4, 1))  # bob's: stays
    assert _live(store)["A-1"][:2] == ("WEST", "cy")

    done = leave_rep(store, LATER, "cy")
    assert not done.scheduled and done.applied is not None
    assert done.applied.ended == ["hold on A-6 (primary)", "override on A-1 (primary)"]
    # Waiting, in account_id order, to the least loaded: A-1 (5000) to jane (0), A-6 (300) to bob.
    after = _live(store)
    assert after["A-1"] == ("WEST", "jane", "cy left; pool WEST shared it out")
    assert after["A-6"] == ("WEST", "bob", "cy left; pool WEST shared it out")
    assert after["A-4"] == ("WEST", "bob", "hold by tester until 2026-04-01")  # untouched
    assert done.applied.changed == 2 and done.applied.vacant == []
    assert _pools(store)["WEST"] == ["jane", "bob"]
    assert list_overrides(store) == [] and [h.account_id for h in list_holds(store)] == ["A-4"]
    ended = {o.end_cause for o in list_overrides(store, every=True)}
    assert ended == {"ended: cy left on 2026-03-05"}
    with store.unit_of_work() as uow:
        last = uow.changes.sets()[-1]
        moved = uow.changes.rows([last.change_set_id])
        history = uow.roster.history().filter(pl.col("rep_id") == "cy")
    assert (last.kind, last.summary, last.effective, last.changes) == (ChangeKind.ROSTER, "cy left", DAY, 2)
    assert moved.select("account_id", "from_rep_id", "to_rep_id").rows() == [
        ("A-1", "cy", "jane"),
        ("A-6", "cy", "bob"),
    ]
    assert history.select("valid_from", "valid_to").rows() == [(TODAY, DAY)]  # kept, ended
    _equals_live_from_scratch(store)


# EAST with a manager, SOUTH with no reps at all.
VACANCY_PLAN = PLAN.replace("    reps: [dee]\n", "    reps: [dee]\n    manager: jane\n").replace(
    "    reps: [ghost]\n", ""
)


def test_a_pool_left_empty_is_vacant_its_manager_then_the_vacant_owner_take_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = FakeWorkspace()
    _active(store, tmp_path, VACANCY_PLAN)
    assert _live(store)["A-3"][:2] == ("SOUTH", None)  # vacant, and nobody to take it

    done = leave_rep(store, LATER, "dee")
    assert done.applied is not None
    assert done.applied.vacant == ["EAST is vacant: its manager jane takes its accounts"]
    cause = "dee left; EAST is vacant: its manager jane took it"
    assert {a: _live(store)[a] for a in ("A-2", "A-5")} == {
        a: ("EAST", "jane", cause) for a in ("A-2", "A-5")
    }
    _equals_live_from_scratch(store)

    (tmp_path / "territorial.toml").write_text('vacant_owner = "ops-queue"\n')
    done = leave_rep(store, LATER, "jane")  # the manager leaves too: the vacant owner takes EAST
    cause = "jane left; EAST is vacant: the vacant owner ops-queue took it"
    after = _live(store)
    assert {a: after[a] for a in ("A-2", "A-5")} == {a: ("EAST", "ops-queue", cause) for a in ("A-2", "A-5")}
    assert after["A-1"] == ("WEST", "cy", "jane left; pool WEST shared it out")  # cy carries less than bob
    # The live function runs whole: SOUTH, vacant all along, now has the vacant owner too.
    assert after["A-3"] == ("SOUTH", "ops-queue", "SOUTH is vacant: the vacant owner ops-queue took it")
    _equals_live_from_scratch(store)
    monkeypatch.setenv("TERRITORIAL_VACANT_OWNER", "other-queue")
    with pytest.raises(AssertionError):
        _equals_live_from_scratch(store)  # the setting changed: from scratch, EAST is other-queue's


def test_a_move_with_the_book_keeps_the_reps_accounts_until_the_day_then_the_pool_shares_them(
    tmp_path: Path,
) -> None:
    store = FakeWorkspace()  # the holds it makes are the stored holds, pinned on every back end
    _active(store, tmp_path)
    done = move_rep(store, LATER, "bob", "EAST", with_book=date(2026, 3, 20))
    assert done.applied is not None and done.applied.held == 1
    after = _live(store)
    assert after["A-4"] == ("WEST", "bob", "bob moved to EAST; keeps the account until 2026-03-20")
    assert after["A-2"][:2] == after["A-5"][:2] == ("EAST", "dee")  # placed accounts keep their owner
    assert _pools(store) == {"WEST": ["jane", "cy"], "EAST": ["dee", "bob"]}
    [hold] = list_holds(store)
    assert (hold.account_id, hold.territory_id, hold.rep_id, hold.until) == (
        "A-4",
        "WEST",
        "bob",
        date(2026, 3, 20),
    )
    _equals_live_from_scratch(store)

    tick(store, LATER, date(2026, 3, 20))
    assert _live(store)["A-4"] == ("WEST", "cy", "hold expired")  # cy (300) carries less than jane


def test_a_scheduled_join_waits_for_the_tick_of_its_day_and_a_cancelled_one_never_comes(
    tmp_path: Path,
) -> None:
    store = FakeWorkspace()  # the repositories' part (pending, due by a day) is pinned on every back end
    _active(store, tmp_path)
    later = date(2026, 4, 1)
    done = add_rep(store, LATER, "jane", "SOUTH", effective=later)
    cancelled = leave_rep(store, LATER, "dee", effective=later)
    assert done.scheduled and done.change.status is RosterChangeStatus.SCHEDULED
    assert [c.change_id for c in roster_view(store).changes] == [
        done.change.change_id,
        cancelled.change.change_id,
    ]
    cancel_change(store, LATER, cancelled.change.change_id)
    assert _live(store)["A-3"][:2] == ("SOUTH", None) and "SOUTH" not in _pools(store)

    assert tick(store, LATER, date(2026, 3, 31)).roster == []
    ticked = tick(store, LATER, later)
    assert [a.change.change_id for a in ticked.roster] == [done.change.change_id]
    assert _live(store)["A-3"] == ("SOUTH", "jane", "jane joined SOUTH")
    assert _live(store)["A-2"][:2] == ("EAST", "dee")  # the cancelled leave never came
    view = roster_view(store, history=True)
    assert [(c.kind.value, c.status.value, c.note) for c in view.changes] == [
        ("join", "applied", None),
        ("leave", "cancelled", "cancelled by tester"),
    ]
    assert view.rows.filter(pl.col("territory_id") == "SOUTH").select("rep_id", "valid_from").rows() == [
        ("jane", later)
    ]
    with pytest.raises(BadInput, match="CHANGE_ID: roster change 1 is applied"):
        cancel_change(store, LATER, done.change.change_id)
    _equals_live_from_scratch(store)


def test_a_roster_change_the_workspace_does_not_allow_is_bad_input(tmp_path: Path) -> None:
    store = FakeWorkspace()
    _active(store, tmp_path)
    before = _live(store)
    refused: list[tuple[Callable[[], object], str]] = [
        (lambda: add_rep(store, LATER, "jane", "NOWHERE"), "--territory: the active plan 1 has no territory"),
        (lambda: add_rep(store, LATER, "jane", "WEST"), "--territory: jane is in WEST's pool already"),
        (lambda: add_rep(store, LATER, "ghost", "WEST"), "REP_ID: ghost is an inactive rep"),
        (lambda: add_rep(store, LATER, "zed", "WEST"), "REP_ID: zed is no rep of the workspace"),
        (lambda: leave_rep(store, LATER, "ghost"), "REP_ID: ghost is in no territory's pool"),
        (lambda: move_rep(store, LATER, "dee", "EAST"), "--to: dee is in EAST's pool already"),
        (lambda: move_rep(store, LATER, "bob", "EAST", DAY), "--with-book: 2026-03-05 is not after"),
        (lambda: leave_rep(store, LATER, "bob", TODAY), "--effective: 2026-03-02 is past"),
    ]
    for ask, message in refused:
        with pytest.raises(BadInput, match=message):
            ask()
    assert _live(store) == before and roster_view(store, history=True).changes == []


def test_no_roster_change_without_an_active_plan() -> None:
    with pytest.raises(BadInput, match="REP_ID: no plan is active"):
        leave_rep(FakeWorkspace(), LATER, "bob")


def test_a_reps_import_that_sets_a_rep_inactive_is_a_leave_and_never_undoes_one(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    _active(store, tmp_path)
    off = tmp_path / "reps_off.csv"
    off.write_text(REPS.replace("cy,Cy,cy@x.com,true", "cy,Cy,cy@x.com,false"))
    report = import_records(store, LATER, Entity.REPS, off)
    assert [a.change.rep_id for a in report.left] == ["cy"]
    assert _live(store)["A-6"] == ("WEST", "bob", "cy left; pool WEST shared it out")
    assert _pools(store)["WEST"] == ["jane", "bob"]

    on = tmp_path / "reps_on.csv"
    on.write_text(REPS)
    assert import_records(store, LATER, Entity.REPS, on).left == []
    assert _pools(store)["WEST"] == ["jane", "bob"]  # cy active again, still out of the roster
    deactivate(store, LATER, Entity.REPS, ["dee"])  # a deactivation is an import too
    assert _live(store)["A-5"] == ("EAST", None, "dee left; EAST is vacant")
    _equals_live_from_scratch(store)


def test_a_manager_set_inactive_no_longer_covers_their_vacant_territory(tmp_path: Path) -> None:
    store = FakeWorkspace()
    _active(
        store,
        tmp_path,
        VACANCY_PLAN.replace("manager: jane", "manager: max"),
        REPS + "max,Max,m@x.com,true,1,\n",
    )
    leave_rep(store, LATER, "dee")
    assert _live(store)["A-5"] == ("EAST", "max", "dee left; EAST is vacant: its manager max took it")
    deactivate(store, LATER, Entity.REPS, ["max"])  # in no pool, so no leave: the rows max covers
    assert _live(store)["A-5"] == ("EAST", None, "max set inactive")
    _equals_live_from_scratch(store)


def test_a_clone_of_the_active_plan_carries_the_roster_in_its_reps(tmp_path: Path) -> None:
    store = FakeWorkspace()
    original = _active(store, tmp_path)
    leave_rep(store, LATER, "cy")
    add_rep(store, LATER, "jane", "SOUTH")
    clone = clone_plan(store, LATER, original)
    with store.unit_of_work() as uow:
        source = uow.plans.get(clone)
    assert source is not None
    plan = parse_plan(source.source)
    assert {t.id: list(t.reps) for t in plan.territories} == {
        "WEST": ["jane", "bob"],
        "EAST": ["dee"],
        "SOUTH": ["jane"],
    }
    assert "rule: region = 'West'" in source.source  # the rest as written


def test_a_tick_applies_the_days_activation_first_and_cancels_a_change_its_plan_no_longer_allows(
    tmp_path: Path,
) -> None:
    store = FakeWorkspace()
    _active(store, tmp_path)
    (tmp_path / "next.yaml").write_text(VACANCY_PLAN.replace("  - id: SOUTH\n    rule: state = 'TX'\n", ""))
    next_plan = add_plan(store, CTX, tmp_path / "next.yaml")
    day = date(2026, 4, 1)
    joins = add_rep(store, LATER, "jane", "SOUTH", effective=day)
    moves = move_rep(store, LATER, "cy", "EAST", effective=day)
    activate_plan(store, LATER, next_plan, effective=day)
    ticked = tick(store, LATER, day)
    assert [a.plan_id for a in ticked.activations] == [next_plan]
    cancelled, applied = ticked.roster
    assert cancelled.change.change_id == joins.change.change_id
    assert cancelled.cancelled == (
        "not applied on 2026-04-01: the active plan 2 has no territory 'SOUTH' (it has WEST, EAST)"
    )
    assert applied.change.change_id == moves.change.change_id and applied.cancelled is None
    assert _pools(store) == {"WEST": ["jane", "bob"], "EAST": ["dee", "cy"]}
    assert [c.status for c in roster_view(store, history=True).changes] == [
        RosterChangeStatus.CANCELLED,
        RosterChangeStatus.APPLIED,
    ]
    _equals_live_from_scratch(store)
