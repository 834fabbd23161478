"""Overrides and holds (services.overrides, services.pins): each one put on or taken off changes the
live rows at once with its cause; expiry at tick; activation with overrides naming what it lacks."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from workspace_books import write_book

from conftest import CTX
from fake_workspace import FakeWorkspace
from territorial.domain.entities import Entity
from territorial.engine.live import PREVIOUS_COLUMNS, live
from territorial.errors import BadInput
from territorial.services.activation import activate_plan, tick
from territorial.services.assign import AccountRef, account_workload, stored_in
from territorial.services.compare import compare_plans
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.live_explain import explain_live
from territorial.services.overrides import (
    add_hold,
    add_override,
    list_holds,
    list_overrides,
    remove_hold,
    remove_override,
)
from territorial.services.pins import pins_in_force, pools_of
from territorial.services.plans import add_plan
from territorial.services.unit_of_work import WorkspaceStore

TODAY = CTX.now().date()  # 2026-03-02
LATER = Context.admin("tester", datetime(2026, 3, 5, 9, 0))
# The book's plan without SOUTH, and without cy.
PLAN_C = """\
name: Plan C
workload: employees
territories:
  - id: WEST
    rule: region = 'West'
    reps: [jane, bob]
  - id: EAST
    rule: state IN ('NY', 'MA', 'TX')
    reps: [dee]
"""


def _active(store: WorkspaceStore, folder: Path) -> int:
    paths = write_book(folder)
    import_records(store, CTX, Entity.REPS, paths["reps"])
    import_records(store, CTX, Entity.ACCOUNTS, paths["accounts"])
    (folder / "c.yaml").write_text(PLAN_C)
    plan_a, plan_c = add_plan(store, CTX, paths["plan"]), add_plan(store, CTX, folder / "c.yaml")
    activate_plan(store, CTX, plan_a)
    return plan_c


def _live(store: WorkspaceStore) -> dict[str, tuple[str | None, str | None, str, date]]:
    with store.unit_of_work() as uow:
        rows = uow.live.rows()
    return {
        r["account_id"]: (r["territory_id"], r["rep_id"], r["cause"], r["since"])
        for r in rows.iter_rows(named=True)
    }


def test_overrides_and_holds_change_the_live_rows_at_once_with_their_cause(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    _active(store, tmp_path)
    before = _live(store)
    # A-3 (TX) is in SOUTH, vacant. Pinned to WEST, whose pool picks: cy carries the least (300).
    done = add_override(store, LATER, "A-3", "WEST", None, "strategic account")
    assert done.changed == 1
    after = _live(store)
    assert after["A-3"] == ("WEST", "cy", "override by a planner: strategic account", date(2026, 3, 5))
    assert {a: row for a, row in after.items() if a != "A-3"} == {
        a: row for a, row in before.items() if a != "A-3"
    }
    [listed] = list_overrides(store)
    assert (listed.account_id, listed.territory_id, listed.rep_id, listed.actor) == (
        "A-3",
        "WEST",
        None,
        "tester",
    )

    with pytest.raises(BadInput, match="A-3 is overridden in primary: an override beats a hold"):
        add_hold(store, LATER, "A-3", date(2026, 4, 1))
    remove_override(store, LATER, "A-3")
    # Back in vacant SOUTH: no rep, whatever owned it.
    assert _live(store)["A-3"] == ("SOUTH", None, "override removed", date(2026, 3, 5))
    assert (
        list_overrides(store) == [] and list_overrides(store, every=True)[0].end_cause == "override removed"
    )

    # A hold keeps territory and rep: the cause says so, since stays.
    add_hold(store, LATER, "A-4", date(2026, 4, 1))
    assert _live(store)["A-4"] == ("WEST", "bob", "hold by tester until 2026-04-01", TODAY)
    # An override to a rep keeps the rules' territory, and beats the hold.
    add_override(store, LATER, "A-4", None, "jane", "named account")
    assert _live(store)["A-4"][:3] == ("WEST", "jane", "override by a planner: named account")
    remove_override(store, LATER, "A-4")
    assert _live(store)["A-4"][:2] == ("WEST", "bob")  # the hold is in force again
    remove_hold(store, LATER, "A-4")
    assert _live(store)["A-4"][:3] == ("WEST", "bob", "hold removed")
    assert list_holds(store) == []
    add_override(store, LATER, "A-2", "WEST", None, "moved west")
    add_hold(store, LATER, "A-6", date(2026, 4, 1))
    _equals_live_from_scratch(store)


def _equals_live_from_scratch(store: WorkspaceStore) -> None:
    """The stored live rows (territory and rep) are live(...) of today's inputs, computed whole."""
    with store.unit_of_work() as uow:
        active = uow.plans.active()
        assert active is not None
        plan, book, _ = stored_in(uow, active.plan_id)
        holds, overrides = pins_in_force(uow)
        workload, _nulls = account_workload(plan, book)
        stored = uow.live.rows(PREVIOUS_COLUMNS)
        pools = pools_of(uow.roster.current())
    whole = live(book, plan, pools, holds, overrides, stored, workload=workload, cause="x", since=TODAY).rows
    key = ["account_id", "layer", "territory_id", "rep_id"]
    assert whole.select(key).sort(key).equals(stored.select(key).sort(key))
    assert overrides and holds  # there was something to apply


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("A-1", None, None, "x"), "--territory: an override names a territory, a rep or both"),
        (("A-1", "WEST", None, " "), "--reason: say why"),
        (("A-1", "NOWHERE", None, "x"), "--territory: the active plan 1 has no primary territory 'NOWHERE'"),
        (("A-1", None, "ghost", "x"), "--rep: rep 'ghost' is not in the active plan 1's roster"),
        (("A-9", "WEST", None, "x"), "ACCOUNT_ID: account A-9 has no live row"),
    ],
)
def test_an_override_naming_what_the_active_plan_lacks_is_bad_input(
    tmp_path: Path, args: tuple[str, str | None, str | None, str], message: str
) -> None:
    store = FakeWorkspace()
    _active(store, tmp_path)
    with pytest.raises(BadInput, match=message.replace("(", r"\(")):
        add_override(store, LATER, *args)


def test_bad_holds_layers_and_days_are_refused(tmp_path: Path) -> None:
    store = FakeWorkspace()
    _active(store, tmp_path)
    with pytest.raises(BadInput, match="--until: a hold needs the day it ends"):
        add_hold(store, LATER, "A-1", None)
    with pytest.raises(BadInput, match="--until: 2026-03-05 is not after today"):
        add_hold(store, LATER, "A-1", date(2026, 3, 5))
    with pytest.raises(BadInput, match="ACCOUNT_ID: account A-3 has no rep in primary"):
        add_hold(store, LATER, "A-3", date(2026, 4, 1))  # vacant SOUTH
    with pytest.raises(BadInput, match="--layer: plan 1 has no layer 'security'"):
        add_override(store, LATER, "A-1", "WEST", None, "x", layer="security")
    add_hold(store, LATER, "A-1", date(2026, 4, 1))
    with pytest.raises(BadInput, match="A-1 is held in primary already"):
        add_hold(store, LATER, "A-1", date(2026, 4, 2))
    with pytest.raises(BadInput, match="A-2 has no hold in primary"):
        remove_hold(store, LATER, "A-2")


def test_an_expired_override_or_hold_stays_until_the_next_tick_ends_it(tmp_path: Path) -> None:
    store = FakeWorkspace()
    _active(store, tmp_path)
    add_override(store, LATER, "A-3", "EAST", None, "trade show", until=date(2026, 3, 10))
    add_hold(store, LATER, "A-4", date(2026, 3, 12))
    assert _live(store)["A-3"][:2] == ("EAST", "dee")
    on_11th = Context.admin("tester", datetime(2026, 3, 11, 9, 0))
    shown = explain_live(store, on_11th, AccountRef("A-3")).explanation.live
    step = "  3. override: territory EAST, the pool picks the rep (trade show), by tester until 2026-03-10"
    assert f"{step}; expired; ends at next tick" in shown
    assert "  1. rules: SOUTH" in shown and "  2. hold: none" in shown
    assert _live(store)["A-3"][:2] == ("EAST", "dee")  # expired, still in force

    ticked = tick(store, on_11th, date(2026, 3, 11))
    assert [(e.kind, e.account_id, e.cause) for e in ticked.ended] == [
        ("override", "A-3", "override expired")
    ]
    assert _live(store)["A-3"] == ("SOUTH", None, "override expired", date(2026, 3, 10))
    assert [h.account_id for h in list_holds(store)] == ["A-4"]
    ticked = tick(store, on_11th, date(2026, 3, 20))
    assert [(e.kind, e.cause) for e in ticked.ended] == [("hold", "hold expired")]
    assert _live(store)["A-4"][:3] == ("WEST", "bob", "hold expired")
    # Each tick's change set says what expired, as the feed and the digests quote it.
    with store.unit_of_work() as uow:
        summaries = [s.summary for s in uow.changes.sets()][-2:]
    assert summaries == ["1 override expired on 2026-03-10", "1 hold expired on 2026-03-12"]


def test_activation_refuses_overrides_naming_what_the_plan_lacks_unless_told_to_end_them(
    tmp_path: Path,
) -> None:
    store = FakeWorkspace()
    plan_c = _active(store, tmp_path)
    add_override(store, LATER, "A-2", "SOUTH", None, "expansion")
    add_override(store, LATER, "A-5", "EAST", None, "stays east")  # plan C has EAST: carried over
    add_hold(store, LATER, "A-6", date(2026, 4, 1))  # cy's: plan C lacks cy
    later = Context.admin("tester", datetime(2026, 3, 6, 9, 0))
    with pytest.raises(
        BadInput, match=r"PLAN_ID: overrides name what plan 2 lacks: A-2 \(primary\): territory SOUTH"
    ):
        activate_plan(store, later, plan_c)
    with pytest.raises(BadInput, match="--end-stale-overrides"):
        activate_plan(store, later, plan_c, date(2026, 3, 20))  # scheduling checks too
    compared = compare_plans(store, later, 1, plan_c)  # the preview leaves the stale override out
    assert compared.movers.height > 0
    activate_plan(store, later, plan_c, end_stale_overrides=True)
    ended = {o.account_id: o.end_cause for o in list_overrides(store, every=True) if o.end_cause}
    assert ended == {"A-2": "ended by plan 2's activation: it lacks territory SOUTH"}
    assert [h.end_cause for h in list_holds(store, every=True)] == [
        "ended by plan 2's activation: it lacks rep cy"
    ]
    live = _live(store)
    assert live["A-2"][:2] == ("EAST", "dee") and live["A-5"][:2] == ("EAST", "dee")
    assert live["A-6"][1] in {"jane", "bob"}
