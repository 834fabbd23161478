"""Pages of accounts are read row by row from the database, a page at a time; they must show exactly
what the whole book shows, read as frames, filtered to what the principal may see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.services.activation import activate_plan
from territorial.services.context import Context, Principal, Role, Scope
from territorial.services.imports import import_records
from territorial.services.plans import add_plan
from territorial.services.record_views import CUSTOM, _account_shown, _core, list_accounts
from territorial.services.visibility import visible_to
from territorial.services.workspace import with_live_owners
from territorial.store.workspace import Workspace

ACCOUNTS = """\
account_id,name,state,industry,employees,owner_id,segment,products
A-1,Acme,CA,Healthcare,1200,crm-1,Enterprise,analytics;payments
A-2,Beta,CA,Retail,15,,SMB,
A-3,Gamma,NY,Healthcare,300,crm-2,,
A-10,Delta,NY,Retail,,crm-3,Mid-Market,payments
a-4,Epsilon,TX,Healthcare,50,,SMB,analytics
"""
LATER = "account_id,name,state,owner_id,segment\nA-5,Zeta,CA,crm-9,SMB\n"  # placed on import
PLAN = """\
name: Two layers
territories:
  - id: WEST
    rule: state = 'CA'
    reps: [jane, bob]
  - id: EAST
    rule: state IN ('NY', 'TX')
    reps: [dee]
  - id: HEALTH
    layer: overlay
    rule: industry = 'Healthcare'
    reps: [bob]
"""
PLANNER = Context("pam", Principal("pam", Role.PLANNER, None, frozenset(Scope)), CTX.now)
BOB = Context("bob", Principal("bob", Role.REP, "bob", frozenset(Scope)), CTX.now)
REPS = "rep_id,name,active\nbob,Bob,true\njane,Jane,true\ndee,Dee,true\n"


def whole_book(workspace: Workspace, ctx: Context) -> list[dict[str, Any]]:
    """Every active account as a frame, owners live, shown to the principal: the oracle."""
    with workspace.unit_of_work() as uow:
        core = _core(Entity.ACCOUNTS)
        frame = with_live_owners(uow, uow.records.read(Entity.ACCOUNTS, core, active_only=True))
        visible = visible_to(uow, ctx)
    custom = [name for name in frame.columns if name not in core]
    frame = frame.with_columns(pl.struct(custom).alias(CUSTOM)).select(*core, CUSTOM).sort("account_id")
    rows = [row for row in frame.to_dicts() if visible.account(row["account_id"]) is not None]
    return [_account_shown(row, visible) for row in rows]


def paged(workspace: Workspace, ctx: Context, **filters: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = list_accounts(workspace, ctx, cursor=cursor, limit=2, **filters)
        rows += page.rows
        if page.next_cursor is None:
            return rows
        cursor = page.next_cursor


def test_a_planners_pages_show_what_the_whole_book_shows(workspace: Workspace, tmp_path: Path) -> None:
    for name, text in (
        ("accounts.csv", ACCOUNTS),
        ("later.csv", LATER),
        ("plan.yaml", PLAN),
        ("reps.csv", REPS),
    ):
        (tmp_path / name).write_text(text, encoding="utf-8")
    import_records(workspace, CTX, Entity.REPS, tmp_path / "reps.csv")
    import_records(workspace, CTX, Entity.ACCOUNTS, tmp_path / "accounts.csv")
    activate_plan(workspace, CTX, add_plan(workspace, CTX, tmp_path / "plan.yaml"))
    import_records(workspace, CTX, Entity.ACCOUNTS, tmp_path / "later.csv")
    with workspace.unit_of_work() as uow:
        owned = uow.live.rows(["account_id", "rep_id", "territory_id"])
    whole = whole_book(workspace, PLANNER)
    assert paged(workspace, PLANNER) == whole
    # Owners are the primary live reps, the account imported after activation's too.
    owners = {row["account_id"]: row["owner_id"] for row in whole}
    assert owners["A-1"] in ("jane", "bob") and owners["A-5"] in ("jane", "bob")
    for rep in ("bob", "dee", "jane", "nobody"):
        mine = set(owned.filter(owned["rep_id"] == rep)["account_id"].to_list())
        assert paged(workspace, PLANNER, rep=rep) == [row for row in whole if row["account_id"] in mine]
    bobs = paged(workspace, PLANNER, rep="bob")
    assert paged(workspace, PLANNER, rep="bob", state="CA") == [r for r in bobs if r["state"] == "CA"]


def test_a_reps_pages_show_what_the_whole_book_shows_them(workspace: Workspace, tmp_path: Path) -> None:
    for name, text in (("accounts.csv", ACCOUNTS), ("plan.yaml", PLAN), ("reps.csv", REPS)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    import_records(workspace, CTX, Entity.REPS, tmp_path / "reps.csv")
    import_records(workspace, CTX, Entity.ACCOUNTS, tmp_path / "accounts.csv")
    activate_plan(workspace, CTX, add_plan(workspace, CTX, tmp_path / "plan.yaml"))
    with workspace.unit_of_work() as uow:
        owned = uow.live.rows(["account_id", "rep_id", "territory_id"])
    whole = whole_book(workspace, BOB)
    assert whole and paged(workspace, BOB) == whole  # bob's, in both layers, other reps hidden
    assert len(whole) < len(whole_book(workspace, PLANNER))
    for territory in ("WEST", "HEALTH", "EAST"):
        held = set(owned.filter(owned["territory_id"] == territory)["account_id"].to_list())
        expected = [row for row in whole if row["account_id"] in held]
        assert paged(workspace, BOB, territory=territory) == expected
    assert paged(workspace, BOB, state="CA") == [row for row in whole if row["state"] == "CA"]
    # jane's accounts that bob may see: those he shares with her through his overlay.
    janes = set(owned.filter(owned["rep_id"] == "jane")["account_id"].to_list())
    assert paged(workspace, BOB, rep="jane") == [row for row in whole if row["account_id"] in janes]
