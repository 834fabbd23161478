"""The audit trail (services.audit): an entry chained for every change set and plan edit, read by
account, rep and plan; verification names an entry edited, inserted or deleted straight in the
table, and a change set's rows edited, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from workspace_books import write_book

from conftest import CTX, fresh_database
from fake_workspace import FakeWorkspace
from territorial.domain.audit import GENESIS, chained
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.activation import activate_plan, tick, unschedule_plan
from territorial.services.audit import audit_rows, verify_chain
from territorial.services.context import Context
from territorial.services.imports import import_records
from territorial.services.overrides import add_override
from territorial.services.plan_states import clone_plan, delete_plan, update_plan
from territorial.services.plans import add_plan
from territorial.services.unit_of_work import WorkspaceStore
from territorial.store.workspace import Workspace, init_workspace

ANN = Context.admin("ann", datetime(2026, 3, 3, 10, 0))


def _lifecycle(store: WorkspaceStore, folder: Path) -> tuple[int, int]:
    """Plan edits and change sets of each kind: 10 entries."""
    paths = write_book(folder)
    import_records(store, CTX, Entity.REPS, paths["reps"])
    import_records(store, CTX, Entity.ACCOUNTS, paths["accounts"])
    first = add_plan(store, CTX, paths["plan"])  # 1
    activate_plan(store, CTX, first)  # 2
    add_override(store, ANN, "A-3", "WEST", None, "strategic account", until=date(2026, 3, 9))  # 3
    second = clone_plan(store, ANN, first)  # 4
    update_plan(store, ANN, second, paths["plan"])  # 5
    activate_plan(store, ANN, second, date(2026, 3, 20))  # 6
    unschedule_plan(store, ANN, second)  # 7
    tick(store, ANN, date(2026, 3, 10))  # 8: the override expires
    third = clone_plan(store, ANN, first)  # 9
    delete_plan(store, ANN, third)  # 10
    return first, second


@pytest.fixture(scope="module", params=["fake", "sqlite", "postgresql"])
def lived(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[WorkspaceStore, int, int]]:
    """A workspace through `_lifecycle`, made once per back end for this module's tests (the tests
    that edit its tables put them back)."""
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "fake":
        fake = FakeWorkspace()
        yield fake, *_lifecycle(fake, folder)
        return
    with fresh_database(request.param, folder) as url:
        created = init_workspace(url)
        yield created, *_lifecycle(created, folder)
        created.engine.dispose()


def _entries(store: WorkspaceStore) -> list[dict[str, str | None]]:
    with store.unit_of_work() as uow:
        return [json.loads(e.text) for e in uow.audit.entries()]


def test_every_change_set_and_plan_edit_is_a_chained_entry(lived: tuple[WorkspaceStore, int, int]) -> None:
    store, first, second = lived
    entries = _entries(store)
    assert [(e["seq"], e["kind"], e["actor"]) for e in entries] == [
        ("1", "plan", "tester"),
        ("2", "activation", "tester"),
        ("3", "override", "ann"),
        ("4", "plan", "ann"),
        ("5", "plan", "ann"),
        ("6", "plan", "ann"),
        ("7", "plan", "ann"),
        ("8", "tick", "ann"),
        ("9", "plan", "ann"),
        ("10", "plan", "ann"),
    ]
    assert entries[0]["prev"] == GENESIS and entries[0]["at"] == "2026-03-02T09:00:00.000000Z"
    assert entries[1]["what"] == f"plan {first} activated" and entries[1]["changes"] == "6"
    assert entries[1]["why"] == f"plan {first} activated"
    assert entries[2]["why"] == "override by a planner: strategic account"
    assert entries[5]["what"] == f"plan {second} scheduled for activation on 2026-03-20"
    assert entries[6]["what"] == f"plan {second}'s activation on 2026-03-20 cancelled"
    assert entries[9]["what"].startswith(f"plan {first + 2} (Book plan) deleted")
    verified = verify_chain(store)
    assert verified.broken is None and verified.seq == 10
    with store.unit_of_work() as uow:
        assert verified.hash == uow.audit.entries()[-1].hash


def test_the_audit_reads_an_account_a_rep_and_a_plan(lived: tuple[WorkspaceStore, int, int]) -> None:
    store, first, second = lived
    account = audit_rows(store, account_id="A-3")
    assert [(r.actor, r.to_place, r.cause) for r in account] == [
        ("tester", "SOUTH / (vacant)", f"plan {first} activated"),
        ("ann", "WEST / cy", "override by a planner: strategic account"),
        ("ann", "SOUTH / (vacant)", "override expired"),
    ]
    assert account[1].from_place == "SOUTH / (vacant)" and account[1].at == "2026-03-03T10:00:00.000000Z"
    assert [r.account_id for r in audit_rows(store, rep_id="cy")] == ["A-6", "A-3", "A-3"]
    expired = audit_rows(store, account_id="A-3", since=date(2026, 3, 9))  # the day the override ended
    assert [r.cause for r in expired] == ["override expired"]
    edits = [r.what for r in audit_rows(store, plan_id=second)]
    assert edits == [
        f"plan {second} cloned from plan {first}",
        f"plan {second} updated from plan.yaml",
        f"plan {second} scheduled for activation on 2026-03-20",
        f"plan {second}'s activation on 2026-03-20 cancelled",
    ]
    with pytest.raises(BadInput, match="one of --account, --rep and --plan"):
        audit_rows(store, account_id="A-1", rep_id="jane")


@contextmanager
def _tampered(workspace: Workspace, *statements: tuple[str, dict[str, object]]) -> Iterator[None]:
    """The statements run straight in the tables, as someone with database access would; the
    tables are put back afterwards."""
    with workspace.engine.connect() as connection:
        saved = connection.execute(text("SELECT seq, entry, hash FROM audit_entries")).all()
        rows = connection.execute(text("SELECT * FROM assignment_changes")).mappings().all()
    with workspace.engine.begin() as connection:
        for sql, values in statements:
            connection.execute(text(sql), values)
    yield
    with workspace.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries"))
        for seq, entry, hash_ in saved:
            connection.execute(
                text("INSERT INTO audit_entries (seq, entry, hash) VALUES (:s, :e, :h)"),
                {"s": seq, "e": entry, "h": hash_},
            )
        connection.execute(text("DELETE FROM assignment_changes"))
        for row in rows:
            names = ", ".join(row)
            connection.execute(
                text(f"INSERT INTO assignment_changes ({names}) VALUES ({', '.join(':' + n for n in row)})"),
                dict(row),
            )


def _broken(workspace: Workspace) -> tuple[int, str]:
    found = verify_chain(workspace).broken
    assert found is not None
    return found.seq, found.what


@pytest.mark.parametrize("lived", ["sqlite", "postgresql"], indirect=True)
def test_verify_names_what_was_edited_inserted_or_deleted_in_the_tables(
    lived: tuple[WorkspaceStore, int, int],
) -> None:
    workspace = lived[0]
    assert isinstance(workspace, Workspace)
    head = verify_chain(workspace)
    assert head.broken is None and head.seq == 10
    edit = "UPDATE audit_entries SET entry = REPLACE(entry, '\"ann\"', '\"bob\"') WHERE seq = 4"
    with _tampered(workspace, (edit, {})):
        assert _broken(workspace) == (4, "edited")
    with _tampered(workspace, ("DELETE FROM audit_entries WHERE seq = 5", {})):
        assert _broken(workspace) == (5, "deleted")
    with _tampered(
        workspace,
        ("DELETE FROM audit_entries WHERE seq = 5", {}),
        ("UPDATE audit_entries SET seq = seq - 1 WHERE seq > 5", {}),
    ):
        assert _broken(workspace) == (5, "deleted")
    forged = chained({"kind": "plan", "what": "plan 1 approved"}, 11, GENESIS)
    insert = "INSERT INTO audit_entries (seq, entry, hash) VALUES (:s, :e, :h)"
    with _tampered(workspace, (insert, {"s": forged.seq, "e": forged.text, "h": forged.hash})):
        assert _broken(workspace) == (11, "inserted")
    moved = "UPDATE assignment_changes SET to_rep_id = 'bob' WHERE account_id = 'A-3' AND to_rep_id = 'cy'"
    with _tampered(workspace, (moved, {})):
        assert _broken(workspace) == (3, "edited")
    assert verify_chain(workspace).broken is None  # put back whole
    expected = f"{head.seq}:{head.hash}"
    assert verify_chain(workspace, expected).broken is None
    with _tampered(workspace, ("DELETE FROM audit_entries WHERE seq = 10", {})):
        assert verify_chain(workspace).broken is None  # a truncated tail looks whole ...
        truncated = verify_chain(workspace, expected).broken  # ... but for the head read earlier
        assert truncated is not None and (truncated.seq, truncated.what) == (10, "truncated")
    with pytest.raises(BadInput, match="--expect-head"):
        verify_chain(workspace, "10:abc")
