"""POST /leads/route on two server workers at once (PostgreSQL, as the service runs in production):
each worker keeps its router, and the pools move under the workspace's routing lock, so no turn is
given twice; a worker's router is loaded again when the workspace changes."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from api_server import Server, shared_server
from territorial.store.workspace import open_workspace

LEADS = 60  # one request each, from 6 threads: both workers route at once


@pytest.fixture(scope="module")
def two_workers(shared_folder: Path) -> Iterator[Server]:
    """A PostgreSQL server of its own (two workers), so that no other test's leads share its pools."""
    if os.environ.get("TERRITORIAL_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL tests opted out with TERRITORIAL_SKIP_POSTGRES=1")
    yield from shared_server(shared_folder, "postgresql_routing_writes")


def route(server: Server, lead: dict[str, str]) -> dict[str, object]:
    answer = server.send("POST", "/leads/route", "crm", json={"leads": [lead]})
    assert answer.status_code == 200, answer.text
    decision: dict[str, object] = answer.json()["decisions"][0]
    return decision


def test_two_workers_never_give_the_same_turn_twice(two_workers: Server) -> None:
    batch = uuid.uuid4().hex[:8]
    leads = [
        {"lead_id": f"L-{batch}-{k:03}", "email": f"buyer{k}@{batch}.example", "state": "CA", "country": "US"}
        for k in range(LEADS)
    ]
    with ThreadPoolExecutor(6) as pool:
        decisions = list(pool.map(lambda lead: route(two_workers, lead), leads))
    assert {d["territory_id"] for d in decisions} == {"T-WEST"}
    # T-WEST's pool is Cal and Dee, at equal weights: a round robin gives each every other lead.
    # Two workers deciding from the same pool state would give one of them the same turn twice.
    assert Counter(d["rep_id"] for d in decisions) == {"REP-CAL": LEADS // 2, "REP-DEE": LEADS // 2}
    workspace = open_workspace(two_workers.database_url)
    try:
        with workspace.unit_of_work() as uow:
            stored = uow.routing.latest_decisions_for([lead["lead_id"] for lead in leads])
    finally:
        workspace.engine.dispose()
    assert {lead_id: d.rep_id for lead_id, d in stored.items()} == {
        str(d["lead_id"]): d["rep_id"] for d in decisions
    }


def test_each_worker_loads_its_router_again_when_the_workspace_changes(two_workers: Server) -> None:
    domain = f"new{uuid.uuid4().hex[:8]}.example"
    # Both workers have a router before the account exists: their first leads go by territory.
    for k in range(4):
        lead = {"lead_id": f"L-{domain}-{k}", "email": f"a{k}@{domain}", "state": "CA", "country": "US"}
        assert route(two_workers, lead)["matched_account_id"] is None
    account = {"account_id": f"ACC-{domain}", "name": "Newco", "website": domain, "state": "CA"}
    assert two_workers.send("POST", "/accounts", "crm", json=account).status_code == 200
    for k in range(4, 8):  # whichever worker answers, it matches the new account
        lead = {"lead_id": f"L-{domain}-{k}", "email": f"a{k}@{domain}", "state": "CA", "country": "US"}
        assert route(two_workers, lead)["matched_account_id"] == f"ACC-{domain}"
