"""How soon an idle `territorial worker` starts a submitted job: its id through Redis (the worker
blocked on the queue wakes at once) against a job found in the jobs table only (its id lost, the
worker's sweep after `queue_lost_after`), on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/job_pickup.py [--jobs 20] [--redis redis://127.0.0.1:6379/0]

Each job assigns a 6-account book (tests/services/workspace_books.py); the figure is the time from
`submit` returning to the job's row reading `running`, polled every 2 ms. The worker runs in a thread
of this process: the same JobWorker that `territorial worker` runs.
"""

from __future__ import annotations

import argparse
import logging
import platform
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "tests"), str(HERE.parent / "tests" / "services")]

from workspace_books import write_book  # noqa: E402

from conftest import CTX, fresh_database  # noqa: E402
from territorial.domain.entities import Entity  # noqa: E402
from territorial.domain.jobs import JobState  # noqa: E402
from territorial.queues.redis_queue import RedisQueue  # noqa: E402
from territorial.services.imports import import_records  # noqa: E402
from territorial.services.jobs import wait_for  # noqa: E402
from territorial.services.plans import add_plan  # noqa: E402
from territorial.services.worker import JobWorker, QueuedJobs  # noqa: E402
from territorial.store.workspace import Workspace, init_workspace  # noqa: E402


def pickups(
    workspace: Workspace, queue: RedisQueue, submit_to: RedisQueue, jobs: int, lost: float
) -> list[float]:
    """Seconds from each submit to its job running, one job at a time."""
    paths = write_book(Path(tempfile.mkdtemp()))
    import_records(workspace, CTX, Entity.REPS, paths["reps"])
    import_records(workspace, CTX, Entity.ACCOUNTS, paths["accounts"])
    plan_id = add_plan(workspace, CTX, paths["plan"])
    worker = JobWorker(workspace, queue, 1, lost).start()
    thread = threading.Thread(target=worker.run)
    thread.start()
    submitter = QueuedJobs(workspace, submit_to)
    took = []
    try:
        for _ in range(jobs):
            job_id = submitter.submit("assign", {"plan_id": plan_id}, CTX)
            submitted = time.perf_counter()
            while True:
                with workspace.unit_of_work() as uow:
                    found = uow.jobs.get(job_id)
                assert found is not None
                if found.state is not JobState.QUEUED:
                    took.append(time.perf_counter() - submitted)
                    break
                time.sleep(0.002)
            assert wait_for(workspace, job_id, 60).state is JobState.SUCCEEDED
    finally:
        worker.stop()
        thread.join()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # each lost id's warning: expected here
    print(f"python {platform.python_version()}, {platform.machine()}, {args.jobs} jobs each")
    for kind in ("sqlite", "postgresql"):
        for how in ("redis", "table"):
            prefix = f"territorial-bench-{uuid.uuid4().hex[:8]}"
            queue = RedisQueue(args.redis, prefix)
            # A job found in the table only: its id pushed to a Redis that is not there.
            submit_to = queue if how == "redis" else RedisQueue("redis://127.0.0.1:1/0", prefix)
            with tempfile.TemporaryDirectory() as folder, fresh_database(kind, Path(folder)) as url:
                workspace = init_workspace(url)
                took = sorted(pickups(workspace, queue, submit_to, args.jobs, lost=1.0))
                workspace.engine.dispose()
            p95 = took[max(0, round(0.95 * len(took)) - 1)]
            print(
                f"{kind:10} {'through Redis' if how == 'redis' else 'table only (lost id)':22}"
                f" pickup median {statistics.median(took) * 1000:7.1f} ms, p95 {p95 * 1000:7.1f} ms"
            )


if __name__ == "__main__":
    main()
