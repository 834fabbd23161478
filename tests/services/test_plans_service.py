"""Plans (services.plans): how a `--plan` value is read, one way for every command; resolving it;
storing and listing plans, on the fake and on both databases."""

from __future__ import annotations

import pickle
from datetime import datetime
from pathlib import Path

import pytest
from workspace_books import PLAN, write_book

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.io.plan_file import parse_plan
from territorial.services.activation import activate_plan
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.plans import (
    add_plan,
    list_plans,
    parsed_key,
    plan_reference,
    resolve_plan,
    stored_plan,
)
from territorial.services.unit_of_work import WorkspaceStore


def test_digits_are_an_id_and_anything_else_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert plan_reference("12") == 12
    assert plan_reference(" 12 ") == 12
    assert plan_reference(" plans/2027.yaml ") == Path("plans/2027.yaml")
    assert plan_reference("./2027") == Path("2027")
    assert plan_reference("²") == Path("²")  # a digit to Python, not an id
    assert plan_reference("9" * 300) == int("9" * 300)  # too long to be a file name; no OS error


def test_a_file_named_like_an_id_is_ambiguous_but_a_folder_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "2026").mkdir()
    assert plan_reference("2026") == 2026
    (tmp_path / "2027").write_text("name: P\n")
    with pytest.raises(BadInput, match=r"--plan.*'2027' is both a stored plan's id and a file here"):
        plan_reference("2027")


def test_a_reference_resolves_to_the_plan_its_id_and_its_folder(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    (tmp_path / "plans").mkdir()
    path = tmp_path / "plans" / "fy27.yaml"
    path.write_text("name: FY27\nterritories:\n  - id: ALL\n")
    from_file = resolve_plan(None, str(path))
    assert (from_file.plan.name, from_file.plan_id, from_file.folder) == ("FY27", None, path.parent)
    plan_id = add_plan(store, CTX, path)
    stored = resolve_plan(store, str(plan_id))
    assert (stored.plan.name, stored.plan_id, stored.folder) == ("FY27", plan_id, Path.cwd())
    with pytest.raises(BadInput, match="it needs the workspace"):
        resolve_plan(None, str(plan_id))
    with pytest.raises(BadInput, match=f"no plan with id {plan_id + 1}"):
        resolve_plan(store, plan_id + 1)


def test_a_stored_plan_keeps_who_stored_it_and_when(store: WorkspaceStore, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("name: P\nterritories:\n  - id: ALL\n")
    plan_id = add_plan(store, Context.admin("alice", datetime(2027, 1, 4, 8, 30)), tmp_path / "p.yaml")
    with store.unit_of_work() as uow:
        stored = uow.plans.get(plan_id)
    assert stored is not None and (stored.actor, stored.created_at) == ("alice", datetime(2027, 1, 4, 8, 30))
    assert list_plans(store).get_column("created_at").to_list() == [datetime(2027, 1, 4, 8, 30)]


def test_a_stored_plan_is_kept_parsed_and_a_stale_one_is_parsed_again(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    paths = write_book(tmp_path)
    import_records(store, CTX, Entity.ACCOUNTS, paths["accounts"])
    plan_id = add_plan(store, CTX, paths["plan"])
    parsed = parse_plan(PLAN, f"plan {plan_id} (plan.yaml)")  # as read from the workspace
    with store.unit_of_work() as uow:
        stored = uow.plans.get(plan_id)
        assert stored is not None
        kept = uow.plans.parsed(plan_id, parsed_key(stored))
        assert kept is not None and pickle.loads(kept) == parsed
        assert stored_plan(uow, plan_id) == parsed
    with store.unit_of_work(write=True, lock="plans") as uow:  # kept by other code: not read
        uow.plans.keep_parsed(plan_id, "0" * 64, pickle.dumps("not a plan"))
    with store.unit_of_work() as uow:
        assert stored_plan(uow, plan_id) == parsed
    activate_plan(store, CTX, plan_id)  # keeps it again, under its key
    with store.unit_of_work() as uow:
        kept = uow.plans.parsed(plan_id, parsed_key(stored))
        assert kept is not None and pickle.loads(kept) == parsed
