"""Jobs through Redis and workers, on SQLite and PostgreSQL with the machine's real Redis: each job
runs once whichever worker takes its id, however often it is delivered; a job whose id Redis never
carried is found in the jobs table; claiming decides in one UPDATE; bad parameters and bad settings
are refused before anything is stored."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from test_jobs import FAST, _book, routing, until
from workspace_books import write_book

from api_server import free_port
from conftest import CTX
from territorial.domain.jobs import JobState
from territorial.errors import BadInput
from territorial.queues.redis_queue import QueueUnreachable, RedisQueue
from territorial.services.background import start_background
from territorial.services.context import system_clock
from territorial.services.jobs import cancel_job, job, list_jobs, wait_for
from territorial.services.plans import add_plan
from territorial.services.settings import Settings
from territorial.services.worker import JobWorker, QueuedJobs, job_queue
from territorial.store.workspace import Workspace
from worker_processes import start_workers


def queue_of(redis_env: dict[str, str]) -> RedisQueue:
    return RedisQueue(redis_env["TERRITORIAL_REDIS_URL"], redis_env["TERRITORIAL_REDIS_PREFIX"])


@contextmanager
def working(workspace: Workspace, redis_env: dict[str, str], lost_after: float = 30) -> Iterator[JobWorker]:
    """A worker taking jobs in a thread of this process, stopped afterwards."""
    worker = JobWorker(workspace, queue_of(redis_env), 1, lost_after, FAST).start()
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(timeout=30)
        assert not thread.is_alive()


def test_each_job_runs_once_whichever_worker_takes_it_however_often_it_is_delivered(
    workspace: Workspace, redis_env: dict[str, str], tmp_path: Path
) -> None:
    plans = [_book(workspace, tmp_path), add_plan(workspace, CTX, write_book(tmp_path)["plan"])]
    submitter = QueuedJobs(workspace, queue_of(redis_env))
    job_ids = [submitter.submit("assign", {"plan_id": plans[i % 2]}, CTX) for i in range(4)]
    waiting = list_jobs(workspace, CTX)
    assert {(j.state, j.runner, j.heartbeat_at) for j in waiting} == {(JobState.QUEUED, None, None)}
    for job_id in job_ids:  # delivered twice: a retried push, or a Redis replica's replay
        submitter.queue.push(job_id)
    with working(workspace, redis_env) as first, working(workspace, redis_env) as second:
        done = [wait_for(workspace, job_id, timeout=60) for job_id in job_ids]
        until(workspace, job_ids[-1], lambda _j: submitter.queue.waiting() == 0, timeout=30)
    submitter.stop()
    assert [j.state for j in done] == [JobState.SUCCEEDED] * 4, [j.error for j in done]
    assert {j.runner for j in done} <= {first.name, second.name}
    with workspace.unit_of_work() as uow:
        runs = uow.runs.list()
    assert sorted(r.run_id for r in runs) == sorted(j.result["run_id"] for j in done if j.result)
    assert len(runs) == 4  # four jobs, four runs: no delivered-again id ran twice
    assert [j.submitted_by for j in done] == ["tester"] * 4


def test_claiming_decides_once_and_a_job_waiting_for_a_worker_is_never_silent(workspace: Workspace) -> None:
    now = system_clock()
    an_hour_ago = now - timedelta(hours=1)
    with workspace.unit_of_work(write=True, lock="jobs") as uow:
        waiting = uow.jobs.add("assign", {"plan_id": 1}, "tester", None, an_hour_ago)
        cancelled = uow.jobs.add("assign", {"plan_id": 1}, "tester", None, an_hour_ago)
        uow.jobs.request_cancel(cancelled, now)
        held = uow.jobs.add("assign", {"plan_id": 1}, "tester", "elsewhere:7:a", now)  # a runner's own
        assert uow.jobs.waiting(now, limit=10) == [waiting]
    # Nobody holds a job that waits for a worker: an hour's wait is no silent runner.
    assert {j.job_id: j.state for j in list_jobs(workspace, CTX)}[waiting] is JobState.QUEUED
    with workspace.unit_of_work(write=True, lock="jobs") as uow:
        won = uow.jobs.claim(waiting, "worker-a", now)
        assert uow.jobs.claim(waiting, "worker-b", now) is None
        assert uow.jobs.claim(cancelled, "worker-b", now) is None
        assert uow.jobs.claim(held, "worker-b", now) is None
        assert uow.jobs.waiting(now, limit=10) == []
    assert won is not None and (won.state, won.runner, won.started_at) == (JobState.RUNNING, "worker-a", now)


def test_a_job_whose_id_never_reached_redis_is_found_in_the_table(
    workspace: Workspace, redis_env: dict[str, str], tmp_path: Path
) -> None:
    plan_id = _book(workspace, tmp_path)
    offline = QueuedJobs(workspace, RedisQueue("redis://127.0.0.1:1/0", "territorial"))
    job_id = offline.submit("assign", {"plan_id": plan_id}, CTX)  # stored, its push failed
    offline.stop()
    with working(workspace, redis_env, lost_after=1) as worker:
        done = wait_for(workspace, job_id, timeout=30)
    assert done.state is JobState.SUCCEEDED and done.runner == worker.name, done


@pytest.mark.parametrize("workspace_url", ["sqlite"], indirect=True)
def test_a_busy_queue_does_not_starve_a_job_whose_id_was_lost(
    workspace: Workspace, redis_env: dict[str, str], tmp_path: Path
) -> None:
    plan_id = _book(workspace, tmp_path)
    offline = QueuedJobs(workspace, RedisQueue("redis://127.0.0.1:1/0", "territorial"))
    lost = offline.submit("assign", {"plan_id": plan_id}, CTX)
    queue = queue_of(redis_env)
    raw = redis.Redis.from_url(redis_env["TERRITORIAL_REDIS_URL"])
    for _ in range(20):  # ids of no job waiting: each taken, its claim refused, for over 30 s
        raw.lpush(queue.key, *[str(lost + 1000)] * 1000)
    raw.close()
    with working(workspace, redis_env, lost_after=1):
        done = wait_for(workspace, lost, timeout=30)
        behind = queue.waiting()
    queue.close()
    assert done.state is JobState.SUCCEEDED and behind > 0, (done, behind)


@pytest.mark.parametrize("workspace_url", ["sqlite"], indirect=True)
def test_bad_parameters_store_nothing_and_bad_settings_are_named(
    workspace: Workspace, redis_env: dict[str, str], tmp_path: Path
) -> None:
    submitter = QueuedJobs(workspace, queue_of(redis_env))
    with pytest.raises(BadInput, match="no plan with id 99"):
        submitter.submit("assign", {"plan_id": 99}, CTX)
    assert list_jobs(workspace, CTX) == [] and submitter.queue.waiting() == 0
    submitter.stop()
    with pytest.raises(BadInput, match=r"\[redis_url\]: no Redis is configured"):
        job_queue(Settings())
    with pytest.raises(BadInput, match=r"\[redis_url\]: cannot reach Redis at redis://127.0.0.1:1/0"):
        job_queue(Settings(redis_url="redis://127.0.0.1:1/0"))
    with pytest.raises(ValueError, match=re.escape("not a Redis URL: 'http://127.0.0.1:6379'")):
        Settings(redis_url="http://127.0.0.1:6379")


def name_in(log: Path) -> str:
    return log.read_text(encoding="utf-8").split()[1]  # "worker host:pid:tag runs up to ..."


# Starting processes costs 2-4 s each: the PostgreSQL run (the same code over another store) is in test-slow.
@pytest.mark.parametrize(
    "workspace_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)], indirect=True
)
def test_worker_processes_run_queued_jobs_once_and_stop_a_cancelled_one_within_5_s(
    workspace: Workspace, redis_env: dict[str, str], tmp_path: Path
) -> None:
    routed = routing(workspace, tmp_path, 40_000)  # about 3 s of routing, progress every 500 leads
    plan_id = add_plan(workspace, CTX, write_book(tmp_path)["plan"])
    submitter = QueuedJobs(workspace, queue_of(redis_env))
    started = start_workers(workspace.url, redis_env, tmp_path, 2, "--concurrency", "1")
    try:
        route_id = submitter.submit("route", routed, CTX)
        assign_ids = [submitter.submit("assign", {"plan_id": plan_id}, CTX) for _ in range(3)]
        until(workspace, route_id, lambda j: j.message.startswith("Routing"))
        asked = time.monotonic()
        cancel_job(workspace, CTX, route_id)
        cancelled = wait_for(workspace, route_id, timeout=30, poll=0.05)
        took = time.monotonic() - asked
        assigned = [wait_for(workspace, job_id, timeout=60) for job_id in assign_ids]
    finally:
        for process, _log in started:
            process.terminate()  # SIGTERM: as Ctrl+C
        ended = [process.wait(timeout=60) for process, _log in started]
        submitter.stop()
    print(f"cancel through a worker took {took:.2f} s")
    logs = [log.read_text(encoding="utf-8") for _process, log in started]
    assert ended == [0, 0] and all(text.rstrip().endswith("stopped") for text in logs), logs
    assert cancelled.state is JobState.CANCELLED and took < 5, (cancelled, took)
    assert cancelled.error is not None and cancelled.error.startswith("cancelled at Routing 40,000 leads")
    assert [j.state for j in assigned] == [JobState.SUCCEEDED] * 3, [j.error for j in assigned]
    names = {name_in(log) for _process, log in started}
    assert {j.runner for j in [cancelled, *assigned]} <= names
    with workspace.unit_of_work() as uow:
        assert len(uow.runs.list()) == 3
        assert uow.routing.latest_decisions_for(["N-0", "N-39999"]) == {}  # nothing half-written
    assert f"job {assign_ids[0]} succeeded" in "".join(logs)


@pytest.mark.parametrize(
    "workspace_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)], indirect=True
)
def test_a_worker_killed_mid_job_leaves_it_interrupted_and_no_worker_runs_it_again(
    workspace: Workspace, redis_env: dict[str, str], tmp_path: Path
) -> None:
    parameters = routing(workspace, tmp_path, 20_000)
    submitter = QueuedJobs(workspace, queue_of(redis_env))
    job_id = submitter.submit("route", parameters, CTX)
    [(process, log)] = start_workers(workspace.url, redis_env, tmp_path, 1)
    try:
        until(workspace, job_id, lambda j: j.state is JobState.RUNNING)
    finally:
        process.kill()
        process.wait()
    shown = job(workspace, CTX, job_id)  # whoever looks next sees its runner's process is gone
    assert shown.state is JobState.INTERRUPTED and shown.runner == name_in(log)
    assert shown.error == "its runner's process ended (a restart or a crash) while it was unfinished"
    submitter.queue.push(job_id)  # delivered again: still not run a second time
    with working(workspace, redis_env):
        until(workspace, job_id, lambda _j: submitter.queue.waiting() == 0, timeout=30)
    submitter.stop()
    assert job(workspace, CTX, job_id) == shown
    with workspace.unit_of_work() as uow:
        assert uow.routing.latest_decisions_for(["N-0", "N-19999"]) == {}


@pytest.mark.parametrize("workspace_url", ["sqlite"], indirect=True)
def test_with_redis_configured_the_serving_process_queues_jobs_instead_of_running_them(
    workspace: Workspace, redis_env: dict[str, str], tmp_path: Path
) -> None:
    plan_id = _book(workspace, tmp_path)
    settings = Settings(
        redis_url=redis_env["TERRITORIAL_REDIS_URL"], redis_prefix=redis_env["TERRITORIAL_REDIS_PREFIX"]
    )
    background = start_background(workspace, settings, scheduler=False)
    try:
        job_id = background.jobs.submit("assign", {"plan_id": plan_id}, CTX)
        time.sleep(0.3)  # an in-process runner would have started it by now
        waiting = job(workspace, CTX, job_id)
        assert (waiting.state, waiting.runner) == (JobState.QUEUED, None)
        assert queue_of(redis_env).take(1) == job_id
    finally:
        background.stop()


@contextmanager
def private_redis(port: int, folder: Path) -> Iterator[str]:
    """A Redis server of this test's own (Debian's redis-server), so that it can be stopped."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed: apt-get install redis-server")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 30
    while True:
        try:
            RedisQueue(url, "probe").check()
            break
        except QueueUnreachable:
            assert process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


# A Redis server started, stopped and started again, and a lost id waited for: 7 s.
@pytest.mark.slow
@pytest.mark.parametrize("workspace_url", ["sqlite"], indirect=True)
def test_a_worker_outlives_redis_restarting_and_runs_what_was_submitted_meanwhile(
    workspace: Workspace, tmp_path: Path
) -> None:
    plan_id = _book(workspace, tmp_path)
    port = free_port()
    said: list[str] = []
    with private_redis(port, tmp_path) as url:
        queue = RedisQueue(url, "territorial")
        worker = JobWorker(workspace, RedisQueue(url, "territorial"), 1, 1, FAST, said.append).start()
        thread = threading.Thread(target=worker.run)
        thread.start()
        submitter = QueuedJobs(workspace, queue)
        before = wait_for(workspace, submitter.submit("assign", {"plan_id": plan_id}, CTX), 30)
    try:
        while_gone = wait_for(workspace, submitter.submit("assign", {"plan_id": plan_id}, CTX), 30)
        with private_redis(port, tmp_path):
            after_id = submitter.submit("assign", {"plan_id": plan_id}, CTX)
            after = wait_for(workspace, after_id, 30)
            until(workspace, after_id, lambda _j: any("answers again" in line for line in said))
    finally:
        worker.stop()
        thread.join(timeout=30)
        submitter.stop()
    assert [j.state for j in (before, while_gone, after)] == [JobState.SUCCEEDED] * 3
    back = next(i for i, line in enumerate(said) if "answers again" in line)
    gone = [line for line in said[:back] if "cannot reach Redis" in line]
    assert len(gone) == 1, "\n".join(said)  # said once while it was gone, not every 2 s
    assert f"job {while_gone.job_id} had waited over 1 s: taken from the jobs table" in "\n".join(said)
