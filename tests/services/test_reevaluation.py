"""Imports while a plan is active (services.reevaluation): the changed accounts re-evaluated in the
import's transaction with their causes, equal to live() run on the whole workspace."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from live_oracle import placed, places_from_scratch, replayed, stored_places
from workspace_books import ACCOUNTS, PLAN, write_book

from conftest import CTX, examples
from fake_workspace import FakeWorkspace
from territorial.domain.entities import Entity
from territorial.domain.lifecycle import ChangeKind
from territorial.engine.live import PREVIOUS_COLUMNS
from territorial.services.activation import activate_plan
from territorial.services.imports import import_records
from territorial.services.plans import add_plan
from territorial.services.reevaluation import OwnerDrift, owner_drift
from territorial.services.undo import deactivate, undo_import
from territorial.services.unit_of_work import WorkspaceStore

HEADER = ACCOUNTS.splitlines()[0]


def _active(store: WorkspaceStore, folder: Path, weighted: bool = True) -> None:
    paths = write_book(folder)
    if not weighted:  # a pool rep's load is then a count of accounts, which the database makes
        paths["plan"].write_text(PLAN.replace("workload: employees\n", ""), encoding="utf-8")
    import_records(store, CTX, Entity.REPS, paths["reps"])
    import_records(store, CTX, Entity.ACCOUNTS, paths["accounts"])
    activate_plan(store, CTX, add_plan(store, CTX, paths["plan"]))


def _rows(store: WorkspaceStore) -> dict[str, tuple[str | None, str | None, str]]:
    with store.unit_of_work() as uow:
        rows = uow.live.rows(["account_id", "territory_id", "rep_id", "cause"])
    return {a: (t, r, c) for a, t, r, c in rows.iter_rows()}


def _import(store: WorkspaceStore, folder: Path, text: str) -> object:
    path = folder / "changed.csv"
    path.write_text(text)
    return import_records(store, CTX, Entity.ACCOUNTS, path)


def test_an_import_moves_only_the_accounts_it_changed_with_their_causes(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    _active(store, tmp_path)
    before = _rows(store)
    # A-1's CRM owner becomes bob (WEST's pool: a manual move); A-2 moves to the West (tied with EAST,
    # WEST first); A-4's workload grows (moves nobody); A-5's CRM owner becomes jane, outside EAST's
    # pool (drift); A-7 is new. WEST's loads: bob 5000+9000, cy 300, jane 0 once A-1 left her.
    text = (
        ACCOUNTS.replace("CA,94105,US,jane", "CA,94105,US,bob")
        .replace("10001,USA,,East", "10001,USA,,West")
        .replace("1200,WA", "9000,WA")
        .replace("02110,US,dee", "02110,US,jane")
        + "A-7,Newco,newco.com,Retail,100,CA,94105,US,,West\n"
    )
    report = _import(store, tmp_path, text)
    after = _rows(store)
    assert after["A-1"] == ("WEST", "bob", "owner changed in CRM to bob")
    # A-2 waits in WEST and goes to the least loaded, jane (0); then A-7 to cy (300 against 800).
    assert after["A-2"] == ("WEST", "jane", "region changed East → West; now matches WEST")
    assert after["A-7"] == ("WEST", "cy", "new account")
    untouched = ("A-3", "A-4", "A-5", "A-6")
    assert {a: after[a] for a in untouched} == {a: before[a] for a in untouched}
    assert report.live is not None and report.live.changed == 3  # type: ignore[attr-defined]
    drift = (OwnerDrift("A-5", "jane", "dee", "EAST"),)
    assert report.live.drift == drift  # type: ignore[attr-defined]
    with store.unit_of_work() as uow:
        assert owner_drift(uow)[-1] == drift[0]
        sets = uow.changes.sets()
    assert (sets[-1].kind, sets[-1].changes) == (ChangeKind.IMPORT, 3)
    assert stored_places(store) == places_from_scratch(store)

    gone = deactivate(store, CTX, Entity.ACCOUNTS, ["A-6"])
    assert "A-6" not in _rows(store) and gone.live is not None and gone.live.changed == 1
    back = undo_import(store, CTX, gone.import_id)
    assert _rows(store)["A-6"] == ("WEST", "cy", "account reactivated")  # its CRM owner, in the pool
    assert back.live is not None and back.live.changed == 1
    with store.unit_of_work() as uow:
        causes = uow.changes.rows().filter(pl.col("account_id") == "A-6").get_column("cause").to_list()
    assert causes[-2:] == ["account deactivated", "account reactivated"]
    assert stored_places(store) == places_from_scratch(store)
    assert replayed(store) == placed(stored_places(store))


def test_a_live_row_left_waiting_in_a_pool_is_placed_with_the_changed_accounts(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    """A-6's live rep is made dee, outside WEST's pool (a live row that fell behind): it waits
    there, so when A-2 enters WEST both are shared out in account_id order, as a whole run would:
    A-2 (800) to cy (0), then A-6 (300) to cy (800, against bob's 1200 and jane's 5000)."""
    _active(store, tmp_path)
    with store.unit_of_work(write=True, lock="activation") as uow:
        rows = uow.live.rows().filter(pl.col("account_id") == "A-6")
        uow.live.put(["A-6"], rows.with_columns(pl.lit("dee").alias("rep_id")))
    with store.unit_of_work() as uow:
        before = uow.live.rows(PREVIOUS_COLUMNS)
    report = _import(store, tmp_path, ACCOUNTS.replace("10001,USA,,East", "10001,USA,,West"))
    after = _rows(store)
    assert (after["A-2"][:2], after["A-6"][:2]) == (("WEST", "cy"), ("WEST", "cy"))
    assert report.live is not None and report.live.accounts == 2  # type: ignore[attr-defined]
    assert stored_places(store) == places_from_scratch(store, before)


def test_an_import_with_no_active_plan_changes_nothing_live(tmp_path: Path) -> None:
    store = FakeWorkspace()
    paths = write_book(tmp_path)
    report = import_records(store, CTX, Entity.ACCOUNTS, paths["accounts"])
    assert report.live is None
    with store.unit_of_work() as uow:
        assert uow.changes.sets() == [] and owner_drift(uow) == ()


REGIONS = st.sampled_from(["West", "East", "South", ""])
STATES = st.sampled_from(["CA", "NY", "TX", "MA", "WA"])
ACCOUNT = st.tuples(REGIONS, STATES, st.integers(0, 3000))


@settings(max_examples=examples(5, 100))
@given(
    changes=st.dictionaries(st.sampled_from([f"A-{n}" for n in range(1, 11)]), ACCOUNT, max_size=8),
    dropped=st.sets(st.sampled_from([f"A-{n}" for n in range(1, 7)]), max_size=2),
    weighted=st.booleans(),
)
def test_an_incremental_re_evaluation_equals_live_run_on_the_whole_workspace(
    changes: dict[str, tuple[str, str, int]], dropped: set[str], weighted: bool
) -> None:
    """Random field changes, new accounts and (full sync) accounts dropped: the live rows the import
    leaves are live(...) of the whole workspace with the owners the live rows had before it. Only
    the changed accounts are evaluated, each pool's other accounts counted by the load they hold
    (a count, or the sum of a workload field)."""
    store = FakeWorkspace()
    with tempfile.TemporaryDirectory() as folder:
        _active(store, Path(folder), weighted)
        with store.unit_of_work() as uow:
            before = uow.live.rows(PREVIOUS_COLUMNS)
        lines = {line.split(",")[0]: line for line in ACCOUNTS.splitlines()[1:]}
        for account, (region, state, employees) in changes.items():
            lines[account] = f"{account},{account} Inc,,Retail,{employees},{state},,US,,{region}"
        text = "\n".join([HEADER, *(line for a, line in sorted(lines.items()) if a not in dropped)]) + "\n"
        path = Path(folder) / "sync.csv"
        path.write_text(text)
        import_records(store, CTX, Entity.ACCOUNTS, path, full_sync=True)
    assert stored_places(store) == places_from_scratch(store, before)
    assert stored_places(store) == places_from_scratch(store)
    assert replayed(store) == placed(stored_places(store))
