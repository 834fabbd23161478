"""Background jobs through the real server (the runner the serving process starts, or, with Redis
configured, a `territorial worker` process): a plan assigned as a job, its progress and result
polled, who may start one, and cancelling one that is over."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from api_server import Server, start, stop
from worker_processes import start_workers


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def poll_until_over(server: Server, started: dict[str, Any]) -> dict[str, Any]:
    """The job as a client sees it once it is over, or after 60 s."""
    deadline = time.monotonic() + 60
    job = started
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = ok(server.get(f"/jobs/{started['job_id']}", "pat"))
    return job


def test_a_plan_assigned_as_a_job_reports_its_run(writes_server: Server) -> None:
    started = ok(
        writes_server.send("POST", "/jobs", "pat", json={"kind": "assign", "parameters": {"plan_id": 1}}), 202
    )
    assert started["kind"] == "assign" and started["submitted_by"] == "pat"
    job = poll_until_over(writes_server, started)
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


# A server and a worker process start one after the other (the worker needs the server's book):
# 9 s on an idle machine, 20 s under load. tests/services/test_worker.py runs worker processes in
# the inner loop; this proves the server sends its jobs to them.
@pytest.mark.slow
def test_with_redis_configured_a_posted_job_runs_in_a_worker_process(
    tmp_path: Path, redis_env: dict[str, str]
) -> None:
    database_url = f"sqlite:///{tmp_path / 'api.db'}"
    state = start(tmp_path, database_url, 1, redis_env)
    [(worker, log)] = start_workers(database_url, redis_env, tmp_path, 1)
    try:
        server = Server(state["url"], state["tokens"], database_url)
        sent = {"kind": "assign", "parameters": {"plan_id": 1}}
        started = ok(server.send("POST", "/jobs", "pat", json=sent), 202)
        job = poll_until_over(server, started)
    finally:
        stop(state["pid"])
        worker.terminate()
        worker.wait(timeout=60)
    assert job["state"] == "succeeded", job
    assert f"job {started['job_id']} (assign) started, submitted by pat" in log.read_text(encoding="utf-8")
    served = (tmp_path / "server.log").read_text(encoding="utf-8")
    assert f"jobs go to `territorial worker` processes through {redis_env['TERRITORIAL_REDIS_URL']}" in served
