"""The repositories of background jobs and of leases (what only one process may do at a time)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, insert, select, update

from territorial.domain.jobs import UNFINISHED, JobState, StoredJob
from territorial.store import tables
from territorial.store.repositories import LARGEST_ID, Repository


class Jobs(Repository):
    def add(
        self, kind: str, parameters: Mapping[str, Any], submitted_by: str, runner: str | None, now: datetime
    ) -> int:
        """A queued job, held by `runner` (the one that will run it) and beating from now; or, with no
        runner, waiting for any worker to claim it (services.worker)."""
        result = self._writing().execute(
            insert(tables.jobs)
            .values(
                kind=kind,
                parameters=json.dumps(parameters, sort_keys=True),
                state=JobState.QUEUED.value,
                message="",
                submitted_by=submitted_by,
                created_at=now,
                heartbeat_at=None if runner is None else now,
                cancel_requested=False,
                runner=runner,
            )
            .returning(tables.jobs.c.job_id)
        )
        return int(result.scalar_one())

    def get(self, job_id: int) -> StoredJob | None:
        if not 0 <= job_id <= LARGEST_ID:
            return None
        row = self.connection.execute(select(tables.jobs).where(tables.jobs.c.job_id == job_id)).first()
        return None if row is None else _stored_job(row._mapping)

    def claim(self, job_id: int, runner: str, now: datetime) -> StoredJob | None:
        """Start a job waiting for any worker, as `runner`'s: the job, or None when it is not waiting
        (another worker claimed it first, it was cancelled, or it is a runner's of its own). One
        UPDATE decides, so two workers given the same id never both run it."""
        table = tables.jobs
        done = self._writing().execute(
            update(table)
            .where(
                (table.c.job_id == job_id)
                & table.c.runner.is_(None)
                & (table.c.state == JobState.QUEUED.value)
                & ~table.c.cancel_requested
            )
            .values(runner=runner, state=JobState.RUNNING.value, started_at=now, heartbeat_at=now)
        )
        return self.get(job_id) if done.rowcount == 1 else None

    def waiting(self, submitted_before: datetime, limit: int) -> list[int]:
        """The oldest jobs waiting for any worker that were submitted before then."""
        table = tables.jobs
        query = (
            select(table.c.job_id)
            .where(
                table.c.runner.is_(None)
                & (table.c.state == JobState.QUEUED.value)
                & (table.c.created_at < submitted_before)
            )
            .order_by(table.c.job_id)
            .limit(limit)
        )
        return [int(job_id) for job_id in self.connection.execute(query).scalars()]

    def list(self, states: Collection[JobState] = (), limit: int | None = None) -> list[StoredJob]:
        """The newest first; only those in `states` when some are given."""
        table = tables.jobs
        query = select(table).order_by(table.c.job_id.desc()).limit(limit)
        if states:
            query = query.where(table.c.state.in_([s.value for s in states]))
        return [_stored_job(row._mapping) for row in self.connection.execute(query).all()]

    def start(self, job_id: int, runner: str, now: datetime) -> bool:
        """Mark the runner's queued job running; False when it is no longer queued for this runner
        (cancelled meanwhile, or interrupted by another runner)."""
        table = tables.jobs
        done = self._writing().execute(
            update(table)
            .where(
                (table.c.job_id == job_id)
                & (table.c.runner == runner)
                & (table.c.state == JobState.QUEUED.value)
                & ~table.c.cancel_requested
            )
            .values(state=JobState.RUNNING.value, started_at=now, heartbeat_at=now)
        )
        return done.rowcount == 1

    def beat(self, job_id: int, runner: str, now: datetime, progress: float | None, message: str) -> None:
        """The runner still holds the job: its heartbeat, and how far it has got."""
        table = tables.jobs
        self._writing().execute(
            update(table)
            .where(
                (table.c.job_id == job_id)
                & (table.c.runner == runner)
                & table.c.state.in_([s.value for s in UNFINISHED])
            )
            .values(heartbeat_at=now, progress=progress, message=message)
        )

    def finish(
        self,
        job_id: int,
        runner: str,
        state: JobState,
        now: datetime,
        result: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> bool:
        """How the runner's job ended; False when it was no longer the runner's to end (another runner
        found it silent and marked it interrupted)."""
        table = tables.jobs
        values: dict[str, Any] = {"state": state.value, "finished_at": now, "error": error}
        if result is not None:
            values["result"] = json.dumps(result, sort_keys=True)
        if state is JobState.SUCCEEDED:
            values["progress"] = 1.0
        done = self._writing().execute(
            update(table)
            .where(
                (table.c.job_id == job_id)
                & (table.c.runner == runner)
                & table.c.state.in_([s.value for s in UNFINISHED])
            )
            .values(**values)
        )
        return done.rowcount == 1

    def request_cancel(self, job_id: int, now: datetime) -> None:
        """Ask a job to stop: a queued one is cancelled at once, a running one at its next progress point."""
        table = tables.jobs
        connection = self._writing()
        connection.execute(
            update(table)
            .where((table.c.job_id == job_id) & table.c.state.in_([s.value for s in UNFINISHED]))
            .values(cancel_requested=True)
        )
        connection.execute(
            update(table)
            .where((table.c.job_id == job_id) & (table.c.state == JobState.QUEUED.value))
            .values(state=JobState.CANCELLED.value, finished_at=now, error="cancelled before it started")
        )

    def interrupt(self, job_ids: Collection[int], now: datetime, why: str) -> None:
        """Mark unfinished jobs interrupted: their runner is gone."""
        if not job_ids:
            return
        table = tables.jobs
        self._writing().execute(
            update(table)
            .where(table.c.job_id.in_(sorted(job_ids)) & table.c.state.in_([s.value for s in UNFINISHED]))
            .values(state=JobState.INTERRUPTED.value, finished_at=now, error=why)
        )


def _stored_job(row: RowMapping) -> StoredJob:
    return StoredJob(
        job_id=int(row["job_id"]),
        kind=row["kind"],
        parameters=json.loads(row["parameters"]),
        state=JobState(row["state"]),
        progress=None if row["progress"] is None else float(row["progress"]),
        message=row["message"] or "",
        result=None if row["result"] is None else json.loads(row["result"]),
        error=row["error"],
        submitted_by=row["submitted_by"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        heartbeat_at=row["heartbeat_at"],
        cancel_requested=bool(row["cancel_requested"]),
        runner=row["runner"],
    )


class Leases(Repository):
    def take(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Hold `name` until `until`: True when `holder` already held it or it was free or expired;
        False while another holder's lease runs. Call it in a writing unit of work whose lock is the
        lease's name, so two takers do not both find it free."""
        table = tables.leases
        connection = self._writing()
        row = connection.execute(select(table).where(table.c.name == name)).first()
        if row is None:
            connection.execute(insert(table).values(name=name, holder=holder, expires_at=until))
            return True
        if row.holder != holder and row.expires_at > now:
            return False
        connection.execute(update(table).where(table.c.name == name).values(holder=holder, expires_at=until))
        return True

    def release(self, name: str, holder: str) -> None:
        """Give the lease up now, so another process need not wait for it to expire."""
        table = tables.leases
        self._writing().execute(
            update(table)
            .where((table.c.name == name) & (table.c.holder == holder))
            .values(expires_at=datetime.min)
        )

    def holder(self, name: str) -> tuple[str, datetime] | None:
        row = self.connection.execute(select(tables.leases).where(tables.leases.c.name == name)).first()
        return None if row is None else (row.holder, row.expires_at)
