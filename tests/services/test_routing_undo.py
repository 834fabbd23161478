"""Routing is idempotent by lead id and `route undo` restores the workspace, on a real SQLite workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CTX, examples
from territorial.errors import BadInput
from territorial.services.routing import open_router, route_file, route_lead
from territorial.services.routing_undo import undo_routing_run
from territorial.services.unit_of_work import WorkspaceStore
from territorial.store.workspace import init_workspace

PLAN = """\
name: Undo plan
territories:
  - id: WEST
    rule: state = 'CA'
    reps: [jane, bob, cy]
  - id: EAST
    rule: state = 'NY'
    reps: [dee, bob]
"""


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WorkspaceStore, Path]]:
    """One workspace for every example: each starts from whatever the earlier ones left, which is
    the point (routing twice and undoing must hold from any state)."""
    folder = tmp_path_factory.mktemp("undo")
    (folder / "plan.yaml").write_text(PLAN)
    created = init_workspace(f"sqlite:///{folder / 'ws.db'}")
    yield created, folder
    created.engine.dispose()


def snapshot(workspace: WorkspaceStore) -> tuple[Any, ...]:
    """What routing leaves behind: every pool's pointers, each lead's decision, the pooled leads."""
    with workspace.unit_of_work() as uow:
        pools = uow.routing.pools()
        latest = sorted(uow.routing.latest_decisions().rows())
        pooled = sorted(uow.routing.pooled_leads(None, None).rows(), key=repr)
    return pools, latest, pooled


LEADS = st.lists(
    st.tuples(
        st.integers(0, 30),  # lead id: few, so examples re-send earlier examples' leads too
        st.sampled_from(["CA", "NY", "TX"]),
        st.integers(1, 9),  # day of March
        st.sampled_from(["a@x.com", "b@x.com", "", "c@y.com"]),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda lead: lead[0],
)


@settings(max_examples=examples(25, 300), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(leads=LEADS)
def test_routing_a_file_twice_equals_once_and_undo_restores_the_state_before(
    sqlite_store: tuple[WorkspaceStore, Path], leads: list[tuple[int, str, int, str]]
) -> None:
    workspace, folder = sqlite_store
    path = folder / "leads.csv"
    path.write_text(
        "lead_id,state,created,email\n"
        + "".join(f"L-{i},{state},2026-03-0{day},{email}\n" for i, state, day, email in leads)
    )
    before = snapshot(workspace)
    once = route_file(workspace, CTX, open_router(workspace, folder / "plan.yaml"), path)
    after_once = snapshot(workspace)
    twice = route_file(workspace, CTX, open_router(workspace, folder / "plan.yaml"), path)
    assert snapshot(workspace) == after_once and twice.route_run_id is None
    assert all(d.already_routed for d in twice.decisions)
    fields = ("lead_id", "outcome", "rep_id", "territory_id", "queue")
    assert [[getattr(d, f) for f in fields] for d in twice.decisions] == [
        [getattr(d, f) for f in fields] for d in once.decisions
    ]
    if once.route_run_id is not None:  # some leads were new: the run is the last, and undoing it restores
        undo_routing_run(workspace, CTX, once.route_run_id)
        assert snapshot(workspace) == before
        # Leave the leads routed, so later examples meet leads routed before.
        route_file(workspace, CTX, open_router(workspace, folder / "plan.yaml"), path)


def test_one_lead_sent_again_gets_its_stored_decision_and_moves_no_pointer(
    sqlite_store: tuple[WorkspaceStore, Path],
) -> None:
    workspace, folder = sqlite_store
    router = open_router(workspace, folder / "plan.yaml")
    lead = {"lead_id": "ONE-1", "state": "CA", "created": "2026-03-02"}
    first = route_lead(workspace, CTX, router, lead)
    after = snapshot(workspace)
    again = route_lead(workspace, CTX, open_router(workspace, folder / "plan.yaml"), lead)
    assert again.already_routed and (again.rep_id, again.outcome) == (first.rep_id, first.outcome)
    assert again.reason.startswith("already routed in run ") and snapshot(workspace) == after
    rerouted = route_lead(workspace, CTX, open_router(workspace, folder / "plan.yaml"), lead, reroute=True)
    assert rerouted.reason.startswith(f"rerouted on purpose (was routed to {first.rep_id} in run ")
    assert snapshot(workspace) != after  # the pool moved on


def test_a_run_stored_without_its_pool_moves_is_not_undone(sqlite_store: tuple[WorkspaceStore, Path]) -> None:
    """Runs stored before 0024 kept no earlier pointers: undoing one would leave its pools moved."""
    workspace, _folder = sqlite_store
    with workspace.unit_of_work(write=True, lock="route") as uow:
        old = uow.routing.add_run(None, "Undo plan", "old.csv", CTX.now(), pooled_decision())
        uow.routing.save_pools({"WEST": {"pointers": {"jane": 9.0}}}, CTX.now())  # no run: as before 0024
    before = snapshot(workspace)
    with pytest.raises(BadInput, match=f"routing run {old} was stored before runs kept where their pools"):
        undo_routing_run(workspace, CTX, old)
    assert snapshot(workspace) == before
    with pytest.raises(BadInput, match="there is no routing run 99999"):
        undo_routing_run(workspace, CTX, 99999)


def pooled_decision() -> list[dict[str, object]]:
    return [
        {
            "lead_id": "OLD-1",
            "email": None,
            "lead_day": date(2026, 3, 1),
            "decision": "routed",
            "rep_id": "jane",
            "territory_id": "WEST",
            "matched_account_id": None,
            "score": None,
            "relevance": None,
            "product": None,
            "queue": None,
            "in_pool": True,
            "reason": "territory WEST; round robin chose jane",
            "path": "[]",
        }
    ]
