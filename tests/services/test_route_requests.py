"""route_now, as each server worker runs it: a failed request leaves no turn taken."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.services.activation import activate_plan
from territorial.services.imports import import_records
from territorial.services.plans import active_plan_id, add_plan
from territorial.services.route_requests import RouterCache, route_now
from territorial.services.routing import open_router, route_file
from territorial.store.workspace import Workspace, init_workspace

PLAN = """\
name: Pool plan
territories:
  - id: WEST
    rule: state = 'CA'
    reps: [jane, bob, cy]
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A workspace whose active plan has one pool of three reps."""
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "accounts.csv").write_text("account_id,state\nA-1,NY\n")
    workspace = init_workspace(f"sqlite:///{tmp_path / 'ws.db'}")
    try:
        import_records(workspace, CTX, Entity.ACCOUNTS, tmp_path / "accounts.csv")
        activate_plan(workspace, CTX, add_plan(workspace, CTX, tmp_path / "plan.yaml"))
        yield workspace
    finally:
        workspace.engine.dispose()


def test_a_failed_request_gives_no_turn(workspace: Workspace) -> None:
    routers = RouterCache()
    first = route_now(workspace, CTX, [{"lead_id": "L-1", "state": "CA"}], routers)[0].rep_id
    # A good lead, then one with nothing to route by: the request fails and stores nothing, so
    # the good lead's turn was not given.
    with pytest.raises(BadInput):
        route_now(workspace, CTX, [{"lead_id": "L-2", "state": "CA"}, {"lead_id": "L-3"}], routers)
    again = [route_now(workspace, CTX, [{"lead_id": f"L-{k}", "state": "CA"}], routers) for k in (2, 4)]
    # Three leads, three reps: the pool's turns as stored, not as the failed request moved them.
    assert sorted([first, *(routed[0].rep_id for routed in again)]) == ["bob", "cy", "jane"]


def test_requests_waiting_for_the_lock_are_routed_together_in_one_commit(workspace: Workspace) -> None:
    routers = RouterCache()
    route_now(workspace, CTX, [{"lead_id": "L-0", "state": "CA"}], routers)  # loads the router
    commits: list[object] = []
    event.listen(workspace.engine, "commit", commits.append)
    sent = [
        [{"lead_id": "L-1", "state": "CA"}],
        [{"lead_id": "L-2", "state": "CA"}, {"lead_id": "L-bad"}],  # fails alone
        [{"lead_id": "L-3", "state": "CA"}],
        [{"lead_id": "L-4", "state": "CA"}],
    ]
    answers: dict[int, list[str] | str] = {}

    def send(k: int) -> None:
        try:
            answers[k] = [routed.rep_id or "" for routed in route_now(workspace, CTX, sent[k], routers)]
        except BadInput as err:
            answers[k] = str(err)

    threads = [threading.Thread(target=send, args=(k,)) for k in range(len(sent))]
    with routers.lock:  # a batch is being routed: the four requests arrive and wait, in order
        for k, thread in enumerate(threads):
            thread.start()
            while len(routers.waiting) <= k:
                time.sleep(0.001)
    for thread in threads:
        thread.join(timeout=30)
    # The pool's turns continue in arrival order, as if the bad request had never been sent.
    first = route_now(workspace, CTX, [{"lead_id": "L-0", "state": "CA"}], routers)[0].rep_id
    turns = ["jane", "bob", "cy"]
    after = turns[(turns.index(first or "") + 1) % 3 :] + turns[: (turns.index(first or "") + 1) % 3]
    assert answers[0] == [after[0]] and answers[2] == [after[1]] and answers[3] == [after[2]]
    assert "a lead needs at least one field besides lead_id" in str(answers[1])
    # The batch: one version check and one write (the try with the bad request rolled back), then
    # the last route_now's two; one commit per request and check would make nine.
    assert len(commits) == 4


def test_a_file_routed_while_the_api_routes_takes_the_turns_as_stored(
    workspace: Workspace, tmp_path: Path
) -> None:
    # The file's router is opened (as `territorial route` does), then the API routes two leads,
    # one of them also in the file, before the file's leads are given their turns.
    router = open_router(workspace, active_plan_id(workspace, "plan"))
    routers = RouterCache()
    by_api = [route_now(workspace, CTX, [{"lead_id": k, "state": "CA"}], routers)[0] for k in ("L-1", "L-2")]
    (tmp_path / "leads.csv").write_text("lead_id,state\nL-2,CA\nL-3,CA\n")
    batch = route_file(workspace, CTX, router, tmp_path / "leads.csv")
    again, third = batch.decisions
    assert again.already_routed and again.rep_id == by_api[1].rep_id
    # Three leads, three reps: not the turn the API gave first.
    assert sorted([*(d.rep_id or "" for d in by_api), third.rep_id or ""]) == ["bob", "cy", "jane"]
