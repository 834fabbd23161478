"""Background jobs through the real server (the runner the serving process starts): a plan assigned as
a job, its progress and result polled, who may start one, and cancelling one that is over."""

from __future__ import annotations

import time
from typing import Any

import httpx

from api_server import Server


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_a_plan_assigned_as_a_job_reports_its_run(writes_server: Server) -> None:
    started = ok(
        writes_server.send("POST", "/jobs", "pat", json={"kind": "assign", "parameters": {"plan_id": 1}}), 202
    )
    assert started["kind"] == "assign" and started["submitted_by"] == "pat"
    deadline = time.monotonic() + 60
    job = started
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = ok(writes_server.get(f"/jobs/{started['job_id']}", "pat"))
    assert job["state"] == "succeeded", job
    run_id = job["result"]["run_id"]
    assert ok(writes_server.get(f"/runs/{run_id}", "pat"))["plan_id"] == 1
    assert started["job_id"] in [found["job_id"] for found in ok(writes_server.get("/jobs", "pat"))]
    # Over: nothing to cancel, said as such.
    over = writes_server.send("POST", f"/jobs/{started['job_id']}/cancel", "pat")
    assert over.status_code == 400 and "nothing to cancel" in over.text


def test_only_admins_and_planners_start_jobs_and_others_see_none_of_theirs(writes_server: Server) -> None:
    sent = {"kind": "assign", "parameters": {"plan_id": 1}}
    for user in ("ann", "mia", "crm"):
        assert writes_server.send("POST", "/jobs", user, json=sent).status_code == 403, user
    assert ok(writes_server.get("/jobs", "ann")) == []
    mine = ok(writes_server.send("POST", "/jobs", "pat", json=sent), 202)["job_id"]
    assert writes_server.get(f"/jobs/{mine}", "ann").status_code == 404
    # A job whose parameters name nothing is refused before it is queued.
    missing = writes_server.send(
        "POST", "/jobs", "pat", json={"kind": "assign", "parameters": {"plan_id": 999}}
    )
    assert missing.status_code == 400 and "no plan with id 999" in missing.text
    unknown = writes_server.send(
        "POST", "/jobs", "pat", json={"kind": "import", "parameters": {"plan_id": 1}}
    )
    assert unknown.status_code == 422
