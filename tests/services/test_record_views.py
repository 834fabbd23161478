"""Pages of accounts for a principal who sees everything are read row by row in the database; they
must show exactly what the frame path (every account, then filtered) shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.services.activation import activate_plan
from territorial.services.context import Context, Principal, Role, Scope
from territorial.services.imports import import_records
from territorial.services.plans import add_plan
from territorial.services.record_views import _account_shown, _accounts, list_accounts
from territorial.services.visibility import EVERYTHING
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


def test_a_planners_pages_show_what_the_whole_book_shows(workspace: Workspace, tmp_path: Path) -> None:
    for name, text in (("accounts.csv", ACCOUNTS), ("later.csv", LATER), ("plan.yaml", PLAN)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    import_records(workspace, CTX, Entity.ACCOUNTS, tmp_path / "accounts.csv")
    activate_plan(workspace, CTX, add_plan(workspace, CTX, tmp_path / "plan.yaml"))
    import_records(workspace, CTX, Entity.ACCOUNTS, tmp_path / "later.csv")
    with workspace.unit_of_work() as uow:
        frame = _accounts(uow).sort("account_id")
        owned = uow.live.rows(["account_id", "rep_id"])
    whole = [_account_shown(row, EVERYTHING) for row in frame.to_dicts()]

    def paged(**filters: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = list_accounts(workspace, PLANNER, cursor=cursor, limit=2, **filters)
            rows += page.rows
            if page.next_cursor is None:
                return rows
            cursor = page.next_cursor

    assert paged() == whole
    # Owners are the primary live reps, the account imported after activation's too.
    owners = {row["account_id"]: row["owner_id"] for row in whole}
    assert owners["A-1"] in ("jane", "bob") and owners["A-5"] in ("jane", "bob")
    for rep in ("bob", "dee", "jane", "nobody"):
        mine = set(owned.filter(owned["rep_id"] == rep)["account_id"].to_list())
        assert paged(rep=rep) == [row for row in whole if row["account_id"] in mine]
    assert paged(rep="bob", state="CA") == [r for r in paged(rep="bob") if r["state"] == "CA"]
