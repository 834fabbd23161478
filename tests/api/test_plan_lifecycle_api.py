"""A plan's lifecycle through the API: assign (a run kept), check, compare, schedule an activation
and unschedule it, at the plan's ETag; planners only."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import httpx

from api_server import Server

CHECK = "checks:\n  - {name: small territories, over: territory, assert: accounts <= 1}\n"


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_assign_check_compare_schedule_and_unschedule(writes_server: Server) -> None:
    cloned = writes_server.send("POST", "/plans/1/clone", "pat")
    plan_id, source = ok(cloned, 201)["plan_id"], cloned.json()["source"]
    updated = writes_server.send(
        "PUT",
        f"/plans/{plan_id}",
        "pat",
        headers={"If-Match": cloned.headers["ETag"]},
        json={"yaml": source + CHECK},
    )
    etag = ok(updated) and updated.headers["ETag"]
    run = ok(writes_server.send("POST", f"/plans/{plan_id}/assign", "pat"), 201)
    assert run["plan_id"] == plan_id and run["accounts"] >= 6
    assert ok(writes_server.get(f"/runs/{run['run_id']}", "pat")) == run
    checked = ok(writes_server.send("POST", f"/plans/{plan_id}/check", "pat"))
    assert not checked["passed"] and checked["checks"][0]["name"] == "small territories"
    assert checked["checks"][0]["failed_rows"] >= 2  # T-EAST and T-WEST hold several accounts
    compared = ok(writes_server.get(f"/plans/1/compare/{plan_id}", "pat"))
    assert compared["plan_b"] == plan_id and compared["balance_a"]["reps"] == 4
    day = (date(2090, 1, 1) + timedelta(days=random.randrange(3000))).isoformat()
    stale = writes_server.send(
        "POST",
        f"/plans/{plan_id}/activate",
        "pat",
        headers={"If-Match": cloned.headers["ETag"]},
        json={"effective": day},
    )
    assert stale.status_code == 412, stale.text
    scheduled = ok(
        writes_server.send(
            "POST", f"/plans/{plan_id}/activate", "pat", headers={"If-Match": etag}, json={"effective": day}
        )
    )
    assert (scheduled["scheduled"], scheduled["effective"]) == (True, day)
    assert ok(writes_server.get(f"/plans/{plan_id}", "pat"))["state"] == "scheduled"
    assert ok(
        writes_server.send("POST", f"/plans/{plan_id}/unschedule", "pat", headers={"If-Match": etag})
    ) == {
        "plan_id": plan_id,
        "effective": day,
    }
    assert ok(writes_server.get(f"/plans/{plan_id}", "pat"))["state"] == "draft"


def test_only_planners_run_the_lifecycle(writes_server: Server) -> None:
    for user in ("mia", "ann", "crm"):
        assert writes_server.send("POST", "/plans/1/assign", user).status_code == 403
        assert writes_server.send("POST", "/plans/1/check", user).status_code == 403
        assert writes_server.get("/plans/1/compare/1", user).status_code == 403
        activate = writes_server.send("POST", "/plans/1/activate", user, headers={"If-Match": '"x"'}, json={})
        assert activate.status_code == 403, activate.text
