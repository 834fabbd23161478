"""Row-level access in the service layer, whichever face calls it: a manager's team follows the
manager chain, and before any activation a rep's accounts are those of the latest run."""

from __future__ import annotations

from pathlib import Path

import pytest
from workspace_books import write_book

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.errors import NotAllowed, NotFound
from territorial.services.assign import assign_plan
from territorial.services.context import Context, Principal, Role, Scope
from territorial.services.imports import import_records
from territorial.services.plans import add_plan
from territorial.services.record_views import get_account, list_accounts, list_reps
from territorial.services.visibility import Visible
from territorial.store.workspace import Workspace

# jane manages bob, bob manages cy: jane's team is all three. dee reports to a manager looping
# back on itself through ghost, which must end.
REPS = """\
rep_id,name,active,manager_id
jane,Jane,true,
bob,Bob,true,jane
cy,Cy,true,bob
dee,Dee,true,ghost
ghost,Ghost,false,dee
"""


def as_user(role: Role, rep_id: str | None, scopes: frozenset[Scope] = frozenset(Scope)) -> Context:
    return Context("someone", Principal("someone", role, rep_id, scopes), CTX.now)


@pytest.fixture
def assigned(workspace: Workspace, tmp_path: Path) -> Workspace:
    """The book assigned once, by a stored run, and no plan active."""
    paths = write_book(tmp_path)
    paths["reps"].write_text(REPS, encoding="utf-8")
    import_records(workspace, CTX, Entity.REPS, paths["reps"])
    import_records(workspace, CTX, Entity.ACCOUNTS, paths["accounts"])
    assign_plan(workspace, CTX, add_plan(workspace, CTX, paths["plan"]))
    return workspace


def accounts(workspace: Workspace, ctx: Context) -> list[str]:
    return [row["account_id"] for row in list_accounts(workspace, ctx).rows]


def test_before_any_activation_a_rep_owns_the_latest_runs_accounts(assigned: Workspace) -> None:
    everyone = accounts(assigned, as_user(Role.PLANNER, None))
    assert everyone == ["A-1", "A-2", "A-3", "A-4", "A-5", "A-6"]
    # The run keeps each owner in the pool: jane A-1, bob A-4, cy A-6 in WEST, dee EAST's.
    assert accounts(assigned, as_user(Role.REP, "bob")) == ["A-4"]
    assert accounts(assigned, as_user(Role.MANAGER, "bob")) == ["A-4", "A-6"]
    assert accounts(assigned, as_user(Role.MANAGER, "jane")) == ["A-1", "A-4", "A-6"]
    with pytest.raises(NotFound):
        get_account(assigned, as_user(Role.REP, "bob"), "A-1")
    # A planner's filter by rep reads the same run, in the database (a page, not every account).
    planner = as_user(Role.PLANNER, None)
    assert [row["account_id"] for row in list_accounts(assigned, planner, rep="cy").rows] == ["A-6"]
    first = list_accounts(assigned, planner, limit=4)
    rest = list_accounts(assigned, planner, cursor=first.next_cursor, limit=4)
    assert [row["account_id"] for row in first.rows + rest.rows] == everyone and rest.next_cursor is None


def test_the_manager_chain_reaches_down_and_ends_on_a_loop(assigned: Workspace) -> None:
    team = [row["rep_id"] for row in list_reps(assigned, as_user(Role.MANAGER, "jane")).rows]
    assert team == ["bob", "cy", "jane"]
    looped = [row["rep_id"] for row in list_reps(assigned, as_user(Role.MANAGER, "dee")).rows]
    assert looped == ["dee", "ghost"]
    assert list_reps(assigned, as_user(Role.REP, None)).rows == []  # a rep linked to no rep sees nothing


def test_no_read_without_the_read_scope(assigned: Workspace) -> None:
    with pytest.raises(NotAllowed, match="lacks the read scope"):
        list_accounts(assigned, as_user(Role.INTEGRATION, None))
    with pytest.raises(NotAllowed):
        list_accounts(assigned, as_user(Role.PLANNER, None, frozenset({Scope.ROUTE_LEADS})))


def test_ids_out_of_scope_in_a_text_are_counted_not_named() -> None:
    visible = Visible(everything=False, accounts=frozenset({"A-1"}), hidden=frozenset({"A-2", "A-3", "R-9"}))
    rule = "account_id IN ('A-1', 'A-2', 'A-3') OR owner_id = 'R-9'"
    assert visible.text(rule) == "account_id IN ('A-1', 2 hidden) OR owner_id = 1 hidden"
    assert visible.text("A-10 is not A-1") == "A-10 is not A-1"  # whole ids only
