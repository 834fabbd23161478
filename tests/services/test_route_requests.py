"""route_now, as each server worker runs it: a failed request leaves no turn taken."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.activation import activate_plan
from territorial.services.imports import import_records
from territorial.services.plans import add_plan
from territorial.services.route_requests import RouterCache, route_now
from territorial.store.workspace import Workspace, init_workspace

PLAN = """\
name: Pool plan
territories:
  - id: WEST
    rule: state = 'CA'
    reps: [jane, bob, cy]
"""


def test_a_failed_request_gives_no_turn(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "accounts.csv").write_text("account_id,state\nA-1,NY\n")
    workspace: Workspace = init_workspace(f"sqlite:///{tmp_path / 'ws.db'}")
    try:
        import_records(workspace, CTX, Entity.ACCOUNTS, tmp_path / "accounts.csv")
        activate_plan(workspace, CTX, add_plan(workspace, CTX, tmp_path / "plan.yaml"))
        routers = RouterCache()
        first = route_now(workspace, CTX, [{"lead_id": "L-1", "state": "CA"}], routers)[0].rep_id
        # A good lead, then one with nothing to route by: the request fails and stores nothing, so
        # the good lead's turn was not given.
        with pytest.raises(BadInput):
            route_now(workspace, CTX, [{"lead_id": "L-2", "state": "CA"}, {"lead_id": "L-3"}], routers)
        again = [route_now(workspace, CTX, [{"lead_id": f"L-{k}", "state": "CA"}], routers) for k in (2, 4)]
        # Three leads, three reps: the pool's turns as stored, not as the failed request moved them.
        assert sorted([first, *(routed[0].rep_id for routed in again)]) == ["bob", "cy", "jane"]
    finally:
        workspace.engine.dispose()
