"""Undoing an import and deactivating records: nothing deleted, the undo kept as an import, and a
value a later import changed left as it is."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import CTX
from fake_workspace import FakeWorkspace
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.imports import import_records
from territorial.services.undo import deactivate, undo_import

TYPES = {"account_id": pl.String(), "employees": pl.Float64(), "active": pl.Boolean()}


def _imported(workspace: FakeWorkspace, folder: Path, name: str, text: str) -> int:
    (folder / name).write_text(text)
    return import_records(workspace, CTX, Entity.ACCOUNTS, folder / name).import_id


def _book(workspace: FakeWorkspace) -> list[tuple[object, ...]]:
    with workspace.unit_of_work() as uow:
        return uow.records.read(Entity.ACCOUNTS, TYPES).sort("account_id").rows()


def test_undo_sets_back_what_the_import_did_but_not_what_came_later(tmp_path: Path) -> None:
    workspace = FakeWorkspace()
    _imported(workspace, tmp_path, "a1.csv", "account_id,name,employees\nA1,a,5\nA2,b,10\n")
    second = _imported(workspace, tmp_path, "a2.csv", "account_id,name,employees\nA1,a,50\nA2,b,20\nA3,c,1\n")
    _imported(workspace, tmp_path, "a3.csv", "account_id,name,employees\nA2,b,30\n")
    done = undo_import(workspace, CTX, second)
    assert _book(workspace) == [("A1", 5.0, True), ("A2", 30.0, True), ("A3", 1.0, False)]
    assert (done.deactivated, done.restored, done.kept) == (1, 1, 1)
    with workspace.unit_of_work() as uow:  # the undo is an import of its own, in the history
        assert uow.imports.entity_of(done.import_id) is Entity.ACCOUNTS
        history = uow.records.history_since(done.import_id)
    assert history.select("record_id", "field", "old_value", "new_value").sort("record_id").rows() == [
        ("A1", "employees", "50", "5"),
        ("A3", "active", "true", "false"),
    ]


def test_undo_of_a_full_sync_makes_its_deactivated_records_active_again(tmp_path: Path) -> None:
    workspace = FakeWorkspace()
    _imported(workspace, tmp_path, "a1.csv", "account_id,name\nA1,a\nA2,b\n")
    (tmp_path / "a2.csv").write_text("account_id,name\nA1,a\n")
    synced = import_records(workspace, CTX, Entity.ACCOUNTS, tmp_path / "a2.csv", full_sync=True)
    assert [row[2] for row in _book(workspace)] == [True, False]
    undo_import(workspace, CTX, synced.import_id)
    assert [row[2] for row in _book(workspace)] == [True, True]


def test_deactivate_names_unknown_ids_and_changes_nothing_then(tmp_path: Path) -> None:
    workspace = FakeWorkspace()
    _imported(workspace, tmp_path, "a1.csv", "account_id,name\nA1,a\nA2,b\n")
    with pytest.raises(BadInput, match="no accounts with these ids in the workspace: A9"):
        deactivate(workspace, CTX, Entity.ACCOUNTS, ["A1", "A9"])
    assert [row[2] for row in _book(workspace)] == [True, True]
    done = deactivate(workspace, CTX, Entity.ACCOUNTS, ["A1", "A1"])
    assert done.deactivated == 1
    assert done.already_inactive == ()
    assert [row[2] for row in _book(workspace)] == [False, True]


def test_deactivate_names_the_records_that_were_inactive_already(tmp_path: Path) -> None:
    workspace = FakeWorkspace()
    _imported(workspace, tmp_path, "a1.csv", "account_id,name\nA1,a\nA2,b\nA3,c\n")
    deactivate(workspace, CTX, Entity.ACCOUNTS, ["A1", "A2"])
    done = deactivate(workspace, CTX, Entity.ACCOUNTS, ["A2", "A3", "A1"])
    assert (done.deactivated, done.already_inactive) == (1, ("A2", "A1"))


def test_undoing_a_later_import_after_an_earlier_one_leaves_the_earlier_ones_values(tmp_path: Path) -> None:
    # As the README says: undo 2, then 3; 3 is set back to what 2 wrote, not to what 1 wrote.
    workspace = FakeWorkspace()
    _imported(workspace, tmp_path, "a1.csv", "account_id,name,employees\nA1,a,5\n")
    second = _imported(workspace, tmp_path, "a2.csv", "account_id,name,employees\nA1,a,20\n")
    third = _imported(workspace, tmp_path, "a3.csv", "account_id,name,employees\nA1,a,30\n")
    assert undo_import(workspace, CTX, second).kept == 1
    assert _book(workspace) == [("A1", 30.0, True)]
    undo_import(workspace, CTX, third)
    assert _book(workspace) == [("A1", 20.0, True)]


def test_an_unknown_import_cannot_be_undone() -> None:
    with pytest.raises(BadInput, match="no finished import 7"):
        undo_import(FakeWorkspace(), CTX, 7)


def test_an_import_is_undone_once(tmp_path: Path) -> None:
    # Found by a new-user pass: a second undo said "124 kept as a later import changed them".
    workspace = FakeWorkspace()
    first = _imported(workspace, tmp_path, "a1.csv", "account_id,name\nA1,a\n")
    done = undo_import(workspace, CTX, first)
    with pytest.raises(BadInput, match=f"import {first} was undone already, by import {done.import_id}"):
        undo_import(workspace, CTX, first)


def test_records_it_created_that_a_later_import_changed_are_named_as_left_active(tmp_path: Path) -> None:
    # Found by a new-user pass: they were counted among the kept values, so "2 kept" read as values
    # while two records of the undone import stayed active.
    workspace = FakeWorkspace()
    second = _imported(workspace, tmp_path, "a1.csv", "account_id,name,employees\nA1,a,5\nA2,b,10\nA3,c,1\n")
    _imported(workspace, tmp_path, "a2.csv", "account_id,name,employees\nA2,b,20\nA3,c,2\n")
    done = undo_import(workspace, CTX, second)
    assert (done.deactivated, done.kept, done.left_active) == (1, 0, ("A2", "A3"))
    assert [row[2] for row in _book(workspace)] == [False, True, True]
