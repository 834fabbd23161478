"""Background jobs on SQLite and PostgreSQL: a job runs an existing service to its result, bad
parameters are refused before anything is queued, cancel stops a long training within 5 s, a
runner killed mid-job leaves it interrupted for the next runner, and a silent runner's job too."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from workspace_books import write_book

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.domain.jobs import JobState, StoredJob
from territorial.errors import BadInput, NotAllowed, NotFound
from territorial.services.context import Context, Principal, Role, system_clock
from territorial.services.imports import import_records
from territorial.services.jobs import JobRunner, Timings, cancel_job, job, list_jobs, wait_for
from territorial.services.plans import add_plan
from territorial.store.workspace import Workspace

# Tests beat five times a second, so a cancel is seen at once and the 5 s bound is the job's own.
FAST = Timings(heartbeat=0.2, silent_after=30)
ONE = {"plan_id": 1}


ROUTING_PLAN = """\
name: Leads by state
territories:
  - id: WEST
    rule: state IN ('CA', 'OR', 'WA')
    reps: [jane, bob, cy]
  - id: EAST
    rule: state IN ('NY', 'MA')
    reps: [dee]
"""


def route_book(workspace: Workspace, folder: Path) -> int:
    """The book's reps and accounts, and a plan that routes leads by state (stored)."""
    paths = write_book(folder)
    import_records(workspace, CTX, Entity.REPS, paths["reps"])
    import_records(workspace, CTX, Entity.ACCOUNTS, paths["accounts"])
    (folder / "routing.yaml").write_text(ROUTING_PLAN, encoding="utf-8")
    return add_plan(workspace, CTX, folder / "routing.yaml")


def write_leads(path: Path, rows: int) -> Path:
    """New leads from five states."""
    states = ["CA", "OR", "WA", "NY", "MA"]
    lines = ["lead_id,email,company,state,created"]
    lines += [f"N-{i},n{i}@lead{i}.com,Lead {i} Inc,{states[i % 5]},2026-03-01" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def routing(workspace: Workspace, folder: Path, rows: int) -> dict[str, object]:
    """A route job's parameters: a file of `rows` new leads and a stored plan. Matching 15,000 leads
    takes about 1 s (no progress point), then routing them reports progress every 500 leads (35 ms)
    over 1 s more, then their decisions are stored."""
    plan_id = route_book(workspace, folder)
    return {"leads": str(write_leads(folder / "leads.csv", rows)), "plan_id": plan_id}


def _book(workspace: Workspace, folder: Path) -> int:
    paths = write_book(folder)
    import_records(workspace, CTX, Entity.REPS, paths["reps"])
    import_records(workspace, CTX, Entity.ACCOUNTS, paths["accounts"])
    return add_plan(workspace, CTX, paths["plan"])


def until(workspace: Workspace, job_id: int, done: object, timeout: float = 60) -> StoredJob:
    """The job once `done(job)` holds, polled as a client would."""
    deadline = time.monotonic() + timeout
    while True:
        with workspace.unit_of_work() as uow:
            found = uow.jobs.get(job_id)
        assert found is not None
        if done(found):  # type: ignore[operator]
            return found
        assert time.monotonic() < deadline, f"job {job_id} is still {found}"
        time.sleep(0.05)


def test_assign_route_and_review_jobs_run_to_success_with_what_they_stored(
    workspace: Workspace, tmp_path: Path
) -> None:
    routed = routing(workspace, tmp_path, 50)
    plan_id = add_plan(workspace, CTX, write_book(tmp_path)["plan"])
    runner = JobRunner(workspace, timings=FAST).start()
    try:
        job_id = runner.submit("assign", {"plan_id": plan_id}, CTX)
        route_id = runner.submit("route", routed, CTX)
        done = wait_for(workspace, job_id, timeout=60)
        route = wait_for(workspace, route_id, timeout=60)
        page = tmp_path / "review.html"
        assert done.result is not None, done.error
        review_id = runner.submit("review", {"out": str(page), "run": done.result["run_id"]}, CTX)
        reviewed = wait_for(workspace, review_id, timeout=60)
    finally:
        runner.stop()
    assert reviewed.result == {"out": str(page), "described": f"run {done.result['run_id']} (plan {plan_id})"}
    assert "<html" in page.read_text(encoding="utf-8")
    assert route.state is JobState.SUCCEEDED and route.result is not None, route.error
    with workspace.unit_of_work() as uow:
        decided = uow.routing.latest_decisions_for(["N-0", "N-49"])
    assert route.result == {"route_run_id": decided["N-0"].route_run_id, "leads": 50}
    assert done.state is JobState.SUCCEEDED, done.error
    assert done.result is not None and done.result["accounts"] == 6 and done.progress == 1.0
    with workspace.unit_of_work() as uow:
        runs = uow.runs.list()
    assert [r.run_id for r in runs] == [done.result["run_id"]] and runs[0].plan_id == plan_id
    assert (done.submitted_by, done.parameters, done.runner) == ("tester", {"plan_id": plan_id}, runner.name)
    assert done.started_at is not None and done.finished_at is not None and done.error is None


@pytest.mark.parametrize("workspace_url", ["sqlite"], indirect=True)  # files only: any store does
def test_import_and_training_jobs_report_what_they_made(workspace: Workspace, tmp_path: Path) -> None:
    reps = write_book(tmp_path)["reps"]
    rows = ["lead_id,source,visits,converted"]
    rows += [
        # The source tells the outcome often, not always: a column that alone gave it away would
        # be refused as recorded after the outcome.
        f"H{i},{('referral', 'webinar', 'cold list')[i % 3]},{i % 7},{int((i % 3 == 0) != (i % 11 == 0))}"
        for i in range(240)
    ]
    (tmp_path / "history.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    training = {
        "history": str(tmp_path / "history.csv"),
        "label": "converted",
        "out": str(tmp_path / "fit.model"),
    }
    runner = JobRunner(workspace, timings=FAST).start()
    try:
        imported = runner.submit("import", {"entity": "reps", "path": str(reps)}, CTX)
        trained = runner.submit("train_fit_model", {**training, "estimator": "logistic"}, CTX)
        reps_job, fit_job = wait_for(workspace, imported, 60), wait_for(workspace, trained, 60)
    finally:
        runner.stop()
    assert reps_job.result is not None and reps_job.result["inserted"] == 5, reps_job.error
    assert fit_job.result is not None and fit_job.result["rows"] == 240, fit_job.error
    assert fit_job.result["estimator"] == "logistic" and Path(training["out"]).is_file()


def test_bad_parameters_are_refused_before_anything_is_queued(workspace: Workspace, tmp_path: Path) -> None:
    plan_id = _book(workspace, tmp_path)
    runner = JobRunner(workspace, timings=FAST).start()
    refused = {
        ("assign", "plan_id"): {"plan_id": str(plan_id)},  # "1" is not a plan id, as in a strict body
        ("assign", "plan"): {"plan": plan_id},
        ("import", "entity"): {"entity": "prospects", "path": str(tmp_path / "accounts.csv")},
        ("import", "path"): {"entity": "accounts", "path": str(tmp_path / "nowhere.csv")},
        ("review", "out"): {"out": str(tmp_path / "review.pdf")},
        ("train_fit_model", "history"): {"history": "nowhere.csv", "label": "converted", "out": "fit.model"},
        ("route", "leads"): {"leads": str(tmp_path / "nowhere.csv"), "plan_id": plan_id},
    }
    try:
        for (kind, field), parameters in refused.items():
            with pytest.raises(BadInput) as caught:
                runner.submit(kind, parameters, CTX)
            assert f"{kind} job [{field}]: " in str(caught.value), caught.value
        with pytest.raises(BadInput, match="no job kind 'balance'; the kinds are assign, import"):
            runner.submit("balance", {}, CTX)
        assert "no plan with id 99" in _refusal(runner, "assign", {"plan_id": 99})
    finally:
        runner.stop()
    assert list_jobs(workspace, CTX) == []


def _refusal(runner: JobRunner, kind: str, parameters: dict[str, object]) -> str:
    with pytest.raises(BadInput) as caught:
        runner.submit(kind, parameters, CTX)
    return str(caught.value)


def test_cancel_stops_a_long_routing_within_5_s_and_stores_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    # 40,000 leads route for about 3 s: on a loaded machine (CI's two workers) 15,000 could finish
    # between the client seeing "Routing" and its cancel.
    parameters = routing(workspace, tmp_path, 40_000)
    runner = JobRunner(workspace, timings=FAST).start()
    try:
        job_id = runner.submit("route", parameters, CTX)
        running = until(workspace, job_id, lambda j: j.message.startswith("Routing"))
        asked = time.monotonic()
        assert cancel_job(workspace, CTX, job_id).cancel_requested
        done = wait_for(workspace, job_id, timeout=30, poll=0.05)
        took = time.monotonic() - asked
    finally:
        runner.stop()
    print(f"cancel took {took:.2f} s")
    assert done.state is JobState.CANCELLED and took < 5, (done, took)
    assert running.progress is not None and running.progress < 1  # leads were still to route
    assert done.error is not None and done.error.startswith("cancelled at Routing 40,000 leads")
    with workspace.unit_of_work() as uow:
        assert uow.routing.latest_decisions_for(["N-0", "N-1", "N-39999"]) == {}  # nothing half-written
    with pytest.raises(BadInput, match=f"job {job_id} already cancelled; nothing to cancel"):
        cancel_job(workspace, CTX, job_id)


RUN_ONE_JOB = """
import sys, time
from territorial.services.context import Context
from territorial.services.jobs import JobRunner, Timings
from territorial.store.workspace import open_workspace
import json
workspace = open_workspace(sys.argv[1])
runner = JobRunner(workspace, timings=Timings(heartbeat=0.2)).start()
print(runner.submit("route", json.loads(sys.argv[2]), Context.admin("tester")), flush=True)
time.sleep(600)
"""


# A process start costs 2-4 s: the PostgreSQL run (the same code over another store) is in test-slow.
@pytest.mark.parametrize(
    "workspace_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)], indirect=True
)
def test_a_runner_killed_mid_job_leaves_it_interrupted_for_the_next_runner(
    workspace: Workspace, tmp_path: Path
) -> None:
    import json

    parameters = routing(workspace, tmp_path, 20_000)
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_ONE_JOB, workspace.url, json.dumps(parameters)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        job_id = int(process.stdout.readline())
        until(workspace, job_id, lambda j: j.state is JobState.RUNNING)
    finally:
        process.kill()
        process.wait()
    with workspace.unit_of_work() as uow:
        left = uow.jobs.get(job_id)
    assert left is not None and left.state is JobState.RUNNING  # nobody has looked yet
    restarted = JobRunner(workspace, timings=FAST).start()
    restarted.stop()
    shown = job(workspace, CTX, job_id)
    assert shown.state is JobState.INTERRUPTED and shown.finished_at is not None
    assert shown.error == "its runner's process ended (a restart or a crash) while it was unfinished"
    with workspace.unit_of_work() as uow:
        assert uow.routing.latest_decisions_for(["N-0", "N-19999"]) == {}


def test_a_job_silent_for_30_s_is_interrupted_by_any_runner_that_looks(workspace: Workspace) -> None:
    now = system_clock()
    clock = [now]
    with workspace.unit_of_work(write=True, lock="jobs") as uow:
        # Jobs of runners on another machine: only their heartbeat tells whether they live.
        silent = uow.jobs.add(
            "assign", {"plan_id": 1}, "tester", "elsewhere:41:a", now - timedelta(seconds=31)
        )
        beating = uow.jobs.add(
            "assign", {"plan_id": 1}, "tester", "elsewhere:42:b", now - timedelta(seconds=11)
        )
    runner = JobRunner(workspace, timings=Timings(heartbeat=3600), clock=lambda: clock[0]).start()
    try:
        states = {j.job_id: j.state for j in list_jobs(workspace, CTX)}
        assert states == {silent: JobState.INTERRUPTED, beating: JobState.QUEUED}
        clock[0] = now + timedelta(seconds=20)  # its beats stopped 31 s ago
        runner.beat()
    finally:
        runner.stop()
    stopped = job(workspace, CTX, beating)
    assert stopped.state is JobState.INTERRUPTED
    assert stopped.error == "its runner fell silent for more than 30 s"


def test_a_rep_runs_no_job_and_someone_else_s_reads_as_missing(workspace: Workspace) -> None:
    with workspace.unit_of_work(write=True, lock="jobs") as uow:
        job_id = uow.jobs.add("assign", {"plan_id": 1}, "tester", "elsewhere:1:a", datetime.now())
    rep = Context("jane", Principal("jane", Role.REP, "jane"))
    assert list_jobs(workspace, rep) == [] and [j.job_id for j in list_jobs(workspace, CTX)] == [job_id]
    with pytest.raises(NotFound, match=f"no job {job_id}"):
        job(workspace, rep, job_id)
    with pytest.raises(NotAllowed, match="only admins and planners run or cancel jobs"):
        cancel_job(workspace, rep, job_id)
    runner = JobRunner(workspace, timings=FAST)
    with pytest.raises(NotAllowed, match="reps may not run jobs; planners and admins may"):
        runner.submit("assign", ONE, rep)
    assert len(list_jobs(workspace, CTX)) == 1
