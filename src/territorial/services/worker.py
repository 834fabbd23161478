"""Jobs run by `territorial worker` processes when Redis is configured: submitting stores the job,
waiting for any worker, and pushes its id; a worker claims each id in the jobs table, so two workers
never run one job, and runs it as the serving process would. Redis carries ids only: a job whose id
it lost is found in the table."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from territorial.domain.jobs import JobState, StoredJob
from territorial.errors import BadInput
from territorial.queues.redis_queue import QueueUnreachable, RedisQueue
from territorial.services.context import Context, Principal, Role, system_clock
from territorial.services.jobs import LOCK, JobPool, Timings, checked_job
from territorial.services.settings import PREFIX, SETTINGS_FILE, Settings
from territorial.services.unit_of_work import WorkspaceStore

log = logging.getLogger(__name__)

# How long a free worker waits on the queue before it looks in the jobs table for lost ids: a
# read of the table each second per idle worker, and a stop (Ctrl+C) seen within it.
TAKE_SECONDS = 1.0
# After Redis or the database failed to answer, the worker waits this long before asking again;
# meanwhile it takes jobs from the table once they are `queue_lost_after` old.
UNREACHABLE_PAUSE = 2.0
# Stopping waits this long for the job being claimed, if any: a take ends within TAKE_SECONDS, a
# claim is one UPDATE, unless an import holds SQLite's write lock.
STOP_TAKING_SECONDS = 30.0


def job_queue(settings: Settings) -> RedisQueue:
    """The queue of the Redis the settings name, once it answers; else one clear message naming the
    setting (BadInput, so the command exits 2)."""
    where = f"{PREFIX}REDIS_URL" if f"{PREFIX}REDIS_URL" in os.environ else SETTINGS_FILE
    if settings.redis_url is None:
        raise BadInput.at(
            'no Redis is configured: set it (redis_url = "redis://127.0.0.1:6379/0"), or let'
            " `territorial serve` run jobs itself",
            where,
            subject="redis_url",
        )
    queue = RedisQueue(settings.redis_url, settings.redis_prefix)
    try:
        queue.check()
    except QueueUnreachable as gone:
        queue.close()
        raise BadInput.at(str(gone), where, subject="redis_url") from None
    return queue


class QueuedJobs:
    """Where the serving process sends jobs when Redis is configured: to the workers."""

    def __init__(
        self, workspace: WorkspaceStore, queue: RedisQueue, clock: Callable[[], datetime] = system_clock
    ) -> None:
        self.workspace = workspace
        self.queue = queue
        self.clock = clock

    def submit(self, kind: str, parameters: Mapping[str, Any], ctx: Context) -> int:
        """Store a job for an admin or planner, its parameters checked first (BadInput, nothing
        stored), waiting for any worker; then push its id. The job's id."""
        stored = checked_job(self.workspace, kind, parameters, ctx)
        with self.workspace.unit_of_work(write=True, lock=LOCK) as uow:
            job_id = uow.jobs.add(kind, stored, ctx.actor, None, self.clock())
        try:
            self.queue.push(job_id)
        except QueueUnreachable as gone:  # stored all the same: a worker finds it in the table
            log.warning("job %s waits for a worker to find it in the jobs table: %s", job_id, gone)
        return job_id

    def stop(self, wait: bool = True) -> None:
        self.queue.close()


def as_submitted(found: StoredJob) -> Context:
    """The context a worker runs a job in: its submitter, as a planner (only admins and planners
    submit jobs, and every kind is a planner's work)."""
    return Context(found.submitted_by, Principal(found.submitted_by, Role.PLANNER))


class JobWorker(JobPool):
    """Takes job ids from the queue, up to `workers` jobs at a time, each only once a thread is free
    (so an idle worker takes the next rather than a busy one holding it); jobs waiting in the table
    longer than `lost_after` seconds are taken too. Heartbeat, cancel and interruption are the
    in-process runner's."""

    def __init__(
        self,
        workspace: WorkspaceStore,
        queue: RedisQueue,
        workers: int = 2,
        lost_after: float = 30.0,
        timings: Timings | None = None,
        told: Callable[[str], None] = log.info,
    ) -> None:
        super().__init__(workspace, workers, timings or Timings())
        self.queue = queue
        self.lost_after = lost_after
        self._free = threading.Semaphore(workers)
        self._told = told
        self._not_taking = threading.Event()
        self._not_taking.set()
        self._queue_gone = False
        self._looked_at = time.monotonic()  # when it last looked in the table for lost jobs

    def run(self) -> None:
        """Take and run jobs until stopped (stop(), from another thread, or Ctrl+C)."""
        self._not_taking.clear()
        try:
            while not self._stopping.is_set():
                if not self._free.acquire(timeout=TAKE_SECONDS):
                    continue
                try:
                    found = self._next()
                except Exception:  # the database unreachable or busy: the worker outlives it
                    log.exception("could not take a job; trying again in %g s", UNREACHABLE_PAUSE)
                    self._stopping.wait(UNREACHABLE_PAUSE)
                    found = None
                if found is None:
                    self._free.release()
                    continue
                self._hold(found.job_id)
                self._told(f"job {found.job_id} ({found.kind}) started, submitted by {found.submitted_by}")
                self._pool.submit(self._run_claimed, found)
        finally:
            self._not_taking.set()

    def stop(self, wait: bool = True) -> None:
        """Stop taking (a job claimed meanwhile is held, so it too ends interrupted, not orphaned),
        then stop as the in-process runner does."""
        self._stopping.set()
        self._not_taking.wait(STOP_TAKING_SECONDS)
        super().stop(wait)
        self.queue.close()

    def _next(self) -> StoredJob | None:
        """The job this worker claimed next: the queue's oldest id's, or, while the queue is quiet
        (and at least every `lost_after` seconds, so a busy queue does not starve them), the oldest
        job that has waited in the table for longer than `lost_after`."""
        if time.monotonic() - self._looked_at >= self.lost_after:
            found = self._claim_lost()
            if found is not None:
                return found
        try:
            job_id = self.queue.take(TAKE_SECONDS)
        except QueueUnreachable as gone:
            if not self._queue_gone:  # said once, not every UNREACHABLE_PAUSE
                self._told(f"{gone}; taking jobs from the jobs table meanwhile")
            self._queue_gone = True
            self._stopping.wait(UNREACHABLE_PAUSE)
            job_id = None
        else:
            if self._queue_gone:
                self._told(f"Redis at {self.queue.url} answers again")
            self._queue_gone = False
        if job_id is not None:
            return self._claim(job_id)  # None: cancelled meanwhile, or another worker's already
        return self._claim_lost()

    def _claim(self, job_id: int) -> StoredJob | None:
        with self.workspace.unit_of_work(write=True, lock=LOCK) as uow:
            return uow.jobs.claim(job_id, self.name, self.clock())

    def _claim_lost(self) -> StoredJob | None:
        """Read first, and write only when a job is lost: on SQLite a write waits for any import."""
        self._looked_at = time.monotonic()
        submitted_before = self.clock() - timedelta(seconds=self.lost_after)
        with self.workspace.unit_of_work() as uow:
            lost = uow.jobs.waiting(submitted_before, limit=10)
        for job_id in lost:
            found = self._claim(job_id)
            if found is not None:
                self._told(f"job {job_id} had waited over {self.lost_after:g} s: taken from the jobs table")
                return found
        return None

    def _started(self, job_id: int) -> bool:
        return True  # claimed: running as this worker's since then

    def _run_claimed(self, found: StoredJob) -> None:
        try:
            self._run(found.job_id, found.kind, found.parameters, as_submitted(found))
        finally:
            self._free.release()

    def _finish(self, job_id: int, state: JobState, result: dict[str, Any] | None, error: str | None) -> None:
        super()._finish(job_id, state, result, error)
        self._told(f"job {job_id} {state.value}" + (f": {error}" if error else ""))
